//! Live collection's memory (schema v4): where each source URL left off for a tag, and where each
//! live-collected post can be fetched again.

use anyhow::Result;
use rusqlite::{OptionalExtension, params};

use super::{Store, now_text};

/// Where the last live collection of a URL for a tag left off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Mastodon API: the newest status id seen (sent as `since_id` next time).
    pub newest_id: Option<String>,
    /// The newest post time seen (archive time text).
    pub newest_published: Option<String>,
    /// The next page of a run that was interrupted: the next run continues from there.
    pub resume_url: Option<String>,
    /// The newest id the interrupted run saw; it becomes `newest_id` once that run's pages are
    /// all read.
    pub pending_newest_id: Option<String>,
    /// When the URL was last collected (archive time text).
    pub last_run_at: String,
}

/// A post to fetch again for edits and deletions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refetch {
    /// The post.
    pub post_uri: String,
    /// Where it answers.
    pub fetch_url: String,
    /// The format it answers in (`mastodon-api`, `activitypub`).
    pub format: String,
}

impl Store {
    /// The cursor of `url` for `tag`, if it was collected before.
    pub fn cursor(&self, url: &str, tag: &str) -> Result<Option<Cursor>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT newest_id, newest_published, last_run_at, resume_url, pending_newest_id
             FROM cursors WHERE url = ?1 AND tag = ?2",
        )?;
        let cursor = stmt
            .query_row(params![url, tag], |row| {
                Ok(Cursor {
                    newest_id: row.get(0)?,
                    newest_published: row.get(1)?,
                    last_run_at: row.get(2)?,
                    resume_url: row.get(3)?,
                    pending_newest_id: row.get(4)?,
                })
            })
            .optional()?;
        Ok(cursor)
    }

    /// Records, after each page of a run, where the run goes next (`None`: it has read its
    /// last page) and the newest id it has seen, so that an interrupted run is resumed rather
    /// than skipped: the finished cursor (`newest_id`) only moves when the run ends.
    pub fn save_progress(
        &self,
        url: &str,
        tag: &str,
        resume_url: Option<&str>,
        pending_newest_id: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO cursors (url, tag, resume_url, pending_newest_id, last_run_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (url, tag) DO UPDATE SET resume_url = excluded.resume_url,
                 pending_newest_id = coalesce(excluded.pending_newest_id, pending_newest_id),
                 last_run_at = excluded.last_run_at",
            params![url, tag, resume_url, pending_newest_id, now_text()],
        )?;
        Ok(())
    }

    /// Records a finished run of `url` for `tag`; a `None` keeps what was stored, and a
    /// published time only ever moves forward. Clears any interrupted run's resume point.
    pub fn save_cursor(
        &self,
        url: &str,
        tag: &str,
        newest_id: Option<&str>,
        newest_published: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO cursors (url, tag, newest_id, newest_published, last_run_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (url, tag) DO UPDATE SET
                 newest_id = coalesce(excluded.newest_id, newest_id),
                 newest_published = CASE
                     WHEN newest_published IS NULL OR excluded.newest_published > newest_published
                     THEN coalesce(excluded.newest_published, newest_published)
                     ELSE newest_published END,
                 resume_url = NULL, pending_newest_id = NULL,
                 last_run_at = excluded.last_run_at",
            params![url, tag, newest_id, newest_published, now_text()],
        )?;
        Ok(())
    }

    /// Tagged posts of `tag`'s story, collected from a Mastodon API, whose conversation was
    /// never fetched (a run interrupted before it got there, or run with `--no-context`):
    /// `(fetch url, the status as stored)`, at most `limit`, oldest first.
    pub fn pending_contexts(&self, tag: &str, limit: usize) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT f.fetch_url, p.source_json FROM fetched_posts f
             JOIN posts p ON p.uri = f.post_uri
             JOIN story_posts s ON s.post_id = p.id AND s.tag = ?1 AND s.reason = 'tagged'
             WHERE f.format = 'mastodon-api' AND f.context_at IS NULL
             ORDER BY p.created_at LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![tag, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records that the conversation of `post_uri` was fetched.
    pub fn mark_context_fetched(&self, post_uri: &str) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE fetched_posts SET context_at = ?2 WHERE post_uri = ?1")?
            .execute(params![post_uri, now_text()])?;
        Ok(())
    }

    /// Remembers where posts can be fetched again: `(post uri, fetch url, format)`.
    pub fn remember_fetch_urls(&self, entries: &[(String, String, &str)]) -> Result<()> {
        let now = now_text();
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO fetched_posts (post_uri, fetch_url, format, fetched_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (post_uri) DO UPDATE SET
                 fetch_url = excluded.fetch_url, format = excluded.format,
                 fetched_at = excluded.fetched_at",
        )?;
        for (uri, url, format) in entries {
            stmt.execute(params![uri, url, format, now])?;
        }
        Ok(())
    }

    /// The `limit` newest posts of the story of `tag` that were collected live, newest first.
    pub fn refetch_candidates(&self, tag: &str, limit: usize) -> Result<Vec<Refetch>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT f.post_uri, f.fetch_url, f.format
             FROM story_posts s JOIN posts p ON p.id = s.post_id
             JOIN fetched_posts f ON f.post_uri = p.uri
             WHERE s.tag = ?1 ORDER BY p.created_at DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![tag, limit as i64], |row| {
            Ok(Refetch {
                post_uri: row.get(0)?,
                fetch_url: row.get(1)?,
                format: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether the archive holds the post `uri`, or knows it was deleted.
    pub fn knows_post(&self, uri: &str) -> Result<bool> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM posts WHERE uri = ?1)
                 OR EXISTS (SELECT 1 FROM tombstones WHERE uri = ?1)",
        )?;
        Ok(stmt.query_row([uri], |row| row.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_keep_what_a_run_does_not_say() {
        let store = Store::open_in_memory().unwrap();
        let url = "https://m.example/tags/x";
        assert_eq!(store.cursor(url, "x").unwrap(), None);
        store
            .save_cursor(url, "x", Some("10"), Some("2026-08-20T10:00:00.000Z"))
            .unwrap();
        store
            .save_cursor(url, "x", None, Some("2026-08-19T10:00:00.000Z"))
            .unwrap();
        let c = store.cursor(url, "x").unwrap().unwrap();
        assert_eq!(c.newest_id.as_deref(), Some("10"));
        assert_eq!(
            c.newest_published.as_deref(),
            Some("2026-08-20T10:00:00.000Z")
        );
        assert_eq!(store.cursor(url, "y").unwrap(), None);
        assert!(!store.knows_post("https://m.example/p/1").unwrap());
        store
            .remember_fetch_urls(&[("u".into(), "f".into(), "activitypub")])
            .unwrap();
        assert_eq!(store.refetch_candidates("x", 10).unwrap(), vec![]);
    }
}
