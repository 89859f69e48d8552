//! `tagstory media`, and the media step of `collect --media`: fetch what the story of a tag shows
//! into the archive, then one summary line.

use std::time::Duration;

use anyhow::{Result, bail};

use super::{Outcome, open_archive, plural, require_story};
use crate::cli::MediaArgs;
use crate::fetch::{FetchOptions, Fetcher};
use crate::media::{MediaLimits, MediaReport, Progress, archive_story_media};
use crate::store::Store;
use crate::tag;

/// Runs `media`.
pub fn run(args: &MediaArgs) -> Result<Outcome> {
    let tag = tag::normalize(&args.tag);
    let mut store = open_archive(&args.db.db, &args.tag)?;
    require_story(&store, &args.db.db, &tag)?;
    let limits = &args.limits;
    let options = FetchOptions {
        timeout: timeout(limits.timeout)?,
        max_response_bytes: limits.max_response_bytes,
        max_redirects: limits.max_redirects,
        retries: limits.retries,
        max_wait: Duration::from_secs(limits.max_wait),
        allow_private_addresses: limits.allow_private_addresses,
        token: None,
        token_hosts: Vec::new(),
    };
    fetch_media(
        &mut store,
        &tag,
        &options,
        limits.max_media_bytes,
        args.quiet,
    )
}

/// A `--timeout` in seconds, which must be positive.
pub fn timeout(secs: f64) -> Result<Duration> {
    if !(secs > 0.0 && secs.is_finite()) {
        bail!("--timeout must be a positive number of seconds");
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Fetches the missing media of the story of `tag` (normalised) and says what was done.
/// Pictures are held to `options.max_response_bytes`, video and sound to `max_media_bytes`.
/// Never sends a token: media servers need none, and a token must stay with its server.
pub fn fetch_media(
    store: &mut Store,
    tag: &str,
    options: &FetchOptions,
    max_media_bytes: u64,
    quiet: bool,
) -> Result<Outcome> {
    let limits = MediaLimits {
        max_picture_bytes: options.max_response_bytes,
        max_media_bytes,
    };
    let fetcher = Fetcher::new(FetchOptions {
        token: None,
        token_hosts: Vec::new(),
        ..options.clone()
    })?;
    let mut progress = Progress::new(quiet);
    let report = archive_story_media(store, tag, &fetcher, limits, &mut progress)?;
    eprintln!("{}", summary(tag, &report));
    if !quiet {
        eprintln!("{} made", plural(fetcher.requests(), "HTTP request"));
    }
    Ok(if report.failures() > 0 {
        Outcome::RecordsSkipped
    } else {
        Outcome::Done
    })
}

/// `media of #tag: 3 fetched (2 new files, 1204 bytes), 5 already archived, 2 failed (1 html,
/// 1 too-large), 1 skipped (not an http(s) URL)`.
fn summary(tag: &str, r: &MediaReport) -> String {
    let mut line = format!(
        "media of #{tag}: {} fetched ({}, {}), {} already archived, {} failed",
        r.fetched,
        plural(r.new_files, "new file"),
        plural(r.bytes, "byte"),
        r.already,
        r.failures()
    );
    if !r.failed.is_empty() {
        let reasons: Vec<String> = r
            .failed
            .iter()
            .map(|(failure, n)| format!("{n} {}", failure.code()))
            .collect();
        line.push_str(&format!(" ({})", reasons.join(", ")));
    }
    if r.skipped > 0 {
        line.push_str(&format!(", {} skipped (not an http(s) URL)", r.skipped));
    }
    line
}
