//! What a source says besides its posts: boosts (by URI, or by author and text), deletions,
//! server-local ids, and the order of a curated story. Written through the same
//! [`SourceWriter`], inside the source's transaction.

use anyhow::Result;
use rusqlite::params;

use super::time_text;
use super::write::SourceWriter;
use crate::model::{Boost, Curated, Deletion, LocalId, StoryInfo, TextBoost};

impl SourceWriter<'_> {
    /// Records that a server knows `uri` by `local`. Returns whether it was new.
    pub fn record_local_id(&mut self, local: &LocalId, uri: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached(
                "INSERT INTO local_ids (server, local_id, post_uri) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )?
            .execute((&local.server, &local.id, uri))?
            > 0)
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
            .prepare_cached("SELECT 1 FROM boosts WHERE uri = ?1")?
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
        let counted = self.tx.execute(
            "WITH matched AS (
                 SELECT t.uri, min(p.uri) AS post_uri, t.booster_uri, t.created_at, t.source_id
                 FROM text_boosts t
                 JOIN authors a ON lower(a.handle) = lower(t.author_handle)
                 JOIN posts p ON p.author_id = a.id
                      AND substr(p.text, 1, length(t.text_start)) = t.text_start
                 GROUP BY t.uri HAVING count(*) = 1)
             INSERT INTO boosts (uri, post_uri, booster_uri, created_at, source_id)
             SELECT uri, post_uri, booster_uri, created_at, source_id FROM matched
             WHERE true ON CONFLICT DO NOTHING",
            [],
        )?;
        self.tx.execute(
            "DELETE FROM text_boosts WHERE uri IN (SELECT uri FROM boosts)",
            [],
        )?;
        Ok(counted)
    }

    /// Erases a deleted post's content and leaves a tombstone. Returns whether the deletion was
    /// new.
    pub fn delete_post(&mut self, deletion: &Deletion) -> Result<bool> {
        self.tx
            .prepare_cached("DELETE FROM posts WHERE uri = ?1")?
            .execute([&deletion.uri])?;
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

    /// Records a curated story under `tag`. Its entries in `story.positions` (all of them for a
    /// whole story) are dropped, to be written again, in order, by [`SourceWriter::curate`]:
    /// collecting a story or a page again replaces it, and other pages stay.
    pub fn begin_curated_story(&mut self, tag: &str, story: &StoryInfo) -> Result<()> {
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
                tag,
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
                tag,
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
    pub fn curate(
        &mut self,
        tag: &str,
        story_url: &str,
        position: u64,
        entry: &Curated,
    ) -> Result<()> {
        let (post, note) = match entry {
            Curated::Post { uri } => (Some(uri.as_str()), None),
            Curated::Note { html } => (None, Some(html.as_str())),
        };
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO curation (tag, story_url, position, post_uri, note_html)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![tag, story_url, position, post, note])?;
        Ok(())
    }

    /// Links replies that named their parent by a server-local id to the parent's URI, now that
    /// a source may have told us which post that id means.
    pub fn resolve_local_replies(&mut self) -> Result<usize> {
        Ok(self.tx.execute(
            "UPDATE posts SET in_reply_to_uri = (SELECT l.post_uri FROM local_ids l
                 WHERE l.server = posts.reply_to_server AND l.local_id = posts.reply_to_local_id)
             WHERE in_reply_to_uri IS NULL AND reply_to_local_id IS NOT NULL
               AND EXISTS (SELECT 1 FROM local_ids l WHERE l.server = posts.reply_to_server
                           AND l.local_id = posts.reply_to_local_id)",
            [],
        )?)
    }
}
