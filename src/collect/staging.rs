//! Staging: every item of a run's sources is parked in temporary tables (on disk, not in
//! memory) while the sources are read, so that story membership can be decided over all of them
//! and the archived story at once, however large the inputs are.
//!
//! The tables live in SQLite's `temp` schema of the archive's own connection: they vanish when
//! the run ends and are never part of the archive.
//!
//! # Consent
//! A post whose author refuses archiving, or that `tagstory forget` removed, is decided here,
//! before anything of it is staged: only its place in the reply graph is (its URI, parent and
//! local id, so that replies to it keep theirs), with a [`SkipReason`] in place of the post.
//! What each source's profiles say about consent is staged too (`staged_consent`), so that a
//! refusal read anywhere in the run holds for every source of it, whichever comes first.
//! Boosts and profiles of forgotten people are not staged at all, and forgotten people
//! mentioned in other posts are scrubbed from them before staging ([`crate::forget`]).

use anyhow::{Context, Result};
use rusqlite::{Connection, params};

use crate::forget::Forgotten;
use crate::model::{Author, Curated, Item, LocalId, Skip, SkipReason};
use crate::sources::{ItemSink, Warning};
use crate::store::pick_local_match;

use super::membership::is_tagged;

/// How many staged items are read back at a time when writing a source.
const BATCH: usize = 500;

const CREATE: &str = "
    PRAGMA temp_store = FILE;
    CREATE TEMP TABLE IF NOT EXISTS staged (
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
        item          TEXT NOT NULL       -- the Item as JSON
    );
    CREATE TEMP TABLE IF NOT EXISTS staged_consent (
        source      INTEGER NOT NULL,
        author_uri  TEXT NOT NULL,
        refuses     INTEGER NOT NULL,
        noindex     INTEGER NOT NULL,
        PRIMARY KEY (source, author_uri)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS temp.staged_consent_author ON staged_consent(author_uri);
    CREATE INDEX IF NOT EXISTS temp.staged_uri ON staged(uri);
    CREATE INDEX IF NOT EXISTS temp.staged_local ON staged(local_id);
    CREATE TEMP TABLE IF NOT EXISTS story_edges (child TEXT NOT NULL, parent TEXT NOT NULL);
    CREATE TEMP TABLE IF NOT EXISTS story_selected (uri TEXT PRIMARY KEY, tagged INTEGER NOT NULL)
        WITHOUT ROWID;
";

/// Prepares empty staging tables on `conn`.
pub(super) fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(CREATE)?;
    conn.execute_batch(
        "DELETE FROM staged; DELETE FROM story_edges; DELETE FROM story_selected;
         DELETE FROM staged_consent;",
    )?;
    Ok(())
}

/// Drops the staging tables.
pub(super) fn drop_all(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.staged; DROP TABLE IF EXISTS temp.story_edges;
         DROP TABLE IF EXISTS temp.story_selected; DROP TABLE IF EXISTS temp.staged_consent;",
    )?;
    Ok(())
}

/// An [`ItemSink`] that stages one source's items. Warnings (skipped records) and notes (parts
/// of records left out) are counted apart, and the first [`StagingSink::KEPT_WARNINGS`] of each
/// kept with their position.
pub(super) struct StagingSink<'c> {
    conn: &'c Connection,
    source: usize,
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
}

impl<'c> StagingSink<'c> {
    /// Warnings (and notes) kept in full; beyond this only the count grows.
    pub(super) const KEPT_WARNINGS: usize = 200;
    /// Distinct hashtags counted.
    pub(super) const KEPT_TAGS: usize = 10_000;

    pub(super) fn new(
        conn: &'c Connection,
        source: usize,
        tag: &'c str,
        forgotten: &'c Forgotten,
    ) -> Self {
        StagingSink {
            conn,
            source,
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
        }
    }

    /// Records a problem at `pointer` (already including its position).
    pub(super) fn warn(&mut self, pointer: String, message: String) {
        self.warning_count += 1;
        if self.warnings.len() < Self::KEPT_WARNINGS {
            self.warnings.push(Warning { pointer, message });
        }
    }

