//! The staging sink: what of each parsed item is staged, decided as it is read. The rows go
//! to the store's staging tables ([`crate::store::StageRow`]); no SQL is issued here.
//!
//! # Consent
//! A post whose author refuses archiving, or that `tagstory forget` removed, is decided here,
//! before anything of it is staged: only its place in the reply graph is (its URI, parent and
//! local id, so that replies to it keep theirs), with a [`SkipReason`] in place of the post.
//! What each source's profiles say about consent is staged too, so that a refusal read
//! anywhere in the run holds for every source of it, whichever comes first. Boosts and
//! profiles of forgotten people are not staged at all, and forgotten people mentioned in other
//! posts are scrubbed from them before staging ([`crate::forget`]).
//!
//! # Threads
//! Reading, parsing, sanitising and encoding run on the thread that owns the sink; the rows
//! travel in batches of [`ROWS_PER_BATCH`] over a bounded channel to the thread that owns the
//! archive's connection, so both cores work on a large source. A sink without a channel keeps
//! its rows until the caller takes them ([`StagingSink::take_rows`]).

use std::sync::mpsc::SyncSender;

use anyhow::{Result, anyhow};

use crate::forget::Forgotten;
use crate::model::{Author, Curated, Item, Skip, SkipReason};
use crate::sources::{ItemSink, Problem, Warning};
use crate::store::{Fingerprint, GraphPlace, StageRow, StagedItem};

use super::fingerprint::Fingerprints;

/// Rows sent over the channel at a time.
pub(super) const ROWS_PER_BATCH: usize = 128;

/// Rows sent at a time when all of them are known records (a fingerprint each): the archive's
/// thread holds [`crate::store`]'s batch of known records before it looks them up, and while
/// it does, the reading thread can send no more than the channel holds. With batches of 128,
/// it waited for each lookup (a second collect of 100k tweets in a tweets.js: 1.27 -> 1.78 s).
const KNOWN_ROWS_PER_BATCH: usize = 4_096;

/// An [`ItemSink`] that stages one source's items. Warnings (skipped records) and notes (parts
/// of records left out) are counted apart, and the first [`StagingSink::KEPT_WARNINGS`] of each
/// kept with their position.
pub(super) struct StagingSink<'c> {
    out: Option<SyncSender<Vec<StageRow>>>,
    /// Rows of `rows` that are not known records.
    heavy: usize,
    rows: Vec<StageRow>,
    tag: &'c str,
    /// Position prefix for warnings, e.g. `line 12 ` or `item 40 `.
    pub(super) position: String,
    pub(super) warnings: Vec<Warning>,
    pub(super) warning_count: u64,
    pub(super) notes: Vec<Warning>,
    pub(super) note_count: u64,
    pub(super) failure: Option<anyhow::Error>,
    /// The source is a curated story: every post in it is filed under the tag.
    curated: bool,
    /// The server that issued the source's local ids when the content does not tell (a page
    /// fetched from it).
    pub(super) server_hint: Option<String>,
    /// How many posts carry each hashtag, to suggest one when TAG matches nothing (bounded:
    /// past [`Self::KEPT_TAGS`] distinct tags only those already seen are counted).
    pub(super) tags_seen: std::collections::HashMap<String, u64>,
    /// What the archive has forgotten.
    forgotten: &'c Forgotten,
    /// The records the archive holds, when records are fingerprinted.
    pub(super) fingerprints: Option<&'c Fingerprints>,
    /// The record being read, when it is fingerprinted.
    record: Option<OpenRecord>,
    /// Records the archive already held, staged from there.
    pub(super) known_records: u64,
    /// The fingerprints of the records of the document being parsed, by index (the elements
    /// of a chunk of an array), when its records are not the document itself.
    pub(super) element_prints: Vec<Option<Fingerprint>>,
    /// The fingerprint of the JSON Lines line being parsed: a format that reads several
    /// records in it (the tweets of a twarc 2 page) makes each a record of its own, so that
    /// one untagged tweet does not keep its page's other tweets from being remembered.
    pub(super) line: Option<Fingerprint>,
}

