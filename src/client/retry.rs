//! When to try a request again: exponential backoff with jitter, and the runtime's `Retry-After`.
//!
//! Retries spread out (each wait about twice the last, up to a cap) and are jittered (a random half of each
//! wait), so widgets that lost the same runtime at the same moment do not come back in step. A `Retry-After`
//! from the runtime (429, 503) is a floor: the wait is never shorter than what the runtime asked for, and when it
//! asks for longer than [`Policy::max_after_ms`] the turn is not retried automatically (the user may retry).

/// How a request is retried. The randomness comes in as an argument, so the schedule is testable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Automatic retries after the first attempt.
    pub retries: u32,
    /// The wait before the first retry, before jitter.
    pub base_ms: u64,
    /// No wait is longer than this, before jitter.
    pub cap_ms: u64,
    /// The longest `Retry-After` honoured by waiting.
    pub max_after_ms: u64,
}

impl Default for Policy {
    /// Four retries, 0.5 s doubling to at most 8 s: a turn gives up after about 8 to 15 s of waiting.
    fn default() -> Self {
        Policy { retries: 4, base_ms: 500, cap_ms: 8_000, max_after_ms: 60_000 }
    }
}

impl Policy {
    /// The wait before retry number `retry` (1 for the first retry), or `None` when no retry is left or the
    /// runtime asked to wait too long. `jitter` is a random number in `[0, 1)`; `after_ms` the `Retry-After`.
    pub fn wait(&self, retry: u32, jitter: f64, after_ms: Option<u64>) -> Option<u64> {
        if retry == 0 || retry > self.retries {
            return None;
        }
        if after_ms.is_some_and(|a| a > self.max_after_ms) {
            return None;
        }
        let step = self.base_ms.saturating_mul(1u64 << (retry - 1).min(32)).min(self.cap_ms);
        // "Equal jitter": half the step always, the other half at random.
        let jittered = step / 2 + (step as f64 / 2.0 * jitter.clamp(0.0, 1.0)) as u64;
        Some(jittered.max(after_ms.unwrap_or(0)))
    }
}

/// A `Retry-After` header as milliseconds from `now_ms`: delta-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, RFC 9110's preferred form). `None` for anything else.
pub fn retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value.parse::<u64>().unwrap_or(u64::MAX).saturating_mul(1000));
    }
    http_date(value).map(|at| at.saturating_sub(now_ms))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) as epoch milliseconds.
fn http_date(s: &str) -> Option<u64> {
    let mut parts = s.split(' ');
    let (_weekday, day, month, year, time, zone) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || zone != "GMT" {
        return None;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let day: u64 = number(day, 2)?;
    let year: u64 = number(year, 4)?;
    let mut hms = time.split(':');
    let (h, m, sec) = (number(hms.next()?, 2)?, number(hms.next()?, 2)?, number(hms.next()?, 2)?);
    if hms.next().is_some() || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 || year < 1970 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + h) * 60 + m) * 60_000 + sec * 1000)
}

/// Exactly `len` ASCII digits.
fn number(s: &str, len: usize) -> Option<u64> {
    if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's algorithm), for years
/// from 1970.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_and_stop_after_the_last_retry() {
        let p = Policy::default();
        // With no jitter each wait is half its step; with the most jitter, the whole step.
        let low: Vec<_> = (1..=5).map(|r| p.wait(r, 0.0, None)).collect();
        assert_eq!(low, [Some(250), Some(500), Some(1000), Some(2000), None]);
        let high: Vec<_> = (1..=4).map(|r| p.wait(r, 0.999_999, None)).collect();
        assert_eq!(high, [Some(499), Some(999), Some(1999), Some(3999)]);
        let capped = Policy { retries: 20, ..p };
        assert_eq!(capped.wait(20, 0.0, None), Some(4000), "the cap holds for late retries");
        assert_eq!(p.wait(0, 0.5, None), None);
    }

    #[test]
    fn jitter_spreads_the_waits() {
        let p = Policy::default();
        let waits: Vec<u64> = (0..10).filter_map(|i| p.wait(3, f64::from(i) / 10.0, None)).collect();
        let mut distinct = waits.clone();
        distinct.dedup();
        assert_eq!(distinct.len(), 10, "{waits:?}");
        assert!(waits.iter().all(|w| (1000..2000).contains(w)));
    }

    #[test]
    fn retry_after_is_a_floor_and_too_long_gives_up() {
        let p = Policy::default();
        assert_eq!(p.wait(1, 0.0, Some(5_000)), Some(5_000));
        assert_eq!(p.wait(3, 0.0, Some(10)), Some(1000), "a short Retry-After does not hurry the backoff");
        assert_eq!(p.wait(1, 0.0, Some(120_000)), None, "longer than max_after_ms: not delivered now");
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(retry_after("120", 0), Some(120_000));
        assert_eq!(retry_after(" 0 ", 0), Some(0));
        // 1994-11-06T08:49:37Z is 784111777 s after the epoch.
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777_000));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_770_000), Some(7_000));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_780_000), Some(0), "a past date: now");
        assert_eq!(http_date("Thu, 29 Feb 2024 23:59:60 GMT"), Some(1_709_251_200_000));
        for bad in [
            "",
            "soon",
            "-1",
            "1.5",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
        ] {
            assert_eq!(retry_after(bad, 0), None, "{bad}");
        }
        assert_eq!(retry_after("99999999999999999999999", 0), Some(u64::MAX), "huge: never honoured by waiting");
    }
}
