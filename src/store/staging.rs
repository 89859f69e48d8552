//! Staging: every item of a run's sources is parked in temporary tables while the sources are
//! read, so that story membership can be decided over all of them and the archived story at
//! once, however large the inputs are. The collector hands rows over ([`StageRow`]) and reads
//! back decisions; every statement is here.
//!
//! The tables live in a temporary database attached to the archive's own connection as
//! `stage` (`ATTACH ''`): it vanishes when the run ends and is never part of the archive. It is
//! kept in a temporary file, not in memory (a million staged posts are gigabytes), behind a
//! page cache sized by [`Store::size_cache_for`]. A database of its own rather than SQLite's
//! `temp` schema because detaching it deletes the file, where dropping tables read every page
//! of them back to free it (25,358 page reads of a 100k-post collect; issue 10).
//!
//! # Encoding
//! The tables hold each item's place in the reply graph; its body is in a file of its own
//! (`bodies.rs`). A staged post keeps its three large strings (plain text, sanitised HTML,
//! the source JSON) there as they are: escaping and unescaping the source JSON inside
//! another JSON text was most of the cost of staging (issue 10). The small rest of the item is
//! encoded with `postcard`, a compact binary form of the model's serde derive: the model's
//! JSON form (its strings escaped and scanned again, its times written and parsed as text)
//! cost twice as many instructions on both threads (issue 10). The staged bytes live only as
//! long as the run that wrote them, so the encoding is free to change with the model.
//!
//! # Membership
//! [`Store::decide_membership`] gives every reply that named its parent by a server-local id
//! the parent's URI, then selects the staged posts whose reply tree — through staged and
//! archived reply links of the story, in either direction — holds a tagged post or a post
//! already in the story. Each step reads the staged table once, in set-based statements; no
//! per-post statement scans a table (see `tests::collect_queries_use_indexes`).
//!
//! The walk costs what the run brings, not what the story holds: the staged posts that are
//! tagged or already in the story (the seeds among them) are selected outright, and the walk
//! runs only through the others, from those next to a seed. A second collect of a story's
//! posts finds them all seeds and walks nothing; the old walk over every reply link of the
//! archived story was a fifth of it (issue 10).

use anyhow::{Context, Result};
use rusqlite::{Connection, params};

use super::records::{Fingerprint, KnownAhead, NeedsReading};
use super::write::SourceWriter;
pub(super) use bodies::Bodies;
use bodies::{Body, Parts};
pub(super) use prefetch::Prefetch;

use super::{Store, pick_local_match};
use crate::model::{Item, LocalId};

/// Authors whose consent a writer remembers before it starts again.
const REFUSALS_CACHED: usize = 10_000;

/// How many staged items are read back at a time when writing a source.
const BATCH: usize = 500;

