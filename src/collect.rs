//! Collecting sources into the archive: stage every source of a run, decide which posts belong
//! to the story, then write each source in its own transaction.
//!
//! Membership needs every source at once: a context file may hold the parent of a tagged post
//! that arrives in a later file. So all sources are first read into staging tables (on disk,
//! so memory stays flat however large the inputs), then the reply graph over the staged posts
//! and the story already archived decides: a post is kept when its reply tree holds a tagged
//! post. A source that fails to read or parse is reported and contributes nothing; the others
//! are still written.

mod membership;
mod read;
mod staging;

pub use read::{ReadOptions, SourceInput};

use anyhow::{Context, Result};

use crate::model::{Item, SkipReason};
use crate::sources::{Format, Warning};
use crate::store::{PostOutcome, Reason, SourceCounts, Store};
use staging::StagingSink;

/// What collecting one source did.
#[derive(Debug)]
pub struct SourceReport {
    /// Where it came from.
    pub location: String,
    /// The detected format, when it got that far.
    pub format: Option<Format>,
    /// Tallies (all zero when the source failed).
    pub counts: SourceCounts,
    /// Records skipped because they could not be read (the first few hundred).
    pub warnings: Vec<Warning>,
    /// Why the source added nothing, if it failed.
    pub error: Option<String>,
}

/// Collects `inputs` into `store` under `tag` (normalised).
pub fn collect(
    store: &mut Store,
    tag: &str,
    inputs: &[SourceInput],
    options: ReadOptions,
) -> Result<Vec<SourceReport>> {
    let staged = stage_all(store, tag, inputs, options)?;
    staging::resolve_local_parents(store.connection())?;
    staging::select(store.connection(), tag)?;
    let mut reports = Vec::with_capacity(inputs.len());
    for (index, (input, outcome)) in inputs.iter().zip(staged).enumerate() {
        let location = input.location();
        let report = match outcome {
            Ok((format, warnings, errors)) => {
                let mut counts = write_source(store, tag, index, format, &location)
                    .with_context(|| format!("cannot write `{location}` to the archive"))?;
                counts.errors = errors;
                SourceReport {
                    location,
                    format: Some(format),
                    counts,
                    warnings,
                    error: None,
                }
            }
            Err(error) => SourceReport {
                location,
                format: None,
                counts: SourceCounts::default(),
                warnings: Vec::new(),
                error: Some(error),
            },
        };
        reports.push(report);
    }
    staging::drop_all(store.connection())?;
    Ok(reports)
}

type Staged = Result<(Format, Vec<Warning>, u64), String>;

/// Reads every source into staging; a source that fails leaves nothing staged.
fn stage_all(
    store: &Store,
    tag: &str,
    inputs: &[SourceInput],
    options: ReadOptions,
) -> Result<Vec<Staged>> {
    let conn = store.connection();
    staging::create(conn)?;
    let mut outcomes = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        conn.execute_batch("SAVEPOINT stage_source")?;
        let mut sink = StagingSink::new(conn, index, tag);
        let outcome = read::stage_source(input, options, &mut sink);
        let warnings: Vec<Warning> = sink
            .warnings
            .drain(..)
            .map(|(pointer, message)| Warning { pointer, message })
            .collect();
        let warning_count = sink.warning_count;
        match outcome {
            Ok(format) => {
                conn.execute_batch("RELEASE stage_source")?;
                outcomes.push(Ok((format, warnings, warning_count)));
            }
            Err(error) => {
                conn.execute_batch("ROLLBACK TO stage_source; RELEASE stage_source")?;
                staging::discard_source(conn, index)?;
                outcomes.push(Err(error));
            }
        }
    }
    Ok(outcomes)
}

/// Writes one staged source in one transaction.
fn write_source(
    store: &mut Store,
    tag: &str,
    index: usize,
    format: Format,
    location: &str,
) -> Result<SourceCounts> {
    let name = format.name();
    let mut w = store.begin_source(name, location, tag)?;
    let mut c = SourceCounts::default();
    let mut after = -1;
    loop {
        let batch = staging::next_batch(w.connection(), index, after)?;
        let Some((last, _)) = batch.last() else {
            break;
        };
        after = *last;
        for (_, staged) in batch {
            match &staged.item {
                Item::Post(post) => {
                    c.posts_seen += 1;
                    if let Some(local) = &post.local_id {
                        w.record_local_id(local, &post.uri)?;
                    }
                    let Some(tagged) = staged.selected else {
                        c.skipped_untagged += 1;
                        continue;
                    };
                    let reason = if tagged {
                        Reason::Tagged
                    } else {
                        Reason::Context
                    };
                    match w.upsert_post(post, staged.parent.as_deref(), name, tag, reason)? {
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
    }
    w.resolve_local_replies()?;
    w.commit(&c)?;
    Ok(c)
}
