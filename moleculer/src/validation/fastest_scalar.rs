//! The leaf rules of the fastest-validator port (strings, numbers and formats), with
//! fastest-validator's checks, order, patterns and error types, and the ISO 8601 dates
//! the `date` rule reads and writes.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::js::{self, number_to_json, strict_equals, utf16_len};

use super::check::{Bound, Cx};
use super::{
    Check, CurrencyCheck, EmailCheck, EnumCheck, EqualCheck, NumberCheck, Step, StringCheck,
};

/// Runs a leaf rule on a present, non-null value.
pub(super) fn check(check: &Check, v: &mut Value, cx: &mut Cx<'_>) {
    match check {
        Check::Boolean { convert } => boolean(*convert, v, cx),
        Check::Currency(c) => currency(c, v, cx),
        Check::Date { convert } => date(*convert, v, cx),
        Check::Email(c) => email(c, v, cx),
        Check::Enum(c) => enumeration(c, v, cx),
        Check::Equal(c) => equal(c, v, cx),
        Check::Luhn => luhn(v, cx),
        Check::Mac => mac(v, cx),
        Check::Number(c) => number(c, v, cx),
        Check::ObjectId => object_id(v, cx),
        Check::String(c) => string(c, v, cx),
        Check::Url { empty } => url(*empty, v, cx),
        Check::Uuid { version } => uuid(*version, v, cx),
        // Container rules are run by `fastest_check.rs`; `Any` checks nothing.
        _ => {}
    }
}

/// `forbidden`: any present value fails, or is removed with `remove: true`.
pub(super) fn forbidden(remove: bool, v: &Value, cx: &mut Cx<'_>) -> bool {
    if !remove {
        cx.fail("forbidden", None, Some(v.clone()));
    }
    !remove
}

/// The string a format rule checks, or a `string` error.
fn as_str<'v>(v: &'v Value, cx: &mut Cx<'_>) -> Option<&'v str> {
    let s = v.as_str();
    if s.is_none() {
        cx.fail("string", None, Some(v.clone()));
    }
    s
}

fn boolean(convert: bool, v: &mut Value, cx: &mut Cx<'_>) {
    if convert && !v.is_boolean() {
        let converted = match &*v {
            Value::Number(n) if n.as_f64() == Some(1.0) => Some(true),
            Value::Number(n) if n.as_f64() == Some(0.0) => Some(false),
            Value::String(s) if matches!(s.as_str(), "true" | "1" | "on") => Some(true),
            Value::String(s) if matches!(s.as_str(), "false" | "0" | "off") => Some(false),
            _ => None,
        };
        if let Some(b) = converted {
            *v = Value::Bool(b);
        }
    }
    if !v.is_boolean() {
        cx.fail("boolean", None, Some(v.clone()));
    }
}

fn currency(c: &CurrencyCheck, v: &Value, cx: &mut Cx<'_>) {
    let ok = v.as_str().is_some_and(|s| {
        c.regex.is_match(s) && (!c.needs_digit || s.bytes().any(|b| b.is_ascii_digit()))
    });
    if !ok {
        cx.fail("currency", None, Some(v.clone()));
    }
}

/// ISO 8601 strings pass unchanged; with `convert`, epoch milliseconds (numbers, numeric
/// strings, booleans, as `new Date(x)` reads them) become ISO strings.
fn date(convert: bool, v: &mut Value, cx: &mut Cx<'_>) {
    let millis = match &*v {
        Value::String(s) if convert && !s.is_empty() => js::string_to_number(s),
        Value::Number(n) if convert => n.as_f64(),
        Value::Bool(b) if convert => Some(f64::from(u8::from(*b))),
        _ => None,
    };
    if let Some(iso) = millis.and_then(iso_string) {
        *v = Value::String(iso);
    } else if v.as_str().is_none_or(|s| parse_iso_date(s).is_none()) {
        cx.fail("date", None, Some(v.clone()));
    }
}

fn email(c: &EmailCheck, v: &mut Value, cx: &mut Cx<'_>) {
    let Value::String(s) = v else {
        return cx.fail("string", None, Some(v.clone()));
    };
    if s.is_empty() {
        if !c.empty {
            cx.fail("emailEmpty", None, Some(Value::String(String::new())));
        }
        return;
    }
    if c.normalize {
        *s = js::trim(s).to_lowercase();
    }
    let len = utf16_len(s) as f64;
    cx.bound(Bound::Min, c.min, len, "emailMin");
    cx.bound(Bound::Max, c.max, len, "emailMax");
    let pattern: &Regex = if c.precise {
        &EMAIL_PRECISE
    } else {
        &EMAIL_BASIC
    };
    if !pattern.is_match(s) {
        cx.fail("email", None, Some(Value::String(s.clone())));
    }
}