const CREATE: &str = "
    CREATE TABLE IF NOT EXISTS stage.staged (
        seq           INTEGER PRIMARY KEY,
        source        INTEGER NOT NULL,
        uri           TEXT,               -- posts only
        parent        TEXT,               -- parent URI, once known
        local_server  TEXT,
        local_id      TEXT,
        parent_server TEXT,
        parent_local  TEXT,
        tagged        INTEGER NOT NULL DEFAULT 0,
        withheld      INTEGER NOT NULL DEFAULT 0,  -- a post not to store (consent, forgotten)
        record        BLOB,               -- fingerprint of the record it came from, when whole
        text_tags     INTEGER NOT NULL DEFAULT 0,  -- its hashtags are words of its text
        known         INTEGER,            -- posts.id of a post of a record the archive knows
        author        TEXT,               -- a post's author's URI
        tags          TEXT,               -- a post's hashtags, normalised, space-separated
        passed        INTEGER NOT NULL DEFAULT 0, -- staged from `passed`: it has no body
        body_at       INTEGER,            -- where its body is in the file of bodies
        body_len      INTEGER,            --   (`bodies.rs`), when it has one
        in_order      INTEGER NOT NULL DEFAULT 0, -- written where the source put it (`order.rs`)
        alone         INTEGER NOT NULL DEFAULT 0  -- the only post of its record
    );
    -- What a writer without foreign keys remembers of the records it reads, until it commits
    -- (`records.rs`).
    CREATE TABLE IF NOT EXISTS stage.remembered_records (
        hash BLOB NOT NULL, post_id INTEGER NOT NULL, text_tags INTEGER NOT NULL,
        seq INTEGER NOT NULL);
    -- The same in the order of the staged rows, to read them so (`records.rs`).
    CREATE TABLE IF NOT EXISTS stage.remembered_by_seq (
        hash BLOB NOT NULL, post_id INTEGER NOT NULL, text_tags INTEGER NOT NULL,
        seq INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS stage.remembered_passed (
        seq INTEGER PRIMARY KEY, hash BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS stage.staged_consent (
        source      INTEGER NOT NULL,
        author_uri  TEXT NOT NULL,
        refuses     INTEGER NOT NULL,
        noindex     INTEGER NOT NULL,
        PRIMARY KEY (source, author_uri)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS stage.staged_consent_author ON staged_consent(author_uri);
    CREATE TABLE IF NOT EXISTS stage.story_selected (uri TEXT PRIMARY KEY, tagged INTEGER NOT NULL)
        WITHOUT ROWID;
    -- The same, by staged row: the writer reads the rows in order, and looking each one up in
    -- story_selected by URI was a random read per post once it outgrew the cache (issue 10).
    CREATE TABLE IF NOT EXISTS stage.selected_rows (seq INTEGER PRIMARY KEY, tagged INTEGER NOT NULL);
";

/// Indexes over `staged`, built once every source is read (cheaper than keeping them up to
/// date row by row). They cover what membership reads through them, so that it never reads a
/// staged row in random order (a million of them do not fit the cache). The local ids' index
/// comes first: replies find their parents through it. The others come once those parents are
/// set: setting a parent in an indexed row moves its entries in two indexes, to random places,
/// for every Mastodon reply (issue 10).
const INDEX_LOCAL: &str = "
    CREATE INDEX IF NOT EXISTS stage.staged_local ON staged(local_id, local_server, uri)
        WHERE local_id IS NOT NULL;
";
const INDEX_GRAPH: &str = "
    CREATE INDEX IF NOT EXISTS stage.staged_uri ON staged(uri, tagged, parent)
        WHERE uri IS NOT NULL;
    CREATE INDEX IF NOT EXISTS stage.staged_parent ON staged(parent, uri) WHERE parent IS NOT NULL;
";

/// One thing to stage, made by the collector (possibly on another thread).
#[derive(Debug)]
pub enum StageRow {
    /// An item, with its place in the reply graph when it is a post.
    Item(Box<StagedItem>),
    /// A record the archive already holds (its fingerprint): its posts are staged from there,
    /// from `records`, or from `passed` when they stayed outside the story (`passed`).
    Known {
        /// The record's fingerprint.
        print: Fingerprint,
        /// The archive remembers it as passed (see `store/records.rs`).
        passed: bool,
    },
    /// What an author's profile said about consent.
    Consent {
        /// The author.
        author_uri: String,
        /// The profile refuses archiving.
        refuses: bool,
        /// The profile opts out of indexing.
        noindex: bool,
    },
}

/// An item ready to stage: its place in the reply graph, and the item itself, encoded.
#[derive(Debug)]
pub struct StagedItem {
    uri: Option<String>,
    parent: Option<String>,
    local: Option<LocalId>,
    parent_local: Option<LocalId>,
    tagged: bool,
    withheld: bool,
    author: Option<String>,
    tags: Option<String>,
    record: Option<Fingerprint>,
    text_tags: bool,
    in_order: bool,
    alone: bool,
    encoded: Vec<u8>,
    text: Option<String>,
    html: Option<String>,
    source_json: Option<String>,
}

/// A post's place in the reply graph, as staged with it.
#[derive(Debug, Default)]
pub struct GraphPlace {
    /// Its URI.
    pub uri: Option<String>,
    /// Its parent's URI, when the source names it.
    pub parent: Option<String>,
    /// Its server-local id.
    pub local: Option<LocalId>,
    /// Its parent's server-local id.
    pub parent_local: Option<LocalId>,
    /// It carries the tag.
    pub tagged: bool,
    /// It must not be stored (only its place is kept).
    pub withheld: bool,
    /// Its author's URI.
    pub author: Option<String>,
    /// Its hashtags, normalised, space-separated.
    pub tags: Option<String>,
}

impl StagedItem {
    /// Encodes `item` for staging at `place`.
    pub fn new(mut item: Item, place: GraphPlace) -> Result<Self> {
        let (mut text, mut html, mut source_json) = (None, None, None);
        let mut text_tags = false;
        if let Item::Post(post) = &mut item {
            text_tags = !post.has_structured_tags;
            text = Some(std::mem::take(&mut post.text));
            html = Some(std::mem::take(&mut post.content_html));
            source_json = Some(std::mem::take(&mut post.source_json));
        }
        let in_order = order::in_order(&item);
        let encoded = postcard::to_allocvec(&item).context("cannot stage an item")?;
        Ok(StagedItem {
            uri: place.uri,
            parent: place.parent,
            local: place.local,
            parent_local: place.parent_local,
            tagged: place.tagged,
            withheld: place.withheld,
            author: place.author,
            tags: place.tags,
            record: None,
            text_tags,
            in_order,
            alone: false,
            encoded,
            text,
            html,
            source_json,
        })
    }

    /// Its body, as staged apart from its place.
    fn parts(&self) -> Parts<'_> {
        Parts {
            encoded: &self.encoded,
            text: self.text.as_deref().unwrap_or_default(),
            html: self.html.as_deref().unwrap_or_default(),
            source_json: self.source_json.as_deref().unwrap_or_default(),
        }
    }

    /// Whether it is a post to store (one a record remembers).
    pub fn stores_a_post(&self) -> bool {
        self.uri.is_some() && !self.withheld
    }

    /// Marks a post as made by the record with fingerprint `print`, which was read whole, and
    /// made no other post when `alone`.
    pub fn made_by(&mut self, print: Fingerprint, alone: bool) {
        if self.stores_a_post() {
            self.record = Some(print);
            self.alone = alone;
        }
    }
}

/// A staged item read back: the item, its resolved parent and whether it was selected (and
/// tagged).
#[derive(Debug)]
pub struct Staged {
    /// The item, or an archived post of a record read before.
    pub entry: Entry,
    /// Its parent's URI, resolved from a local id when needed.
    pub parent: Option<String>,
    /// `Some(tagged)` when the post is in the story.
    pub selected: Option<bool>,
    /// The record that made the post, read whole, and whether the post's hashtags are words of
    /// its text.
    pub record: Option<(Fingerprint, bool)>,
    /// Its place was staged from `passed` (see `store/records.rs`): the archive remembers it.
    pub passed: bool,
    /// It is the only post its record made.
    pub alone: bool,
}

/// What was staged. (Most entries are items: boxing them would cost an allocation each.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Entry {
    /// An item read from the source.
    Item(Item),
    /// A post the archive holds, of a record read before (see [`StageRow::Known`]).
    Known(KnownPost),
    /// A post read from the source that is not in the story, read back without its body:
    /// nothing of it is stored but its local id.
    Unselected(UnselectedPost),
}

/// A post outside the story, as much of it as writing needs: its URI, server-local id and
/// author.
#[derive(Debug)]
pub struct UnselectedPost {
    /// Its URI.
    pub uri: String,
    /// Its server-local id, when it has one.
    pub local: Option<LocalId>,
    /// Its author's URI.
    pub author: Option<String>,
}

/// An archived post of a record read before.
#[derive(Debug)]
pub struct KnownPost {
    /// Its `posts.id`.
    pub id: i64,
    /// It was deleted since it was staged (a refusal of this run erased it).
    pub deleted: bool,
    /// Its author's URI, when some author refuses archiving (else no one needs it).
    pub author_uri: Option<String>,
    /// Why it is in the story being written, if it is (`story_posts.reason`).
    pub in_story: Option<String>,
}

impl Store {
    /// Prepares empty staging tables.
    pub fn begin_staging(&mut self) -> Result<()> {
        self.known_ahead.clear();
        self.attach_staging()?;
        match &mut self.bodies {
            Some(bodies) => bodies.clear()?,
            None => self.bodies = Some(Bodies::new()?),
        }
        self.conn.execute_batch(CREATE)?;
        self.conn.execute_batch(walk::CREATE)?;
        self.conn.execute_batch(
            "DROP INDEX IF EXISTS stage.staged_uri; DROP INDEX IF EXISTS stage.staged_local;
             DROP INDEX IF EXISTS stage.staged_parent;
             DELETE FROM staged;
             DELETE FROM story_selected; DELETE FROM selected_rows;
             DELETE FROM staged_consent; DELETE FROM remembered_records;
             DELETE FROM remembered_passed;",
        )?;
        Ok(())
    }

    /// Starts staging one source: what it stages is kept by [`Store::keep_staged`] or
    /// forgotten by [`Store::discard_staged`].
    pub fn open_staged_source(&self) -> Result<()> {
        self.conn.execute_batch("SAVEPOINT stage_source")?;
        Ok(())
    }

    /// Keeps what the current source staged.
    pub fn keep_staged(&self) -> Result<()> {
        anyhow::ensure!(
            self.known_ahead.is_empty(),
            "known records held back were not staged"
        );
        self.conn.execute_batch("RELEASE stage_source")?;
        Ok(())
    }

    /// Forgets what source `source` staged (it failed).
    pub fn discard_staged(&mut self, source: usize) -> Result<()> {
        self.known_ahead.clear();
        self.conn
            .execute_batch("ROLLBACK TO stage_source; RELEASE stage_source")?;
        self.unstage(source)
    }

    /// Forgets what source `source` staged, to stage it again.
    pub fn unstage(&self, source: usize) -> Result<()> {
        self.conn
            .execute("DELETE FROM staged WHERE source = ?1", [source])?;
        self.conn
            .execute("DELETE FROM staged_consent WHERE source = ?1", [source])?;
        Ok(())
    }

    /// Stages `rows` of source `source`, collected under `tag`. Returns the hashtags of the
    /// posts staged from the archive ([`StageRow::Known`]), once per post that carries each.
    /// Known records may be held back, to be looked up together: [`Store::stage_held`]
    /// stages the last of them.
    pub fn stage(&mut self, source: usize, tag: &str, rows: Vec<StageRow>) -> Result<Vec<String>> {
        let mut bodies = self.bodies.take().context("staging before begin_staging")?;
        let mut ahead = std::mem::take(&mut self.known_ahead);
        let staged = self.stage_rows(source, tag, rows, &mut bodies, &mut ahead);
        self.bodies = Some(bodies);
        self.known_ahead = ahead;
        staged
    }

    /// Stages what [`Store::stage`] held back of source `source`: call it once the source's
    /// rows are all passed, before [`Store::keep_staged`]. Returns the hashtags as `stage`.
    pub fn stage_held(&mut self, source: usize, tag: &str) -> Result<Vec<String>> {
        let mut hashtags = Vec::new();
        let mut ahead = std::mem::take(&mut self.known_ahead);
        let staged = self.stage_known(source, tag, &mut ahead, &mut hashtags);
        self.known_ahead = ahead;
        staged.map(|()| hashtags)
    }

    fn stage_rows(
        &self,
        source: usize,
        tag: &str,
        rows: Vec<StageRow>,
        bodies: &mut Bodies,
        ahead: &mut KnownAhead,
    ) -> Result<Vec<String>> {
        let mut hashtags = Vec::new();
        let mut item = self.conn.prepare_cached(SQL_STAGE_ITEM)?;
        let mut consent = self.conn.prepare_cached(SQL_STAGE_CONSENT)?;
        for row in rows {
            match row {
                StageRow::Item(s) => {
                    // The known records before it keep their place in the source's order.
                    self.stage_known(source, tag, ahead, &mut hashtags)?;
                    let (body_at, body_len) = bodies.append(&s.parts())?;
                    item.execute(params![
                        source,
                        s.uri,
                        s.parent,
                        s.local.as_ref().map(|l| &l.server),
                        s.local.as_ref().map(|l| &l.id),
                        s.parent_local.as_ref().map(|l| &l.server),
                        s.parent_local.as_ref().map(|l| &l.id),
                        s.tagged,
                        s.withheld,
                        s.record,
                        s.text_tags,
                        s.author,
                        s.tags,
                        i64::try_from(body_at)?,
                        i64::try_from(body_len)?,
                        s.in_order,
                        s.alone,
                    ])?;
                }
                StageRow::Known { print, passed } => {
                    if ahead.hold(print, passed) {
                        self.stage_known(source, tag, ahead, &mut hashtags)?;
                    }
                }
                StageRow::Consent {
                    author_uri,
                    refuses,
                    noindex,
                } => {
                    consent.execute(params![source, author_uri, refuses, noindex])?;
                }
            }
        }
        Ok(hashtags)
    }

    /// Decides which staged posts are in the story of `tag` (see the module's doc). Returns
    /// the archive's data version it was decided at.
    pub fn decide_membership(&self, tag: &str) -> Result<i64> {
        let version = self.data_version()?;
        self.with_small_sorter(|conn| conn.execute_batch(INDEX_LOCAL))?;
        decide(&self.conn, tag)?;
        Ok(version)
    }

    /// Deletes the staging database and the file of bodies.
    pub fn end_staging(&mut self) -> Result<()> {
        self.bodies = None;
        if is_attached(&self.conn)? {
            self.conn.execute_batch("DETACH DATABASE stage")?;
        }
        Ok(())
    }

    /// Attaches an empty staging database unless one is attached, with pages as large as a
    /// new archive's (a staged item is a few KB: smaller pages read three times as many;
    /// issue 10).
    pub(super) fn attach_staging(&self) -> Result<()> {
        if !is_attached(&self.conn)? {
            self.conn.execute_batch("ATTACH DATABASE '' AS stage")?;
            self.conn
                .pragma_update(Some("stage"), "page_size", super::PAGE_SIZE)?;
        }
        Ok(())
    }
}

fn is_attached(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM pragma_database_list WHERE name = 'stage'")?
        .exists([])?)
}

