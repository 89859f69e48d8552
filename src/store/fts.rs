//! The full-text index of a source's new posts, filled in bulk.
//!
//! `posts_fts` is an external-content FTS5 table kept in step with `posts` by triggers
//! (`schema.sql`). Row by row, the insert trigger was the largest single cost of a collect
//! (issue 10: FTS5 flushes its pending terms at every statement and a statement journal spills
//! them), so while a writer inserts posts the insert trigger is set aside and the new rows are
//! indexed with one `INSERT … SELECT` at commit. The trigger is put back, exactly as the
//! archive stored it, in the same transaction: another connection never sees the archive
//! without it, and a writer that fails rolls both back.
//!
//! # Exactness
//! The update and delete triggers stay. They remove a row's old terms from the index, so a new
//! row that is changed or deleted before commit is indexed first ([`Deferred::before_change`]).
//! A new row gets `max(id) + 1`, so every row at or above the lowest id inserted meanwhile is
//! new. A test checks the index against a rebuilt one (`tests::bulk_fts_is_exact`).

use std::collections::BTreeSet;

use anyhow::Result;
use rusqlite::{Connection, OptionalExtension};

const TRIGGER: &str = "posts_fts_insert";

const SQL_INDEX_ONE: &str = "INSERT INTO posts_fts(rowid, text, spoiler_text)
     SELECT id, text, spoiler_text FROM posts WHERE id = ?1";
const SQL_INDEX_RANGE: &str = "INSERT INTO posts_fts(rowid, text, spoiler_text)
     SELECT id, text, spoiler_text FROM posts WHERE id >= ?1 AND id < ?2";

/// A writer's deferred indexing.
#[derive(Debug, Default)]
pub(crate) struct Deferred {
    /// The insert trigger's SQL while it is set aside.
    trigger: Option<String>,
    /// The lowest id inserted while it was.
    from: Option<i64>,
    /// New rows indexed already (changed before commit).
    indexed: BTreeSet<i64>,
    /// The archive has no insert trigger to set aside (nothing to do).
    unavailable: bool,
}

impl Deferred {
    /// Sets the insert trigger aside before the first new post.
    pub(crate) fn before_insert(&mut self, conn: &Connection) -> Result<()> {
        if self.trigger.is_some() || self.unavailable {
            return Ok(());
        }
        let sql: Option<String> = conn
            .query_row(
                "SELECT sql FROM main.sqlite_schema WHERE type = 'trigger' AND name = ?1",
                [TRIGGER],
                |r| r.get(0),
            )
            .optional()?;
        let Some(sql) = sql else {
            self.unavailable = true;
            return Ok(());
        };
        conn.execute_batch(&format!("DROP TRIGGER main.{TRIGGER}"))?;
        self.trigger = Some(sql);
        Ok(())
    }

    /// Notes a post inserted with id `id`.
    pub(crate) fn inserted(&mut self, id: i64) {
        if self.trigger.is_some() {
            self.from = Some(self.from.map_or(id, |from| from.min(id)));
        }
    }

    /// Indexes the new row `id` before it is changed or deleted, so that the triggers find
    /// what they remove.
    pub(crate) fn before_change(&mut self, conn: &Connection, id: i64) -> Result<()> {
        let Some(from) = self.from else {
            return Ok(());
        };
        if id >= from && !self.indexed.contains(&id) {
            conn.prepare_cached(SQL_INDEX_ONE)?.execute([id])?;
            self.indexed.insert(id);
        }
        Ok(())
    }

    /// Notes that the row `id` was deleted (its terms with it).
    pub(crate) fn deleted(&mut self, id: i64) {
        self.indexed.remove(&id);
    }

    /// Indexes every new row not indexed yet and puts the trigger back.
    pub(crate) fn finish(&mut self, conn: &Connection) -> Result<()> {
        let Some(sql) = self.trigger.take() else {
            return Ok(());
        };
        if let Some(from) = self.from.take() {
            let mut start = from;
            let mut stmt = conn.prepare_cached(SQL_INDEX_RANGE)?;
            for &done in &self.indexed {
                if done > start {
                    stmt.execute([start, done])?;
                }
                start = done + 1;
            }
            stmt.execute([start, i64::MAX])?;
        }
        self.indexed.clear();
        conn.execute_batch(&sql)?;
        Ok(())
    }
}

/// Statements run per changed new post (for the query-plan test).
#[cfg(test)]
pub(super) const PER_POST_QUERIES: &[&str] = &[SQL_INDEX_ONE];
/// Statements run once per source (for the query-plan test).
#[cfg(test)]
pub(super) const PER_SOURCE_QUERIES: &[&str] = &[SQL_INDEX_RANGE];
