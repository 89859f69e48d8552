//! Writing one source inside one transaction: idempotent upserts of posts, authors, boosts and
//! deletions.

use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{now_text, time_text};
use crate::model::{Author, Post};

/// Why a post belongs to a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// It carries the tag.
    Tagged,
    /// It is in the reply tree of a tagged post.
    Context,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Tagged => "tagged",
            Reason::Context => "context",
        }
    }
}

/// What writing a post did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostOutcome {
    /// It was not in the archive.
    New,
    /// A newer version replaced the stored one.
    Updated,
    /// The archive already held this version or a newer one.
    Unchanged,
    /// Its author deleted it; it stays out.
    Deleted,
}

/// Tallies for one source, as recorded in the `sources` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceCounts {
    /// Posts read from the source (every version counts).
    pub posts_seen: u64,
    /// Posts added to the archive.
    pub posts_new: u64,
    /// Posts replaced by a newer version.
    pub posts_updated: u64,
    /// Posts already archived in this or a newer version.
    pub posts_unchanged: u64,
    /// Boosts not seen before.
    pub boosts: u64,
    /// Deletions not seen before.
    pub deletions: u64,
    /// Public posts neither tagged nor in a tagged reply tree.
    pub skipped_untagged: u64,
    /// Posts and boosts their authors did not make public.
    pub skipped_private: u64,
    /// Posts not stored because their author refuses archiving, or was forgotten.
    pub skipped_consent: u64,
    /// Posts archived before and erased now, because their author's profile refuses archiving
    /// (not a column of `sources`: only the summary tells it).
    pub erased_consent: u64,
    /// Records that could not be read.
    pub errors: u64,
}

impl SourceCounts {
    /// Adds `other`'s tallies to these.
    pub fn add(&mut self, other: &SourceCounts) {
        self.posts_seen += other.posts_seen;
        self.posts_new += other.posts_new;
        self.posts_updated += other.posts_updated;
        self.posts_unchanged += other.posts_unchanged;
        self.boosts += other.boosts;
        self.deletions += other.deletions;
        self.skipped_untagged += other.skipped_untagged;
        self.skipped_private += other.skipped_private;
        self.skipped_consent += other.skipped_consent;
        self.erased_consent += other.erased_consent;
        self.errors += other.errors;
    }
}

/// Writes one source; dropped without [`SourceWriter::commit`], it stores nothing.
pub struct SourceWriter<'c> {
    pub(super) tx: Transaction<'c>,
    pub(super) source_id: i64,
    pub(super) collected_at: String,
}

