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

use super::{SourceReport, collect_documents};
use crate::fetch::{FetchError, FetchErrorKind, Fetcher, Want};
use crate::sources::serde_util::{authority, id_of, one_or_many, parse_time, str_of};
use crate::sources::{Format, Parsed, Warning};
use crate::store::{SourceCounts, Store, time_text};

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
    /// Fetches or pages that failed; what they would have added is missing.
    pub problems: Vec<String>,
    /// Why the source itself could not be read, if so.
    pub error: Option<String>,
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
            Err(e) => self.report.error = Some(format!("`{source}` is not a URL: {e}")),
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

    // ---- Mastodon REST ----------------------------------------------------------------------

    /// Pages through a hashtag timeline. Returns `true` when the server has no such API and the
    /// URL should be read as ActivityPub instead.
    fn mastodon_timeline(&mut self, source: &str, api: &Url, name: &str) -> Result<bool> {
        let cursor = self.store.cursor(source, &self.tag)?;
        let since_id = cursor.and_then(|c| c.newest_id);
        let mut url = api.clone();
        url.query_pairs_mut()
            .append_pair("limit", &TIMELINE_PAGE_SIZE.to_string());
        if let Some(id) = &since_id {
            url.query_pairs_mut().append_pair("since_id", id);
        }
        let base = origin(api);
        let mut visited = HashSet::new();
        let mut newest_id = None;
        let mut newest_published: Option<String> = None;
        let mut taken = 0usize;
        let mut focus = Vec::new();
        let mut first = true;
        loop {
            if self.report.pages as usize >= self.options.max_pages {
                self.note(&format!(
                    "stopped paging `{source}` after {} pages (--max-pages)",
                    self.options.max_pages
                ));
                break;
            }
            visited.insert(url.to_string());
            let fetched = match self.fetcher.get(&url, Want::RestApi) {
                Ok(f) => f,
                Err(e) if first && matches!(e.kind, FetchErrorKind::Gone(_)) => {
                    self.note(&format!(
                        "`{url}` has no Mastodon hashtag timeline ({}); reading `{source}` as \
                         ActivityPub",
                        e.kind
                    ));
                    return Ok(true);
                }
                Err(e) => {
                    self.fail_or_problem(first, &e);
                    break;
                }
            };
            let Some(statuses) = fetched.value.as_array() else {
                let message = format!(
                    "`{url}`: expected the array of statuses of #{name}, found something else"
                );
                self.fail_or_problem_text(first, message);
                break;
            };
            if statuses.is_empty() {
                break;
            }
            if first {
                newest_id = statuses
                    .first()
                    .and_then(|s| id_string(s.get("id")))
                    .map(str::to_owned);
            }
            first = false;
            let mut kept = Vec::new();
            let mut older_than_since = false;
            for status in statuses {
                let created = str_of(status.get("created_at")).and_then(parse_time);
                if let (Some(since), Some(created)) = (self.options.since, created)
                    && created < since
                {
                    older_than_since = true;
                    continue;
                }
                if self.options.limit.is_some_and(|limit| taken >= limit) {
                    break;
                }
                taken += 1;
                if let Some(created) = created.map(|c| time_text(&c))
                    && newest_published.as_ref().is_none_or(|n| created > *n)
                {
                    newest_published = Some(created);
                }
                kept.push(status.clone());
            }
            let limit_reached = self.options.limit.is_some_and(|limit| taken >= limit);
            if !kept.is_empty() {
                self.remember_rest(&base, &kept)?;
                for status in &kept {
                    let inner = status
                        .get("reblog")
                        .filter(|r| r.is_object())
                        .unwrap_or(status);
                    focus.push(RestFocus {
                        base: base.clone(),
                        status: inner.clone(),
                    });
                }
                self.commit(
                    &fetched.url,
                    Some(Format::MastodonApi),
                    &[Value::Array(kept)],
                )?;
            }
            if older_than_since || limit_reached {
                break;
            }
            let Some(mut next) = fetched.next else { break };
            if let Some(id) = &since_id
                && !next.query_pairs().any(|(k, _)| k == "since_id")
            {
                next.query_pairs_mut().append_pair("since_id", id);
            }
            if visited.contains(next.as_str()) {
                self.note(&format!(
                    "warning: the `next` link of `{}` leads back to `{next}`, a page already \
                     read; stopped paging there",
                    fetched.url
                ));
                break;
            }
            url = next;
        }
        if self.report.error.is_none() {
            self.store.save_cursor(
                source,
                &self.tag,
                newest_id.as_deref(),
                newest_published.as_deref(),
            )?;
        }
        if self.options.context {
            self.rest_contexts(focus)?;
        }
        Ok(false)
    }

    /// Remembers where each status (and a boosted one) can be fetched again.
    fn remember_rest(&mut self, base: &Url, statuses: &[Value]) -> Result<()> {
        let mut entries = Vec::new();
        for status in statuses {
            for s in [Some(status), status.get("reblog").filter(|r| r.is_object())]
                .into_iter()
                .flatten()
            {
                let (Some(uri), Some(id)) = (str_of(s.get("uri")), id_string(s.get("id"))) else {
                    continue;
                };
                if s.get("reblog").is_some_and(Value::is_object) {
                    continue; // a boost wrapper is no post
                }
                if let Ok(url) = base.join(&format!("api/v1/statuses/{id}")) {
                    self.seen.insert(uri.to_owned());
                    entries.push((uri.to_owned(), url.to_string(), Format::MastodonApi.name()));
                }
            }
        }
        self.store.remember_fetch_urls(&entries)
    }

    /// Fetches `/context` for each status, on the server that listed it and, for a post from
    /// another server, on its own server too (which knows every reply sent to it).
    fn rest_contexts(&mut self, focus: Vec<RestFocus>) -> Result<()> {
        // (server base, status as that server knows it or None, context URL)
        let mut jobs: Vec<(Url, Option<Value>, Url)> = Vec::new();
        let mut queued = HashSet::new();
        for f in focus {
            let Some(uri) = str_of(f.status.get("uri")).map(str::to_owned) else {
                continue;
            };
            if self.covered.contains(&uri) || !queued.insert(uri.clone()) {
                continue;
            }
            if let Some(id) = id_string(f.status.get("id"))
                && let Ok(url) = f.base.join(&format!("api/v1/statuses/{id}/context"))
            {
                jobs.push((f.base.clone(), Some(f.status.clone()), url));
            }
            if let Some((origin_base, origin_id)) = origin_of_status(&f.status)
                && origin_base != f.base
                && let Ok(url) = origin_base.join(&format!("api/v1/statuses/{origin_id}/context"))
            {
                jobs.push((origin_base, None, url));
            }
        }
        let room = self
            .options
            .max_context
            .saturating_sub(self.context_fetches);
        if jobs.len() > room {
            self.note(&format!(
                "warning: {} conversations not fetched: more than --max-context ({}) context \
                 fetches",
                jobs.len() - room,
                self.options.max_context
            ));
            jobs.truncate(room);
        }
        self.context_fetches += jobs.len();
        let asks: Vec<(Url, Want)> = jobs
            .iter()
            .map(|(_, _, u)| (u.clone(), Want::RestApi))
            .collect();
        let results = self.fetcher.get_all(&asks);
        for ((base, status, url), result) in jobs.into_iter().zip(results) {
            let context = match result {
                Ok(fetched) => fetched.value,
                // A post's own server may not speak the Mastodon API, or not know the post.
                Err(e) if status.is_none() && matches!(e.kind, FetchErrorKind::Gone(_)) => continue,
                Err(e) => {
                    self.problem(&e);
                    continue;
                }
            };
            let context = self.bound_context(context, status.as_ref());
            let mut listed = Vec::new();
            for key in ["ancestors", "descendants"] {
                if let Some(items) = context.get(key).and_then(Value::as_array) {
                    listed.extend(items.iter().cloned());
                }
            }
            if let Some(descendants) = context.get("descendants").and_then(Value::as_array) {
                for d in descendants {
                    if let Some(uri) = str_of(d.get("uri")) {
                        self.covered.insert(uri.to_owned());
                    }
                }
            }
            self.remember_rest(&base, &listed)?;
            // The asked post goes with its context, so the whole chain is decided together.
            let mut docs = Vec::new();
            if let Some(status) = status {
                docs.push(status);
            }
            docs.push(context);
            self.commit(&url, Some(Format::MastodonApi), &docs)?;
        }
        Ok(())
    }

    /// Keeps the `max_depth` nearest ancestors and the descendants at most `max_depth` below.
    fn bound_context(&self, mut context: Value, status: Option<&Value>) -> Value {
        let max = self.options.max_depth;
        if let Some(ancestors) = context.get_mut("ancestors").and_then(Value::as_array_mut)
            && ancestors.len() > max
        {
            ancestors.drain(..ancestors.len() - max);
        }
        let focal = status
            .and_then(|s| id_string(s.get("id")))
            .map(str::to_owned);
        if let Some(descendants) = context.get_mut("descendants").and_then(Value::as_array_mut) {
            let mut depth: std::collections::HashMap<String, usize> = Default::default();
            if let Some(id) = focal {
                depth.insert(id, 0);
            }
            descendants.retain(|d| {
                let parent = id_string(d.get("in_reply_to_id"));
                let level = parent.and_then(|p| depth.get(p)).map_or(1, |l| l + 1);
                if let Some(id) = id_string(d.get("id")) {
                    depth.insert(id.to_owned(), level);
                }
                level <= max
            });
        }
        context
    }

    // ---- ActivityPub ------------------------------------------------------------------------

    /// Reads an ActivityPub URL: an actor's outbox, a collection, or an object.
    fn activitypub_source(&mut self, source: &str, url: &Url) -> Result<()> {
        let fetched = match self.fetcher.get(url, Want::ActivityPub) {
            Ok(f) => f,
            Err(e) => {
                self.fail_or_problem(true, &e);
                return Ok(());
            }
        };
        let mut doc = fetched.value;
        let mut at = fetched.url;
        if is_actor(&doc) {
            let Some(outbox) = id_of(doc.get("outbox")).and_then(|o| at.join(o).ok()) else {
                self.report.error = Some(format!("`{at}`: the actor has no `outbox` to read"));
                return Ok(());
            };
            self.commit(&at, Some(Format::ActivityPub), &[doc])?;
            match self.fetcher.get(&outbox, Want::ActivityPub) {
                Ok(f) => {
                    doc = f.value;
                    at = f.url;
                }
                Err(e) => {
                    self.fail_or_problem(true, &e);
                    return Ok(());
                }
            }
        }
        if is_collection(&doc) {
            self.as2_collection(source, &at, doc)
        } else {
            let format = crate::sources::detect(&doc);
            let notes = self.as2_resolve_page(&mut doc);
            self.commit(&at, format, &[doc])?;
            self.as2_context(notes)
        }
    }

    /// Pages through a collection; each page's bare ids are fetched before it is committed.
    fn as2_collection(&mut self, source: &str, at: &Url, collection: Value) -> Result<()> {
        let cursor = self.store.cursor(source, &self.tag)?;
        let incremental = cursor.is_some();
        let mut visited = HashSet::from([at.to_string()]);
        let mut notes = Vec::new();
        let mut taken = 0usize;
        let mut newest: Option<String> = None;
        // The collection itself may hold items; then its `first` page, then `next` ones.
        let mut page = collection;
        let mut page_url = at.clone();
        loop {
            let next = id_of(page.get("next")).and_then(|n| page_url.join(n).ok());
            let first = id_of(page.get("first")).and_then(|n| page_url.join(n).ok());
            let embedded_first = page.get("first").filter(|f| f.is_object()).cloned();
            if let Some(obj) = page.as_object_mut() {
                obj.remove("first"); // read below as a page of its own
            }
            let page_notes = self.as2_resolve_page(&mut page);
            let mut stop = false;
            let mut kept = Vec::new();
            let mut known = 0;
            for note in page_notes {
                let published = str_of(note.get("published")).and_then(parse_time);
                if let (Some(since), Some(p)) = (self.options.since, published)
                    && p < since
                {
                    stop = true;
                    continue;
                }
                if self.options.limit.is_some_and(|l| taken >= l) {
                    stop = true;
                    break;
                }
                taken += 1;
                if let Some(p) = published.map(|p| time_text(&p))
                    && newest.as_ref().is_none_or(|n| p > *n)
                {
                    newest = Some(p);
                }
                if let Some(id) = str_of(note.get("id"))
                    && self.store.knows_post(id)?
                {
                    known += 1;
                }
                kept.push(note);
            }
            let page_had_items = !kept.is_empty();
            if stop {
                let ids: HashSet<String> = kept
                    .iter()
                    .filter_map(|n| str_of(n.get("id")).map(str::to_owned))
                    .collect();
                keep_only_items(&mut page, &ids);
            }
            self.commit(&page_url, Some(Format::ActivityPub), &[page])?;
            if incremental && page_had_items && known == kept.len() {
                stop = true; // everything on this page is archived: the rest is older
            }
            notes.extend(kept);
            if stop {
                break;
            }
            let (target, embedded) = match (embedded_first, first, next) {
                (Some(page), _, _) => (page_url.clone(), Some(page)),
                (None, Some(first), _) => (first, None),
                (None, None, Some(next)) => (next, None),
                (None, None, None) => break,
            };
            if self.report.pages as usize >= self.options.max_pages {
                self.note(&format!(
                    "stopped paging `{source}` after {} pages (--max-pages)",
                    self.options.max_pages
                ));
                break;
            }
            if let Some(embedded) = embedded {
                page = embedded;
                continue;
            }
            if !visited.insert(target.to_string()) {
                self.note(&format!(
                    "warning: the `next` link of `{page_url}` leads back to `{target}`, a page \
                     already read; stopped paging there"
                ));
                break;
            }
            match self.fetcher.get(&target, Want::ActivityPub) {
                Ok(f) => {
                    page = f.value;
                    page_url = f.url;
                }
                Err(e) => {
                    self.problem(&e);
                    break;
                }
            }
        }
        if self.report.error.is_none() {
            self.store
                .save_cursor(source, &self.tag, None, newest.as_deref())?;
        }
        self.as2_context(notes)
    }

    /// Replaces the bare ids of a document's items (and of `Create`/`Announce` objects) by the
    /// fetched objects, and returns the public posts found, for context and cursors.
    fn as2_resolve_page(&mut self, doc: &mut Value) -> Vec<Value> {
        // Items given by id: fetch them all at once.
        let mut wanted: Vec<Url> = Vec::new();
        let base = str_of(doc.get("id")).and_then(|i| Url::parse(i).ok());
        let list_keys = ["orderedItems", "items"];
        let is_list = doc
            .as_object()
            .is_some_and(|o| list_keys.iter().any(|k| o.contains_key(*k)));
        let mut slots: Vec<&mut Value> = Vec::new();
        if is_list {
            for (key, value) in doc.as_object_mut().into_iter().flatten() {
                if let Some(items) = value
                    .as_array_mut()
                    .filter(|_| list_keys.contains(&key.as_str()))
                {
                    slots.extend(items.iter_mut());
                }
            }
        } else {
            slots.push(doc);
        }
        for round in 0..2 {
            // Round 0: the items; round 1: the `object` of activities just fetched.
            wanted.clear();
            let mut targets: Vec<usize> = Vec::new();
            for (i, slot) in slots.iter().enumerate() {
                let reference = if round == 0 {
                    slot.as_str()
                } else {
                    let kind = str_of(slot.get("type")).unwrap_or("");
                    if kind == "Create" || kind == "Update" {
                        slot.get("object").and_then(Value::as_str)
                    } else {
                        None
                    }
                };
                let Some(reference) = reference else { continue };
                let url = match &base {
                    Some(b) => b.join(reference),
                    None => Url::parse(reference),
                };
                if let Ok(url) = url
                    && self.context_fetches < self.options.max_context + self.options.max_pages * 40
                {
                    wanted.push(url);
                    targets.push(i);
                }
            }
            if wanted.is_empty() {
                continue;
            }
            let asks: Vec<(Url, Want)> = wanted
                .iter()
                .map(|u| (u.clone(), Want::ActivityPub))
                .collect();
            let results = self.fetcher.get_all(&asks);
            for (i, result) in targets.into_iter().zip(results) {
                match result {
                    Ok(fetched) => {
                        if round == 0 {
                            *slots[i] = fetched.value;
                        } else if let Some(obj) = slots[i].as_object_mut() {
                            obj.insert("object".into(), fetched.value);
                        }
                    }
                    Err(e) => self.problem(&e),
                }
            }
        }
        let mut notes = Vec::new();
        for slot in slots {
            let note = match str_of(slot.get("type")) {
                Some("Create" | "Update") => slot.get("object").filter(|o| o.is_object()),
                _ => Some(&*slot),
            };
            if let Some(note) = note.filter(|n| is_post_object(n)) {
                notes.push(note.clone());
            }
        }
        let entries: Vec<(String, String, &str)> = notes
            .iter()
            .filter_map(|n| str_of(n.get("id")))
            .filter(|id| id.starts_with("http"))
            .map(|id| (id.to_owned(), id.to_owned(), Format::ActivityPub.name()))
            .collect();
        for (uri, _, _) in &entries {
            self.seen.insert(uri.clone());
        }
        if let Err(e) = self.store.remember_fetch_urls(&entries) {
            self.report
                .problems
                .push(format!("cannot remember fetch URLs: {e:#}"));
        }
        notes
    }

    /// For each tagged post: its ancestors through `inReplyTo`, its descendants through
    /// `replies`, each level committed with the post it hangs from.
    fn as2_context(&mut self, notes: Vec<Value>) -> Result<()> {
        if !self.options.context {
            return Ok(());
        }
        let mut queue: Vec<(Value, usize)> = notes
            .into_iter()
            .filter(|n| self.is_tagged(n))
            .map(|n| (n, 0))
            .collect();
        while let Some((note, depth)) = queue.pop() {
            let Some(uri) = str_of(note.get("id")).map(str::to_owned) else {
                continue;
            };
            if !self.covered.insert(uri.clone()) {
                continue;
            }
            let base = Url::parse(&uri).ok();
            // Ancestors, nearest first, until one is archived.
            if depth == 0 {
                let mut chain = vec![note.clone()];
                let mut parent = id_of(note.get("inReplyTo")).map(str::to_owned);
                let mut hops = 0;
                while let Some(p) = parent.take() {
                    if hops >= self.options.max_depth || self.store.knows_post(&p)? {
                        break;
                    }
                    let Some(url) = self.context_url(base.as_ref(), &p) else {
                        break;
                    };
                    match self.fetcher.get(&url, Want::ActivityPub) {
                        Ok(f) => {
                            let mut doc = f.value;
                            let found = self.as2_resolve_page(&mut doc);
                            parent = found
                                .first()
                                .and_then(|n| id_of(n.get("inReplyTo")))
                                .map(str::to_owned);
                            chain.push(doc);
                        }
                        Err(e) => self.problem(&e),
                    }
                    hops += 1;
                }
                if chain.len() > 1 {
                    let at = Url::parse(&uri)
                        .unwrap_or_else(|_| Url::parse("about:blank").expect("valid"));
                    self.commit(&at, Some(Format::ActivityPub), &chain)?;
                }
            }
            // Descendants: the replies collection, page by page.
            if depth >= self.options.max_depth {
                continue;
            }
            let Some(replies) = note.get("replies").cloned() else {
                continue;
            };
            let mut page = match replies {
                Value::String(r) => {
                    let Some(url) = self.context_url(base.as_ref(), &r) else {
                        continue;
                    };
                    match self.fetcher.get(&url, Want::ActivityPub) {
                        Ok(f) => f.value,
                        Err(e) => {
                            self.problem(&e);
                            continue;
                        }
                    }
                }
                other => other,
            };
            let mut visited = HashSet::new();
            let mut pages = 0;
            loop {
                pages += 1;
                let first = page.get("first").cloned();
                let next = id_of(page.get("next")).map(str::to_owned);
                if let Some(obj) = page.as_object_mut() {
                    obj.remove("first");
                }
                let children = self.as2_resolve_page(&mut page);
                if !children.is_empty() {
                    let at = Url::parse(&uri)
                        .unwrap_or_else(|_| Url::parse("about:blank").expect("valid"));
                    self.commit(&at, Some(Format::ActivityPub), &[note.clone(), page])?;
                }
                for child in children {
                    queue.push((child, depth + 1));
                }
                if pages >= self.options.max_pages {
                    break;
                }
                let target = match (first, next) {
                    (Some(embedded @ Value::Object(_)), _) => {
                        page = embedded;
                        continue;
                    }
                    (Some(Value::String(f)), _) => f,
                    (_, Some(n)) => n,
                    _ => break,
                };
                if !visited.insert(target.clone()) {
                    break;
                }
                let Some(url) = self.context_url(base.as_ref(), &target) else {
                    break;
                };
                match self.fetcher.get(&url, Want::ActivityPub) {
                    Ok(f) => page = f.value,
                    Err(e) => {
                        self.problem(&e);
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// A context URL to fetch, within the run's budget.
    fn context_url(&mut self, base: Option<&Url>, reference: &str) -> Option<Url> {
        if self.context_fetches >= self.options.max_context {
            if self.context_fetches == self.options.max_context {
                self.context_fetches += 1;
                self.note(&format!(
                    "warning: stopped fetching conversations after --max-context ({}) documents",
                    self.options.max_context
                ));
            }
            return None;
        }
        self.context_fetches += 1;
        match base {
            Some(b) => b.join(reference).ok(),
            None => Url::parse(reference).ok(),
        }
    }

    fn is_tagged(&self, note: &Value) -> bool {
        let mut parsed = Parsed::default();
        if Format::ActivityPub.parse(note, &mut parsed).is_err() {
            return false;
        }
        parsed.items.iter().any(|item| match item {
            crate::model::Item::Post(post) => super::membership::is_tagged(post, &self.tag),
            _ => false,
        })
    }

    // ---- shared -----------------------------------------------------------------------------

    /// Parses and writes one page in one transaction.
    fn commit(&mut self, url: &Url, format: Option<Format>, docs: &[Value]) -> Result<()> {
        let report = collect_documents(self.store, &self.tag, url.as_str(), format, docs)?;
        self.report.pages += 1;
        self.progress.page(url, &report);
        if let Some(error) = &report.error {
            self.report.problems.push(error.clone());
        }
        for w in report.warnings.iter().cloned() {
            self.report.warnings.push((url.to_string(), w));
        }
        add(&mut self.report.counts, &report.counts);
        Ok(())
    }

    fn problem(&mut self, e: &FetchError) {
        self.report.problems.push(e.to_string());
    }

    fn fail_or_problem(&mut self, first: bool, e: &FetchError) {
        self.fail_or_problem_text(first, e.to_string());
    }

    fn fail_or_problem_text(&mut self, first: bool, message: String) {
        if first && self.report.pages == 0 {
            self.report.error = Some(message);
        } else {
            self.report.problems.push(message);
        }
    }

    fn note(&self, message: &str) {
        self.progress.note(message);
    }
}

/// `(API URL, tag)` when `url` names a hashtag page or timeline on a server.
fn tag_timeline(url: &Url) -> Option<(Url, String)> {
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let name = match segments.as_slice() {
        ["tags", name] | ["api", "v1", "timelines", "tag", name] => *name,
        _ => return None,
    };
    let mut api = origin(url);
    api.set_path(&format!("api/v1/timelines/tag/{name}"));
    let name = percent_decode(name);
    Some((api, name))
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map_or_else(|| s.to_owned(), |(_, v)| v.into_owned())
}

/// `scheme://host:port/` of `url`.
fn origin(url: &Url) -> Url {
    let mut base = url.clone();
    base.set_path("/");
    base.set_query(None);
    base.set_fragment(None);
    base
}

/// For a status from another server: that server's base URL and its own id of the post, read
/// from the Mastodon permalink `https://host/@user/ID` (other servers' links are not guessed).
fn origin_of_status(status: &Value) -> Option<(Url, String)> {
    let uri = str_of(status.get("uri"))?;
    let url = Url::parse(str_of(status.get("url"))?).ok()?;
    if authority(uri)? != authority(url.as_str())? {
        return None;
    }
    let segments: Vec<&str> = url.path_segments()?.collect();
    match segments.as_slice() {
        [prefix @ .., user, id] if user.starts_with('@') && !id.is_empty() => {
            // A server may live under a path: its API is beside the permalink's `@user`.
            let mut base = origin(&url);
            base.set_path(&prefix.iter().map(|p| format!("{p}/")).collect::<String>());
            Some((base, (*id).to_owned()))
        }
        _ => None,
    }
}

fn id_string(v: Option<&Value>) -> Option<&str> {
    str_of(v).filter(|s| !s.is_empty())
}

fn types(doc: &Value) -> Vec<&str> {
    one_or_many(doc.get("type"))
        .into_iter()
        .filter_map(Value::as_str)
        .collect()
}

fn is_actor(doc: &Value) -> bool {
    types(doc)
        .iter()
        .any(|t| ["Person", "Service", "Group", "Organization", "Application"].contains(t))
}

fn is_collection(doc: &Value) -> bool {
    types(doc).iter().any(|t| {
        [
            "OrderedCollection",
            "Collection",
            "OrderedCollectionPage",
            "CollectionPage",
        ]
        .contains(t)
    })
}

fn is_post_object(doc: &Value) -> bool {
    types(doc)
        .iter()
        .any(|t| ["Note", "Article", "Page", "Question"].contains(t))
}

/// Drops the items of a page whose post is not in `ids` (for `--since` / `--limit`).
fn keep_only_items(page: &mut Value, ids: &HashSet<String>) {
    for key in ["orderedItems", "items"] {
        if let Some(items) = page.get_mut(key).and_then(Value::as_array_mut) {
            items.retain(|item| {
                let note = match str_of(item.get("type")) {
                    Some("Create" | "Update") => item.get("object"),
                    _ => Some(item),
                };
                note.and_then(|n| id_of(Some(n)))
                    .is_some_and(|id| ids.contains(id))
            });
        }
    }
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
