//! Collecting sources into the archive: stage every source of a run, decide which posts belong
//! to the story, then write each source in its own transaction.
//!
//! Membership needs every source at once: a context file may hold the parent of a tagged post
//! that arrives in a later file. So all sources are first read into staging tables (on disk,
//! so memory stays flat however large the inputs), then the reply graph over the staged posts
//! and the story already archived decides: a post is kept when its reply tree holds a tagged
//! post. A source that fails to read or parse is reported and contributes nothing; the others
//! are still written.

mod depth;
mod error;
mod fingerprint;
pub mod live;
mod membership;
#[cfg(test)]
mod order_tests;
mod read;
mod staging;

pub use error::{At, ReadError, ReadErrorKind};
pub use read::{ReadOptions, SourceInput};

use anyhow::{Context, Result};

use crate::model::{Item, SkipReason};
use crate::sources::{Format, Warning};
use crate::store::{
    Entry, KnownPost, NeedsCascades, NeedsReading, PostOutcome, Reason, RecordPost, SourceCounts,
    SourceWriter, Store, Written,
};
use fingerprint::{Fingerprint, Fingerprints};
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
    /// Records skipped because they could not be read (the first few hundred; `counts.errors`
    /// says how many in all).
    pub warnings: Vec<Warning>,
    /// Parts of posts left out while the posts were read, such as an entity whose offsets do
    /// not fit the text (the first few hundred). Nothing was skipped: they are not errors.
    pub notes: Vec<Warning>,
    /// How many notes there were in all.
    pub note_count: u64,
    /// Why the source added nothing, if it failed.
    pub error: Option<ReadError>,
    /// The hashtags its posts carry, most used first (at most [`TOP_TAGS`]).
    pub top_tags: Vec<(String, u64)>,
    /// Records (lines, array elements) the archive held byte for byte from an earlier
    /// collect, whose posts were taken from it rather than read again.
    pub known_records: u64,
}

/// Hashtags a report names.
pub const TOP_TAGS: usize = 10;

/// The `n` most used of `counts`, ties by name.
fn top_tags(counts: std::collections::HashMap<String, u64>, n: usize) -> Vec<(String, u64)> {
    let mut list: Vec<(String, u64)> = counts.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list.truncate(n);
    list
}

/// Collects `inputs` into `store` under `tag` (normalised).
pub fn collect(
    store: &mut Store,
    tag: &str,
    inputs: &[SourceInput],
    options: ReadOptions,
) -> Result<Vec<SourceReport>> {
    let mut run = Run {
        tag,
        inputs,
        options,
        forgotten: store.load_forgotten()?,
        fingerprints: Fingerprints::new(store.known_records()?, store.passed_records()?),
        staged: Vec::with_capacity(inputs.len()),
    };
    run.stage_all(store)?;
    let mut selected_at = run.decide(store, 0)?;
    let mut reports = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        let location = input.location();
        let mut written = run.write(store, index, &location, &mut selected_at);
        // A concurrent collect joined a post this run read before outside the story: the
        // source is read again and membership decided again, once.
        if written
            .as_ref()
            .is_some_and(|w| w.as_ref().is_err_and(|e| e.is::<NeedsReading>()))
        {
            selected_at = run.decide(store, index)?;
            written = run.write(store, index, &location, &mut selected_at);
        }
        let outcome = std::mem::replace(
            &mut run.staged[index],
            Err(ReadError::of(&location, ReadErrorKind::Nothing)),
        );
        let report = match (outcome, written) {
            (Ok(staged), Some(written)) => {
                let mut counts =
                    written.with_context(|| format!("cannot write `{location}` to the archive"))?;
                counts.errors = staged.warning_count;
                SourceReport {
                    location,
                    format: Some(staged.format),
                    counts,
                    warnings: staged.warnings,
                    notes: staged.notes,
                    note_count: staged.note_count,
                    error: None,
                    top_tags: staged.top_tags,
                    known_records: staged.known_records,
                }
            }
            (Ok(_), None) => anyhow::bail!("`{location}` was staged but not written"),
            (Err(error), _) => SourceReport {
                location,
                format: None,
                counts: SourceCounts::default(),
                warnings: Vec::new(),
                notes: Vec::new(),
                note_count: 0,
                error: Some(error),
                top_tags: Vec::new(),
                known_records: 0,
            },
        };
        reports.push(report);
    }
    store.end_staging()?;
    Ok(reports)
}

