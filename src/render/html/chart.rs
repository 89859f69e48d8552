//! The overview's chart of posts over time: an inline SVG (no script, no external file), one
//! bar per hour, day, week or month, each with a `<title>` a pointer or screen reader can read.
//! Built from numbers and escaped labels only, so it is safe to mark as such.

use std::fmt::Write;

use crate::sanitize::escape_html;
use crate::story::{Clock, Timeline};

const WIDTH: usize = 640;
const HEIGHT: usize = 120;
const AXIS: usize = 2;

/// The chart of `timeline`, or `None` when there is nothing to draw.
pub(super) fn chart(timeline: &Timeline) -> Option<String> {
    let buckets = &timeline.buckets;
    if buckets.len() < 2 {
        return None;
    }
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let slot = WIDTH as f64 / buckets.len() as f64;
    let bar = (slot * 0.8).max(1.0);
    let plot = (HEIGHT - AXIS) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-labelledby=\"chart-summary\" preserveAspectRatio=\"none\">"
    );
    let _ = write!(
        svg,
        "<line x1=\"0\" y1=\"{plot}\" x2=\"{WIDTH}\" y2=\"{plot}\" class=\"axis\"/>"
    );
    for (i, b) in buckets.iter().enumerate() {
        let h = if b.count == 0 {
            0.0
        } else {
            (plot * b.count as f64 / max as f64).max(1.5)
        };
        let _ = write!(
            svg,
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\"><title>{}: {} post{}</title></rect>",
            i as f64 * slot + (slot - bar) / 2.0,
            plot - h,
            bar,
            h,
            escape_html(&b.label),
            b.count,
            if b.count == 1 { "" } else { "s" }
        );
    }
    // The first and last labels go under the chart as HTML: text inside a stretched SVG would
    // be stretched with it.
    svg.push_str("</svg>");
    Some(svg)
}

/// What the chart shows, in words: the busiest bar and the span.
pub(super) fn summary(timeline: &Timeline, clock: &Clock) -> String {
    let Some(busiest) = timeline
        .buckets
        .iter()
        .max_by(|a, b| a.count.cmp(&b.count).then(b.start.cmp(&a.start)))
    else {
        return String::new();
    };
    let unit = timeline.unit.name();
    format!(
        "Posts per {unit} ({zone}), {n} {unit}{s} from {first} to {last}; the busiest {unit}, \
         {label}, had {count} post{ps}.",
        zone = clock.name(),
        n = timeline.buckets.len(),
        s = if timeline.buckets.len() == 1 { "" } else { "s" },
        first = timeline.buckets[0].label,
        last = timeline.buckets[timeline.buckets.len() - 1].label,
        label = busiest.label,
        count = busiest.count,
        ps = if busiest.count == 1 { "" } else { "s" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::{Bucket, Unit};

    fn line(counts: &[usize]) -> Timeline {
        let start = chrono::DateTime::parse_from_rfc3339("2026-08-20T08:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        Timeline {
            unit: Unit::Hour,
            buckets: counts
                .iter()
                .enumerate()
                .map(|(i, &count)| Bucket {
                    start: start + chrono::Duration::hours(i as i64),
                    label: format!("<h{i}>"),
                    count,
                })
                .collect(),
        }
    }

    #[test]
    fn bars_scale_to_the_busiest_and_labels_are_escaped() {
        let svg = chart(&line(&[1, 0, 4])).unwrap();
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("height=\"118.00\""), "{svg}");
        assert!(svg.contains("&lt;h2&gt;: 4 posts"));
        assert!(!svg.contains("<h"));
        assert!(chart(&line(&[3])).is_none());
        let words = summary(&line(&[1, 0, 4]), &Clock::default());
        assert!(words.contains("busiest hour, <h2>, had 4 posts"), "{words}");
    }
}
