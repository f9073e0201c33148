//! The wall clock in the forms `$node.health` and the `os.datetime.*` metrics show:
//! JavaScript's `Date.now()`, `toISOString()` and `toUTCString()`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (`Date.now()`).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A UTC date and time, to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    weekday: u32,
    hour: u64,
    minute: u64,
    second: u64,
    milli: u64,
}

impl Civil {
    fn from_ms(ms: u64) -> Civil {
        let days = i64::try_from(ms / 86_400_000).unwrap_or(i64::MAX);
        let in_day = ms % 86_400_000;
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            // 1970-01-01 was a Thursday (4, with Sunday 0).
            weekday: u32::try_from((days + 4).rem_euclid(7)).unwrap_or(0),
            hour: in_day / 3_600_000,
            minute: in_day / 60_000 % 60,
            second: in_day / 1000 % 60,
            milli: in_day % 1000,
        }
    }
}

/// Howard Hinnant's `civil_from_days`: the proleptic Gregorian date of a day count.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `new Date(ms).toISOString()`: `2024-05-01T12:30:05.042Z`.
pub(crate) fn iso(ms: u64) -> String {
    let c = Civil::from_ms(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.milli
    )
}

/// `new Date(ms).toUTCString()`: `Wed, 01 May 2024 12:30:05 GMT`.
pub(crate) fn utc(ms: u64) -> String {
    let c = Civil::from_ms(ms);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[c.weekday as usize % 7],
        c.day,
        MONTHS[(c.month as usize + 11) % 12],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_date_forms() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        // 2024-02-29T23:59:58.007Z, a leap day.
        let ms = 1_709_251_198_007;
        assert_eq!(iso(ms), "2024-02-29T23:59:58.007Z");
        assert_eq!(utc(ms), "Thu, 29 Feb 2024 23:59:58 GMT");
        // 2026-12-03T16:29:11.551Z, as a Node broker printed it.
        assert_eq!(iso(1_796_315_351_551), "2026-12-03T16:29:11.551Z");
        assert_eq!(utc(1_796_315_351_551), "Thu, 03 Dec 2026 16:29:11 GMT");
    }
}
