//! What a model records about its making (corpus hash, date), computed without the clock when
//! `SOURCE_DATE_EPOCH` is set, so the same corpus gives the same bytes.

use crate::data::Row;
use std::time::{SystemTime, UNIX_EPOCH};

/// FNV-64 over every row's label and text, fed one row at a time.
pub(crate) struct CorpusHash(u64);

impl CorpusHash {
    pub fn new() -> CorpusHash {
        CorpusHash(0xcbf2_9ce4_8422_2325)
    }

    pub fn add(&mut self, r: &Row) {
        for b in r.label.bytes().chain([0]).chain(r.text.bytes()).chain([0]) {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

/// `YYYY-MM-DD` of `SOURCE_DATE_EPOCH` when set (reproducible builds), else of now.
pub(crate) fn build_date() -> String {
    build_date_at(
        std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(),
        SystemTime::now(),
    )
}

/// [`build_date`] with the environment's `SOURCE_DATE_EPOCH` and the clock given: the epoch
/// seconds when they parse, else `now`.
fn build_date_at(source_date_epoch: Option<&str>, now: SystemTime) -> String {
    let secs = source_date_epoch
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            now.duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    civil_date(secs.div_euclid(86_400))
}

/// Days since 1970-01-01 to `YYYY-MM-DD` (Howard Hinnant's algorithm).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_from_epoch_days() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(-1), "1969-12-31");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(19_782), "2024-02-29");
        assert_eq!(civil_date(19_783), "2024-03-01");
        assert_eq!(civil_date(20_415), "2025-11-23");
        // 2100 is not a leap year
        assert_eq!(civil_date(47_540), "2100-02-28");
        assert_eq!(civil_date(47_541), "2100-03-01");
    }

    #[test]
    fn the_build_date_is_the_source_date_epoch_day() {
        let now = UNIX_EPOCH + Duration::from_secs(19_782 * 86_400 + 3_600);
        // the bundled model's SOURCE_DATE_EPOCH (model/README.md)
        assert_eq!(build_date_at(Some("1795392000"), now), "2026-11-23");
        assert_eq!(build_date_at(Some(" 1795391999\n"), now), "2026-11-22");
        assert_eq!(build_date_at(Some("0"), now), "1970-01-01");
        assert_eq!(build_date_at(Some("-1"), now), "1969-12-31");
        // unset or unreadable: the clock's day
        assert_eq!(build_date_at(None, now), "2024-02-29");
        assert_eq!(build_date_at(Some("yesterday"), now), "2024-02-29");
    }
}