const SQL_STAGE_ITEM: &str = "INSERT INTO staged (source, uri, parent, local_server, local_id,
     parent_server, parent_local, tagged, withheld, record, text_tags, author, tags, body_at,
     body_len, in_order, alone)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";

const SQL_STAGE_CONSENT: &str = "INSERT INTO staged_consent (source, author_uri, refuses, noindex)
     VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT (source, author_uri) DO UPDATE SET
         refuses = max(refuses, excluded.refuses),
         noindex = max(noindex, excluded.noindex)";

/// Staged replies waiting for a parent named by local id, a batch at a time after `?1`.
const SQL_PENDING_LOCAL: &str = "SELECT seq, parent_server, parent_local FROM staged
     WHERE seq > ?1 AND parent IS NULL AND parent_local IS NOT NULL ORDER BY seq LIMIT ?2";
/// Staged posts with a local id (a parent for the replies above), and where they were staged:
/// of two posts claiming one id, the first in the sources keeps it in `local_ids`, and so
/// here ([`resolve_local`] puts them in that order).
const SQL_STAGED_LOCAL: &str = "SELECT local_server, uri, seq FROM staged
     WHERE local_id = ?2 AND (local_server = ?1 OR local_server = '' OR ?1 = '')";
/// Archived posts with a local id. `local_ids` is keyed by (server, local_id) and indexed by
/// local_id, so this is a lookup whichever server is asked.
const SQL_ARCHIVED_LOCAL: &str = "SELECT server, post_uri FROM local_ids
     WHERE local_id = ?2 AND (server = ?1 OR server = '' OR ?1 = '')";