/// A record being read: its fingerprint, where its rows begin in the batch, and whether it is
/// still being read whole (nothing of it skipped, withheld or left out).
struct OpenRecord {
    print: Fingerprint,
    start: usize,
    whole: bool,
}

impl<'c> StagingSink<'c> {
    /// Warnings (and notes) kept in full; beyond this only the count grows.
    pub(super) const KEPT_WARNINGS: usize = 200;
    /// Distinct hashtags counted.
    pub(super) const KEPT_TAGS: usize = 10_000;

    /// A sink that sends its rows over `out`, or keeps them when there is none.
    pub(super) fn new(
        out: Option<SyncSender<Vec<StageRow>>>,
        tag: &'c str,
        forgotten: &'c Forgotten,
    ) -> Self {
        StagingSink {
            out,
            rows: Vec::with_capacity(ROWS_PER_BATCH),
            heavy: 0,
            tag,
            position: String::new(),
            warnings: Vec::new(),
            warning_count: 0,
            notes: Vec::new(),
            note_count: 0,
            failure: None,
            curated: false,
            server_hint: None,
            tags_seen: std::collections::HashMap::new(),
            forgotten,
            fingerprints: None,
            record: None,
            known_records: 0,
            element_prints: Vec::new(),
            line: None,
        }
    }

    /// Whether the archive holds the record with fingerprint `print`.
    pub(super) fn knows(&self, print: &Fingerprint) -> bool {
        self.fingerprints.is_some_and(|f| f.knows(print))
    }

    /// Opens the record with fingerprint `print` (none: not fingerprinted): what follows, up
    /// to [`StagingSink::end_record`], is that record; returns `true`. When the archive holds
    /// it, stages it from there instead and returns `false`.
    pub(super) fn open_record(&mut self, print: Option<Fingerprint>) -> bool {
        self.end_record();
        let Some(print) = print else {
            return true;
        };
        if let Some(passed) = self.fingerprints.and_then(|f| f.knows_as(&print)) {
            self.known_records += 1;
            self.push(StageRow::Known { print, passed });
            return false;
        }
        self.record = Some(OpenRecord {
            print,
            start: self.rows.len(),
            whole: true,
        });
        true
    }

    /// When the archive holds every record of `prints` (a chunk of array elements), stages
    /// them from there and returns `true`: nothing of the chunk needs parsing.
    pub(super) fn stage_if_all_known(&mut self, prints: &[Option<Fingerprint>]) -> bool {
        if prints.is_empty() || !prints.iter().all(|p| p.is_some_and(|p| self.knows(&p))) {
            return false;
        }
        for &print in prints {
            self.open_record(print);
        }
        self.end_record();
        true
    }

    /// The record is read: its posts are marked with its fingerprint when it was read whole,
    /// so that the archive remembers it once they are written.
    pub(super) fn end_record(&mut self) {
        let Some(record) = self.record.take() else {
            return;
        };
        if record.whole {
            let rows = &mut self.rows[record.start..];
            let posts = rows
                .iter()
                .filter(|row| matches!(row, StageRow::Item(item) if item.stores_a_post()))
                .count();
            for row in rows {
                if let StageRow::Item(item) = row {
                    item.made_by(record.print, posts == 1);
                }
            }
        }
        if self.full() {
            self.finish();
        }
    }

    /// Whether the rows are a batch to send.
    fn full(&self) -> bool {
        self.out.is_some()
            && self.rows.len() >= ROWS_PER_BATCH
            && (self.heavy > 0 || self.rows.len() >= KNOWN_ROWS_PER_BATCH)
    }

    /// The record being read is not read whole: it will be read again next time.
    fn spoil_record(&mut self) {
        if let Some(record) = &mut self.record {
            record.whole = false;
        }
    }

    /// Records a problem at `pointer` (already including its position).
    pub(super) fn warn(&mut self, pointer: String, problem: Problem) {
        self.spoil_record();
        self.warning_count += 1;
        if self.warnings.len() < Self::KEPT_WARNINGS {
            self.warnings.push(Warning::at(pointer, problem));
        }
    }

