//! Archiving a story's media: every avatar, attachment and custom emoji the story of a tag
//! shows is fetched once, checked by its bytes, and kept inside the archive, so the story can be
//! shown years later with the network unplugged.
//!
//! - **Only what is missing** is fetched: a URL whose bytes are archived is never asked for
//!   again, so a second run with everything archived makes no request. A URL that failed is
//!   tried again on the next run (its failures are counted in the archive).
//! - **The same client as live collection** ([`crate::fetch`]): User-Agent, 2 requests per
//!   host, timeouts, retries, private addresses refused unless allowed, bodies cut off at their
//!   limit as they stream in.
//! - **Checked by the bytes** ([`sniff`]), never by the `Content-Type` a server claims: only
//!   pictures, video and sound are kept; SVG, HTML, JSON and anything unknown are refused with a
//!   counted reason. Pictures may be as large as `--max-response-bytes`, video and sound as
//!   `--max-media-bytes`.
//! - A failed file is reported and recorded with its reason; the others are still fetched.
//!
//! - A video or sound comes with its **poster or cover** picture when the source names one
//!   (Mastodon's `preview_url`, AS2 `icon`, Twitter's thumbnail, Bluesky's `thumbnail`): it is
//!   fetched as a picture, so a story shows a still where the player would be even when the
//!   video itself was too large to keep.
//!
//! Not done here: files of an account export named by relative paths are skipped, as they are
//! not URLs.

mod progress;
pub mod sniff;

use std::collections::BTreeMap;

use anyhow::Result;
use url::Url;

pub use progress::Progress;
use sniff::{Family, NotMedia};

use crate::fetch::{FetchErrorKind, FetchedBytes, Fetcher};
use crate::store::{MediaUse, Store};

/// Largest video or sound file kept, overridable with `--max-media-bytes`. Pictures are held to
/// `--max-response-bytes` ([`crate::fetch::DEFAULT_MAX_RESPONSE_BYTES`]).
pub const DEFAULT_MAX_MEDIA_BYTES: u64 = 100 * 1024 * 1024;

/// How large a kept file may be.
#[derive(Debug, Clone, Copy)]
pub struct MediaLimits {
    /// Largest picture (avatar, emoji, image attachment).
    pub max_picture_bytes: u64,
    /// Largest video or sound.
    pub max_media_bytes: u64,
}

/// Why a file was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Failure {
    /// An SVG picture, which can carry script.
    Svg,
    /// An HTML page.
    Html,
    /// A JSON document.
    Json,
    /// Bytes of no picture, video or sound format known.
    NotMedia,
    /// Over its size limit.
    TooLarge,
    /// Not fetched at all: a private address, or a scheme other than http(s).
    Refused,
    /// `404` or `410`: the server no longer has it.
    Gone,
    /// Another HTTP error status (`401`, `403`, `429`, `5xx`…).
    Http,
    /// No answer: a timeout, a dropped connection, a redirect refused.
    Network,
}

impl Failure {
    /// The short code stored in the archive (`media_files.failure`) and shown in summaries.
    pub fn code(self) -> &'static str {
        match self {
            Failure::Svg => "svg",
            Failure::Html => "html",
            Failure::Json => "json",
            Failure::NotMedia => "not-media",
            Failure::TooLarge => "too-large",
            Failure::Refused => "refused",
            Failure::Gone => "gone",
            Failure::Http => "http",
            Failure::Network => "network",
        }
    }
}

/// What a run did.
#[derive(Debug, Default, Clone)]
pub struct MediaReport {
    /// Files fetched and archived in this run.
    pub fetched: u64,
    /// Of those, how many brought bytes the archive did not hold yet.
    pub new_files: u64,
    /// Bytes fetched and archived in this run.
    pub bytes: u64,
    /// URLs whose bytes were already archived (not asked for).
    pub already: u64,
    /// Files not kept, by reason.
    pub failed: BTreeMap<Failure, u64>,
    /// URLs that are not `http(s)` (an export's relative paths, `javascript:`), not fetched.
    pub skipped: u64,
}

impl MediaReport {
    /// Files not kept, whatever the reason.
    pub fn failures(&self) -> u64 {
        self.failed.values().sum()
    }
}

