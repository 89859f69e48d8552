//! The full-text index and the reply counts of a source's new posts, filled in bulk.
//!
//! `posts_fts` is an external-content FTS5 table kept in step with `posts` by triggers
//! (`schema.sql`). Row by row, the insert trigger was the largest single cost of a collect
//! (issue 10: FTS5 flushes its pending terms at every statement and a statement journal spills
//! them), so while a writer inserts posts the insert trigger is set aside and the new rows are
//! indexed with one `INSERT … SELECT` at commit. The trigger is put back, exactly as the
//! archive stored it, in the same transaction: another connection never sees the archive
//! without it, and a writer that fails rolls both back.
//!
//! The reply-count trigger (`post_replies_insert`, v8) is set aside the same way. Any trigger
//! on `posts` makes each insert a statement that may write several tables, so SQLite keeps a
//! statement journal of every page it touches: with 16 KiB pages that passed the 64 KiB it
//! holds in memory at each post, and the journal was written to a temporary file, 20% of the
//! CPU time of a collect of new posts (issue 10). It is set aside only when it is the trigger
//! whose bulk form [`SQL_REPLIES_RANGE`] is (v8's); another one stays where it is.
//!
//! # Exactness
//! The update and delete triggers stay. They remove a row's old terms from the index, so a new
//! row that is changed or deleted before commit is indexed first ([`Deferred::before_change`]).
//! A new row gets `max(id) + 1`, so every row at or above the lowest id inserted meanwhile is
//! new. A test checks the index against a rebuilt one (`tests::bulk_fts_is_exact`). The reply
//! count of a new row changed meanwhile is its update trigger's, from the same source JSON.

use std::collections::BTreeSet;

use anyhow::Result;
use rusqlite::{Connection, OptionalExtension};

const TRIGGER: &str = "posts_fts_insert";
const REPLIES_TRIGGER: &str = "post_replies_insert";

/// The upgrade that made the reply-count trigger, and counted the posts then stored in bulk.
pub(super) const V8: &str = include_str!("upgrades/v8.sql");

const SQL_INDEX_ONE: &str = "INSERT INTO posts_fts(rowid, text, spoiler_text)
     SELECT id, text, spoiler_text FROM posts WHERE id = ?1";
const SQL_INDEX_RANGE: &str = "INSERT INTO posts_fts(rowid, text, spoiler_text)
     SELECT id, text, spoiler_text FROM posts WHERE id >= ?1 AND id < ?2";
/// `post_replies_insert` of v8 over a range of rows (v8 counted every stored post so).
const SQL_REPLIES_RANGE: &str = "INSERT OR REPLACE INTO post_replies (post_id, total)
     SELECT id, t FROM (SELECT id, CASE WHEN json_valid(source_json) THEN coalesce(
         json_extract(source_json, '$.replies_count'),
         json_extract(source_json, '$.replies.totalItems'),
         json_extract(source_json, '$.object.replies.totalItems'),
         json_extract(source_json, '$.public_metrics.reply_count'),
         json_extract(source_json, '$.reply_count'),
         json_extract(source_json, '$.replyCount'),
         json_extract(source_json, '$.post.replyCount')) END AS t
         FROM posts WHERE id >= ?1 AND id < ?2)
     WHERE typeof(t) = 'integer' AND t >= 0";

/// A writer's deferred indexing.
#[derive(Debug, Default)]
pub(crate) struct Deferred {
    /// The insert trigger's SQL while it is set aside.
    trigger: Option<String>,
    /// The reply-count trigger's SQL while it is set aside.
    replies: Option<String>,
    /// The lowest id inserted while it was.
    from: Option<i64>,
    /// New rows indexed already (changed before commit).
    indexed: BTreeSet<i64>,
    /// New rows whose reply count is to be read from their JSON at commit, in order: those
    /// whose writer did not give it ([`Deferred::counted`]).
    uncounted: Vec<i64>,
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
        let replies: Option<String> = conn
            .query_row(
                "SELECT sql FROM main.sqlite_schema WHERE type = 'trigger' AND name = ?1",
                [REPLIES_TRIGGER],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(sql) = replies.filter(|sql| V8.contains(sql.as_str())) {
            conn.execute_batch(&format!("DROP TRIGGER main.{REPLIES_TRIGGER}"))?;
            self.replies = Some(sql);
        }
        Ok(())
    }

    /// Notes a post inserted with id `id`.
    pub(crate) fn inserted(&mut self, id: i64) {
        if self.trigger.is_some() {
            self.from = Some(self.from.map_or(id, |from| from.min(id)));
        }
        if self.replies.is_some() {
            self.uncounted.push(id);
        }
    }

    /// Whether the reply count of the new row `id`, the last inserted, is awaited at commit
    /// (the reply-count trigger is set aside), so that its writer may store it instead.
    pub(crate) fn awaits_count(&self, id: i64) -> bool {
        self.replies.is_some() && self.uncounted.last() == Some(&id)
    }

    /// Notes that the writer stored the reply count of the row [`Deferred::awaits_count`] said.
    pub(crate) fn counted(&mut self, id: i64) {
        if self.awaits_count(id) {
            self.uncounted.pop();
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
            if self.replies.is_some() {
                // A run of consecutive ids at a time.
                let mut stmt = conn.prepare_cached(SQL_REPLIES_RANGE)?;
                let mut ids = self.uncounted.iter().copied().peekable();
                while let Some(start) = ids.next() {
                    let mut end = start;
                    while ids.next_if_eq(&(end + 1)).is_some() {
                        end += 1;
                    }
                    stmt.execute([start, end + 1])?;
                }
            }
        }
        self.indexed.clear();
        self.uncounted.clear();
        conn.execute_batch(&sql)?;
        if let Some(replies) = self.replies.take() {
            conn.execute_batch(&replies)?;
        }
        Ok(())
    }
}

/// Statements run per changed new post (for the query-plan test).
#[cfg(test)]
pub(super) const PER_POST_QUERIES: &[&str] = &[SQL_INDEX_ONE];
/// Statements run once per source (for the query-plan test).
#[cfg(test)]
pub(super) const PER_SOURCE_QUERIES: &[&str] = &[SQL_INDEX_RANGE, SQL_REPLIES_RANGE];
