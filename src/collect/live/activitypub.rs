//! Live collection from ActivityPub servers: actors, outboxes and other collections paged
//! through `first`/`next`, bare ids dereferenced, and conversations through `inReplyTo` and
//! `replies`.

use super::*;

impl Session<'_> {
    /// Reads an ActivityPub URL: an actor's outbox, a collection, or an object.
    pub(super) fn activitypub_source(&mut self, source: &str, url: &Url) -> Result<()> {
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
                self.report.error = Some(LiveProblem::NoOutbox(at.to_string()));
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
    pub(super) fn as2_collection(
        &mut self,
        source: &str,
        at: &Url,
        collection: Value,
    ) -> Result<()> {
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
    pub(super) fn as2_resolve_page(&mut self, doc: &mut Value) -> Vec<Value> {
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
            // Round 0: the items; round 1: the `object` of activities just fetched, boosted
            // posts included (the post may belong to the story; the boost counts either way).
            wanted.clear();
            let mut targets: Vec<usize> = Vec::new();
            for (i, slot) in slots.iter().enumerate() {
                let reference = if round == 0 {
                    slot.as_str()
                } else {
                    let kind = str_of(slot.get("type")).unwrap_or("");
                    if matches!(kind, "Create" | "Update" | "Announce") {
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
                    // A boosted post that cannot be fetched (its server wants signatures, or it
                    // is gone) still leaves its boost counted: worth a note, not a failure.
                    Err(e) if round == 1 && str_of(slots[i].get("type")) == Some("Announce") => {
                        self.note(&format!("note: the boosted post could not be fetched: {e}"));
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
            self.report.problems.push(LiveProblem::Remember(e));
        }
        notes
    }

    /// For each tagged post: its ancestors through `inReplyTo`, its descendants through
    /// `replies`, each level committed with the post it hangs from.
    pub(super) fn as2_context(&mut self, notes: Vec<Value>) -> Result<()> {
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
    pub(super) fn context_url(&mut self, base: Option<&Url>, reference: &str) -> Option<Url> {
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

    pub(super) fn is_tagged(&self, note: &Value) -> bool {
        let mut parsed = Parsed::default();
        if Format::ActivityPub.parse(note, &mut parsed).is_err() {
            return false;
        }
        parsed.items.iter().any(|item| match item {
            crate::model::Item::Post(post) => {
                crate::collect::membership::is_tagged(post, &self.tag)
            }
            _ => false,
        })
    }
}

pub(super) fn types(doc: &Value) -> Vec<&str> {
    one_or_many(doc.get("type"))
        .into_iter()
        .filter_map(Value::as_str)
        .collect()
}

pub(super) fn is_actor(doc: &Value) -> bool {
    types(doc)
        .iter()
        .any(|t| ["Person", "Service", "Group", "Organization", "Application"].contains(t))
}

pub(super) fn is_collection(doc: &Value) -> bool {
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

pub(super) fn is_post_object(doc: &Value) -> bool {
    types(doc)
        .iter()
        .any(|t| ["Note", "Article", "Page", "Question"].contains(t))
}

/// Drops the items of a page whose post is not in `ids` (for `--since` / `--limit`).
pub(super) fn keep_only_items(page: &mut Value, ids: &HashSet<String>) {
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