/// Fetches every avatar, attachment and custom emoji of the story of `tag` (normalised) that
/// the archive does not hold yet, and archives what passes the checks.
pub fn archive_story_media(
    store: &mut Store,
    tag: &str,
    fetcher: &Fetcher,
    limits: MediaLimits,
    progress: &mut Progress,
) -> Result<MediaReport> {
    let mut report = MediaReport::default();
    let wanted = store.media_urls_of_story(tag)?;
    let archived = store.archived_media(wanted.iter().map(|m| m.url.as_str()))?;
    let mut asks: Vec<(Url, u64)> = Vec::new();
    let mut uses: Vec<(&str, MediaUse)> = Vec::new();
    for m in &wanted {
        if archived.contains_key(&m.url) {
            report.already += 1;
            continue;
        }
        let Some(url) = Url::parse(&m.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
        else {
            report.skipped += 1;
            continue;
        };
        let cap = if m.used_as.is_picture() {
            limits.max_picture_bytes
        } else {
            limits.max_media_bytes.max(limits.max_picture_bytes)
        };
        asks.push((url, cap));
        uses.push((&m.url, m.used_as));
    }
    progress.start(asks.len() as u64);
    fetcher.get_bytes_each(&asks, |i, result| {
        let url = uses[i].0;
        let checked = result
            .map_err(|e| fetch_failure(&e.kind, limits, uses[i].1))
            .and_then(|fetched| check(&fetched, limits).map(|mime| (mime, fetched.bytes)));
        match checked {
            Ok((mime, bytes)) => {
                let stored = store.put_media(url, mime, &bytes)?;
                report.fetched += 1;
                report.new_files += u64::from(stored.new_bytes);
                report.bytes += bytes.len() as u64;
                progress.archived(url, mime, bytes.len() as u64);
            }
            Err((failure, detail)) => {
                store.record_media_failure(url, failure.code(), &detail)?;
                *report.failed.entry(failure).or_default() += 1;
                progress.failed(url, &detail);
            }
        }
        anyhow::Ok(())
    })?;
    progress.finish();
    Ok(report)
}

/// The MIME type of a fetched file that may be kept, or why it may not.
fn check(fetched: &FetchedBytes, limits: MediaLimits) -> Result<&'static str, (Failure, String)> {
    let bytes = fetched.bytes.as_slice();
    let served = match &fetched.content_type {
        Some(t) => format!("served as `{}`", printable(t)),
        None => "served without a content type".to_owned(),
    };
    let sniffed = sniff::sniff(bytes).map_err(|not| match not {
        NotMedia::Svg => (
            Failure::Svg,
            format!("an SVG picture ({served}): SVG can carry script and is never kept"),
        ),
        NotMedia::Html => (
            Failure::Html,
            format!("an HTML page ({served}), not a picture, video or sound"),
        ),
        NotMedia::Json => (
            Failure::Json,
            format!("a JSON document ({served}), not a picture, video or sound"),
        ),
        NotMedia::Unknown => (
            Failure::NotMedia,
            format!("not a picture, video or sound format tagstory knows ({served})"),
        ),
    })?;
    let (limit, flag) = match sniffed.family {
        Family::Image => (limits.max_picture_bytes, "--max-response-bytes"),
        Family::Video | Family::Audio => (limits.max_media_bytes, "--max-media-bytes"),
    };
    if bytes.len() as u64 > limit {
        return Err((
            Failure::TooLarge,
            format!(
                "{} of {} bytes, over {limit} bytes ({flag}); not kept",
                sniffed.mime,
                bytes.len()
            ),
        ));
    }
    Ok(sniffed.mime)
}

/// Why a fetch failed, as a counted reason and a message.
fn fetch_failure(
    kind: &FetchErrorKind,
    limits: MediaLimits,
    used_as: MediaUse,
) -> (Failure, String) {
    let failure = match kind {
        FetchErrorKind::Refused(_) => Failure::Refused,
        FetchErrorKind::Gone(_) => Failure::Gone,
        FetchErrorKind::TooLarge(_) => Failure::TooLarge,
        FetchErrorKind::Unauthorized(_)
        | FetchErrorKind::RateLimited(_)
        | FetchErrorKind::Status(_)
        | FetchErrorKind::ContentType(_)
        | FetchErrorKind::Invalid(_) => Failure::Http,
        FetchErrorKind::Timeout(_)
        | FetchErrorKind::Truncated(_)
        | FetchErrorKind::Redirect(_)
        | FetchErrorKind::Network(_) => Failure::Network,
    };
    let detail = match kind {
        FetchErrorKind::TooLarge(limit) => {
            let flag = if used_as.is_picture() || limits.max_picture_bytes >= limits.max_media_bytes
            {
                "--max-response-bytes"
            } else {
                "--max-media-bytes"
            };
            format!("the file is larger than {limit} bytes ({flag}); not read")
        }
        FetchErrorKind::Unauthorized(status) => {
            format!("HTTP {status}: the server refuses to give the file")
        }
        other => other.to_string(),
    };
    (failure, detail)
}

/// A server's header value, safe to print: printable ASCII only, at most 100 characters.
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(100)
        .collect()
}