const SQL_SET_PARENT: &str = "UPDATE staged SET parent = ?2 WHERE seq = ?1";

/// The staged posts that seed the story: tagged, or in it already. `story_selected` holds
/// them, then the posts the walk below reaches.
const SQL_SEEDS: &str = "INSERT INTO story_selected (uri, tagged)
     SELECT s.uri, max(s.tagged) FROM staged s WHERE s.uri IS NOT NULL GROUP BY s.uri
     HAVING max(s.tagged) = 1 OR EXISTS (SELECT 1 FROM main.posts p
         JOIN main.story_posts sp ON sp.tag = ?1 AND sp.post_id = p.id WHERE p.uri = s.uri)";

/// SQL that is true when the post at URI `$uri` is not a seed: neither a staged seed nor a
/// post of the story (`?1`). Each a lookup by an index, never a scan of the story.
macro_rules! not_seed {
    ($uri:literal) => {
        concat!(
            "(NOT EXISTS (SELECT 1 FROM story_selected WHERE uri = ",
            $uri,
            ") AND NOT EXISTS (SELECT 1 FROM main.posts p JOIN main.story_posts sp",
            " ON sp.tag = ?1 AND sp.post_id = p.id WHERE p.uri = ",
            $uri,
            "))"
        )
    };
}