    /// The rows kept so far (a sink without a channel).
    pub(super) fn take_rows(&mut self) -> Vec<StageRow> {
        self.heavy = 0;
        std::mem::take(&mut self.rows)
    }

    /// Sends the rows not sent yet.
    pub(super) fn finish(&mut self) {
        // A record still open was not read to its end.
        self.record = None;
        if let Some(out) = &self.out
            && !self.rows.is_empty()
        {
            let rows = std::mem::take(&mut self.rows);
            self.heavy = 0;
            if out.send(rows).is_err() && self.failure.is_none() {
                self.failure = Some(anyhow!("the archive stopped taking staged rows"));
            }
        }
    }

    fn push(&mut self, row: StageRow) {
        if !matches!(row, StageRow::Known { .. }) {
            self.heavy += 1;
        }
        self.rows.push(row);
        // A record's rows stay together until it is read, to be marked.
        if self.record.is_none() && self.full() {
            self.finish();
        }
    }

    /// Stages `item`; a post that must not be stored (`withheld`) leaves only its place in
    /// the reply graph and the reason.
    fn stage(&mut self, item: Item, withheld: Option<SkipReason>) -> Result<()> {
        let mut place = GraphPlace::default();
        if let Item::Post(post) = &item {
            place.uri = Some(post.uri.clone());
            place.parent.clone_from(&post.in_reply_to);
            place.local.clone_from(&post.local_id);
            place.parent_local.clone_from(&post.in_reply_to_local);
            let tags = super::membership::hashtags_of(post).into_owned();
            place.tagged = self.curated || tags.iter().any(|t| t == self.tag);
            if let Some(reason) = withheld {
                // A forgotten post lends replies no parent by local id: that would store its
                // URI in them again, unscrubbed.
                if reason == SkipReason::Forgotten {
                    place.local = None;
                }
                place.withheld = true;
                let skip = Item::Skipped(Skip { uri: None, reason });
                self.push(StageRow::Item(Box::new(StagedItem::new(skip, place)?)));
                return Ok(());
            }
            if !place.tagged {
                // What a post outside the story is remembered by (a tagged one never is).
                place.author = Some(post.author.uri.clone());
            }
            // Remembered with its record, once archived, or in `passed` (`store/records.rs`).
            place.tags = Some(tags.join(" "));
            for t in tags {
                count_tag(&mut self.tags_seen, t, 1);
            }
        }
        if let Item::Story(_) = item {
            self.curated = true;
        }
        self.push(StageRow::Item(Box::new(StagedItem::new(item, place)?)));
        Ok(())
    }

    /// Remembers what `author`'s profile says, when it says anything.
    fn note_consent(&mut self, author: &Author) {
        let c = author.consent;
        if !(c.from_profile || c.refuses || c.noindex) || author.uri.is_empty() {
            return;
        }
        self.push(StageRow::Consent {
            author_uri: author.uri.clone(),
            refuses: c.refuses,
            noindex: c.noindex,
        });
    }

    /// Decides what of `item` may be staged: `Ok(None)` stages nothing, `Some(reason)` only
    /// the place of a post that must not be stored. Scrubs forgotten people from a post.
    fn admit(&mut self, item: &mut Item) -> Result<Option<Option<SkipReason>>> {
        let forgotten = self.forgotten;
        match item {
            Item::Post(post) => {
                if forgotten.forgets_post(post) {
                    return Ok(Some(Some(SkipReason::Forgotten)));
                }
                self.note_consent(&post.author);
                if post.author.consent.refuses {
                    return Ok(Some(Some(SkipReason::Consent)));
                }
                if !forgotten.is_empty() {
                    forgotten.recognise(post).scrub_post(post);
                }
            }
            Item::Actor(author) => {
                if forgotten.forgets_author(author) {
                    return Ok(None);
                }
                self.note_consent(author);
            }
            Item::Boost(boost) => {
                if forgotten.has(crate::forget::Kind::Post, &boost.post_uri)
                    || forgotten.has(crate::forget::Kind::Author, &boost.booster)
                {
                    return Ok(None);
                }
            }
            Item::TextBoost(boost) => {
                if forgotten.has(crate::forget::Kind::Handle, &boost.author_handle) {
                    return Ok(None);
                }
            }
            Item::Delete(deletion) => {
                // The tombstone would keep the URI readable; the hash already keeps it out.
                if forgotten.has(crate::forget::Kind::Post, &deletion.uri) {
                    return Ok(None);
                }
            }
            Item::Curated(Curated::Post { uri }) => {
                if forgotten.has(crate::forget::Kind::Post, uri) {
                    return Ok(None);
                }
            }
            // The curator's words may name a forgotten person too.
            Item::Curated(Curated::Note { html }) => scrub_words(forgotten, html),
            Item::Story(story) => {
                if story
                    .curator
                    .as_ref()
                    .is_some_and(|c| forgotten.forgets_author(c))
                {
                    story.curator = None;
                }
                scrub_words(forgotten, &mut story.title);
                scrub_words(forgotten, &mut story.intro_html);
            }
            Item::Skipped(_) => {}
        }
        Ok(Some(None))
    }
}

