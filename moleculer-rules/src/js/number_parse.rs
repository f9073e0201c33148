//! JavaScript's `Number(text)` (ECMAScript's `StringToNumber`).

use super::trim;

/// `Number(text)`; `None` stands for `NaN`.
///
/// Surrounding whitespace is ignored and blank text is `0`; otherwise the text is a decimal
/// literal (`"-1.5e3"`, `".5"`, `"5."`, leading zeros allowed), `Infinity` with an optional
/// sign, or an unsigned `0x`/`0o`/`0b` integer, rounded to the nearest double as Node rounds
/// it. Anything else (`"1_000"`, `"inf"`, `"-0x10"`, `"12px"`) is `NaN`.
pub fn string_to_number(text: &str) -> Option<f64> {
    let text = trim(text);
    if text.is_empty() {
        return Some(0.0);
    }
    if let Some((radix, digits)) = radix_literal(text) {
        return radix_value(digits, radix);
    }
    match text {
        "Infinity" | "+Infinity" => return Some(f64::INFINITY),
        "-Infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    if !is_decimal_literal(text) {
        return None;
    }
    // Rust's parser rounds correctly; `is_decimal_literal` keeps out what it reads but
    // JavaScript does not (`inf`, `nan`).
    text.parse::<f64>().ok()
}

/// The radix and digits of a `0x..`, `0o..` or `0b..` literal.
fn radix_literal(text: &str) -> Option<(u32, &str)> {
    let radix = match text.get(..2)? {
        "0x" | "0X" => 16,
        "0o" | "0O" => 8,
        "0b" | "0B" => 2,
        _ => return None,
    };
    Some((radix, &text[2..]))
}

/// The digits of a power-of-two radix read exactly, then rounded once to the nearest double
/// (ties to even). Adding digit by digit in `f64` would round at every step past 2^53:
/// `0x1000000000000081` is 2^60 + 256 in Node, but 2^60 that way.
fn radix_value(digits: &str, radix: u32) -> Option<f64> {
    if digits.is_empty() {
        return None;
    }
    let bits = radix.trailing_zeros();
    // The leading bits, then how many bits were dropped below them and whether any was set.
    let mut top: u64 = 0;
    let mut dropped: i32 = 0;
    let mut sticky = false;
    for c in digits.chars() {
        let digit = u64::from(c.to_digit(radix)?);
        if top >> (64 - bits) == 0 {
            top = (top << bits) | digit;
        } else {
            // `top` holds at least 61 significant bits: enough to round to 53 once the
            // dropped bits are folded into its lowest one.
            dropped = dropped.saturating_add(bits as i32);
            sticky |= digit != 0;
        }
    }
    // The cast rounds to nearest, ties to even; the sticky bit breaks false ties.
    #[allow(clippy::cast_precision_loss)]
    let mut value = (top | u64::from(sticky)) as f64;
    while dropped > 0 && value.is_finite() {
        let step = dropped.min(1000);
        value *= 2f64.powi(step);
        dropped -= step;
    }
    Some(value)
}

/// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}