fn enumeration(c: &EnumCheck, v: &Value, cx: &mut Cx<'_>) {
    if !c.values.iter().any(|allowed| strict_equals(allowed, v)) {
        cx.fail(
            "enumValue",
            Some(Value::String(c.joined.clone())),
            Some(v.clone()),
        );
    }
}

/// `==` (or `===` with `strict`) against `value`, or against the sibling `field`.
fn equal(c: &EqualCheck, v: &Value, cx: &mut Cx<'_>) {
    let (other, kind, expected) = match &c.field {
        Some(name) => {
            let sibling = cx.parent.and_then(|p| p.get(name));
            (sibling, "equalField", Some(Value::String(name.clone())))
        }
        None => (c.value.as_ref(), "equalValue", c.value.clone()),
    };
    let equal = match c.strict {
        true => other.is_some_and(|o| strict_equals(v, o)),
        false => js::loose_equals(v, other),
    };
    if !equal {
        cx.fail(kind, expected, Some(v.clone()));
    }
}

/// The Luhn checksum of the digits (other characters are ignored).
fn luhn(v: &Value, cx: &mut Cx<'_>) {
    let Some(s) = as_str(v, cx) else { return };
    const DOUBLED: [u32; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
    let digits = s
        .bytes()
        .filter(u8::is_ascii_digit)
        .rev()
        .map(|d| u32::from(d - b'0'));
    let sum = digits
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d } else { DOUBLED[d as usize] })
        .fold(0u32, u32::wrapping_add);
    if !(sum % 10 == 0 && sum > 0) {
        cx.fail("luhn", None, Some(v.clone()));
    }
}

fn mac(v: &Value, cx: &mut Cx<'_>) {
    let Some(s) = as_str(v, cx) else { return };
    if !MAC.is_match(&s.to_lowercase()) {
        cx.fail("mac", None, Some(v.clone()));
    }
}

fn number(c: &NumberCheck, v: &mut Value, cx: &mut Cx<'_>) {
    let parsed = match &*v {
        Value::Number(n) => n.as_f64(),
        other if c.convert => js::value_to_number(other),
        _ => None,
    };
    let Some(x) = parsed.filter(|x| x.is_finite()) else {
        return cx.fail("number", None, Some(v.clone()));
    };
    // Errors show the value as it came, before any conversion.
    let orig = v.clone();
    let mut fail = |kind: &str, expected: Option<f64>| {
        cx.fail(kind, expected.map(number_to_json), Some(orig.clone()));
    };
    let step = c.step.as_ref().map(|s| s.value);
    let off_step = c.step.as_ref().is_some_and(|s| step_fails(s, x));
    let checks = [
        ("numberMin", c.min, c.min.is_some_and(|m| x < m)),
        ("numberMax", c.max, c.max.is_some_and(|m| x > m)),
        ("numberEqual", c.equal, c.equal.is_some_and(|e| x != e)),
        ("numberNotEqual", c.not_equal, c.not_equal == Some(x)),
        ("numberInteger", None, c.integer && x.fract() != 0.0),
        ("numberStep", step, off_step),
        ("numberPositive", None, c.positive && x <= 0.0),
        ("numberNegative", None, c.negative && x >= 0.0),
    ];
    for (kind, expected, failed) in checks {
        if failed {
            fail(kind, expected);
        }
    }
    if !v.is_number() {
        *v = number_to_json(x);
    }
}

/// `value % step !== 0`, or for a fractional step fastest-validator's decimal comparison.
fn step_fails(step: &Step, x: f64) -> bool {
    let Some((decimals, multiplier, scaled_step)) = step.scaled else {
        return x % step.value != 0.0;
    };
    let text = js::number_to_string(x);
    let value_decimals = text.find('.').map_or(0, |dot| text.len() - dot - 1);
    // `Math.round` rounds halves up.
    value_decimals > decimals || (x * multiplier + 0.5).floor() % scaled_step != 0.0
}