/// The next batch of a source's staged rows, read from `$from` (aliased `st`, the staged rows
/// or a sorted copy of them, `order.rs`) where `$tagged` says whether each was selected
/// (NULL: not) and `$key` is where the next batch starts. Both orders read the same columns,
/// by position, and the same parameters: `?1` the source, `?2` the key to start after, `?3`
/// the batch's size, then `?4` to `?6` below.
///
/// A post outside the story comes without its body (the item and its three large strings),
/// with the author it was staged with, by which it is counted as refused when its author
/// refuses archiving. (A sixth of a first collect's posts, in the benchmark corpus, are outside
/// the story; their bodies were read back and parsed for nothing.) A known post comes with its
/// place in the story of `?5`, which spared a statement per post of a second collect, and its
/// author only when some author refuses (`?4`). Whether it still exists is asked of the index
/// of `records` by post when there is one (`?6`; a post's records go with it): a post's row
/// is a few KB, and reading it in the order of the source was a page read per post once
/// `posts` outgrew the cache (227,000 of a second collect of 300k statuses). Each is asked
/// only when needed: a `LEFT JOIN` looked the author up even when `?4` was false.
macro_rules! next_batch {
    ($from:literal, $tagged:literal, $key:literal, $where:literal) => {
        concat!(
            "SELECT st.seq, CASE WHEN ",
            $tagged,
            " IS NOT NULL OR st.uri IS NULL OR st.withheld THEN st.body_at END,
             st.body_len, st.parent, ",
            $tagged,
            ", st.known,
             CASE WHEN ?4 AND st.known IS NOT NULL THEN (SELECT a.uri FROM main.posts p
                 JOIN main.authors a ON a.id = p.author_id WHERE p.id = st.known) END,
             st.record, st.text_tags, st.uri, st.local_server, st.local_id,
             CASE WHEN st.known IS NULL THEN 0
                 WHEN ?6 AND EXISTS (SELECT 1 FROM main.records r WHERE r.post_id = st.known)
                 THEN 0
                 ELSE NOT EXISTS (SELECT 1 FROM main.posts p WHERE p.id = st.known) END,
             CASE WHEN st.known IS NOT NULL THEN (SELECT sp.reason FROM main.story_posts sp
                 WHERE sp.tag = ?5 AND sp.post_id = st.known) END,
             st.passed, st.author, ",
            $key,
            ", st.alone FROM ",
            $from,
            " WHERE ",
            $where
        )
    };
}

/// Where the bodies of the same batch as [`next_batch!`]'s (same arguments, parameters `?1`
/// to `?3`) are, for the rows that will read one (see [`prefetch`]), with the batch's key.
macro_rules! body_places {
    ($from:literal, $tagged:literal, $key:literal, $where:literal) => {
        concat!(
            "SELECT CASE WHEN (",
            $tagged,
            " IS NOT NULL OR st.uri IS NULL OR st.withheld) AND st.known IS NULL
             THEN st.body_at END, st.body_len, ",
            $key,
            " FROM ",
            $from,
            " WHERE ",
            $where
        )
    };
}

