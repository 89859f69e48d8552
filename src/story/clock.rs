//! The zone a story's times are shown in: UTC unless the curator names an IANA zone, and
//! always labelled, since a reader years later cannot guess it.

use std::fmt::Write;

use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// A display zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    zone: Tz,
}

impl Default for Clock {
    fn default() -> Self {
        Clock { zone: Tz::UTC }
    }
}

/// A zone name that names no IANA zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an IANA time zone name (such as `Europe/London`, `America/New_York` or `UTC`)"
)]
pub struct UnknownZone(pub String);

impl Clock {
    /// The zone of IANA name `name` (`Europe/London`, `UTC`).
    pub fn named(name: &str) -> Result<Clock, UnknownZone> {
        name.trim()
            .parse::<Tz>()
            .map(|zone| Clock { zone })
            .map_err(|_| UnknownZone(name.to_owned()))
    }

    /// The zone's IANA name.
    pub fn name(&self) -> &'static str {
        self.zone.name()
    }

    /// Whether times are shown in UTC.
    pub fn is_utc(&self) -> bool {
        matches!(self.zone, Tz::UTC | Tz::Etc__UTC | Tz::UCT | Tz::Etc__UCT)
    }

    /// RFC 3339 in UTC with `Z`, for machines (`<time datetime>`).
    pub fn iso(t: &DateTime<Utc>) -> String {
        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// `20 Aug 2026, 10:00 CEST`: date, time and the zone's abbreviation.
    pub fn human(&self, t: &DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.zone);
        let mut out = self.date(t);
        let _ = write!(out, ", {:02}:{:02} ", local.hour(), local.minute());
        if self.is_utc() {
            out.push_str("UTC");
        } else {
            // The zone's abbreviation, as chrono's `%Z` writes it.
            let _ = write!(out, "{}", local.offset());
        }
        out
    }

    /// `20 Aug 2026`, in the zone.
    pub fn date(&self, t: &DateTime<Utc>) -> String {
        // Written by hand rather than with a chrono format string, which is parsed again for
        // every call: a page shows a time for every post.
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let local = t.with_timezone(&self.zone);
        if !(0..=9999).contains(&local.year()) {
            return local.format("%-d %b %Y").to_string();
        }
        let mut out = String::with_capacity(32);
        let month = MONTHS[local.month0() as usize];
        let _ = write!(out, "{} {month} {:04}", local.day(), local.year());
        out
    }

    /// Wall-clock time in the zone.
    pub fn local(&self, t: &DateTime<Utc>) -> NaiveDateTime {
        t.with_timezone(&self.zone).naive_local()
    }

    /// The instant a wall-clock time in the zone names (the earlier one in a repeated hour; a
    /// time skipped by a clock change is read as UTC rather than lost).
    pub fn instant(&self, local: &NaiveDateTime) -> DateTime<Utc> {
        self.zone
            .from_local_datetime(local)
            .earliest()
            .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_labelled_in_their_zone() {
        let t = DateTime::parse_from_rfc3339("2026-08-20T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Clock::default().human(&t), "20 Aug 2026, 08:00 UTC");
        let berlin = Clock::named("Europe/Berlin").unwrap();
        assert_eq!(berlin.human(&t), "20 Aug 2026, 10:00 CEST");
        assert_eq!(berlin.name(), "Europe/Berlin");
        let sydney = Clock::named("Australia/Sydney").unwrap();
        assert_eq!(sydney.date(&t), "20 Aug 2026");
        assert_eq!(
            Clock::named("America/Los_Angeles").unwrap().date(&t),
            "20 Aug 2026"
        );
        assert_eq!(
            Clock::named("Mars/Olympus"),
            Err(UnknownZone("Mars/Olympus".to_owned()))
        );
        assert_eq!(berlin.instant(&berlin.local(&t)), t);
    }

    /// The hand-written forms are chrono's `%-d %b %Y, %H:%M %Z`, in every zone and season.
    #[test]
    fn times_are_written_as_chrono_formats_them() {
        let zones = [
            "UTC",
            "Europe/London",
            "America/St_Johns",
            "Asia/Kathmandu",
            "Etc/GMT+3",
        ];
        for zone in zones {
            let clock = Clock::named(zone).unwrap();
            for secs in (-2_000_000_000_i64..4_000_000_000).step_by(7_777_777) {
                let t = DateTime::from_timestamp(secs, 0).unwrap();
                let local = t.with_timezone(&clock.zone);
                let label = if clock.is_utc() { "UTC" } else { "%Z" };
                let human = local
                    .format(&format!("%-d %b %Y, %H:%M {label}"))
                    .to_string();
                assert_eq!(clock.human(&t), human);
                assert_eq!(clock.date(&t), local.format("%-d %b %Y").to_string());
            }
        }
        let far = DateTime::from_timestamp(400_000_000_000, 0).unwrap();
        assert_eq!(
            Clock::default().date(&far),
            far.format("%-d %b %Y").to_string()
        );
    }
}
