//! Live collection: a SOURCE that is an `http(s)` URL is fetched (through [`crate::fetch`], the
//! only asynchronous code) and every fetched page is handed to [`super::collect_documents`], so
//! it is parsed by the same code as files and committed as it arrives: an interrupted run keeps
//! what it had, and the next one resumes from the cursor it left.
//!
//! What a URL is read as:
//! - `https://host/tags/NAME` (or `/api/v1/timelines/tag/NAME`): the Mastodon-compatible
//!   hashtag timeline, paged through `Link: <…max_id=…>; rel="next"`; when the server has no
//!   such API (404), the URL is read as ActivityPub instead;
//! - anything else as ActivityPub: an actor (its `outbox`), an (Ordered)Collection (`first`/
//!   `next` pages), or a single object. Items given as bare ids are fetched.
//!
//! Whole conversations (unless `--no-context`): for each tagged post, its ancestors and
//! descendants — Mastodon's `/api/v1/statuses/:id/context` on the server that listed it and on
//! the post's own server, or ActivityPub `inReplyTo` and `replies` — bounded by depth and count.
//!
//! Incremental: a cursor per (URL, tag) remembers the newest status id (sent as `since_id`)
//! and post time; an outbox is paged until a page holds only posts already archived. After the
//! sources, the newest live-collected posts of the story are fetched again: an edit replaces
//! the stored version and a `404`/`410` records the deletion.

use std::collections::HashSet;
use std::io::IsTerminal;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use url::Url;

mod activitypub;
mod mastodon;

use super::{ReadError, SourceReport, collect_documents};
use crate::fetch::{FetchError, FetchErrorKind, Fetcher, Want};
use crate::sources::serde_util::{id_of, one_or_many, parse_time, str_of};
use crate::sources::{Format, Parsed, Warning};
use crate::store::{SourceCounts, Store, time_text};
use crate::urls::authority;
use mastodon::*;

/// How far replies and parents are followed from a tagged post, overridable with `--max-depth`.
pub const DEFAULT_MAX_DEPTH: usize = 20;
/// How many context documents (Mastodon contexts, ActivityPub objects and reply pages) one run
/// fetches at most, overridable with `--max-context`.
pub const DEFAULT_MAX_CONTEXT: usize = 500;
/// How many of the story's newest live-collected posts are fetched again for edits and
/// deletions, overridable with `--refresh`.
pub const DEFAULT_REFRESH: usize = 40;
/// Statuses asked for per Mastodon timeline page (the API's maximum).
pub const TIMELINE_PAGE_SIZE: usize = 40;

/// What a live run may do.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Fetch the conversations around tagged posts.
    pub context: bool,
    /// How far up and down a conversation to go.
    pub max_depth: usize,
    /// How many context documents to fetch in the run.
    pub max_context: usize,
    /// Pages per paged source.
    pub max_pages: usize,
    /// Ignore source posts published before this.
    pub since: Option<DateTime<Utc>>,
    /// Take at most this many posts from each source.
    pub limit: Option<usize>,
    /// How many recent posts to fetch again.
    pub refresh: usize,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            context: true,
            max_depth: DEFAULT_MAX_DEPTH,
            max_context: DEFAULT_MAX_CONTEXT,
            max_pages: crate::fetch::DEFAULT_MAX_PAGES,
            since: None,
            limit: None,
            refresh: DEFAULT_REFRESH,
        }
    }
}

/// How progress is shown: a bar on a terminal, plain lines otherwise, or nothing.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    posts: u64,
    pages: u64,
}