    /// Stages `item`; a post that must not be stored (`withheld`) leaves only its place in
    /// the reply graph and the reason.
    fn stage(&mut self, item: &Item, withheld: Option<SkipReason>) -> Result<()> {
        let json = match withheld {
            Some(reason) => serde_json::to_string(&Item::Skipped(Skip { uri: None, reason })),
            None => serde_json::to_string(item),
        }
        .context("cannot stage an item")?;
        let (mut uri, mut parent, mut local, mut parent_local, mut tagged) =
            (None, None, None, None, false);
        if let Item::Post(post) = item {
            uri = Some(post.uri.as_str());
            parent = post.in_reply_to.as_deref();
            local = post.local_id.as_ref();
            parent_local = post.in_reply_to_local.as_ref();
            tagged = self.curated || is_tagged(post, self.tag);
            if withheld.is_some() {
                // A forgotten post lends replies no parent by local id: that would store its
                // URI in them again, unscrubbed.
                if withheld == Some(SkipReason::Forgotten) {
                    local = None;
                }
                return self.insert(uri, parent, local, parent_local, tagged, true, &json);
            }
            let tags = if post.has_structured_tags {
                post.tags.clone()
            } else {
                crate::tag::hashtags_in_text(&post.text)
            };
            for t in tags {
                let known = self.tags_seen.len() < Self::KEPT_TAGS;
                if let Some(n) = self.tags_seen.get_mut(&t) {
                    *n += 1;
                } else if known {
                    self.tags_seen.insert(t, 1);
                }
            }
        }
        if let Item::Story(_) = item {
            self.curated = true;
        }
        self.insert(uri, parent, local, parent_local, tagged, false, &json)
    }

    #[allow(clippy::too_many_arguments)]
    fn insert(
        &self,
        uri: Option<&str>,
        parent: Option<&str>,
        local: Option<&LocalId>,
        parent_local: Option<&LocalId>,
        tagged: bool,
        withheld: bool,
        json: &str,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO staged (source, uri, parent, local_server, local_id, parent_server,
                 parent_local, tagged, withheld, item)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                self.source,
                uri,
                parent,
                local.map(|l| &l.server),
                local.map(|l| &l.id),
                parent_local.map(|l| &l.server),
                parent_local.map(|l| &l.id),
                tagged,
                withheld,
                json
            ])?;
        Ok(())
    }

    /// Remembers what `author`'s profile says, when it says anything.
    fn note_consent(&self, author: &Author) -> Result<()> {
        let c = author.consent;
        if !(c.from_profile || c.refuses || c.noindex) || author.uri.is_empty() {
            return Ok(());
        }
        self.conn
            .prepare_cached(
                "INSERT INTO staged_consent (source, author_uri, refuses, noindex)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (source, author_uri) DO UPDATE SET
                     refuses = max(refuses, excluded.refuses),
                     noindex = max(noindex, excluded.noindex)",
            )?
            .execute(params![self.source, author.uri, c.refuses, c.noindex])?;
        Ok(())
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
                self.note_consent(&post.author)?;
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
                self.note_consent(author)?;
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
            Item::Skipped(_) | Item::Story(_) | Item::Curated(_) => {}
        }
        Ok(Some(None))
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
        let staged = match self.admit(&mut item) {
            Ok(Some(withheld)) => self.stage(&item, withheld),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = staged {
            self.failure = Some(e);
        }
    }

    fn warning(&mut self, pointer: String, message: String) {
        let at = format!("{}{pointer}", self.position);
        self.warn(at, message);
    }

    fn note(&mut self, pointer: String, message: String) {
        self.note_count += 1;
        if self.notes.len() < Self::KEPT_WARNINGS {
            let pointer = format!("{}{pointer}", self.position);
            self.notes.push(Warning { pointer, message });
        }
    }
}

/// Forgets what one source staged (it failed).
pub(super) fn discard_source(conn: &Connection, source: usize) -> Result<()> {
    conn.execute("DELETE FROM staged WHERE source = ?1", [source])?;
    Ok(())
}

/// Gives a parent URI to every staged reply that named its parent by a server-local id, from
/// the run's own posts or the archive's `local_ids`.
pub(super) fn resolve_local_parents(conn: &Connection) -> Result<()> {
    let pending: Vec<(i64, LocalId)> = conn
        .prepare(
            "SELECT seq, parent_server, parent_local FROM staged
             WHERE parent IS NULL AND parent_local IS NOT NULL",
        )?
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                LocalId {
                    server: r.get(1)?,
                    id: r.get(2)?,
                },
            ))
        })?
        .collect::<Result<_, _>>()?;
    for (seq, local) in pending {
        if let Some(uri) = resolve_local(conn, &local)? {
            conn.prepare_cached("UPDATE staged SET parent = ?2 WHERE seq = ?1")?
                .execute(params![seq, uri])?;
        }
    }
    Ok(())
}