/// Collects documents that arrive one at a time (pages fetched live): `docs` are parsed as
/// `format` (or detected from the first), staged, selected against the archived story, and
/// written in one transaction, so each page is kept as soon as it arrives. A document that
/// cannot be read as the format fails the page: nothing of it is written.
pub fn collect_documents(
    store: &mut Store,
    tag: &str,
    location: &str,
    format: Option<Format>,
    docs: &[serde_json::Value],
) -> Result<SourceReport> {
    let forgotten = store.load_forgotten()?;
    store.begin_staging()?;
    let mut sink = StagingSink::new(None, tag, &forgotten);
    // A fetched page names the server that issued its Mastodon ids: the one that answered.
    sink.server_hint = crate::urls::authority(location);
    let mut detected = format;
    let mut failure = None;
    for (i, doc) in docs.iter().enumerate() {
        let Some(f) = detected.or_else(|| crate::sources::detect(doc)) else {
            failure = Some(ReadError::of(location, ReadErrorKind::UnknownFormat));
            break;
        };
        detected = Some(f);
        sink.position = if docs.len() > 1 {
            format!("document {} ", i + 1)
        } else {
            String::new()
        };
        if let Err(error) = f.parse(doc, &mut sink) {
            let kind = ReadErrorKind::NotReadableAs { format: f, error };
            failure = Some(ReadError::of(location, kind));
            break;
        }
        if let Err(e) = store.stage(0, tag, sink.take_rows()).map(drop) {
            sink.failure = Some(e);
            break;
        }
    }
    if let Some(e) = sink.failure.take() {
        failure = Some(ReadError::of(location, ReadErrorKind::Staging(e)));
    }
    let warnings = std::mem::take(&mut sink.warnings);
    let errors = sink.warning_count;
    let notes = std::mem::take(&mut sink.notes);
    let note_count = sink.note_count;
    let tags = top_tags(std::mem::take(&mut sink.tags_seen), TOP_TAGS);
    let report = match (failure, detected) {
        (None, Some(format)) => {
            let mut selected_at = store.decide_membership(tag)?;
            let mut counts = write_source(store, tag, 0, format, location, &mut selected_at)
                .with_context(|| format!("cannot write `{location}` to the archive"))?;
            counts.errors = errors;
            SourceReport {
                location: location.to_string(),
                format: Some(format),
                counts,
                warnings,
                notes,
                note_count,
                error: None,
                top_tags: tags,
                known_records: 0,
            }
        }
        (failure, detected) => SourceReport {
            location: location.to_string(),
            format: detected,
            counts: SourceCounts::default(),
            warnings,
            notes,
            note_count,
            error: Some(failure.unwrap_or_else(|| ReadError::of(location, ReadErrorKind::Nothing))),
            top_tags: tags,
            known_records: 0,
        },
    };
    store.end_staging()?;
    Ok(report)
}

/// One source read into staging: its format, what its parsers said, and its hashtags.
struct StagedSource {
    format: Format,
    warnings: Vec<Warning>,
    warning_count: u64,
    notes: Vec<Warning>,
    note_count: u64,
    top_tags: Vec<(String, u64)>,
    known_records: u64,
    tags_seen: std::collections::HashMap<String, u64>,
}

type Staged = Result<StagedSource, ReadError>;

/// A run of sources being collected.
struct Run<'r> {
    tag: &'r str,
    inputs: &'r [SourceInput],
    options: ReadOptions,
    forgotten: crate::forget::Forgotten,
    /// The records the archive holds; those to read again in full are taken out.
    fingerprints: Fingerprints,
    /// Each source as staged.
    staged: Vec<Staged>,
}