impl Progress {
    /// A bar when stderr is a terminal, plain lines when not; nothing when `quiet`.
    pub fn new(quiet: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (!quiet && terminal).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {elapsed} {prefix}: {pos} posts, {msg}",
                )
                .expect("valid template"),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            lines: !quiet && !terminal,
            posts: 0,
            pages: 0,
        }
    }

    fn page(&mut self, url: &Url, report: &SourceReport) {
        self.pages += 1;
        self.posts += report.counts.posts_seen;
        let host = url.host_str().unwrap_or("");
        if let Some(bar) = &self.bar {
            bar.set_prefix(host.to_owned());
            bar.set_position(self.posts);
            bar.set_message(format!("{} pages", self.pages));
        } else if self.lines {
            eprintln!(
                "fetched {url}: {} posts read, {} new",
                report.counts.posts_seen, report.counts.posts_new
            );
        }
    }

    /// Says something without breaking the bar.
    pub fn note(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(message),
            None => eprintln!("{message}"),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// What collecting one URL did.
#[derive(Debug, Default)]
pub struct LiveReport {
    /// The URL as given.
    pub location: String,
    /// Tallies over every page committed.
    pub counts: SourceCounts,
    /// Pages committed.
    pub pages: u64,
    /// Records skipped, with the URL of their page.
    pub warnings: Vec<(String, Warning)>,
    /// Parts of posts left out while the posts were read, with the URL of their page (not
    /// skipped records, not errors).
    pub notes: Vec<(String, Warning)>,
    /// How many notes there were in all (`notes` keeps the first few hundred of each page).
    pub note_count: u64,
    /// Fetches or pages that failed; what they would have added is missing.
    pub problems: Vec<LiveProblem>,
    /// Why the source itself could not be read, if so.
    pub error: Option<LiveProblem>,
}

/// Why a live source, or one fetch or page of it, gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum LiveProblem {
    /// The source is not a URL.
    #[error("`{source_text}` is not a URL: {error}")]
    NotUrl {
        /// As given.
        source_text: String,
        /// Why it does not parse.
        error: url::ParseError,
    },
    /// A request failed for good (the error names the URL and the status or reason).
    #[error("{0}")]
    Fetch(FetchError),
    /// A fetched page could not be read as its format, or staged.
    #[error("{0}")]
    Page(ReadError),
    /// An actor that names no outbox.
    #[error("`{0}`: the actor has no `outbox` to read")]
    NoOutbox(String),
    /// A tag timeline that answered with something other than an array of statuses.
    #[error("`{url}`: expected the array of statuses of #{tag}, found something else")]
    NotStatuses {
        /// The page.
        url: String,
        /// The tag asked for.
        tag: String,
    },
    /// Where to fetch each post again could not be recorded.
    #[error("cannot remember fetch URLs: {0:#}")]
    Remember(anyhow::Error),
}

/// A run of live collection: the state shared by every URL of one `collect`.
pub struct Session<'a> {
    store: &'a mut Store,
    tag: String,
    fetcher: &'a Fetcher,
    options: LiveOptions,
    progress: &'a mut Progress,
    /// Post URIs fetched in this run (not refreshed again).
    seen: HashSet<String>,
    /// Posts whose conversation was fetched (or is covered by one that was).
    covered: HashSet<String>,
    /// Context documents fetched so far.
    context_fetches: usize,
    report: LiveReport,
}

/// A Mastodon status whose context is still to fetch.
struct RestFocus {
    /// Base URL of the server that listed it.
    base: Url,
    status: Value,
}

impl<'a> Session<'a> {
    /// A session collecting into `store` for `tag` (normalised).
    pub fn new(
        store: &'a mut Store,
        tag: &str,
        fetcher: &'a Fetcher,
        options: LiveOptions,
        progress: &'a mut Progress,
    ) -> Session<'a> {
        Session {
            store,
            tag: tag.to_owned(),
            fetcher,
            options,
            progress,
            seen: HashSet::new(),
            covered: HashSet::new(),
            context_fetches: 0,
            report: LiveReport::default(),
        }
    }

    /// Collects one URL: its pages, then the conversations around its tagged posts.
    pub fn collect_url(&mut self, source: &str) -> Result<LiveReport> {
        self.report = LiveReport {
            location: source.to_owned(),
            ..LiveReport::default()
        };
        match Url::parse(source) {
            Err(error) => {
                self.report.error = Some(LiveProblem::NotUrl {
                    source_text: source.to_owned(),
                    error,
                });
            }
            Ok(url) => {
                let fallback = match tag_timeline(&url) {
                    Some((api, name)) => self.mastodon_timeline(source, &api, &name)?,
                    None => true,
                };
                if fallback {
                    self.activitypub_source(source, &url)?;
                }
            }
        }
        Ok(std::mem::take(&mut self.report))
    }

    /// Fetches again the story's newest live-collected posts not fetched in this run.
    pub fn refresh(&mut self) -> Result<LiveReport> {
        self.report = LiveReport {
            location: "refresh of recent posts".to_owned(),
            ..LiveReport::default()
        };
        let candidates = self
            .store
            .refetch_candidates(&self.tag, self.options.refresh + self.seen.len())?;
        let due: Vec<_> = candidates
            .into_iter()
            .filter(|c| !self.seen.contains(&c.post_uri))
            .take(self.options.refresh)
            .collect();
        let mut requests = Vec::new();
        for c in &due {
            if let Ok(url) = Url::parse(&c.fetch_url) {
                let want = if c.format == Format::MastodonApi.name() {
                    Want::RestApi
                } else {
                    Want::ActivityPub
                };
                requests.push((c, url, want));
            }
        }
        let asks: Vec<(Url, Want)> = requests.iter().map(|(_, u, w)| (u.clone(), *w)).collect();
        let results = self.fetcher.get_all(&asks);
        for ((candidate, url, want), result) in requests.into_iter().zip(results) {
            match result {
                Ok(fetched) => {
                    let format = match want {
                        Want::RestApi => Format::MastodonApi,
                        Want::ActivityPub => Format::ActivityPub,
                    };
                    self.commit(&url, Some(format), &[fetched.value])?;
                }
                Err(e) if matches!(e.kind, FetchErrorKind::Gone(_)) => {
                    // The author deleted it: record a tombstone the parsers understand.
                    let delete = json!({
                        "@context": "https://www.w3.org/ns/activitystreams",
                        "type": "Delete",
                        "object": {"type": "Tombstone", "id": candidate.post_uri},
                    });
                    self.commit(&url, Some(Format::ActivityPub), &[delete])?;
                }
                Err(e) => self.problem(&e),
            }
        }
        Ok(std::mem::take(&mut self.report))
    }

    // ---- shared -----------------------------------------------------------------------------

    /// Parses and writes one page in one transaction.
    fn commit(&mut self, url: &Url, format: Option<Format>, docs: &[Value]) -> Result<()> {
        let mut report = collect_documents(self.store, &self.tag, url.as_str(), format, docs)?;
        self.report.pages += 1;
        self.progress.page(url, &report);
        if let Some(error) = report.error.take() {
            self.report.problems.push(LiveProblem::Page(error));
        }
        for w in report.warnings.iter().cloned() {
            self.report.warnings.push((url.to_string(), w));
        }
        for n in report.notes.iter().cloned() {
            self.report.notes.push((url.to_string(), n));
        }
        self.report.note_count += report.note_count;
        self.report.counts.add(&report.counts);
        Ok(())
    }

    fn problem(&mut self, e: &FetchError) {
        self.report.problems.push(LiveProblem::Fetch(e.clone()));
    }

    fn fail_or_problem(&mut self, first: bool, e: &FetchError) {
        self.fail_or_problem_with(first, LiveProblem::Fetch(e.clone()));
    }

    /// A failure of the source itself when it is the first request and nothing was committed
    /// yet; otherwise one problem among the pages.
    fn fail_or_problem_with(&mut self, first: bool, problem: LiveProblem) {
        if first && self.report.pages == 0 {
            self.report.error = Some(problem);
        } else {
            self.report.problems.push(problem);
        }
    }

    fn note(&self, message: &str) {
        self.progress.note(message);
    }
}

