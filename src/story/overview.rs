//! What a reader sees before the posts: how many, from when to when, who took part, and how
//! the conversation spread over time.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};

use super::clock::Clock;
use super::model::Post;

/// Counts, dates and people of a story.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// Posts shown.
    pub post_count: usize,
    /// Distinct authors of those posts.
    pub participant_count: usize,
    /// Threads (roots of the layout).
    pub thread_count: usize,
    /// Times those posts were shared.
    pub boost_count: u64,
    /// Shown posts that are replies without the hashtag.
    pub context_count: usize,
    /// Posts the curator left out.
    pub hidden_count: usize,
    /// Earliest shown post.
    pub first: Option<DateTime<Utc>>,
    /// Latest shown post.
    pub last: Option<DateTime<Utc>>,
    /// Who wrote the shown posts, most posts first (then by first post).
    pub participants: Vec<Participant>,
    /// Posts over time.
    pub timeline: Timeline,
}

/// Someone who took part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// Display name, or the handle.
    pub name: String,
    /// `@name@host`.
    pub handle: String,
    /// Posts of theirs shown.
    pub posts: usize,
}

/// The width of a timeline bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    /// An hour.
    #[default]
    Hour,
    /// A day.
    Day,
    /// A week, from Monday.
    Week,
    /// A calendar month.
    Month,
}

impl Unit {
    /// The unit's name, for labels.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Hour => "hour",
            Unit::Day => "day",
            Unit::Week => "week",
            Unit::Month => "month",
        }
    }
}

/// Posts per unit of time, every unit from the first post's to the last's (empty ones too).
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Bar width.
    pub unit: Unit,
    /// The bars, in time order.
    pub buckets: Vec<Bucket>,
}

/// One bar of a timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Its start.
    pub start: DateTime<Utc>,
    /// `20 Aug 14:00`, `20 Aug 2026`, `w/c 17 Aug 2026`, `Aug 2026`, in the story's zone.
    pub label: String,
    /// Posts in it.
    pub count: usize,
}

/// Most bars a timeline draws; the unit grows until the span fits.
const MAX_BUCKETS: i64 = 96;

/// Builds the timeline of `times`, in `clock`'s zone.
pub(super) fn timeline(times: &[DateTime<Utc>], clock: &Clock) -> Timeline {
    let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) else {
        return Timeline::default();
    };
    let span = *last - *first;
    let unit = if span <= Duration::hours(MAX_BUCKETS - 1) {
        Unit::Hour
    } else if span <= Duration::days(MAX_BUCKETS - 1) {
        Unit::Day
    } else if span <= Duration::weeks(MAX_BUCKETS - 1) {
        Unit::Week
    } else {
        Unit::Month
    };
    let mut counts: HashMap<NaiveDateTime, usize> = HashMap::new();
    for t in times {
        *counts.entry(floor(clock.local(t), unit)).or_default() += 1;
    }
    let end = floor(clock.local(last), unit);
    let mut at = floor(clock.local(first), unit);
    let mut buckets = Vec::new();
    while at <= end {
        buckets.push(Bucket {
            start: clock.instant(&at),
            label: label(at, unit),
            count: counts.get(&at).copied().unwrap_or(0),
        });
        at = step(at, unit);
    }
    Timeline { unit, buckets }
}

fn floor(t: NaiveDateTime, unit: Unit) -> NaiveDateTime {
    let day = t.date();
    let start = match unit {
        Unit::Hour => return day.and_hms_opt(t.hour(), 0, 0).unwrap_or(t),
        Unit::Day => day,
        Unit::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        Unit::Month => day.with_day(1).unwrap_or(day),
    };
    start.and_hms_opt(0, 0, 0).unwrap_or(t)
}

fn step(t: NaiveDateTime, unit: Unit) -> NaiveDateTime {
    match unit {
        Unit::Hour => t + Duration::hours(1),
        Unit::Day => t + Duration::days(1),
        Unit::Week => t + Duration::weeks(1),
        Unit::Month => {
            let d = t.date();
            let (y, m) = if d.month() == 12 {
                (d.year() + 1, 1)
            } else {
                (d.year(), d.month() + 1)
            };
            NaiveDate::from_ymd_opt(y, m, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap_or(t + Duration::days(31))
        }
    }
}

fn label(t: NaiveDateTime, unit: Unit) -> String {
    match unit {
        Unit::Hour => t.format("%-d %b %H:00").to_string(),
        Unit::Day => t.format("%-d %b %Y").to_string(),
        Unit::Week => t.format("w/c %-d %b %Y").to_string(),
        Unit::Month => t.format("%b %Y").to_string(),
    }
}

/// The people of `posts` (the shown ones), most posts first, ties by first post.
pub(super) fn participants(posts: &[&Post]) -> Vec<Participant> {
    let mut by_author: HashMap<&str, (usize, DateTime<Utc>, &Post)> = HashMap::new();
    for p in posts {
        let entry = by_author
            .entry(p.author.uri.as_str())
            .or_insert((0, p.created_at, p));
        entry.0 += 1;
        if p.created_at < entry.1 {
            entry.1 = p.created_at;
            entry.2 = p;
        }
    }
    let mut list: Vec<(usize, DateTime<Utc>, &Post)> = by_author.into_values().collect();
    list.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(a.1.cmp(&b.1))
            .then(a.2.author.uri.cmp(&b.2.author.uri))
    });
    list.into_iter()
        .map(|(n, _, p)| Participant {
            name: p.author.shown_name().to_string(),
            handle: p.author.handle.clone(),
            posts: n,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_day_long_conversation_gets_hourly_bars_with_the_empty_hours() {
        let times = [
            t("2026-08-20T08:10:00Z"),
            t("2026-08-20T08:50:00Z"),
            t("2026-08-20T11:00:00Z"),
        ];
        let line = timeline(&times, &Clock::default());
        assert_eq!(line.unit, Unit::Hour);
        let counts: Vec<usize> = line.buckets.iter().map(|b| b.count).collect();
        assert_eq!(counts, [2, 0, 0, 1]);
        assert_eq!(line.buckets[0].label, "20 Aug 08:00");
        assert_eq!(line.buckets[0].start, t("2026-08-20T08:00:00Z"));
    }

    #[test]
    fn longer_spans_get_wider_bars_in_the_story_zone() {
        let times = [t("2026-08-20T23:30:00Z"), t("2026-09-30T10:00:00Z")];
        let berlin = Clock::named("Europe/Berlin").unwrap();
        let line = timeline(&times, &berlin);
        assert_eq!(line.unit, Unit::Day);
        // 23:30 UTC is already the 21st in Berlin.
        assert_eq!(line.buckets[0].label, "21 Aug 2026");
        assert_eq!(line.buckets.len(), 41);
        assert_eq!(line.buckets.iter().map(|b| b.count).sum::<usize>(), 2);
        let years = [t("2019-01-05T00:00:00Z"), t("2026-12-31T00:00:00Z")];
        let line = timeline(&years, &Clock::default());
        assert_eq!(line.unit, Unit::Month);
        assert_eq!(line.buckets.len(), 96);
        assert_eq!(line.buckets[0].label, "Jan 2019");
        assert!(timeline(&[], &Clock::default()).buckets.is_empty());
    }
}