impl Run<'_> {
    /// Reads every source into staging; a source that fails leaves nothing staged.
    fn stage_all(&mut self, store: &mut Store) -> Result<()> {
        let input_bytes = self.inputs.iter().map(SourceInput::size).sum();
        store.size_cache_for(input_bytes, self.fingerprints.bytes())?;
        store.begin_staging()?;
        for index in 0..self.inputs.len() {
            let staged = stage_one(store, self, index)?;
            self.staged.push(staged);
        }
        Ok(())
    }

    /// Decides membership; while it selects posts staged from passed records (see
    /// `store/records.rs`) of source `from` or later, reads those records again in full and
    /// decides again. Returns the data version it was decided at.
    fn decide(&mut self, store: &mut Store, from: usize) -> Result<i64> {
        loop {
            let selected_at = store.decide_membership(self.tag)?;
            let passed: Vec<_> = store
                .selected_passed()?
                .into_iter()
                .filter(|&(source, _)| source >= from && self.staged[source].is_ok())
                .collect();
            if passed.is_empty() {
                return Ok(selected_at);
            }
            self.fingerprints
                .unknow(passed.iter().map(|&(_, print)| print));
            let sources: std::collections::BTreeSet<usize> =
                passed.iter().map(|&(source, _)| source).collect();
            for index in sources {
                store.unstage(index)?;
                self.staged[index] = stage_one(store, self, index)?;
            }
        }
    }

    /// Writes source `index`, when it was staged.
    fn write(
        &self,
        store: &mut Store,
        index: usize,
        location: &str,
        selected_at: &mut i64,
    ) -> Option<Result<SourceCounts>> {
        let format = self.staged[index].as_ref().ok()?.format;
        Some(write_source(
            store,
            self.tag,
            index,
            format,
            location,
            selected_at,
        ))
    }
}

/// Reads source `index` of `run` into staging (a failure leaves nothing of it staged). It is
/// read and parsed on a thread of its own while this one stages what it sends.
fn stage_one(store: &mut Store, run: &Run<'_>, index: usize) -> Result<Staged> {
    let (tag, input, options) = (run.tag, &run.inputs[index], run.options);
    let (forgotten, fingerprints) = (&run.forgotten, &run.fingerprints);
    store.open_staged_source()?;
    let (outcome, staging) = std::thread::scope(|scope| {
        let (out, rows) = std::sync::mpsc::sync_channel(4);
        let reader = scope.spawn(|| {
            let mut sink = StagingSink::new(Some(out), tag, forgotten);
            sink.fingerprints = Some(fingerprints);
            let outcome = read::stage_source(input, options, &mut sink);
            sink.finish();
            let outcome = match (outcome, sink.failure.take()) {
                (Ok(_), Some(e)) => Err(ReadError::of(input.location(), ReadErrorKind::Staging(e))),
                (outcome, _) => outcome,
            };
            outcome.map(|format| StagedSource {
                format,
                warnings: std::mem::take(&mut sink.warnings),
                warning_count: sink.warning_count,
                notes: std::mem::take(&mut sink.notes),
                note_count: sink.note_count,
                top_tags: Vec::new(),
                known_records: sink.known_records,
                tags_seen: std::mem::take(&mut sink.tags_seen),
            })
        });
        // The hashtags of posts staged from the archive, counted as the reader counts
        // those it reads.
        let mut known_tags = std::collections::HashMap::new();
        let mut count = |tags: Vec<String>| {
            tags.into_iter()
                .for_each(|t| staging::count_tag(&mut known_tags, t, 1));
        };
        let staging = rows
            .iter()
            .try_for_each(|batch| store.stage(index, tag, batch).map(&mut count))
            .and_then(|()| store.stage_held(index, tag).map(&mut count));
        // Dropping the receiver stops a reader still sending.
        drop(rows);
        let outcome = match reader.join() {
            Ok(outcome) => outcome.map(|mut staged| {
                let mut seen = std::mem::take(&mut staged.tags_seen);
                for (t, n) in known_tags {
                    staging::count_tag(&mut seen, t, n);
                }
                staged.top_tags = top_tags(seen, TOP_TAGS);
                staged
            }),
            Err(panic) => std::panic::resume_unwind(panic),
        };
        (outcome, staging)
    });
    let outcome = match staging {
        Err(e) => Err(ReadError::of(input.location(), ReadErrorKind::Staging(e))),
        Ok(()) => outcome,
    };
    match outcome {
        Ok(staged) => {
            store.keep_staged()?;
            Ok(Ok(staged))
        }
        Err(error) => {
            store.discard_staged(index)?;
            Ok(Err(error))
        }
    }
}