/// `$batch` ([`next_batch!`] or [`body_places!`]) over a source's staged rows in the order
/// they were staged.
macro_rules! in_staged_order {
    ($batch:ident) => {
        $batch!(
            "staged st LEFT JOIN selected_rows sel ON sel.seq = st.seq",
            "sel.tagged",
            "st.seq",
            "st.source = ?1 AND st.seq > ?2 ORDER BY st.seq LIMIT ?3"
        )
    };
}

/// The staged rows of a source in the order they were staged.
const SQL_NEXT_BATCH: &str = in_staged_order!(next_batch);
const SQL_NEXT_PLACES: &str = in_staged_order!(body_places);

/// The staged rows of the selected posts, every copy of each: `story_selected` and the URI
/// index are both read in URI order.
const SQL_SELECTED_ROWS: &str = "INSERT INTO selected_rows (seq, tagged)
     SELECT s.seq, sel.tagged FROM story_selected sel JOIN staged s ON s.uri = sel.uri";

const SQL_CONSENT_SIGNALS: &str =
    "SELECT author_uri, max(refuses), max(noindex) FROM staged_consent
     WHERE author_uri IN (SELECT author_uri FROM staged_consent WHERE source = ?1)
     GROUP BY author_uri ORDER BY author_uri";

const SQL_REFUSES: &str = "SELECT coalesce(
         (SELECT max(refuses) FROM staged_consent WHERE author_uri = ?1),
         (SELECT refuses FROM main.author_consent WHERE author_uri = ?1), 0)";

/// Whether any author refuses archiving, in this run's profiles or the archive's record: when
/// none does, as in most collects, no author needs looking up (3% of a 1M-post collect did).
pub(super) const SQL_ANY_REFUSAL: &str =
    "SELECT EXISTS (SELECT 1 FROM staged_consent WHERE refuses)
     OR EXISTS (SELECT 1 FROM main.author_consent WHERE refuses)";

const SQL_WITHHELD: &str = "SELECT 1 FROM staged WHERE uri = ?1 AND withheld = 1";

#[cfg(test)]
/// Every statement of the staging side of a collect that runs more than once per source
/// (per post, per batch or per reply), for the query-plan test.
pub(super) const PER_ROW_QUERIES: &[&str] = &[
    SQL_PENDING_LOCAL,
    SQL_STAGE_ITEM,
    SQL_STAGE_CONSENT,
    SQL_STAGED_LOCAL,
    SQL_ARCHIVED_LOCAL,
    SQL_SET_PARENT,
    SQL_NEXT_BATCH,
    SQL_REFUSES,
    SQL_WITHHELD,
    order::PER_ROW_QUERIES[0],
    order::PER_ROW_QUERIES[1],
    order::PER_ROW_QUERIES[2],
    order::PER_ROW_QUERIES[3],
    SQL_NEXT_PLACES,
];

#[cfg(test)]
/// Statements that run once per source or run, reading the staged table once.
pub(super) const ONCE_QUERIES: &[&str] = &[
    SQL_SEEDS,
    walk::SQL_STARTS_BELOW,
    walk::SQL_STARTS_ABOVE,
    walk::SQL_STARTS_ABOVE_ARCHIVED,
    walk::SQL_STARTS_ABOVE_FROM_OUTSIDE,
    walk::SQL_STARTS_BELOW_FROM_OUTSIDE,
    walk::SQL_RING,
    walk::SQL_STEP,
    walk::SQL_FINISH,
    walk::SQL_SELECT_REACHED,
    SQL_SELECTED_ROWS,
    SQL_CONSENT_SIGNALS,
    order::ONCE_QUERIES[0],
    order::ONCE_QUERIES[1],
    order::ONCE_QUERIES[2],
    order::ONCE_QUERIES[3],
];

#[cfg(test)]
/// The staging tables and their indexes, for the query-plan test.
pub(super) fn create_for_test(conn: &Connection) -> Result<()> {
    conn.execute_batch("ATTACH DATABASE '' AS stage")?;
    conn.execute_batch(CREATE)?;
    conn.execute_batch(walk::CREATE)?;
    conn.execute_batch(order::CREATE)?;
    conn.execute_batch(super::events::CREATE_NEW_LOCAL_IDS)?;
    conn.execute_batch(INDEX_LOCAL)?;
    conn.execute_batch(INDEX_GRAPH)?;
    Ok(())
}

/// Decides membership in one transaction of the staging tables (a savepoint inside a writer's
/// transaction): row by row in autocommit, resolving local parents committed once per reply,
/// 30% of a collect of Mastodon statuses (issue 10).
fn decide(conn: &Connection, tag: &str) -> Result<()> {
    conn.execute_batch("SAVEPOINT decide")?;
    match decide_in(conn, tag) {
        Ok(()) => conn.execute_batch("RELEASE decide")?,
        Err(e) => {
            conn.execute_batch("ROLLBACK TO decide; RELEASE decide")?;
            return Err(e);
        }
    }
    Ok(())
}