/// A MongoDB ObjectID as its 24 hex digits.
fn object_id(v: &Value, cx: &mut Cx<'_>) {
    let hex24 = |s: &str| s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit());
    if !v.as_str().is_some_and(hex24) {
        cx.fail("objectID", None, Some(v.clone()));
    }
}

fn string(c: &StringCheck, v: &mut Value, cx: &mut Cx<'_>) {
    if c.convert && !v.is_string() {
        *v = Value::String(js::value_to_string(v));
    }
    let Value::String(original) = &*v else {
        return cx.fail("string", None, Some(v.clone()));
    };
    let value = match c.sanitizes() {
        true => Cow::Owned(sanitize(c, original)),
        false => Cow::Borrowed(original.as_str()),
    };
    string_checks(c, &value, original, cx);
    if let Cow::Owned(sanitized) = value {
        *v = Value::String(sanitized);
    }
}

/// The checks of `string`, on the sanitized value `s` (`original` is what errors show).
fn string_checks(c: &StringCheck, s: &str, original: &str, cx: &mut Cx<'_>) {
    let len = utf16_len(s);
    match c.empty {
        Some(false) if len == 0 => cx.fail("stringEmpty", None, Some(Value::from(s))),
        Some(true) if len == 0 => return,
        _ => {}
    }
    let len = len as f64;
    cx.bound(Bound::Min, c.min, len, "stringMin");
    cx.bound(Bound::Max, c.max, len, "stringMax");
    cx.bound(Bound::Exact, c.length, len, "stringLength");
    let orig = || Some(Value::from(original));
    if let Some((re, expected)) = &c.pattern
        && !re.is_match(s)
    {
        cx.fail(
            "stringPattern",
            Some(Value::from(expected.as_str())),
            orig(),
        );
    }
    if let Some(needle) = &c.contains
        && !s.contains(needle.as_str())
    {
        cx.fail("stringContains", Some(Value::from(needle.as_str())), orig());
    }
    if let Some((allowed, joined)) = &c.allowed
        && !allowed.iter().any(|a| a == s)
    {
        cx.fail("stringEnum", Some(Value::from(joined.as_str())), orig());
    }
    let classes: [ClassCheck; 5] = [
        (c.numeric, "stringNumeric", is_numeric),
        (c.alpha, "stringAlpha", |s| {
            all_ascii(s, |b| b.is_ascii_alphabetic())
        }),
        (c.alphanum, "stringAlphanum", |s| {
            all_ascii(s, |b| b.is_ascii_alphanumeric())
        }),
        (c.alphadash, "stringAlphadash", |s| {
            all_ascii(s, |b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        }),
        (c.hex, "stringHex", |s| {
            s.len() % 2 == 0 && all_ascii(s, |b| b.is_ascii_hexdigit())
        }),
    ];
    for (enabled, kind, valid) in classes {
        if enabled && !valid(s) {
            cx.fail(kind, None, orig());
        }
    }
    if c.single_line && s.contains('\n') {
        cx.fail("stringSingleLine", None, None);
    }
    if c.base64 && !BASE64.is_match(s) {
        cx.fail("stringBase64", None, orig());
    }
}

/// A character-class option of `string`: enabled, error type, test.
type ClassCheck = (bool, &'static str, fn(&str) -> bool);

/// Non-empty, and every byte passes (so every character is ASCII).
fn all_ascii(s: &str, ok: fn(u8) -> bool) -> bool {
    !s.is_empty() && s.bytes().all(ok)
}

/// `^-?[0-9]\d*(\.\d+)?$`
fn is_numeric(s: &str) -> bool {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let digits = |t: &str| all_ascii(t, |b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

/// A trimming sanitizer.
type Trim = fn(&str) -> String;

/// The string sanitizers, in fastest-validator's order.
fn sanitize(c: &StringCheck, s: &str) -> String {
    let mut value = s.to_owned();
    let trims: [(bool, Trim); 3] = [
        (c.trim, |s| js::trim(s).to_owned()),
        (c.trim_left, |s| js::trim_start(s).to_owned()),
        (c.trim_right, |s| js::trim_end(s).to_owned()),
    ];
    for (on, trim) in trims {
        if on {
            value = trim(&value);
        }
    }
    if let Some(target) = c.pad_start {
        value = js::pad_start(&value, target, &c.pad_char);
    }
    if let Some(target) = c.pad_end {
        value = js::pad_end(&value, target, &c.pad_char);
    }
    // `toLocale*Case` with the default locale is the plain conversion.
    let cases = [
        (c.lowercase, false),
        (c.uppercase, true),
        (c.locale_lowercase, false),
        (c.locale_uppercase, true),
    ];
    for (on, upper) in cases {
        if on {
            value = if upper {
                value.to_uppercase()
            } else {
                value.to_lowercase()
            };
        }
    }
    value
}

fn url(empty: bool, v: &Value, cx: &mut Cx<'_>) {
    let Some(s) = as_str(v, cx) else { return };
    if s.is_empty() {
        if !empty {
            cx.fail("urlEmpty", None, Some(v.clone()));
        }
    } else if !URL.is_match(s) {
        cx.fail("url", None, Some(v.clone()));
    }
}

/// A UUID (any case), of the wanted version when given, with the RFC variant for the
/// versions that have one.
fn uuid(want: Option<u8>, v: &Value, cx: &mut Cx<'_>) {
    let Some(s) = as_str(v, cx) else { return };
    let lower = s.to_lowercase();
    if !UUID.is_match(&lower) {
        return cx.fail("uuid", None, Some(v.clone()));
    }
    // The pattern makes these ASCII digits / hex at fixed positions.
    let bytes = lower.as_bytes();
    let version = bytes[14] - b'0';
    if let Some(want) = want
        && want != version
    {
        return cx.fail(
            "uuidVersion",
            Some(Value::from(want)),
            Some(Value::from(version)),
        );
    }
    let variant_ok = matches!(bytes[19], b'8' | b'9' | b'a' | b'b');
    if matches!(version, 3 | 4 | 5 | 7 | 8) && !variant_ok {
        cx.fail("uuid", None, Some(v.clone()));
    }
}

/// Milliseconds since the epoch of an ISO 8601 date (`2020-01-31`, `2020-01-31T10:00:00.5Z`,
/// `+002020-01-31T10:00+02:00`...). Times without an offset are taken as UTC.
fn parse_iso_date(s: &str) -> Option<f64> {
    let mut p = DateParser {
        b: s.as_bytes(),
        i: 0,
    };
    let year = p.year()?;
    let (month, day) = if p.eat(b'-') {
        let month = p.num(2)?;
        (month, if p.eat(b'-') { p.num(2)? } else { 1 })
    } else {
        (1, 1)
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) as f64 * 86_400_000.0;
    if p.eat(b'T') || p.eat(b't') || p.eat(b' ') {
        ms += p.time()?;
        ms -= p.offset()?;
    }
    (p.i == p.b.len() && ms.abs() <= 8.64e15).then_some(ms)
}

struct DateParser<'a> {
    b: &'a [u8],
    i: usize,
}

impl DateParser<'_> {
    fn eat(&mut self, c: u8) -> bool {
        let hit = self.b.get(self.i) == Some(&c);
        self.i += usize::from(hit);
        hit
    }

    fn num(&mut self, len: usize) -> Option<i64> {
        let digits = self.b.get(self.i..self.i + len)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += len;
        Some(
            digits
                .iter()
                .fold(0, |acc, d| acc * 10 + i64::from(d - b'0')),
        )
    }

    fn year(&mut self) -> Option<i64> {
        if self.eat(b'+') {
            return self.num(6);
        }
        if self.eat(b'-') {
            return self.num(6).filter(|y| *y != 0).map(|y| -y);
        }
        self.num(4)
    }

    /// `HH:mm[:ss[.fff]]` in milliseconds.
    fn time(&mut self) -> Option<f64> {
        let hour = self.num(2)?;
        if !self.eat(b':') {
            return None;
        }
        let minute = self.num(2)?;
        let (mut second, mut millis) = (0, 0.0);
        if self.eat(b':') {
            second = self.num(2)?;
            if self.eat(b'.') || self.eat(b',') {
                millis = self.fraction()?;
            }
        }
        let valid = (hour < 24 && minute < 60 && second < 60)
            || (hour == 24 && minute == 0 && second == 0 && millis == 0.0);
        valid.then(|| ((hour * 60 + minute) * 60 + second) as f64 * 1000.0 + millis)
    }

    fn fraction(&mut self) -> Option<f64> {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let digits = &self.b[start..self.i];
        if digits.is_empty() {
            return None;
        }
        let ms = digits.iter().take(3).enumerate().fold(0.0, |acc, (k, d)| {
            acc + f64::from(d - b'0') * [100.0, 10.0, 1.0][k]
        });
        Some(ms)
    }

    /// `Z`, `±HH:mm`, `±HHmm` or nothing, in milliseconds east of UTC.
    fn offset(&mut self) -> Option<f64> {
        if self.eat(b'Z') || self.eat(b'z') || self.i == self.b.len() {
            return Some(0.0);
        }
        let sign = if self.eat(b'+') {
            1.0
        } else if self.eat(b'-') {
            -1.0
        } else {
            return None;
        };
        let hours = self.num(2)?;
        self.eat(b':');
        let minutes = self.num(2)?;
        (hours < 24 && minutes < 60).then(|| sign * ((hours * 60 + minutes) * 60_000) as f64)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `new Date(ms).toISOString()`; `None` outside the JavaScript date range.
fn iso_string(ms: f64) -> Option<String> {
    if !ms.is_finite() || ms.abs() > 8.64e15 {
        return None;
    }
    let ms = ms.trunc() as i64;
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let year_text = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else {
        format!("{}{:06}", if year < 0 { '-' } else { '+' }, year.abs())
    };
    Some(format!(
        "{year_text}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    ))
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Compiles one of the fixed patterns below (constants, covered by tests).
fn fixed(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("fixed pattern {pattern}: {e}"))
}

static EMAIL_BASIC: LazyLock<Regex> = LazyLock::new(|| fixed(r"^\S+@\S+\.\S+$"));
static EMAIL_PRECISE: LazyLock<Regex> = LazyLock::new(|| {
    fixed(concat!(
        r#"^(([^<>()\[\]\\.,;:\s@"]+(\.[^<>()\[\]\\.,;:\s@"]+)*)|(".+"))@"#,
        r"((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\])|(([a-zA-Z\-0-9]+\.)+[a-zA-Z]{2,}))$",
    ))
});
static URL: LazyLock<Regex> = LazyLock::new(|| fixed(r"^https?://\S+"));
static UUID: LazyLock<Regex> = LazyLock::new(|| {
    fixed(concat!(
        r"^([0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}",
        r"|0{8}-0{4}-0{4}-0{4}-0{12})$",
    ))
});
static MAC: LazyLock<Regex> = LazyLock::new(|| {
    fixed(concat!(
        r"^((([a-f0-9][a-f0-9]+[-]){5}|([a-f0-9][a-f0-9]+[:]){5})([a-f0-9][a-f0-9])$)",
        r"|(^([a-f0-9][a-f0-9][a-f0-9][a-f0-9]+[.]){2}([a-f0-9][a-f0-9][a-f0-9][a-f0-9]))$",
    ))
});
// fastest-validator's pattern lets a backslash into the groups of four; kept as is.
static BASE64: LazyLock<Regex> = LazyLock::new(|| {
    fixed(r"^(?:[A-Za-z0-9+\\/]{4})*(?:[A-Za-z0-9+\\/]{2}==|[A-Za-z0-9+/]{3}=)?$")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_iso_date("1970-01-01"), Some(0.0));
        assert_eq!(parse_iso_date("1970-01-02T00:00:00.5Z"), Some(86_400_500.0));
        assert_eq!(parse_iso_date("1970-01-01T01:00+01:00"), Some(0.0));
        assert_eq!(parse_iso_date("2020-02-29"), Some(1_582_934_400_000.0));
        assert_eq!(parse_iso_date("2020"), Some(1_577_836_800_000.0));
        assert_eq!(parse_iso_date("2020-06"), Some(1_590_969_600_000.0));
        for bad in [
            "2019-02-29",
            "2020-13-01",
            "2020-01-01T25:00",
            "20200101",
            "x",
            "2020-01-01T10",
            "",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
        assert_eq!(iso_string(0.0).as_deref(), Some("1970-01-01T00:00:00.000Z"));
        assert_eq!(
            iso_string(1_582_934_400_123.0).as_deref(),
            Some("2020-02-29T00:00:00.123Z")
        );
        assert_eq!(
            iso_string(-1.0).as_deref(),
            Some("1969-12-31T23:59:59.999Z")
        );
        assert_eq!(
            iso_string(8.64e15).as_deref(),
            Some("+275760-09-13T00:00:00.000Z")
        );
        assert_eq!(iso_string(f64::NAN), None);
    }
}