/// Writes one staged source in one transaction. `selected_at` is the archive's data version
/// when membership was decided: if another collect has committed since, membership is decided
/// again inside the transaction (see [`crate::store::SourceWriter::refresh_membership`]).
fn write_source(
    store: &mut Store,
    tag: &str,
    index: usize,
    format: Format,
    location: &str,
    selected_at: &mut i64,
) -> Result<SourceCounts> {
    let mut written = write_staged(store, tag, index, format, location, selected_at, false);
    if written.as_ref().is_err_and(|e| e.is::<NeedsCascades>()) {
        // Membership decided again in the transaction may have rolled back with it.
        *selected_at = i64::MIN;
        written = store
            .end_source(selected_at)
            .and_then(|()| write_staged(store, tag, index, format, location, selected_at, true));
    }
    // Why the source failed comes first; the journal is set back either way.
    let ended = store.end_source(selected_at);
    let counts = written?;
    ended?;
    Ok(counts)
}

fn write_staged(
    store: &mut Store,
    tag: &str,
    index: usize,
    format: Format,
    location: &str,
    selected_at: &mut i64,
    cascades: bool,
) -> Result<SourceCounts> {
    let mut w = store.write_staged(index, format.name(), location, tag, cascades, selected_at)?;
    w.refresh_membership(selected_at)?;
    let mut c = SourceCounts::default();
    // What this source's profiles say is recorded first: a refusal erases what was archived
    // of the author before, and holds for every post below, whichever came first.
    for (author_uri, refuses, noindex) in w.staged_consent()? {
        c.erased_consent += w.record_consent(&author_uri, refuses, noindex)?;
    }
    w.defer_indexes()?;
    w.choose_order()?;
    // The curated story being written, and the position of its next entry.
    let mut story: Option<(String, u64)> = None;
    let mut record = None;
    loop {
        let batch = w.next_staged()?;
        if batch.is_empty() {
            break;
        }
        for &(seq, ref staged) in &batch {
            w.writing_row(seq);
            let written = write_item(&mut w, staged, &mut c, &mut story)?;
            remember(&mut w, &mut record, seq, staged, written)?;
        }
        w.written(batch);
    }
    close_record(&mut w, &mut record)?;
    w.settle_order()?;
    w.build_deferred_indexes()?;
    w.resolve_local_replies()?;
    w.resolve_text_boosts()?;
    w.commit(&c)?;
    Ok(c)
}

/// A record being written: its posts archived so far, its posts left outside the story (by
/// staged row), and whether each of its posts was one or the other.
struct Remembered {
    print: Fingerprint,
    posts: Vec<RecordPost>,
    passed: Vec<i64>,
    whole: bool,
}

/// Notes what became of a post of a record read whole (staged row `seq`), so that the record
/// is remembered once each of its posts is archived, or once each stayed outside the story
/// (see `store/records.rs`). A record's posts are staged one after another.
fn remember(
    w: &mut SourceWriter<'_>,
    open: &mut Option<Remembered>,
    seq: i64,
    staged: &crate::store::Staged,
    written: Written,
) -> Result<()> {
    let Some((print, text_tags)) = staged.record else {
        return Ok(());
    };
    if staged.passed {
        // Staged from the archive's own memory of it.
        return Ok(());
    }
    if w.by_uri() {
        // A record's posts are not written one after another: the writer gathers them, unless
        // there is only one.
        return match written {
            _ if !staged.alone => w.note_record_post(&print, text_tags, written),
            Written::Stored(id) => w.remember_record(&print, &[RecordPost { id, seq, text_tags }]),
            Written::Passed => w.remember_passed(&print, &[seq]),
            Written::Other => Ok(()),
        };
    }
    if open.as_ref().is_some_and(|r| r.print != print) {
        close_record(w, open)?;
    }
    let record = open.get_or_insert_with(|| Remembered {
        print,
        posts: Vec::new(),
        passed: Vec::new(),
        whole: true,
    });
    match written {
        Written::Stored(id) => record.posts.push(RecordPost { id, seq, text_tags }),
        Written::Passed => record.passed.push(seq),
        Written::Other => record.whole = false,
    }
    Ok(())
}

fn close_record(w: &mut SourceWriter<'_>, open: &mut Option<Remembered>) -> Result<()> {
    let Some(record) = open.take() else {
        return Ok(());
    };
    if !record.whole {
        return Ok(());
    }
    // A record that made posts of both kinds is read again next time.
    match (record.posts.is_empty(), record.passed.is_empty()) {
        (false, true) => w.remember_record(&record.print, &record.posts),
        (true, false) => w.remember_passed(&record.print, &record.passed),
        _ => Ok(()),
    }
}

