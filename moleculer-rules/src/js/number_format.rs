//! JavaScript's `Number.prototype.toString()` (ECMAScript's `Number::toString`, radix 10).

/// `x.toString()`, which is also `String(x)`: the shortest digits that read back as `x` (of
/// two equally near, the even one), written plainly from 1e-6 up to 1e21 (`0.000001`,
/// `100000000000000000000`) and as `d.ddde±n` beyond (`1e-7`, `1.5e+21`); `-0` is `"0"`,
/// and `NaN`, `Infinity` and `-Infinity` are spelled out.
pub fn number_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    // A whole number below 2^53 prints as its integer digits (the common case: ids, counts).
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if x.fract() == 0.0 && x.abs() < EXACT {
        return (x as i64).to_string();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // Rust's `{:e}` prints the shortest round-tripping digits: "1.5e0", "1e21", "5e-324".
    let sci = format!("{:e}", x.abs());
    let Some((mantissa, exponent)) = sci.split_once('e') else {
        return format!("{x}");
    };
    let Ok(exponent) = exponent.parse::<i64>() else {
        return format!("{x}");
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let digits = even_on_tie(x.abs(), digits, exponent);
    // ECMAScript's k (digit count) and n (decimal point position).
    let k = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let n = exponent + 1;
    let body = if k <= n && n <= 21 {
        let zeros = usize::try_from(n - k).unwrap_or(0);
        format!("{digits}{}", "0".repeat(zeros))
    } else if 0 < n && n <= 21 {
        let point = usize::try_from(n).unwrap_or(0);
        format!("{}.{}", &digits[..point], &digits[point..])
    } else if -6 < n && n <= 0 {
        let zeros = usize::try_from(-n).unwrap_or(0);
        format!("0.{}{digits}", "0".repeat(zeros))
    } else {
        let (first, rest) = digits.split_at(1);
        let e = n - 1;
        let e_sign = if e >= 0 { "+" } else { "-" };
        let e = e.abs();
        if rest.is_empty() {
            format!("{first}e{e_sign}{e}")
        } else {
            format!("{first}.{rest}e{e_sign}{e}")
        }
    };
    format!("{sign}{body}")
}

/// ECMAScript's tie rule for the shortest digits of `x` (> 0): when `x` lies exactly halfway
/// between two `k`-digit strings that both read back as `x`, the even one is printed, where
/// Rust's shortest formatting rounds the tie up (`1788995919670093.25` prints as
/// `…093.2` in JS, `…093.3` in Rust). `digits` and `exponent` are Rust's shortest digits.
fn even_on_tie(x: f64, digits: String, exponent: i64) -> String {
    let k = digits.len();
    // A tie needs the exact expansion to be `digits`' length plus one digit, a 5.
    let near = format!("{x:.k$e}");
    if !near
        .split_once('e')
        .is_some_and(|(mantissa, _)| mantissa.ends_with('5'))
    {
        return digits;
    }
    // 800 digits hold any f64's exact decimal expansion (at most 767 significant digits).
    let exact = format!("{x:.800e}");
    let Some((mantissa, exact_exponent)) = exact.split_once('e') else {
        return digits;
    };
    if exact_exponent.parse::<i64>().ok() != Some(exponent) {
        return digits;
    }
    let all: String = mantissa.chars().filter(|c| *c != '.').collect();
    let (head, tail) = all.split_at(k);
    if !(tail.starts_with('5') && tail[1..].bytes().all(|b| b == b'0')) {
        return digits;
    }
    let down = head.to_owned();
    let Some(up) = increment_digits(head) else {
        return digits;
    };
    let down_is_even = down
        .bytes()
        .last()
        .is_some_and(|b| (b - b'0').is_multiple_of(2));
    let (even, odd) = if down_is_even { (down, up) } else { (up, down) };
    let reads_back = |candidate: &str| {
        let shift = exponent - i64::try_from(k).unwrap_or(0) + 1;
        format!("{candidate}e{shift}").parse::<f64>() == Ok(x)
    };
    [even, odd]
        .into_iter()
        .find(|candidate| candidate.len() == k && reads_back(candidate))
        .unwrap_or(digits)
}

/// A decimal digit string plus one in its last place; `None` when it carries out (`"99"`).
fn increment_digits(digits: &str) -> Option<String> {
    let mut bytes = digits.as_bytes().to_vec();
    for b in bytes.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return String::from_utf8(bytes).ok();
        }
    }
    None
}