fn decide_in(conn: &Connection, tag: &str) -> Result<()> {
    resolve_local_parents(conn)?;
    super::with_small_sorter(conn, |conn| conn.execute_batch(INDEX_GRAPH))?;
    conn.execute_batch("DELETE FROM story_selected; DELETE FROM selected_rows")?;
    let seeds = conn.execute(SQL_SEEDS, [tag])?;
    // The walk probes the staging indexes at random, and a page cache full of the pages the
    // steps above wrote keeps no page it reads: SQLite writes a dirty page out only when no
    // clean one is left to reuse, so within a transaction that has filled the cache every
    // read takes the place of the last one. Written out now, the pages stay as clean ones the
    // walk can reuse (page reads of the walk, 100k Mastodon statuses: 169,000 -> 20,000;
    // issue 10).
    conn.cache_flush()?;
    super::with_small_sorter(conn, |conn| walk::walk(conn, tag, seeds))?;
    conn.execute(SQL_SELECTED_ROWS, [])?;
    Ok(())
}

/// Gives a parent URI to every staged reply that named its parent by a server-local id, from
/// the run's own posts or the archive's `local_ids`.
/// In batches: holding every waiting reply at once took a first collect of a million Mastodon
/// statuses from 56 to 133 MB at its peak (issue 10).
fn resolve_local_parents(conn: &Connection) -> Result<()> {
    let mut after = -1;
    loop {
        let pending: Vec<(i64, LocalId)> = conn
            .prepare_cached(SQL_PENDING_LOCAL)?
            .query_map(params![after, BATCH], |r| {
                Ok((
                    r.get(0)?,
                    LocalId {
                        server: r.get(1)?,
                        id: r.get(2)?,
                    },
                ))
            })?
            .collect::<Result<_, _>>()?;
        let Some(&(last, _)) = pending.last() else {
            return Ok(());
        };
        after = last;
        let mut set = conn.prepare_cached(SQL_SET_PARENT)?;
        for (seq, local) in pending {
            if let Some(uri) = resolve_local(conn, &local)? {
                set.execute(params![seq, uri])?;
            }
        }
    }
}