/// Writes one staged item, counting what it did in `c`.
fn write_item(
    w: &mut SourceWriter<'_>,
    staged: &crate::store::Staged,
    c: &mut SourceCounts,
    story: &mut Option<(String, u64)>,
) -> Result<Written> {
    let item = match &staged.entry {
        Entry::Item(item) => item,
        Entry::Known(known) => {
            keep_known(w, known, staged.selected, c)?;
            return Ok(Written::Other);
        }
        Entry::Unselected(post) => {
            // Counted as the post itself would be below.
            c.posts_seen += 1;
            if let Some(author) = &post.author
                && w.refuses(author)?
            {
                c.skipped_consent += 1;
                return Ok(Written::Other);
            }
            if let Some(local) = &post.local {
                w.record_local_id_of(local, &post.uri)?;
            }
            c.skipped_untagged += 1;
            return Ok(Written::Passed);
        }
    };
    match item {
        Item::Post(post) => {
            c.posts_seen += 1;
            if w.refuses(&post.author.uri)? {
                c.skipped_consent += 1;
                return Ok(Written::Other);
            }
            if let Some(local) = &post.local_id {
                w.record_local_id_of(local, &post.uri)?;
            }
            let Some(reason) = story_reason(staged.selected, c) else {
                return Ok(Written::Passed);
            };
            match w.upsert_post(post, staged.parent.as_deref(), reason)? {
                PostOutcome::New => c.posts_new += 1,
                PostOutcome::Updated => c.posts_updated += 1,
                PostOutcome::Unchanged | PostOutcome::Deleted => c.posts_unchanged += 1,
            }
            return Ok(w.last_post().map_or(Written::Other, Written::Stored));
        }
        Item::Boost(boost) => {
            if w.is_withheld(&boost.post_uri)? || w.refuses(&boost.booster)? {
                return Ok(Written::Other);
            }
            c.boosts += u64::from(w.add_boost(boost)?);
        }
        Item::TextBoost(boost) => c.boosts += u64::from(w.add_text_boost(boost)?),
        Item::Delete(deletion) => c.deletions += u64::from(w.delete_post(deletion)?),
        Item::Actor(author) => {
            if !w.refuses(&author.uri)? {
                w.upsert_author(author)?;
            }
        }
        Item::Skipped(skip) => match skip.reason {
            SkipReason::NotPublic => c.skipped_private += 1,
            SkipReason::Consent | SkipReason::Forgotten => {
                c.posts_seen += 1;
                c.skipped_consent += 1;
            }
            SkipReason::Unsupported => {}
        },
        Item::Story(info) => {
            w.begin_curated_story(info)?;
            let first = info.positions.as_ref().map_or(0, |p| p.start);
            *story = Some((info.url.clone(), first));
        }
        Item::Curated(entry) => {
            if let Some((url, position)) = story {
                w.curate(url, *position, entry)?;
                *position += 1;
            }
        }
    }
    Ok(Written::Other)
}

/// Keeps an archived post of a record read before, counting it as an unchanged copy read
/// anew would be counted.
fn keep_known(
    w: &mut SourceWriter<'_>,
    known: &KnownPost,
    selected: Option<bool>,
    c: &mut SourceCounts,
) -> Result<()> {
    c.posts_seen += 1;
    // Deleted since it was staged: a refusal of this run erased it.
    let refused = match &known.author_uri {
        _ if known.deleted => true,
        Some(author) => w.refuses(author)?,
        None => false,
    };
    if refused {
        c.skipped_consent += 1;
        return Ok(());
    }
    let Some(reason) = story_reason(selected, c) else {
        return Ok(());
    };
    w.keep_in_story(known.id, known.in_story.as_deref(), reason)?;
    c.posts_unchanged += 1;
    Ok(())
}