impl<'c> SourceWriter<'c> {
    pub(super) fn begin(
        conn: &'c mut Connection,
        format: &str,
        location: &str,
        tag: &str,
    ) -> Result<Self> {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let collected_at = now_text();
        tx.execute(
            "INSERT INTO sources (format, location, tag, collected_at, posts_seen, posts_new,
             posts_updated, boosts, deletions, skipped_untagged, skipped_private, errors)
             VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0, 0, 0, 0, 0)",
            params![format, location, tag, collected_at],
        )?;
        Ok(SourceWriter {
            source_id: tx.last_insert_rowid(),
            tx,
            collected_at,
        })
    }

    /// The connection, inside this source's transaction (for reading the run's staging).
    pub fn connection(&self) -> &Connection {
        &self.tx
    }

    /// Inserts or completes an author. A record with neither name nor avatar (an actor known
    /// only by its URI) never overwrites a richer one.
    pub fn upsert_author(&mut self, author: &Author) -> Result<i64> {
        let rich = !author.name.is_empty() || author.avatar.is_some();
        let existing: Option<(i64, Author)> = self
            .tx
            .prepare_cached("SELECT id, handle, name, url, avatar_url FROM authors WHERE uri = ?1")?
            .query_row([&author.uri], |r| {
                let stored = Author {
                    uri: author.uri.clone(),
                    handle: r.get(1)?,
                    name: r.get(2)?,
                    url: r.get(3)?,
                    avatar: r.get(4)?,
                    ..Default::default()
                };
                Ok((r.get(0)?, stored))
            })
            .optional()?;
        let Some((id, stored)) = existing else {
            self.tx
                .prepare_cached(
                    "INSERT INTO authors (uri, handle, name, url, avatar_url, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    author.uri,
                    author.handle,
                    author.name,
                    author.url,
                    author.avatar,
                    self.collected_at
                ])?;
            return Ok(self.tx.last_insert_rowid());
        };
        let merged = Author {
            url: author.url.clone().or_else(|| stored.url.clone()),
            avatar: author.avatar.clone().or_else(|| stored.avatar.clone()),
            ..author.clone()
        };
        if rich && merged != stored {
            self.tx
                .prepare_cached(
                    "UPDATE authors SET handle = ?2, name = ?3, url = ?4, avatar_url = ?5,
                     updated_at = ?6 WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    merged.handle,
                    merged.name,
                    merged.url,
                    merged.avatar,
                    self.collected_at
                ])?;
        }
        Ok(id)
    }

    /// Stores `post` in the story of `tag`, keeping whichever version is newest.
    pub fn upsert_post(
        &mut self,
        post: &Post,
        in_reply_to: Option<&str>,
        format: &str,
        tag: &str,
        reason: Reason,
    ) -> Result<PostOutcome> {
        if self.is_tombstoned(&post.uri)? {
            return Ok(PostOutcome::Deleted);
        }
        let author_id = self.upsert_author(&post.author)?;
        let existing: Option<(i64, String)> = self
            .tx
            .prepare_cached("SELECT id, coalesce(edited_at, created_at) FROM posts WHERE uri = ?1")?
            .query_row([&post.uri], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let version = time_text(&post.edited_at.unwrap_or(post.created_at));
        let (post_id, outcome) = match existing {
            None => (
                self.insert_post(post, author_id, in_reply_to, format)?,
                PostOutcome::New,
            ),
            Some((id, stored)) if version > stored => {
                self.update_post(id, post, author_id, in_reply_to, format, true)?;
                (id, PostOutcome::Updated)
            }
            // The same version from another source or format: the richer copy wins.
            Some((id, stored)) if version == stored && self.is_richer(id, post, in_reply_to)? => {
                self.update_post(id, post, author_id, in_reply_to, format, false)?;
                (id, PostOutcome::Updated)
            }
            Some((id, _)) => {
                self.fill_missing(id, post, in_reply_to)?;
                self.keep_older_version(id, post, &version)?;
                (id, PostOutcome::Unchanged)
            }
        };
        if outcome != PostOutcome::Unchanged {
            self.replace_media_and_tags(post_id, post)?;
        }
        self.join_story(post_id, tag, reason, outcome != PostOutcome::Unchanged)?;
        Ok(outcome)
    }

    fn insert_post(
        &mut self,
        post: &Post,
        author_id: i64,
        in_reply_to: Option<&str>,
        format: &str,
    ) -> Result<i64> {
        let reply_local = post.in_reply_to_local.as_ref();
        self.tx
            .prepare_cached(
                "INSERT INTO posts (uri, url, author_id, created_at, edited_at, content_html, text,
                 language, in_reply_to_uri, reply_to_server, reply_to_local_id, conversation,
                 sensitive, spoiler_text, source_format, source_json, collected_at, quote_of_uri)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18)",
            )?
            .execute(params![
                post.uri,
                post.url,
                author_id,
                time_text(&post.created_at),
                post.edited_at.as_ref().map(time_text),
                post.content_html,
                post.text,
                post.language,
                in_reply_to,
                reply_local.map(|l| &l.server),
                reply_local.map(|l| &l.id),
                post.conversation,
                post.sensitive,
                post.spoiler_text,
                format,
                post.source_json,
                self.collected_at,
                post.quote_of,
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    fn update_post(
        &mut self,
        id: i64,
        post: &Post,
        author_id: i64,
        in_reply_to: Option<&str>,
        format: &str,
        newer_version: bool,
    ) -> Result<()> {
        let reply_local = post.in_reply_to_local.as_ref();
        if newer_version {
            // The version being replaced becomes part of the post's edit history.
            self.tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO revisions (post_id, edited_at, content_html, text, spoiler_text)
                     SELECT id, coalesce(edited_at, created_at), content_html, text, spoiler_text
                     FROM posts WHERE id = ?1",
                )?
                .execute([id])?;
        }
        self.tx
            .prepare_cached(
                "UPDATE posts SET url = coalesce(?2, url), author_id = ?3, edited_at = ?4,
                 content_html = ?5, text = ?6, language = ?7,
                 in_reply_to_uri = coalesce(?8, in_reply_to_uri),
                 reply_to_server = coalesce(?9, reply_to_server),
                 reply_to_local_id = coalesce(?10, reply_to_local_id),
                 conversation = coalesce(?11, conversation), sensitive = ?12, spoiler_text = ?13,
                 source_format = ?14, source_json = ?15, collected_at = ?16,
                 quote_of_uri = coalesce(?17, quote_of_uri)
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                post.url,
                author_id,
                post.edited_at.as_ref().map(time_text),
                post.content_html,
                post.text,
                post.language,
                in_reply_to,
                reply_local.map(|l| &l.server),
                reply_local.map(|l| &l.id),
                post.conversation,
                post.sensitive,
                post.spoiler_text,
                format,
                post.source_json,
                self.collected_at,
                post.quote_of,
            ])?;
        Ok(())
    }

    /// An older copy of a stored post is kept as a revision, when it is a different version.
    fn keep_older_version(&mut self, id: i64, post: &Post, version: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO revisions (post_id, edited_at, content_html, text, spoiler_text)
                 SELECT ?1, ?2, ?3, ?4, ?5
                 WHERE ?2 < (SELECT coalesce(edited_at, created_at) FROM posts WHERE id = ?1)",
            )?
            .execute(params![id, version, post.content_html, post.text, post.spoiler_text])?;
        Ok(())
    }

    /// Another copy may know what the stored one does not: a parent (a resolved local id), the
    /// permalink, the language, the quoted post.
    fn fill_missing(&mut self, id: i64, post: &Post, in_reply_to: Option<&str>) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE posts SET in_reply_to_uri = coalesce(in_reply_to_uri, ?2),
                 url = coalesce(url, ?3), language = coalesce(language, ?4),
                 quote_of_uri = coalesce(quote_of_uri, ?5)
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                in_reply_to,
                post.url,
                post.language,
                post.quote_of
            ])?;
        Ok(())
    }

    /// Whether `post` tells more than the stored copy of the same version: longer text (one copy
    /// may be truncated), more media and alt text, a permalink, a language, a quote, a parent.
    fn is_richer(&self, id: i64, post: &Post, in_reply_to: Option<&str>) -> Result<bool> {
        let stored: i64 = self
            .tx
            .prepare_cached(
                "SELECT length(text) + 20 * (SELECT count(*) FROM media m WHERE m.post_id = p.id)
                 + 40 * (SELECT count(alt_text) FROM media m WHERE m.post_id = p.id)
                 + 10 * (url IS NOT NULL) + 5 * (language IS NOT NULL)
                 + 5 * (quote_of_uri IS NOT NULL) + 5 * (in_reply_to_uri IS NOT NULL)
                 FROM posts p WHERE id = ?1",
            )?
            .query_row([id], |r| r.get(0))?;
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let incoming = count(post.text.chars().count())
            + 20 * count(post.media.len())
            + 40 * count(post.media.iter().filter(|m| m.alt.is_some()).count())
            + 10 * i64::from(post.url.is_some())
            + 5 * i64::from(post.language.is_some())
            + 5 * i64::from(post.quote_of.is_some())
            + 5 * i64::from(in_reply_to.is_some());
        Ok(incoming > stored)
    }

    fn replace_media_and_tags(&mut self, post_id: i64, post: &Post) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM media WHERE post_id = ?1")?
            .execute([post_id])?;
        for table in ["post_tags", "emojis", "polls"] {
            self.tx
                .prepare_cached(&format!("DELETE FROM {table} WHERE post_id = ?1"))?
                .execute([post_id])?;
        }
        let mut media = self.tx.prepare_cached(
            "INSERT INTO media (post_id, position, url, kind, alt_text, width, height)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (position, m) in post.media.iter().enumerate() {
            media.execute(params![
                post_id, position, m.url, m.kind, m.alt, m.width, m.height
            ])?;
        }
        let mut tags = self
            .tx
            .prepare_cached("INSERT OR IGNORE INTO post_tags (post_id, tag) VALUES (?1, ?2)")?;
        for tag in &post.tags {
            tags.execute(params![post_id, tag])?;
        }
        let mut emojis = self.tx.prepare_cached(
            "INSERT OR REPLACE INTO emojis (post_id, shortcode, url) VALUES (?1, ?2, ?3)",
        )?;
        for emoji in &post.emojis {
            emojis.execute(params![post_id, emoji.shortcode, emoji.url])?;
        }
        if let Some(poll) = &post.poll {
            self.tx
                .prepare_cached(
                    "INSERT INTO polls (post_id, multiple, closes_at, voters) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    post_id,
                    poll.multiple,
                    poll.closes_at.as_ref().map(time_text),
                    poll.voters
                ])?;
            let mut option = self.tx.prepare_cached(
                "INSERT INTO poll_options (post_id, position, title, votes) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (position, o) in poll.options.iter().enumerate() {
                option.execute(params![post_id, position, o.title, o.votes])?;
            }
        }
        Ok(())
    }

    /// Adds the post to the story; a newer version decides the reason, an older copy can only
    /// promote `context` to `tagged`.
    fn join_story(&mut self, post_id: i64, tag: &str, reason: Reason, newer: bool) -> Result<()> {
        let sql = if newer {
            "INSERT INTO story_posts (tag, post_id, reason, added_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (tag, post_id) DO UPDATE SET reason = excluded.reason"
        } else {
            "INSERT INTO story_posts (tag, post_id, reason, added_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (tag, post_id) DO UPDATE SET reason = 'tagged'
             WHERE excluded.reason = 'tagged'"
        };
        self.tx.prepare_cached(sql)?.execute(params![
            tag,
            post_id,
            reason.as_str(),
            self.collected_at
        ])?;
        Ok(())
    }

    fn is_tombstoned(&self, uri: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM tombstones WHERE uri = ?1")?
            .exists([uri])?)
    }

    /// Records the source's tallies and commits everything written through this writer.
    pub fn commit(self, c: &SourceCounts) -> Result<()> {
        self.tx.execute(
            "UPDATE sources SET posts_seen = ?2, posts_new = ?3, posts_updated = ?4, boosts = ?5,
             deletions = ?6, skipped_untagged = ?7, skipped_private = ?8, errors = ?9,
             skipped_consent = ?10
             WHERE id = ?1",
            params![
                self.source_id,
                c.posts_seen,
                c.posts_new,
                c.posts_updated,
                c.boosts,
                c.deletions,
                c.skipped_untagged,
                c.skipped_private,
                c.errors,
                c.skipped_consent
            ],
        )?;
        self.tx.commit()?;
        Ok(())
    }
}
