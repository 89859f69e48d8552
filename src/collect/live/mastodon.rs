//! Live collection from Mastodon-compatible servers: hashtag timelines paged through `Link`,
//! and whole conversations through `/api/v1/statuses/:id/context`.

use super::*;

impl Session<'_> {
    /// Pages through a hashtag timeline. Returns `true` when the server has no such API and the
    /// URL should be read as ActivityPub instead.
    pub(super) fn mastodon_timeline(
        &mut self,
        source: &str,
        api: &Url,
        name: &str,
    ) -> Result<bool> {
        let cursor = self.store.cursor(source, &self.tag)?.unwrap_or_default();
        let since_id = cursor.newest_id.clone();
        // An interrupted run is finished first, from the page where it stopped; its newest id
        // becomes the cursor only once its older pages are read.
        let resume = cursor
            .resume_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok());
        let resuming = resume.is_some();
        let mut url = resume.unwrap_or_else(|| {
            let mut url = api.clone();
            url.query_pairs_mut()
                .append_pair("limit", &TIMELINE_PAGE_SIZE.to_string());
            if let Some(id) = &since_id {
                url.query_pairs_mut().append_pair("since_id", id);
            }
            url
        });
        if resuming {
            self.note(&format!(
                "resuming `{source}` from `{url}`, where the last run stopped"
            ));
        }
        let base = origin(api);
        let mut visited = HashSet::new();
        let mut newest_id = cursor.pending_newest_id.filter(|_| resuming);
        let mut newest_published: Option<String> = None;
        let mut taken = 0usize;
        let mut focus = Vec::new();
        let mut first = !resuming;
        // Whether the run read every page it should (else the next run resumes it).
        let mut finished = false;
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
                let problem = LiveProblem::NotStatuses {
                    url: url.to_string(),
                    tag: name.to_string(),
                };
                self.fail_or_problem_with(first, problem);
                break;
            };
            if statuses.is_empty() {
                finished = true;
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
                finished = true;
                break;
            }
            let Some(mut next) = fetched.next else {
                finished = true;
                break;
            };
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
                finished = true;
                break;
            }
            self.store.save_progress(
                source,
                &self.tag,
                Some(next.as_str()),
                newest_id.as_deref(),
            )?;
            url = next;
        }
        if finished && self.report.error.is_none() {
            self.store.save_cursor(
                source,
                &self.tag,
                newest_id.as_deref(),
                newest_published.as_deref(),
            )?;
        }
        if self.options.context {
            focus.extend(self.pending_focus()?);
            self.rest_contexts(focus)?;
        }
        if resuming && finished && self.report.error.is_none() {
            // The interrupted run is complete: now what is newer than it.
            return self.mastodon_timeline(source, api, name);
        }
        Ok(false)
    }

    /// Tagged posts collected earlier whose conversation was never fetched.
    fn pending_focus(&self) -> Result<Vec<RestFocus>> {
        let room = self
            .options
            .max_context
            .saturating_sub(self.context_fetches);
        let mut focus = Vec::new();
        for (fetch_url, source_json) in self.store.pending_contexts(&self.tag, room)? {
            let (Ok(url), Ok(status)) =
                (Url::parse(&fetch_url), serde_json::from_str(&source_json))
            else {
                continue;
            };
            focus.push(RestFocus {
                base: origin(&url),
                status,
            });
        }
        Ok(focus)
    }

    /// Remembers where each status (and a boosted one) can be fetched again.
    pub(super) fn remember_rest(&mut self, base: &Url, statuses: &[Value]) -> Result<()> {
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
    pub(super) fn rest_contexts(&mut self, focus: Vec<RestFocus>) -> Result<()> {
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
                Ok(fetched) => {
                    if let Some(uri) = status.as_ref().and_then(|s| str_of(s.get("uri"))) {
                        self.store.mark_context_fetched(uri)?;
                    }
                    fetched.value
                }
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
    pub(super) fn bound_context(&self, mut context: Value, status: Option<&Value>) -> Value {
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
}

/// `(API URL, tag)` when `url` names a hashtag page or timeline on a server.
pub(super) fn tag_timeline(url: &Url) -> Option<(Url, String)> {
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

pub(super) fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map_or_else(|| s.to_owned(), |(_, v)| v.into_owned())
}

/// `scheme://host:port/` of `url`.
pub(super) fn origin(url: &Url) -> Url {
    let mut base = url.clone();
    base.set_path("/");
    base.set_query(None);
    base.set_fragment(None);
    base
}

/// For a status from another server: that server's base URL and its own id of the post, read
/// from the Mastodon permalink `https://host/@user/ID` (other servers' links are not guessed).
pub(super) fn origin_of_status(status: &Value) -> Option<(Url, String)> {
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