fn resolve_local(conn: &Connection, local: &LocalId) -> Result<Option<String>> {
    let candidates = |sql: &str| -> Result<Vec<(String, String)>> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map((&local.server, &local.id), |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let staged = candidates(
        "SELECT DISTINCT local_server, uri FROM staged
         WHERE local_id = ?2 AND (local_server = ?1 OR local_server = '' OR ?1 = '')",
    )?;
    if let Some(uri) = pick_local_match(local, staged) {
        return Ok(Some(uri));
    }
    let archived = candidates(
        "SELECT server, post_uri FROM local_ids
         WHERE local_id = ?2 AND (server = ?1 OR server = '' OR ?1 = '')",
    )?;
    Ok(pick_local_match(local, archived))
}

/// Decides membership: a staged post is in the story of `tag` when its reply tree — through
/// staged and archived reply links, in either direction — holds a tagged post or a post
/// already in the story.
pub(super) fn select(conn: &Connection, tag: &str) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM story_edges; DELETE FROM story_selected;
         DROP INDEX IF EXISTS temp.story_edges_child; DROP INDEX IF EXISTS temp.story_edges_parent;",
    )?;
    conn.execute(
        "INSERT INTO story_edges (child, parent)
         SELECT uri, parent FROM staged WHERE uri IS NOT NULL AND parent IS NOT NULL
         UNION
         SELECT p.uri, p.in_reply_to_uri FROM story_posts s JOIN posts p ON p.id = s.post_id
         WHERE s.tag = ?1 AND p.in_reply_to_uri IS NOT NULL",
        [tag],
    )?;
    conn.execute_batch(
        "CREATE INDEX temp.story_edges_child ON story_edges(child);
         CREATE INDEX temp.story_edges_parent ON story_edges(parent);",
    )?;
    conn.execute(
        "WITH RECURSIVE
           seed(uri) AS (
             SELECT uri FROM staged WHERE tagged = 1
             UNION SELECT p.uri FROM story_posts s JOIN posts p ON p.id = s.post_id WHERE s.tag = ?1),
           reach(uri) AS (
             SELECT uri FROM seed
             UNION SELECT e.parent FROM story_edges e JOIN reach r ON e.child = r.uri
             UNION SELECT e.child FROM story_edges e JOIN reach r ON e.parent = r.uri)
         INSERT INTO story_selected (uri, tagged)
         SELECT r.uri, coalesce((SELECT max(tagged) FROM staged s WHERE s.uri = r.uri), 0)
         FROM reach r WHERE EXISTS (SELECT 1 FROM staged s WHERE s.uri = r.uri)",
        [tag],
    )?;
    Ok(())
}

/// A staged item read back: the item, its resolved parent and whether it was selected (and
/// tagged).
pub(super) struct Staged {
    pub(super) item: Item,
    pub(super) parent: Option<String>,
    pub(super) selected: Option<bool>,
}

/// The next batch of `source`'s staged items after sequence number `after`, in order.
pub(super) fn next_batch(
    conn: &Connection,
    source: usize,
    after: i64,
) -> Result<Vec<(i64, Staged)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT st.seq, st.item, st.parent, sel.tagged FROM staged st
         LEFT JOIN story_selected sel ON sel.uri = st.uri
         WHERE st.source = ?1 AND st.seq > ?2 ORDER BY st.seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![source, after, BATCH], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get(2)?,
            r.get::<_, Option<bool>>(3)?,
        ))
    })?;
    let mut batch = Vec::with_capacity(BATCH);
    for row in rows {
        let (seq, json, parent, selected) = row?;
        let item: Item = serde_json::from_str(&json).context("cannot read back a staged item")?;
        batch.push((
            seq,
            Staged {
                item,
                parent,
                selected,
            },
        ));
    }
    Ok(batch)
}

/// What the profiles `source` showed say about consent, merged over every source of the run
/// (a refusal anywhere in the run holds): `(author URI, refuses, noindex)`.
pub(super) fn consent_signals(
    conn: &Connection,
    source: usize,
) -> Result<Vec<(String, bool, bool)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT author_uri, max(refuses), max(noindex) FROM staged_consent
         WHERE author_uri IN (SELECT author_uri FROM staged_consent WHERE source = ?1)
         GROUP BY author_uri ORDER BY author_uri",
    )?;
    let rows = stmt.query_map([source], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether the author at `author_uri` refuses archiving: as this run's profiles say, else as
/// the archive recorded from earlier runs.
pub(super) fn refuses(conn: &Connection, author_uri: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(
                 (SELECT max(refuses) FROM staged_consent WHERE author_uri = ?1),
                 (SELECT refuses FROM main.author_consent WHERE author_uri = ?1), 0)",
        )?
        .query_row([author_uri], |r| r.get(0))?)
}

/// Whether the post at `uri` was read in this run but must not be stored.
pub(super) fn is_withheld(conn: &Connection, uri: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM staged WHERE uri = ?1 AND withheld = 1")?
        .exists([uri])?)
}
