//! `tagstory collect`: parse sources, write them, print one line per source and a total.

use std::path::PathBuf;

use anyhow::{Result, bail};

use super::Outcome;
use crate::cli::{CollectArgs, InputFormat};
use crate::collect::{ReadOptions, SourceInput, SourceReport, collect};
use crate::store::{SourceCounts, Store};
use crate::tag;

/// Runs `collect`.
pub fn run(args: &CollectArgs) -> Result<Outcome> {
    let tag = tag::normalize(&args.tag);
    if tag.is_empty() {
        bail!(
            "`{}` is not a hashtag: it has no letters, digits or `_`",
            args.tag
        );
    }
    let inputs: Vec<SourceInput> = args
        .sources
        .iter()
        .map(|s| {
            if s == "-" {
                SourceInput::Stdin
            } else {
                SourceInput::File(PathBuf::from(s))
            }
        })
        .collect();
    let options = ReadOptions {
        format: args.format.map(InputFormat::format),
        strict: args.strict,
    };
    let mut store = Store::open(&args.db)?;
    let reports = collect(&mut store, &tag, &inputs, options)?;
    Ok(summarise(&reports, &tag))
}

fn summarise(reports: &[SourceReport], tag: &str) -> Outcome {
    let mut total = SourceCounts::default();
    let mut failed = 0;
    for report in reports {
        if let Some(error) = &report.error {
            failed += 1;
            eprintln!("error: {error}");
            continue;
        }
        for w in &report.warnings {
            eprintln!(
                "warning: `{}` at {}: {}; record skipped",
                report.location, w.pointer, w.message
            );
        }
        let format = report.format.map_or("?", |f| f.name());
        eprintln!(
            "{} ({format}): {}",
            report.location,
            describe(&report.counts)
        );
        add(&mut total, &report.counts);
    }
    eprintln!(
        "total for #{tag}: {} from {} source{}{}",
        describe(&total),
        reports.len() - failed,
        if reports.len() - failed == 1 { "" } else { "s" },
        if failed > 0 {
            format!("; {failed} failed and added nothing")
        } else {
            String::new()
        }
    );
    if failed > 0 {
        Outcome::SourcesFailed
    } else if total.errors > 0 {
        Outcome::RecordsSkipped
    } else {
        Outcome::Done
    }
}

fn describe(c: &SourceCounts) -> String {
    format!(
        "{} posts read: {} new, {} updated, {} unchanged, {} skipped as untagged, \
         {} not public; {} boosts, {} deletions; {} errors",
        c.posts_seen,
        c.posts_new,
        c.posts_updated,
        c.posts_unchanged,
        c.skipped_untagged,
        c.skipped_private,
        c.boosts,
        c.deletions,
        c.errors
    )
}

fn add(total: &mut SourceCounts, c: &SourceCounts) {
    total.posts_seen += c.posts_seen;
    total.posts_new += c.posts_new;
    total.posts_updated += c.posts_updated;
    total.posts_unchanged += c.posts_unchanged;
    total.boosts += c.boosts;
    total.deletions += c.deletions;
    total.skipped_untagged += c.skipped_untagged;
    total.skipped_private += c.skipped_private;
    total.errors += c.errors;
}
