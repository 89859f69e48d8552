//! What a source says besides its posts: boosts (by URI, or by author and text), deletions,
//! server-local ids, and the order of a curated story. Written through the same
//! [`SourceWriter`], inside the source's transaction.

use anyhow::Result;
use rusqlite::{OptionalExtension, params};

use super::time_text;
use super::write::SourceWriter;
use crate::model::{Boost, Curated, Deletion, LocalId, StoryInfo, TextBoost};

impl SourceWriter<'_> {
    /// Records that a server knows `uri` by `local`. Returns whether it was new.
    pub fn record_local_id(&mut self, local: &LocalId, uri: &str) -> Result<bool> {
        let new = self
            .tx
            .prepare_cached(SQL_LOCAL_ID)?
            .execute((&local.server, &local.id, uri))?
            > 0;
        if new {
            if !self.new_local_ids {
                self.tx.execute_batch(CREATE_NEW_LOCAL_IDS)?;
                self.new_local_ids = true;
            }
            self.tx
                .prepare_cached(SQL_NEW_LOCAL_ID)?
                .execute((&local.server, &local.id))?;
        }
        Ok(new)
    }

    /// Records a boost. Returns whether it was new.
    pub fn add_boost(&mut self, boost: &Boost) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached(
                "INSERT INTO boosts (uri, post_uri, booster_uri, created_at, source_id)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                boost.uri,
                boost.post_uri,
                boost.booster,
                boost.created_at.as_ref().map(time_text),
                self.source_id
            ])?
            > 0)
    }

    /// Records a boost known by its post's author and text: counted at once when a stored post
    /// matches, else kept until one does. Returns whether the boost was new.
    pub fn add_text_boost(&mut self, boost: &TextBoost) -> Result<bool> {
        if self
            .tx
            .prepare_cached(SQL_BOOST_EXISTS)?
            .exists([&boost.uri])?
        {
            return Ok(false);
        }
        Ok(self
            .tx
            .prepare_cached(
                "INSERT INTO text_boosts (uri, booster_uri, created_at, author_handle, text_start,
                 source_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                boost.uri,
                boost.booster,
                boost.created_at.as_ref().map(time_text),
                boost.author_handle,
                boost.text_start,
                self.source_id
            ])?
            > 0)
    }

    /// Counts every waiting text-identified boost whose post is now archived: the one post by
    /// that author whose text starts with the quoted text (none, or several, and it waits).
    pub fn resolve_text_boosts(&mut self) -> Result<usize> {
        if !self
            .tx
            .query_row(SQL_ANY_TEXT_BOOST, [], |r| r.get::<_, bool>(0))?
        {
            return Ok(0);
        }
        let counted = self.tx.execute(SQL_MATCH_TEXT_BOOSTS, [])?;
        self.tx.execute(SQL_DROP_COUNTED_TEXT_BOOSTS, [])?;
        Ok(counted)
    }

    /// Erases a deleted post's content and leaves a tombstone. Returns whether the deletion was
    /// new.
    pub fn delete_post(&mut self, deletion: &Deletion) -> Result<bool> {
        let id: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM posts WHERE uri = ?1")?
            .query_row([&deletion.uri], |r| r.get(0))
            .optional()?;
        if let Some(id) = id {
            super::journal::require_cascades(self)?;
            self.fts.before_change(self.tx, id)?;
            self.tx
                .prepare_cached("DELETE FROM posts WHERE id = ?1")?
                .execute([id])?;
            self.fts.deleted(id);
        }
        self.tombstone_recorded();
        Ok(self
            .tx
            .prepare_cached(
                "INSERT INTO tombstones (uri, deleted_at, recorded_at, source_id)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                deletion.uri,
                deletion.deleted_at.as_ref().map(time_text),
                self.collected_at,
                self.source_id
            ])?
            > 0)
    }

    /// Records a curated story under the writer's tag. Its entries in `story.positions` (all of them for a
    /// whole story) are dropped, to be written again, in order, by [`SourceWriter::curate`]:
    /// collecting a story or a page again replaces it, and other pages stay.
    pub fn begin_curated_story(&mut self, story: &StoryInfo) -> Result<()> {
        let (from, to) = story
            .positions
            .as_ref()
            .map_or((0, i64::MAX.unsigned_abs()), |p| (p.start, p.end));
        self.tx
            .prepare_cached(
                "DELETE FROM curation WHERE tag = ?1 AND story_url = ?2
                 AND position >= ?3 AND position < ?4",
            )?
            .execute(params![
                self.tag,
                story.url,
                from,
                to.min(i64::MAX.unsigned_abs())
            ])?;
        self.tx
            .prepare_cached(
                "INSERT INTO curated_stories (tag, url, title, intro_html, curator_name,
                 published_at, source_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (tag, url) DO UPDATE SET title = excluded.title,
                 intro_html = excluded.intro_html, curator_name = excluded.curator_name,
                 published_at = excluded.published_at, source_id = excluded.source_id",
            )?
            .execute(params![
                self.tag,
                story.url,
                story.title,
                story.intro_html,
                story.curator.as_ref().map(|c| if c.name.is_empty() {
                    &c.handle
                } else {
                    &c.name
                }),
                story.published_at.as_ref().map(time_text),
                self.source_id
            ])?;
        Ok(())
    }

    /// Records the entry at `position` of the curated story at `story_url`.
    pub fn curate(&mut self, story_url: &str, position: u64, entry: &Curated) -> Result<()> {
        let (post, note) = match entry {
            Curated::Post { uri } => (Some(uri.as_str()), None),
            Curated::Note { html } => (None, Some(html.as_str())),
        };
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO curation (tag, story_url, position, post_uri, note_html)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![self.tag, story_url, position, post, note])?;
        Ok(())
    }

    /// Links replies that named their parent by a server-local id to the parent's URI, now that
    /// this source told which post some ids mean (only the ids new in it can link anything:
    /// a reply written after an id was known got its parent while it was staged).
    pub fn resolve_local_replies(&mut self) -> Result<usize> {
        if !self.new_local_ids {
            return Ok(0);
        }
        let linked = self.tx.execute(SQL_LINK_WAITING_REPLIES, [])?;
        self.tx.execute_batch("DELETE FROM temp.new_local_ids")?;
        Ok(linked)
    }
}