/// Counts `n` more posts carrying hashtag `tag` in `seen`, which holds at most
/// [`StagingSink::KEPT_TAGS`] tags: past that, only those already in it are counted.
pub(super) fn count_tag(seen: &mut std::collections::HashMap<String, u64>, tag: String, n: u64) {
    if let Some(count) = seen.get_mut(&tag) {
        *count += n;
    } else if seen.len() < StagingSink::KEPT_TAGS {
        seen.insert(tag, n);
    }
}

/// `words` (HTML or text) with forgotten people and posts scrubbed out.
fn scrub_words(forgotten: &Forgotten, words: &mut String) {
    if forgotten.is_empty() {
        return;
    }
    let text = crate::sanitize::html_to_text(words);
    if let Some(scrubbed) = forgotten.recognise_words(words, &text).scrub_text(words) {
        *words = scrubbed;
    }
}

impl ItemSink for StagingSink<'_> {
    fn item(&mut self, mut item: Item) {
        if let (Item::Post(post), Some(server)) = (&mut item, &self.server_hint) {
            for local in [&mut post.local_id, &mut post.in_reply_to_local]
                .into_iter()
                .flatten()
            {
                if local.server.is_empty() {
                    local.server.clone_from(server);
                }
            }
        }
        if self.failure.is_some() {
            return;
        }
        let remembered = match &item {
            Item::Post(_) => !self.curated,
            Item::Actor(_) | Item::Boost(_) => true,
            _ => false,
        };
        let staged = match self.admit(&mut item) {
            Ok(Some(None)) if remembered => self.stage(item, None),
            Ok(Some(withheld)) => {
                self.spoil_record();
                self.stage(item, withheld)
            }
            Ok(None) => {
                self.spoil_record();
                Ok(())
            }
            Err(e) => Err(e),
        };
        if let Err(e) = staged {
            self.failure = Some(e);
        }
    }

    fn warning(&mut self, pointer: String, problem: Problem) {
        let at = format!("{}{pointer}", self.position);
        self.warn(at, problem);
    }

    fn record(&mut self, index: Option<usize>) -> bool {
        if self.element_prints.is_empty() {
            let Some(line) = self.line else {
                return true;
            };
            // The line is no longer one record: its parts are.
            if self.record.as_ref().is_some_and(|r| r.print == line) {
                self.spoil_record();
            }
            return match index {
                Some(i) => self.open_record(Some(super::fingerprint::part_of(&line, i))),
                None => {
                    self.end_record();
                    true
                }
            };
        }
        match index {
            Some(i) => self.open_record(self.element_prints.get(i).copied().flatten()),
            None => {
                self.end_record();
                true
            }
        }
    }

    fn note(&mut self, pointer: String, problem: Problem) {
        self.spoil_record();
        self.note_count += 1;
        if self.notes.len() < Self::KEPT_WARNINGS {
            let pointer = format!("{}{pointer}", self.position);
            self.notes.push(Warning::at(pointer, problem));
        }
    }
}