/// Why a staged post is in the story, as membership decided (`selected`), or `None`, counted
/// as skipped for want of the tag.
fn story_reason(selected: Option<bool>, c: &mut SourceCounts) -> Option<Reason> {
    let Some(tagged) = selected else {
        c.skipped_untagged += 1;
        return None;
    };
    Some(if tagged {
        Reason::Tagged
    } else {
        Reason::Context
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> serde_json::Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(rel);
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn pages_arriving_one_by_one_build_the_same_story() {
        let mut store = Store::open_in_memory().unwrap();
        let tag = "dearmentalhealthprofessionals";
        // The context page first: its untagged replies join once the timeline shows the root.
        for page in [
            "mastodon-api/timeline-page2.json",
            "mastodon-api/context-names.json",
            "mastodon-api/timeline-page1.json",
        ] {
            let report = collect_documents(&mut store, tag, page, None, &[fixture(page)]).unwrap();
            assert!(report.error.is_none(), "{page}: {:?}", report.error);
        }
        let uris: Vec<String> = store
            .load_story(tag)
            .unwrap()
            .into_iter()
            .map(|p| p.uri)
            .collect();
        // Thread A (11 posts) and every other tagged post of the two timeline pages.
        assert!(
            uris.contains(
                &"https://care.example/users/jun/statuses/117126980412405735".to_string()
            )
        );
        let again = collect_documents(
            &mut store,
            tag,
            "again",
            Some(Format::MastodonApi),
            &[fixture("mastodon-api/context-names.json")],
        )
        .unwrap();
        assert_eq!((again.counts.posts_new, again.counts.posts_updated), (0, 0));
        let bad = collect_documents(&mut store, tag, "bad", None, &[serde_json::json!({"x": 1})])
            .unwrap();
        let error = bad.error.expect("not a format");
        assert!(
            matches!(error.kind, ReadErrorKind::UnknownFormat),
            "{error}"
        );
        assert_eq!(error.location, "bad");
    }

    /// See: issue 11. Membership is decided before the write lock is taken; when another
    /// collect commits the tagged parent of a staged reply in between, the reply must still be
    /// kept, as it would be in a run after that collect.
    #[test]
    fn a_parent_committed_by_another_collect_meanwhile_keeps_its_reply() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("archive.db");
        let parent = fixture("mixed/mastodon-status.json");
        let mut reply = parent.clone();
        reply["id"] = "110900000000000002".into();
        reply["uri"] = "https://care.example/users/ruth/statuses/110900000000000002".into();
        reply["url"] = serde_json::Value::Null;
        reply["in_reply_to_id"] = parent["id"].clone();
        reply["content"] = "<p>An untagged answer</p>".into();
        reply["tags"] = serde_json::json!([]);
        let reply_path = dir.path().join("reply.json");
        std::fs::write(&reply_path, reply.to_string()).unwrap();
        let tag = "dearmentalhealthprofessionals";
        let inputs = [SourceInput::File(reply_path)];

        let mut mine = Store::open(&db).unwrap();
        let mut run = Run {
            tag,
            inputs: &inputs,
            options: ReadOptions::default(),
            forgotten: mine.load_forgotten().unwrap(),
            fingerprints: Fingerprints::new(Vec::new(), Vec::new()),
            staged: Vec::new(),
        };
        run.stage_all(&mut mine).unwrap();
        let mut selected_at = mine.decide_membership(tag).unwrap();
        // Another collect stores the tagged parent now.
        let mut other = Store::open(&db).unwrap();
        let file = SourceInput::File(dir.path().join("parent.json"));
        std::fs::write(dir.path().join("parent.json"), parent.to_string()).unwrap();
        collect(&mut other, tag, &[file], ReadOptions::default()).unwrap();

        let format = run.staged[0].as_ref().unwrap().format;
        let counts = write_source(&mut mine, tag, 0, format, "reply", &mut selected_at).unwrap();
        assert_eq!((counts.posts_new, counts.skipped_untagged), (1, 0));
        assert_eq!(mine.load_story(tag).unwrap().len(), 2);
    }

    /// A post this run staged from the archive's memory of a record it passed over (see
    /// `store/records.rs`) joins the story between deciding and writing, by another collect's
    /// reply: writing it needs its body, so its source is read again.
    #[test]
    fn a_passed_post_that_another_collect_joins_meanwhile_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("archive.db");
        let tag = "dearmentalhealthprofessionals";
        let write = |name: &str, statuses: &[serde_json::Value]| {
            let text: Vec<String> = statuses.iter().map(ToString::to_string).collect();
            let path = dir.path().join(name);
            std::fs::write(&path, text.join("\n")).unwrap();
            SourceInput::File(path)
        };
        let root = status("ruth", "120000000000000001", None, "");
        let lone = status("sam", "120000000000000003", None, "");
        let inputs = [write(
            "first.jsonl",
            &[tagged(root.clone()), tagged(root), lone.clone()],
        )];
        let mut mine = Store::open(&db).unwrap();
        collect(&mut mine, tag, &inputs, ReadOptions::default()).unwrap();

        let mut run = Run {
            tag,
            inputs: &inputs,
            options: ReadOptions::default(),
            forgotten: mine.load_forgotten().unwrap(),
            fingerprints: Fingerprints::new(
                mine.known_records().unwrap(),
                mine.passed_records().unwrap(),
            ),
            staged: Vec::new(),
        };
        run.stage_all(&mut mine).unwrap();
        let mut selected_at = run.decide(&mut mine, 0).unwrap();
        // Every line, the first too.
        assert_eq!(run.staged[0].as_ref().unwrap().known_records, 3);
        // Another collect stores a tagged answer to Sam's post now.
        let answer = tagged(status(
            "ida",
            "120000000000000005",
            Some("120000000000000003"),
            "",
        ));
        let mut other = Store::open(&db).unwrap();
        let second = [write("second.jsonl", &[answer])];
        collect(&mut other, tag, &second, ReadOptions::default()).unwrap();

        let written = run.write(&mut mine, 0, "first", &mut selected_at).unwrap();
        assert!(written.is_err_and(|e| e.is::<NeedsReading>()));
        selected_at = run.decide(&mut mine, 0).unwrap();
        // Sam's line is read again.
        assert_eq!(run.staged[0].as_ref().unwrap().known_records, 2);
        let counts = run
            .write(&mut mine, 0, "first", &mut selected_at)
            .unwrap()
            .unwrap();
        assert_eq!(counts.posts_new, 1, "{counts:?}");
        let story = mine.load_story(tag).unwrap();
        assert!(
            story
                .iter()
                .any(|p| Some(p.uri.as_str()) == lone["uri"].as_str())
        );
    }

    /// A status by `who` with id `id` on care.example, untagged, replying to local id `parent`.
    fn status(who: &str, id: &str, parent: Option<&str>, note: &str) -> serde_json::Value {
        let mut s = fixture("mixed/mastodon-status.json");
        s["id"] = id.into();
        s["uri"] = format!("https://care.example/users/{who}/statuses/{id}").into();
        s["url"] = format!("https://care.example/@{who}/{id}").into();
        s["in_reply_to_id"] = parent.into();
        s["content"] = format!("<p>{who} says something, {id}</p>").into();
        s["tags"] = serde_json::json!([]);
        s["account"]["id"] = who.into();
        s["account"]["username"] = who.into();
        s["account"]["acct"] = who.into();
        s["account"]["uri"] = format!("https://care.example/users/{who}").into();
        s["account"]["url"] = format!("https://care.example/@{who}").into();
        s["account"]["note"] = note.into();
        s
    }

    fn tagged(mut status: serde_json::Value) -> serde_json::Value {
        status["content"] = "<p>An answer, #DearMentalHealthProfessionals</p>".into();
        status["tags"] = serde_json::json!([{"name": "dearmentalhealthprofessionals"}]);
        status
    }

    /// A post outside the story is read back without its body; what writing needs of it (its
    /// local id, its count) must come through all the same.
    #[test]
    fn a_post_outside_the_story_lends_its_local_id_to_a_later_reply() {
        let mut store = Store::open_in_memory().unwrap();
        let tag = "dearmentalhealthprofessionals";
        let url = "https://care.example/api/v1/timelines/public";
        let root = status("ruth", "120000000000000001", None, "");
        let report =
            collect_documents(&mut store, tag, url, None, std::slice::from_ref(&root)).unwrap();
        assert_eq!(
            (report.counts.posts_seen, report.counts.skipped_untagged),
            (1, 1)
        );
        assert_eq!(report.counts.posts_new, 0);
        // The tagged reply names its parent by local id alone: the archive's `local_ids` gives
        // it the root's URI, and the root is in the story once it is read again.
        let reply = tagged(status(
            "sam",
            "120000000000000002",
            Some("120000000000000001"),
            "",
        ));
        collect_documents(&mut store, tag, url, None, &[reply]).unwrap();
        let parent: Option<String> = store
            .connection()
            .query_row(
                "SELECT in_reply_to_uri FROM posts WHERE uri LIKE '%/120000000000000002'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(parent.as_deref(), root["uri"].as_str());
        let again = collect_documents(&mut store, tag, url, None, &[root]).unwrap();
        assert_eq!(again.counts.posts_new, 1, "{:?}", again.counts);
        assert_eq!(store.load_story(tag).unwrap().len(), 2);
    }

    /// When some author refuses archiving, a post outside the story is read whole, so that
    /// one of theirs is counted as refused, not as untagged.
    #[test]
    fn a_refused_post_outside_the_story_is_counted_as_refused() {
        let mut store = Store::open_in_memory().unwrap();
        let tag = "dearmentalhealthprofessionals";
        let url = "https://care.example/api/v1/timelines/public";
        let refusal = status(
            "quinn",
            "120000000000000011",
            None,
            "<p>#NoArchive please</p>",
        );
        let first = collect_documents(&mut store, tag, url, None, &[refusal]).unwrap();
        assert_eq!(first.counts.skipped_consent, 1, "{:?}", first.counts);
        // Notes without a profile: the archive remembers Quinn's refusal.
        let note = |who: &str, n: u32| {
            let mut create = fixture("consent/activitypub-note-before-refusal.json");
            let actor = format!("https://care.example/users/{who}");
            let id = format!("{actor}/statuses/{n}");
            create["id"] = format!("{id}/activity").into();
            create["actor"] = actor.clone().into();
            create["object"]["id"] = id.into();
            create["object"]["url"] = serde_json::Value::Null;
            create["object"]["attributedTo"] = actor.into();
            create["object"]["content"] = format!("<p>{who} says something</p>").into();
            create["object"]["tag"] = serde_json::json!([]);
            create
        };
        let posts = [note("quinn", 12), note("ruth", 13)];
        let later = collect_documents(&mut store, tag, url, None, &posts).unwrap();
        assert_eq!(
            (
                later.counts.posts_seen,
                later.counts.skipped_consent,
                later.counts.skipped_untagged
            ),
            (2, 1, 1),
            "{:?}",
            later.counts
        );
    }

    #[test]
    fn a_fetched_page_names_its_server_when_its_content_does_not() {
        let mut store = Store::open_in_memory().unwrap();
        let mut page = fixture("mastodon-api/context-knock-first.json");
        // Only remote accounts and no tag pages: nothing in the content tells the server.
        for status in page["descendants"].as_array_mut().unwrap() {
            for tag in status["tags"].as_array_mut().unwrap() {
                tag.as_object_mut().unwrap().remove("url");
            }
            status["mentions"] = serde_json::json!([]);
        }
        let url = "https://care.example/api/v1/statuses/117129620226059275/context";
        let report = collect_documents(&mut store, "x", url, None, &[page]).unwrap();
        assert!(report.error.is_none(), "{:?}", report.error);
        let servers: Vec<String> = store
            .connection()
            .prepare("SELECT DISTINCT server FROM local_ids")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(servers, ["care.example"]);
    }

    /// See: issue 10. A first collect is written without foreign keys, but an account's
    /// outbox that deletes a post it created needs their cascades: the source is written again
    /// with them, and nothing of the deleted post is left hanging.
    #[test]
    fn a_first_collect_that_deletes_a_post_it_created_leaves_nothing_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("archive.db")).unwrap();
        let outbox = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/activitypub/conversation.json");
        let report = collect(
            &mut store,
            "dearmentalhealthprofessionals",
            &[SourceInput::File(outbox)],
            ReadOptions::default(),
        )
        .unwrap();
        assert!(report[0].error.is_none(), "{:?}", report[0].error);
        assert_eq!(report[0].counts.deletions, 1);
        let conn = store.connection();
        let deleted = "https://care.example/users/tomasz/statuses/117130509098521333";
        let kept: i64 = conn
            .query_row(
                "SELECT count(*) FROM posts WHERE uri = ?1",
                [deleted],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kept, 0);
        let hanging: Vec<(String, Option<i64>)> = conn
            .prepare("SELECT \"table\", rowid FROM pragma_foreign_key_check")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(hanging, []);
        let enforced: bool = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert!(enforced);
    }
}
