//! Collecting sources into the archive: read and parse every source, decide which posts belong
//! to the story, then write each source in its own transaction.
//!
//! Membership needs every source at once: a context file may hold the parent of a tagged post
//! that arrives in a later file. So all sources are parsed first, then one reply graph is built
//! over their posts and the story already archived, and a post is kept when its reply tree holds
//! a tagged post. A source that fails to read or parse is reported and contributes nothing;
//! the others are still written.

mod membership;
mod read;

pub use read::{SourceInput, read_source};

use std::collections::HashMap;

use anyhow::{Context, Result};

use crate::model::{Item, LocalId, SkipReason};
use crate::sources::{Format, Parsed, Warning};
use crate::store::{PostOutcome, SourceCounts, Store, pick_local_match};

/// One source that was read and parsed.
#[derive(Debug)]
pub struct LoadedSource {
    /// Where it came from, as the user named it (`-` for stdin).
    pub location: String,
    /// The detected format.
    pub format: Format,
    /// Its items and record-level warnings.
    pub parsed: Parsed,
}

/// What collecting one source did.
#[derive(Debug)]
pub struct SourceReport {
    /// Where it came from.
    pub location: String,
    /// The detected format, when it got that far.
    pub format: Option<Format>,
    /// Tallies (all zero when the source failed).
    pub counts: SourceCounts,
    /// Records skipped because they could not be read.
    pub warnings: Vec<Warning>,
    /// Why the source added nothing, if it failed.
    pub error: Option<String>,
}

/// Writes `loaded` sources into `store` under `tag` (normalised); `failed` are sources that
/// could not be read, reported in their place.
pub fn collect(
    store: &mut Store,
    tag: &str,
    loaded: Vec<Result<LoadedSource, (String, String)>>,
) -> Result<Vec<SourceReport>> {
    let ok: Vec<&LoadedSource> = loaded.iter().filter_map(|l| l.as_ref().ok()).collect();
    let local_ids = local_id_map(&ok);
    let resolve = |local: &LocalId| -> Result<Option<String>> {
        let in_run: Vec<(String, String)> = local_ids
            .get(&local.id)
            .into_iter()
            .flatten()
            .filter(|(server, _)| {
                *server == local.server || server.is_empty() || local.server.is_empty()
            })
            .cloned()
            .collect();
        match pick_local_match(local, in_run) {
            Some(uri) => Ok(Some(uri)),
            None => store.resolve_local_id(local),
        }
    };
    let parents = membership::parents(&ok, resolve)?;
    let selection = membership::select(&ok, &parents, &store.story_links(tag)?, tag);

    let mut reports = Vec::with_capacity(loaded.len());
    for source in loaded {
        let report = match source {
            Ok(source) => write_source(store, tag, &source, &parents, &selection)
                .with_context(|| format!("cannot write `{}` to the archive", source.location))?,
            Err((location, error)) => SourceReport {
                location,
                format: None,
                counts: SourceCounts::default(),
                warnings: Vec::new(),
                error: Some(error),
            },
        };
        reports.push(report);
    }
    Ok(reports)
}

/// Every `(server, uri)` each local id names in this run's sources.
fn local_id_map(sources: &[&LoadedSource]) -> HashMap<String, Vec<(String, String)>> {
    let mut map: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for item in sources.iter().flat_map(|s| &s.parsed.items) {
        if let Item::Post(post) = item
            && let Some(local) = &post.local_id
        {
            let entry = (local.server.clone(), post.uri.clone());
            let known = map.entry(local.id.clone()).or_default();
            if !known.contains(&entry) {
                known.push(entry);
            }
        }
    }
    map
}

fn write_source(
    store: &mut Store,
    tag: &str,
    source: &LoadedSource,
    parents: &HashMap<String, Option<String>>,
    selection: &membership::Selection,
) -> Result<SourceReport> {
    let format = source.format.name();
    let mut w = store.begin_source(format, &source.location, tag)?;
    let mut c = SourceCounts {
        errors: source.parsed.warnings.len() as u64,
        ..SourceCounts::default()
    };
    for item in &source.parsed.items {
        match item {
            Item::Post(post) => {
                c.posts_seen += 1;
                if let Some(local) = &post.local_id {
                    w.record_local_id(local, &post.uri)?;
                }
                let Some(reason) = selection.reason(&post.uri) else {
                    c.skipped_untagged += 1;
                    continue;
                };
                let parent = parents.get(&post.uri).and_then(Option::as_deref);
                match w.upsert_post(post, parent, format, tag, reason)? {
                    PostOutcome::New => c.posts_new += 1,
                    PostOutcome::Updated => c.posts_updated += 1,
                    PostOutcome::Unchanged | PostOutcome::Deleted => c.posts_unchanged += 1,
                }
            }
            Item::Boost(boost) => c.boosts += u64::from(w.add_boost(boost)?),
            Item::Delete(deletion) => c.deletions += u64::from(w.delete_post(deletion)?),
            Item::Actor(author) => {
                w.upsert_author(author)?;
            }
            Item::Skipped(skip) => {
                if skip.reason == SkipReason::NotPublic {
                    c.skipped_private += 1;
                }
            }
        }
    }
    w.resolve_local_replies()?;
    w.commit(&c)?;
    Ok(SourceReport {
        location: source.location.clone(),
        format: Some(source.format),
        counts: c,
        warnings: source.parsed.warnings.clone(),
        error: None,
    })
}