fn id_string(v: Option<&Value>) -> Option<&str> {
    str_of(v).filter(|s| !s.is_empty())
}

/// Whether a SOURCE argument is a URL to fetch.
pub fn is_url(source: &str) -> bool {
    let lower = source.get(..8).unwrap_or(source).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Reads `--since`: an RFC 3339 time or a `YYYY-MM-DD` date (midnight UTC).
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Some(t) = parse_time(text) {
        return Ok(t);
    }
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        .map_err(|_| format!("`{text}` is neither a date (2026-08-20) nor an RFC 3339 time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_files() {
        assert!(is_url("https://m.example/tags/x"));
        assert!(is_url("HTTP://m.example/"));
        assert!(!is_url("fixtures/x.json"));
        assert!(!is_url("-"));
    }

    #[test]
    fn tag_pages_become_the_timeline_api() {
        let (api, name) =
            tag_timeline(&Url::parse("https://m.example/tags/Caf%C3%A9?x=1").unwrap()).unwrap();
        assert_eq!(
            api.as_str(),
            "https://m.example/api/v1/timelines/tag/Caf%C3%A9"
        );
        assert_eq!(name, "Café");
        assert!(tag_timeline(&Url::parse("https://m.example/users/a/outbox").unwrap()).is_none());
        assert!(
            tag_timeline(&Url::parse("http://127.0.0.1:9/api/v1/timelines/tag/x").unwrap())
                .is_some()
        );
    }

    #[test]
    fn origins_of_remote_statuses() {
        let s = json!({"uri": "https://b.example/users/x/statuses/42", "url": "https://b.example/@x/42"});
        let (base, id) = origin_of_status(&s).unwrap();
        assert_eq!((base.as_str(), id.as_str()), ("https://b.example/", "42"));
        let pleroma =
            json!({"uri": "https://p.example/objects/9", "url": "https://p.example/notice/9"});
        assert!(origin_of_status(&pleroma).is_none());
        let under = json!({"uri": "http://h.example/b/users/x/statuses/4", "url": "http://h.example/b/@x/4"});
        assert_eq!(
            origin_of_status(&under).unwrap().0.as_str(),
            "http://h.example/b/"
        );
    }

    #[test]
    fn since_dates() {
        assert_eq!(
            time_text(&parse_since("2026-08-20").unwrap()),
            "2026-08-20T00:00:00.000Z"
        );
        assert!(parse_since("yesterday").is_err());
    }
}