/// Local ids new in this source, to link the replies waiting for them.
pub(super) const CREATE_NEW_LOCAL_IDS: &str = "CREATE TEMP TABLE IF NOT EXISTS new_local_ids
     (server TEXT NOT NULL, local_id TEXT NOT NULL); DELETE FROM temp.new_local_ids;";
const SQL_LOCAL_ID: &str = "INSERT INTO local_ids (server, local_id, post_uri) VALUES (?1, ?2, ?3)
     ON CONFLICT DO NOTHING";
const SQL_NEW_LOCAL_ID: &str = "INSERT INTO temp.new_local_ids (server, local_id) VALUES (?1, ?2)";
const SQL_BOOST_EXISTS: &str = "SELECT 1 FROM boosts WHERE uri = ?1";
/// Replies waiting for a parent (the partial index `posts_waiting_parent`) that an id new in
/// this source names.
const SQL_LINK_WAITING_REPLIES: &str = "UPDATE posts SET in_reply_to_uri = (
         SELECT l.post_uri FROM local_ids l
         WHERE l.server = posts.reply_to_server AND l.local_id = posts.reply_to_local_id)
     WHERE id IN (
         SELECT p.id FROM temp.new_local_ids n JOIN posts p
         ON p.reply_to_local_id = n.local_id AND p.reply_to_server = n.server
         WHERE p.in_reply_to_uri IS NULL AND p.reply_to_local_id IS NOT NULL)";
/// Whether any text-identified boost waits (a probe that stops at the first row).
pub(super) const SQL_ANY_TEXT_BOOST: &str = "SELECT EXISTS (SELECT 1 FROM text_boosts)";
const SQL_MATCH_TEXT_BOOSTS: &str = "WITH matched AS (
         SELECT t.uri, min(p.uri) AS post_uri, t.booster_uri, t.created_at, t.source_id
         FROM text_boosts t
         JOIN authors a ON lower(a.handle) = lower(t.author_handle)
         JOIN posts p ON p.author_id = a.id
              AND substr(p.text, 1, length(t.text_start)) = t.text_start
         GROUP BY t.uri HAVING count(*) = 1)
     INSERT INTO boosts (uri, post_uri, booster_uri, created_at, source_id)
     SELECT uri, post_uri, booster_uri, created_at, source_id FROM matched
     WHERE true ON CONFLICT DO NOTHING";
const SQL_DROP_COUNTED_TEXT_BOOSTS: &str =
    "DELETE FROM text_boosts WHERE uri IN (SELECT uri FROM boosts)";

/// Statements run per item (for the query-plan test).
#[cfg(test)]
pub(super) const PER_ITEM_QUERIES: &[&str] = &[
    SQL_LOCAL_ID,
    SQL_NEW_LOCAL_ID,
    SQL_BOOST_EXISTS,
    "INSERT INTO boosts (uri, post_uri, booster_uri, created_at, source_id)
     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    "SELECT id FROM posts WHERE uri = ?1",
    "DELETE FROM posts WHERE id = ?1",
    "INSERT INTO tombstones (uri, deleted_at, recorded_at, source_id)
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
];

/// Statements run once per source (for the query-plan test). The text-boost statements read
/// `text_boosts`, the waiting list itself, once, and only when it is not empty.
#[cfg(test)]
pub(super) const PER_SOURCE_QUERIES: &[&str] = &[
    SQL_LINK_WAITING_REPLIES,
    SQL_MATCH_TEXT_BOOSTS,
    SQL_DROP_COUNTED_TEXT_BOOSTS,
];