fn resolve_local(conn: &Connection, local: &LocalId) -> Result<Option<String>> {
    let mut staged: Vec<(i64, String, String)> = conn
        .prepare_cached(SQL_STAGED_LOCAL)?
        .query_map((&local.server, &local.id), |r| {
            Ok((r.get(2)?, r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    // The first staged first. A handful of rows, put in order here: an `ORDER BY` had SQLite
    // set up a sorter for every reply: a quarter of deciding 100k Mastodon statuses (issue 10).
    staged.sort_unstable_by_key(|(seq, ..)| *seq);
    let staged = staged.into_iter().map(|(_, server, uri)| (server, uri));
    if let Some(uri) = pick_local_match(local, staged.collect()) {
        return Ok(Some(uri));
    }
    let archived = conn
        .prepare_cached(SQL_ARCHIVED_LOCAL)?
        .query_map((&local.server, &local.id), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(pick_local_match(local, archived))
}

/// The item staged as `encoded` ([`StagedItem::new`]), with a post's three large strings
/// put back.
fn read_back(body: Body) -> Result<Item> {
    let mut item: Item =
        postcard::from_bytes(&body.encoded).context("cannot read back a staged item")?;
    if let Item::Post(post) = &mut item {
        post.text = body.text;
        post.content_html = body.html;
        post.source_json = body.source_json;
    }
    Ok(item)
}

impl SourceWriter<'_> {
    /// Decides membership again when another collect committed since `selected_at` (the data
    /// version it was decided at): this transaction holds the write lock, so nothing changes
    /// under it, and a post whose parent that collect just stored is kept as it would be in a
    /// run after it.
    pub fn refresh_membership(&mut self, selected_at: &mut i64) -> Result<()> {
        let version = super::data_version(self.tx)?;
        if version != *selected_at {
            decide(self.tx, &self.tag)?;
            *selected_at = version;
        }
        Ok(())
    }

    /// What the profiles this writer's staged source showed say about consent, merged over
    /// every source of the run (a refusal anywhere in the run holds): `(author URI, refuses,
    /// noindex)`.
    pub fn staged_consent(&self) -> Result<Vec<(String, bool, bool)>> {
        let mut stmt = self.tx.prepare_cached(SQL_CONSENT_SIGNALS)?;
        let rows = stmt.query_map([self.staged_source], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The next batch of this writer's staged items, in the order chosen for them
    /// ([`SourceWriter::choose_order`]), with their sequence numbers; empty at the end.
    pub fn next_staged(&mut self) -> Result<Vec<(i64, Staged)>> {
        let bodies = super::write::probe_once(self.tx, &mut self.any_refusal, SQL_ANY_REFUSAL)?;
        let (sql, places) = if self.by_uri {
            (order::SQL_NEXT_BATCH, order::SQL_NEXT_PLACES)
        } else {
            (SQL_NEXT_BATCH, SQL_NEXT_PLACES)
        };
        self.ask_ahead(places)?;
        let mut stmt = self.tx.prepare_cached(sql)?;
        let mut rows = stmt.query(params![
            self.staged_source,
            self.cursor,
            BATCH,
            bodies,
            self.tag,
            !self.deferred("records_post"),
        ])?;
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(r) = rows.next()? {
            let body: Option<(u64, u64)> = r.get::<_, Option<u64>>(1)?.zip(r.get(2)?);
            let entry = match (r.get::<_, Option<i64>>(5)?, body) {
                (Some(id), _) => Entry::Known(KnownPost {
                    id,
                    deleted: r.get(12)?,
                    author_uri: r.get(6)?,
                    in_story: r.get(13)?,
                }),
                (None, None) => {
                    if r.get(14)? && r.get::<_, Option<bool>>(4)?.is_some() {
                        // Selected since the run read it: a concurrent collect joined it.
                        return Err(NeedsReading.into());
                    }
                    let server: Option<String> = r.get(10)?;
                    let id: Option<String> = r.get(11)?;
                    Entry::Unselected(UnselectedPost {
                        uri: r.get(9)?,
                        local: server.zip(id).map(|(server, id)| LocalId { server, id }),
                        author: r.get(15)?,
                    })
                }
                (None, Some(place)) => {
                    let item = match self.prefetch.as_mut().and_then(|p| p.take(place)) {
                        Some(item) => item?,
                        None => {
                            let bodies = self.bodies.as_mut().context("no staged bodies")?;
                            read_back(bodies.read(place)?)?
                        }
                    };
                    Entry::Item(item)
                }
            };
            batch.push((
                r.get(0)?,
                Staged {
                    entry,
                    parent: r.get(3)?,
                    selected: r.get(4)?,
                    record: r
                        .get::<_, Option<Vec<u8>>>(7)?
                        .and_then(|hash| Fingerprint::try_from(hash.as_slice()).ok())
                        .map(|print| Ok::<_, rusqlite::Error>((print, r.get(8)?)))
                        .transpose()?,
                    passed: r.get(14)?,
                    alone: r.get(17)?,
                },
            ));
            self.cursor = r.get(16)?;
        }
        Ok(batch)
    }

    /// Gives back a batch of [`SourceWriter::next_staged`] once written, to be freed where
    /// its bodies were decoded (`staging/prefetch.rs`).
    pub fn written(&mut self, batch: Vec<(i64, Staged)>) {
        if let Some(prefetch) = &mut self.prefetch {
            prefetch.discard(batch);
        }
    }

    /// Asks for the bodies of the batches up to the one after the next (`places`, the query
    /// of the order being written; see [`prefetch`]).
    fn ask_ahead(&mut self, places: &str) -> Result<()> {
        if self.prefetch.is_none() {
            let Some(bodies) = self.bodies.as_mut() else {
                return Ok(());
            };
            self.prefetch = Some(Prefetch::start(bodies.reader()?)?);
        }
        let mut stmt = self.tx.prepare_cached(places)?;
        while let (Some(after), Some(prefetch)) = (self.asked_to, self.prefetch.as_mut())
            && prefetch.in_flight() < 2
        {
            let mut rows = stmt.query(params![self.staged_source, after, BATCH])?;
            let mut asked = Vec::new();
            let mut last = None;
            while let Some(r) = rows.next()? {
                if let (Some(at), Some(len)) = (r.get(0)?, r.get(1)?) {
                    asked.push((at, len));
                }
                last = Some(r.get(2)?);
            }
            self.asked_to = last;
            if last.is_some() {
                // Asked for even when empty: the batches ahead stay two, not two with bodies.
                prefetch.ask(asked);
            }
        }
        Ok(())
    }

    /// Whether the author at `author_uri` refuses archiving: as this run's profiles say, else
    /// as the archive recorded from earlier runs.
    pub fn refuses(&mut self, author_uri: &str) -> Result<bool> {
        if !super::write::probe_once(self.tx, &mut self.any_refusal, SQL_ANY_REFUSAL)? {
            return Ok(false);
        }
        if let Some(&refuses) = self.refusals.get(author_uri) {
            return Ok(refuses);
        }
        let refuses = self
            .tx
            .prepare_cached(SQL_REFUSES)?
            .query_row([author_uri], |r| r.get(0))?;
        if self.refusals.len() >= REFUSALS_CACHED {
            self.refusals.clear();
        }
        self.refusals.insert(author_uri.to_string(), refuses);
        Ok(refuses)
    }

    /// Whether the post at `uri` was read in this run but must not be stored.
    pub fn is_withheld(&self, uri: &str) -> Result<bool> {
        Ok(self.tx.prepare_cached(SQL_WITHHELD)?.exists([uri])?)
    }
}

mod bodies;
pub(super) mod order;
mod prefetch;
#[cfg(test)]
mod tests;
pub(super) mod walk;
