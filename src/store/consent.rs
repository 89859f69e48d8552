//! Consent in the archive: what authors' profiles say (`author_consent`), the hashes of what
//! was forgotten (`forgotten`), and erasing posts with everything that hangs on them.
//!
//! Erasing is shared by a refusal seen while collecting (reversible: no tombstone, so the
//! posts come back if the profile later stops refusing) and by `tagstory forget` (for good).

use anyhow::Result;
use rusqlite::{Connection, params};

use super::write::SourceWriter;
use super::{Store, now_text};
use crate::forget::{Forgotten, Kind};

impl Store {
    /// Every tombstone of `tagstory forget`, as hashes.
    pub fn load_forgotten(&self) -> Result<Forgotten> {
        load_forgotten(&self.conn)
    }
}

/// See [`Store::load_forgotten`].
pub(super) fn load_forgotten(conn: &Connection) -> Result<Forgotten> {
    let mut forgotten = Forgotten::default();
    let mut stmt = conn.prepare_cached("SELECT kind, hash FROM forgotten")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
    for row in rows {
        let (kind, hash) = row?;
        if let Some(kind) = Kind::from_name(&kind) {
            forgotten.insert(kind, hash);
        }
    }
    Ok(forgotten)
}

impl SourceWriter<'_> {
    /// Records what an author's profile says now. A refusal erases every post of theirs
    /// already archived (and their profile), returning how many posts; an author whose profile
    /// says nothing is only recorded when a row for them exists (to lift an earlier refusal),
    /// so nobody's URI is kept for nothing.
    pub fn record_consent(
        &mut self,
        author_uri: &str,
        refuses: bool,
        noindex: bool,
    ) -> Result<u64> {
        let sql = if refuses || noindex {
            "INSERT INTO author_consent (author_uri, refuses, noindex, seen_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (author_uri) DO UPDATE SET refuses = excluded.refuses,
                 noindex = excluded.noindex, seen_at = excluded.seen_at"
        } else {
            "UPDATE author_consent SET refuses = ?2, noindex = ?3, seen_at = ?4
             WHERE author_uri = ?1"
        };
        self.tx.prepare_cached(sql)?.execute(params![
            author_uri,
            refuses,
            noindex,
            self.collected_at
        ])?;
        self.refusals.remove(author_uri);
        self.any_refusal = None;
        if !refuses {
            return Ok(0);
        }
        super::journal::require_cascades(self)?;
        // Erasing deletes posts by condition: index any new ones first (see `fts`).
        self.fts.finish(self.tx)?;
        self.forget_cached_authors();
        let erased = erase_posts(
            self.tx,
            "author_id IN (SELECT id FROM authors WHERE uri = ?1)",
            author_uri,
        )?;
        self.tx
            .prepare_cached("DELETE FROM boosts WHERE booster_uri = ?1")?
            .execute([author_uri])?;
        let profiles = self
            .tx
            .prepare_cached(
                "DELETE FROM authors WHERE uri = ?1
                 AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.author_id = authors.id)",
            )?
            .execute([author_uri])?;
        // Only when something went: the sweep reads every media row.
        if erased > 0 || profiles > 0 {
            collect_media_garbage(self.tx)?;
        }
        Ok(erased)
    }
}

/// Erases the posts `condition` selects (an SQL expression over `posts` with one parameter,
/// `?1` = `param`): their content, revisions, media rows, tags, polls, emoji, story
/// membership and FTS entries (by cascade and trigger), and their local ids, boosts and live
/// refetch entries. Returns how many posts.
pub(super) fn erase_posts(conn: &Connection, condition: &str, param: &str) -> Result<u64> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS erasing (id INTEGER PRIMARY KEY, uri TEXT NOT NULL);
         DELETE FROM temp.erasing;",
    )?;
    conn.execute(
        &format!("INSERT INTO temp.erasing (id, uri) SELECT id, uri FROM posts WHERE {condition}"),
        [param],
    )?;
    conn.execute_batch(
        "DELETE FROM boosts WHERE post_uri IN (SELECT uri FROM temp.erasing);
         DELETE FROM local_ids WHERE post_uri IN (SELECT uri FROM temp.erasing);
         DELETE FROM fetched_posts WHERE post_uri IN (SELECT uri FROM temp.erasing);
         DELETE FROM posts WHERE id IN (SELECT id FROM temp.erasing);",
    )?;
    let erased: u64 = conn.query_row("SELECT count(*) FROM temp.erasing", [], |r| r.get(0))?;
    conn.execute_batch("DELETE FROM temp.erasing")?;
    Ok(erased)
}

/// Drops archived media no post, author or emoji uses any more, and bytes no URL gives.
pub(super) fn collect_media_garbage(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM media_files WHERE url NOT IN (
             SELECT url FROM media
             UNION SELECT preview_url FROM media WHERE preview_url IS NOT NULL
             UNION SELECT avatar_url FROM authors WHERE avatar_url IS NOT NULL
             UNION SELECT url FROM emojis);
         DELETE FROM blobs WHERE sha256 NOT IN (
             SELECT sha256 FROM media_files WHERE sha256 IS NOT NULL);",
    )?;
    Ok(())
}

/// Records a tombstone: the hash of `value` read as `kind`. Returns whether it was new.
pub(super) fn record_forgotten(conn: &Connection, kind: Kind, value: &str) -> Result<bool> {
    if value.trim().is_empty() {
        return Ok(false);
    }
    Ok(conn
        .prepare_cached(
            "INSERT INTO forgotten (hash, kind, forgotten_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (hash) DO NOTHING",
        )?
        .execute(params![
            crate::forget::hash(kind, value),
            kind.as_str(),
            now_text()
        ])?
        > 0)
}
