//! The archive: one SQLite file holding every collected post, author, boost, deletion and
//! source, which posts make up the story of each tag, and the archived bytes of their media.
//!
//! # Compatibility
//! An archive must still open in ten years. The schema is versioned with `PRAGMA user_version`:
//! a new archive gets `schema.sql` (always the current schema) whole, and an older archive runs
//! the upgrade steps it misses from `UPGRADES`, which are only ever appended. Either way it
//! happens in one exclusive transaction, so an interrupted upgrade leaves the old version
//! intact. An archive newer than this binary is refused rather than guessed at.
//!
//! # Writing
//! Each source is written in one transaction through [`SourceWriter`]; nothing is visible until it
//! commits, so a failed source leaves what was collected before untouched.

mod catalog;
mod curator;
mod cursors;
mod events;
mod media;
mod read;
mod write;

pub use catalog::{SearchHit, StorySummary};
pub use curator::{PostMatch, StoredCurator, StoredNote, StoredSource};
pub use cursors::{Cursor, Refetch};
pub use media::{ArchivedMedia, MediaUse, PutMediaOutcome, StoryMediaUrl, sha256_hex};
pub use read::{StoredCuration, StoredMedia, StoredPost, StoredRevision};
pub use write::{PostOutcome, Reason, SourceCounts, SourceWriter};

use std::path::Path;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, TransactionBehavior};

use crate::model::LocalId;

/// The current schema, for new archives.
const SCHEMA: &str = include_str!("../../schema.sql");

/// Upgrade steps: `UPGRADES[n]` takes an archive from version `n + 1` to `n + 2`.
const UPGRADES: &[&str] = &[
    include_str!("upgrades/v2.sql"),
    include_str!("upgrades/v3.sql"),
    include_str!("upgrades/v4.sql"),
    include_str!("upgrades/v5.sql"),
    include_str!("upgrades/v6.sql"),
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: usize = UPGRADES.len() + 1;

/// An open archive.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the archive at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open archive `{}`", path.display()))?;
        Self::setup(conn).with_context(|| format!("cannot use archive `{}`", path.display()))
    }

    /// Opens a private in-memory archive (for tests).
    pub fn open_in_memory() -> Result<Store> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // WAL keeps readers (render) working while a collect writes; memory DBs ignore it.
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        migrate(&mut conn)?;
        Ok(Store { conn })
    }

    /// The schema version of the open archive.
    pub fn schema_version(&self) -> Result<usize> {
        Ok(user_version(&self.conn)?)
    }

    /// Starts writing one source; nothing is stored until [`SourceWriter::commit`].
    pub fn begin_source(
        &mut self,
        format: &str,
        location: &str,
        tag: &str,
    ) -> Result<SourceWriter<'_>> {
        SourceWriter::begin(&mut self.conn, format, location, tag)
    }

    /// The URI of the post a server knows by `local`, if any source has told us. When either
    /// side's server could not be told (`""`), an id that only one post has still matches.
    pub fn resolve_local_id(&self, local: &LocalId) -> Result<Option<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT server, post_uri FROM local_ids
             WHERE local_id = ?2 AND (server = ?1 OR server = '' OR ?1 = '')",
        )?;
        let rows = stmt.query_map((&local.server, &local.id), |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let candidates: Vec<(String, String)> = rows.collect::<Result<_, _>>()?;
        Ok(pick_local_match(local, candidates))
    }

    /// `(uri, parent uri)` of every post in the story of `tag`: the reply trees new posts may
    /// join.
    pub fn story_links(&self, tag: &str) -> Result<Vec<(String, Option<String>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.uri, p.in_reply_to_uri FROM story_posts s JOIN posts p ON p.id = s.post_id
             WHERE s.tag = ?1",
        )?;
        let rows = stmt.query_map([tag], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The underlying connection, for read-only queries in tests and tools.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// The exact `(server, id)` match if there is one, else the only post among `candidates`
/// (same id, one side's server unknown).
pub fn pick_local_match(local: &LocalId, candidates: Vec<(String, String)>) -> Option<String> {
    if let Some((_, uri)) = candidates
        .iter()
        .find(|(server, _)| *server == local.server)
    {
        return Some(uri.clone());
    }
    let mut uris = candidates.into_iter().map(|(_, uri)| uri);
    let first = uris.next()?;
    uris.all(|u| u == first).then_some(first)
}

fn user_version(conn: &Connection) -> rusqlite::Result<usize> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    let version = user_version(&tx)?;
    if version > SCHEMA_VERSION {
        bail!(
            "the archive has schema version {version} but this tagstory only knows up to \
             {SCHEMA_VERSION}; use a newer tagstory"
        );
    }
    if version == 0 {
        tx.execute_batch(SCHEMA)
            .context("cannot create the archive's tables")?;
    } else {
        for (step, sql) in UPGRADES.iter().enumerate().skip(version - 1) {
            tx.execute_batch(sql).with_context(|| {
                format!("cannot upgrade the archive to schema version {}", step + 2)
            })?;
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Current time in the archive's text format.
pub(crate) fn now_text() -> String {
    time_text(&chrono::Utc::now())
}

/// A time in the archive's text format: RFC 3339, UTC, milliseconds, `Z`.
pub fn time_text(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests;
