//! `tagstory collect`: parse sources, write them, print one line per source and a total.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};

use super::{Outcome, plural};
use crate::cli::{CollectArgs, InputFormat};
use crate::collect::live::{self, LiveOptions, LiveReport, Progress, Session};
use crate::collect::{ReadOptions, SourceInput, SourceReport, collect};
use crate::fetch::{FetchOptions, Fetcher};
use crate::sources::Warning;
use crate::store::{SourceCounts, Store};
use crate::tag;

/// Runs `collect`: files and standard input first, all at once, then each URL live.
pub fn run(args: &CollectArgs) -> Result<Outcome> {
    let tag = tag::normalize(&args.tag);
    if tag.is_empty() {
        bail!(
            "`{}` is not a hashtag: it has no letters, digits or `_`",
            args.tag
        );
    }
    let (urls, files): (Vec<&String>, Vec<&String>) =
        args.sources.iter().partition(|s| live::is_url(s));
    let inputs: Vec<SourceInput> = files
        .iter()
        .map(|s| {
            if s.as_str() == "-" {
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
    let mut lines: Vec<Line> = Vec::new();
    if !inputs.is_empty() {
        let reports = collect(&mut store, &tag, &inputs, options)?;
        lines.extend(reports.into_iter().map(Line::File));
    }
    if !urls.is_empty() {
        lines.extend(collect_urls(args, &mut store, &tag, &urls)?);
    }
    let collected = summarise(&lines, &tag);
    if !args.media {
        return Ok(collected);
    }
    let options = fetch_options(args, &[])?;
    let media =
        super::media::fetch_media(&mut store, &tag, &options, args.max_media_bytes, args.quiet)?;
    Ok(worse(collected, media))
}

/// The worse of two outcomes: a failed source, then skipped records, then done.
fn worse(a: Outcome, b: Outcome) -> Outcome {
    let rank = |o| match o {
        Outcome::Done => 0,
        Outcome::RecordsSkipped => 1,
        Outcome::SourcesFailed => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// The fetch limits of URL sources (and `--media`); the token goes only to `token_urls`' hosts.
fn fetch_options(args: &CollectArgs, token_urls: &[&String]) -> Result<FetchOptions> {
    Ok(FetchOptions {
        timeout: super::media::timeout(args.timeout)?,
        max_response_bytes: args.max_response_bytes,
        max_redirects: args.max_redirects,
        retries: args.retries,
        max_wait: Duration::from_secs(args.max_wait),
        allow_private_addresses: args.allow_private_addresses,
        token: args.token.clone().filter(|t| !t.trim().is_empty()),
        token_hosts: token_urls
            .iter()
            .filter_map(|u| crate::urls::authority(u))
            .collect(),
    })
}

/// What one source (or the refresh) gave, for the summary.
enum Line {
    File(SourceReport),
    Live(LiveReport),
}

fn collect_urls(
    args: &CollectArgs,
    store: &mut Store,
    tag: &str,
    urls: &[&String],
) -> Result<Vec<Line>> {
    let fetcher = Fetcher::new(fetch_options(args, urls)?)?;
    let options = LiveOptions {
        context: !args.no_context,
        max_depth: args.max_depth,
        max_context: args.max_context,
        max_pages: args.max_pages,
        since: args.since,
        limit: args.limit,
        refresh: args.refresh,
    };
    let mut progress = Progress::new(args.quiet);
    let mut lines = Vec::new();
    let mut session = Session::new(store, tag, &fetcher, options, &mut progress);
    for url in urls {
        lines.push(Line::Live(session.collect_url(url)?));
    }
    if args.refresh > 0 {
        let refresh = session.refresh()?;
        if refresh.pages > 0 || !refresh.problems.is_empty() {
            lines.push(Line::Live(refresh));
        }
    }
    drop(session);
    progress.finish();
    if !args.quiet {
        eprintln!("{} HTTP requests made", fetcher.requests());
    }
    Ok(lines)
}

fn summarise(lines: &[Line], tag: &str) -> Outcome {
    let mut total = SourceCounts::default();
    let mut failed = 0;
    let mut incomplete = 0;
    for line in lines {
        match line {
            Line::File(report) => {
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
                let notes = report.notes.iter().map(|n| (report.location.as_str(), n));
                print_notes(notes, report.note_count, &report.location);
                let format = report.format.map_or("?", |f| f.name());
                let known = if report.known_records > 0 {
                    format!(
                        "; {} unchanged since an earlier collect, taken from the archive",
                        plural(report.known_records, "record")
                    )
                } else {
                    String::new()
                };
                eprintln!(
                    "{} ({format}): {}{known}",
                    report.location,
                    describe(&report.counts)
                );
                total.add(&report.counts);
            }
            Line::Live(report) => {
                if let Some(error) = &report.error {
                    failed += 1;
                    eprintln!("error: {error}");
                }
                for (page, w) in &report.warnings {
                    eprintln!(
                        "warning: `{page}` at {}: {}; record skipped",
                        w.pointer, w.message
                    );
                }
                let notes = report.notes.iter().map(|(page, n)| (page.as_str(), n));
                print_notes(notes, report.note_count, &report.location);
                for problem in &report.problems {
                    eprintln!("error: {problem}");
                }
                if !report.problems.is_empty() {
                    incomplete += 1;
                }
                if report.error.is_some() && report.pages == 0 {
                    continue;
                }
                eprintln!(
                    "{} (live, {}): {}",
                    report.location,
                    plural(report.pages, "page"),
                    describe(&report.counts)
                );
                total.add(&report.counts);
            }
        }
    }
    let sources = lines.len();
    eprintln!(
        "total for #{tag}: {} from {}{}{}",
        describe(&total),
        plural(sources - failed, "source"),
        if failed > 0 {
            format!("; {failed} failed and added nothing")
        } else {
            String::new()
        },
        if incomplete > 0 {
            format!("; {incomplete} incomplete (see the errors above)")
        } else {
            String::new()
        }
    );
    if let Some(hint) = no_match_hint(lines, tag, &total) {
        eprintln!("note: {hint}");
    }
    if failed > 0 {
        Outcome::SourcesFailed
    } else if total.errors > 0 || incomplete > 0 {
        Outcome::RecordsSkipped
    } else {
        Outcome::Done
    }
}

/// Notes: parts of posts left out while the posts were read. Unlike warnings they skip nothing,
/// so they are neither errors nor a reason for exit status 3.
fn print_notes<'a>(
    notes: impl ExactSizeIterator<Item = (&'a str, &'a Warning)>,
    count: u64,
    location: &str,
) {
    let shown = notes.len() as u64;
    for (at, n) in notes {
        eprintln!(
            "note: `{at}` at {}: {}; the post is read all the same",
            n.pointer, n.message
        );
    }
    if count > shown {
        eprintln!("note: `{location}`: {} more like these", count - shown);
    }
}

fn describe(c: &SourceCounts) -> String {
    let mut consent = String::new();
    if c.skipped_consent > 0 {
        consent.push_str(&format!(
            ", {} skipped: author asked not to be archived",
            c.skipped_consent
        ));
    }
    if c.erased_consent > 0 {
        consent.push_str(&format!(
            ", {} archived before erased: author now asks not to be archived",
            c.erased_consent
        ));
    }
    format!(
        "{} read: {} new, {} updated, {} unchanged, {} skipped as untagged, \
         {} not public{consent}; {}, {}; {}",
        plural(c.posts_seen, "post"),
        c.posts_new,
        c.posts_updated,
        c.posts_unchanged,
        c.skipped_untagged,
        c.skipped_private,
        plural(c.boosts, "boost"),
        plural(c.deletions, "deletion"),
        plural(c.errors, "error")
    )
}

/// When no post of a run carries the tag: say so, and name the tags its posts do carry.
fn no_match_hint(lines: &[Line], tag: &str, total: &SourceCounts) -> Option<String> {
    let kept = total.posts_new + total.posts_updated + total.posts_unchanged;
    if kept > 0 || total.posts_seen == 0 {
        return None;
    }
    let mut counts: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for line in lines {
        if let Line::File(report) = line {
            for (t, n) in &report.top_tags {
                *counts.entry(t.as_str()).or_default() += n;
            }
        }
    }
    let mut top: Vec<(&str, u64)> = counts.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut hint = format!("no post here carries #{tag}");
    if top.is_empty() {
        hint.push_str(", and none carries any hashtag");
    } else {
        let named: Vec<String> = top
            .iter()
            .take(5)
            .map(|(t, n)| format!("#{t} ({})", plural(*n, "post")))
            .collect();
        hint.push_str(&format!(
            "; the most used tags here are {}",
            named.join(", ")
        ));
    }
    Some(hint)
}
