//! Writing one source inside one transaction: idempotent upserts of posts, authors, boosts and
//! deletions.

use std::collections::HashMap;
use std::hash::BuildHasher;

use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, Statement, params};

use super::{now_text, time_text};
use crate::model::{Author, Post};

const SQL_AUTHOR: &str = "SELECT id, handle, name, url, avatar_url FROM authors WHERE uri = ?1";
const SQL_INSERT_AUTHOR: &str = "INSERT INTO authors (uri, handle, name, url, avatar_url,
     updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const SQL_UPDATE_AUTHOR: &str = "UPDATE authors SET handle = ?2, name = ?3, url = ?4,
     avatar_url = ?5, updated_at = ?6 WHERE id = ?1";

/// A stored post as the upsert needs it, in one lookup: its id, its version, how much it tells
/// (see [`richness`]), which of the fields another copy may fill are missing (bits: parent,
/// permalink, language, quote), and its place in the writer's story.
const SQL_EXISTING: &str = "SELECT p.id, coalesce(p.edited_at, p.created_at),
     length(p.text) + (SELECT 20 * count(*) + 40 * count(alt_text) + 5 * count(preview_url)
     FROM media m WHERE m.post_id = p.id)
     + 10 * (p.url IS NOT NULL) + 5 * (p.language IS NOT NULL)
     + 5 * (p.quote_of_uri IS NOT NULL) + 5 * (p.in_reply_to_uri IS NOT NULL),
     (p.in_reply_to_uri IS NULL) | ((p.url IS NULL) << 1) | ((p.language IS NULL) << 2)
     | ((p.quote_of_uri IS NULL) << 3),
     (SELECT reason FROM story_posts s WHERE s.tag = ?2 AND s.post_id = p.id)
     FROM posts p WHERE p.uri = ?1";

const SQL_INSERT_POST: &str = "INSERT INTO posts (uri, url, author_id, created_at, edited_at,
     content_html, text, language, in_reply_to_uri, reply_to_server, reply_to_local_id,
     conversation, sensitive, spoiler_text, source_format, source_json, collected_at,
     quote_of_uri)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
     ON CONFLICT (uri) DO NOTHING";

const SQL_INSERT_MEDIA: &str = "INSERT INTO media (post_id, position, url, kind, alt_text,
     width, height, preview_url) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const SQL_INSERT_TAG: &str = "INSERT OR IGNORE INTO post_tags (post_id, tag) VALUES (?1, ?2)";
/// An upsert rather than `INSERT OR REPLACE`, which needs a statement journal (see
/// `replies::SQL_COUNT`).
const SQL_INSERT_EMOJI: &str = "INSERT INTO emojis (post_id, shortcode, url) VALUES (?1, ?2, ?3)
     ON CONFLICT (post_id, shortcode) DO UPDATE SET url = excluded.url";
const SQL_JOIN_STORY_NEWER: &str = "INSERT INTO story_posts (tag, post_id, reason, added_at)
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tag, post_id) DO UPDATE SET reason = excluded.reason";
const SQL_JOIN_STORY_OLDER: &str = "INSERT INTO story_posts (tag, post_id, reason, added_at)
     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tag, post_id) DO UPDATE SET reason = 'tagged'
     WHERE excluded.reason = 'tagged'";
const SQL_TOMBSTONED: &str = "SELECT 1 FROM tombstones WHERE uri = ?1";
/// Whether any tombstone exists (a probe that stops at the first row).
pub(super) const SQL_ANY_TOMBSTONE: &str = "SELECT EXISTS (SELECT 1 FROM tombstones)";

const SQL_KEEP_REPLACED: &str = "INSERT OR IGNORE INTO revisions (post_id, edited_at,
     content_html, text, spoiler_text)
     SELECT id, coalesce(edited_at, created_at), content_html, text, spoiler_text
     FROM posts WHERE id = ?1";
const SQL_KEEP_OLDER: &str = "INSERT OR IGNORE INTO revisions (post_id, edited_at, content_html,
     text, spoiler_text) SELECT ?1, ?2, ?3, ?4, ?5
     WHERE ?2 < (SELECT coalesce(edited_at, created_at) FROM posts WHERE id = ?1)";
const SQL_UPDATE_POST: &str =
    "UPDATE posts SET url = coalesce(?2, url), author_id = ?3, edited_at = ?4,
     content_html = ?5, text = ?6, language = ?7,
     in_reply_to_uri = coalesce(?8, in_reply_to_uri),
     reply_to_server = coalesce(?9, reply_to_server),
     reply_to_local_id = coalesce(?10, reply_to_local_id),
     conversation = coalesce(?11, conversation), sensitive = ?12, spoiler_text = ?13,
     source_format = ?14, source_json = ?15, collected_at = ?16,
     quote_of_uri = coalesce(?17, quote_of_uri)
     WHERE id = ?1";
const SQL_FILL_MISSING: &str = "UPDATE posts SET in_reply_to_uri = coalesce(in_reply_to_uri, ?2),
     url = coalesce(url, ?3), language = coalesce(language, ?4),
     quote_of_uri = coalesce(quote_of_uri, ?5)
     WHERE id = ?1";
/// A poll's options go before it, as its cascade would take them: a large source is written
/// without foreign keys (`journal.rs`).
const SQL_CLEAR_POST: [&str; 5] = [
    "DELETE FROM media WHERE post_id = ?1",
    "DELETE FROM post_tags WHERE post_id = ?1",
    "DELETE FROM emojis WHERE post_id = ?1",
    "DELETE FROM poll_options WHERE post_id = ?1",
    "DELETE FROM polls WHERE post_id = ?1",
];
const SQL_INSERT_POLL: &str =
    "INSERT INTO polls (post_id, multiple, closes_at, voters) VALUES (?1, ?2, ?3, ?4)";
const SQL_INSERT_POLL_OPTION: &str =
    "INSERT INTO poll_options (post_id, position, title, votes) VALUES (?1, ?2, ?3, ?4)";

/// Statements the writer runs per post (for the query-plan test).
#[cfg(test)]
pub(super) const PER_POST_QUERIES: &[&str] = &[
    SQL_KEEP_REPLACED,
    SQL_KEEP_OLDER,
    SQL_UPDATE_POST,
    SQL_FILL_MISSING,
    SQL_CLEAR_POST[0],
    SQL_CLEAR_POST[1],
    SQL_CLEAR_POST[2],
    SQL_CLEAR_POST[3],
    SQL_CLEAR_POST[4],
    SQL_INSERT_POLL,
    SQL_INSERT_POLL_OPTION,
    SQL_AUTHOR,
    SQL_INSERT_AUTHOR,
    SQL_UPDATE_AUTHOR,
    SQL_EXISTING,
    SQL_INSERT_POST,
    SQL_INSERT_MEDIA,
    SQL_INSERT_TAG,
    SQL_INSERT_EMOJI,
    SQL_JOIN_STORY_NEWER,
    SQL_JOIN_STORY_OLDER,
    SQL_TOMBSTONED,
];

/// What [`SQL_EXISTING`] reads.
struct Existing {
    id: i64,
    version: String,
    richness: i64,
    missing: i64,
    in_story: Option<String>,
}

impl Existing {
    /// Whether `post` knows something the stored copy lacks.
    fn can_fill(&self, post: &Post, in_reply_to: Option<&str>) -> bool {
        let gives = i64::from(in_reply_to.is_some())
            | (i64::from(post.url.is_some()) << 1)
            | (i64::from(post.language.is_some()) << 2)
            | (i64::from(post.quote_of.is_some()) << 3);
        self.missing & gives != 0
    }
}

/// How much a copy of a post tells: longer text (one copy may be truncated), more media and
/// alt text, a permalink, a language, a quote, a parent. [`SQL_EXISTING`] counts the same for
/// the stored copy.
fn richness(post: &Post, in_reply_to: Option<&str>) -> i64 {
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    count(post.text.chars().count())
        + 20 * count(post.media.len())
        + 40 * count(post.media.iter().filter(|m| m.alt.is_some()).count())
        + 5 * count(post.media.iter().filter(|m| m.preview.is_some()).count())
        + 10 * i64::from(post.url.is_some())
        + 5 * i64::from(post.language.is_some())
        + 5 * i64::from(post.quote_of.is_some())
        + 5 * i64::from(in_reply_to.is_some())
}

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
///
/// The writer holds the source: its row in `sources`, its format, the tag it is collected
/// under and, for a staged source, which one of the run's it is.
///
/// It begins and ends its transaction itself, on a shared borrow of the connection, rather
/// than own a `rusqlite::Transaction`: the statements it runs per post borrow the connection
/// too, and held in the same struct as an owned transaction they would borrow the struct
/// itself (see `Held`).
pub struct SourceWriter<'c> {
    /// The connection, inside the writer's transaction until it commits or is dropped.
    pub(super) tx: &'c Connection,
    /// The statements run per post, prepared once.
    pub(super) held: Held<'c>,
    /// The bodies of the run's staged items, when it writes a staged source.
    pub(super) bodies: Option<&'c mut super::staging::Bodies>,
    pub(super) source_id: i64,
    pub(super) collected_at: String,
    pub(super) tag: String,
    format: String,
    /// The run's index of the staged source being written (-1: none).
    pub(super) staged_source: i64,
    /// Whether the archive holds any tombstone (asked once, set by deletions).
    tombstones: Option<bool>,
    /// This source recorded local ids new to the archive (in `temp.new_local_ids`).
    pub(super) new_local_ids: bool,
    /// Whether each author refuses archiving, as asked (a bounded cache).
    pub(super) refusals: HashMap<String, bool>,
    /// Whether any author refuses (see `refuses`), once asked; unknown again after a refusal
    /// is recorded.
    pub(super) any_refusal: Option<bool>,
    /// Whether the archive remembers any passed record (see `store/records.rs`), once asked.
    pub(super) any_passed: Option<bool>,
    /// Records remembered but set aside, not written yet (see `store/records.rs`).
    pub(super) set_aside: bool,
    /// Authors this transaction stored, by URI: their ids, and a digest of the profile last
    /// stored for each (a bounded cache, small enough to hold tens of thousands).
    authors: HashMap<Box<str>, (i64, u64)>,
    /// Keys the digests, so that no input can be made to collide with another on purpose.
    author_digests: std::hash::RandomState,
    /// The full-text index of new posts, filled in bulk at commit.
    pub(super) fts: super::fts::Deferred,
    /// The archived id of the post the last [`SourceWriter::upsert_post`] stored, if it did.
    pub(super) last_post: Option<i64>,
    /// The SQL of the indexes set aside until the source is written (`deferred_indexes.rs`).
    pub(super) deferred_indexes: Vec<String>,
    /// Whether foreign keys are enforced, and their cascades erase what hangs on a deleted
    /// row (not while a large source is written: `journal.rs`).
    pub(super) cascades: bool,
    /// The order the staged source may be written in, and whether it is written by URI
    /// (`staging/order.rs`).
    pub(super) order: super::staging::order::SourceOrder,
    pub(super) by_uri: bool,
    /// Whether the source's local ids are set aside and written sorted at
    /// [`SourceWriter::settle_order`] (a source that keeps no order: `staging/order.rs`).
    pub(super) locals_aside: bool,
    /// Where [`SourceWriter::next_staged`] reads on: the last staged row (or row of
    /// `write_order`) it gave.
    pub(super) cursor: i64,
    /// The staged row being written, as the collector says (`staging/order.rs`).
    pub(super) row: i64,
    /// The bodies of the batch after the one given, decoded ahead (`staging/prefetch.rs`),
    /// and where the batches asked for end (`None`: past the last).
    pub(super) prefetch: Option<super::staging::Prefetch>,
    pub(super) asked_to: Option<i64>,
}

/// The link a newer copy of an author gives, else the stored one; but never a web link
/// replaced by a path: an account export names its owner's avatar `avatar.png`, a file inside
/// the export that no page can show, where the API gave its URL.
fn newer_link<'a>(new: Option<&'a String>, stored: Option<&'a String>) -> Option<&'a String> {
    let web = |u: &String| u.starts_with("https://") || u.starts_with("http://");
    match (new, stored) {
        (Some(new), Some(stored)) if !web(new) && web(stored) => Some(stored),
        (new, stored) => new.or(stored),
    }
}

/// The answer of `sql`, a yes-or-no probe that holds for the rest of a writer's transaction
/// unless the writer itself changes it (it then sets or clears `known`): asked once, kept in
/// `known`.
pub(super) fn probe_once(conn: &Connection, known: &mut Option<bool>, sql: &str) -> Result<bool> {
    if let Some(answer) = *known {
        return Ok(answer);
    }
    let answer = conn.query_row(sql, [], |r| r.get(0))?;
    *known = Some(answer);
    Ok(answer)
}

/// Authors kept in a writer's cache before it starts again: at most about 5 MB, as each is
/// kept as its id and a digest of its profile, not the profile itself.
const AUTHOR_CACHE: usize = 50_000;

impl<'c> SourceWriter<'c> {
    pub(super) fn begin(
        conn: &'c mut Connection,
        bodies: Option<&'c mut super::staging::Bodies>,
        format: &str,
        location: &str,
        tag: &str,
        staged_source: Option<usize>,
        cascades: bool,
    ) -> Result<Self> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let tx: &'c Connection = conn;
        let collected_at = now_text();
        let noted = tx.execute(
            "INSERT INTO sources (format, location, tag, collected_at, posts_seen, posts_new,
             posts_updated, boosts, deletions, skipped_untagged, skipped_private, errors)
             VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0, 0, 0, 0, 0)",
            params![format, location, tag, collected_at],
        );
        if let Err(e) = noted {
            // No writer exists yet whose `Drop` would end the transaction.
            let _ = tx.execute_batch("ROLLBACK");
            return Err(e.into());
        }
        Ok(SourceWriter {
            source_id: tx.last_insert_rowid(),
            tx,
            held: Held::default(),
            bodies,
            collected_at,
            tag: tag.to_string(),
            format: format.to_string(),
            staged_source: staged_source
                .and_then(|s| i64::try_from(s).ok())
                .unwrap_or(-1),
            tombstones: None,
            new_local_ids: false,
            refusals: HashMap::new(),
            any_refusal: None,
            any_passed: None,
            set_aside: false,
            authors: HashMap::new(),
            author_digests: std::hash::RandomState::new(),
            fts: super::fts::Deferred::default(),
            last_post: None,
            deferred_indexes: Vec::new(),
            cascades,
            order: super::staging::order::SourceOrder::ByUriWhenLarge,
            by_uri: false,
            locals_aside: false,
            cursor: -1,
            row: -1,
            prefetch: None,
            asked_to: Some(-1),
        })
    }

    /// The tag this source is collected under.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// Inserts or completes an author. A record with neither name nor avatar (an actor known
    /// only by its URI) never overwrites a richer one.
    pub fn upsert_author(&mut self, author: &Author) -> Result<i64> {
        // Storing the same profile again changes nothing (the merge below is idempotent), so
        // a profile met just as it was last met needs no lookup.
        let seen = self.author_digests.hash_one((
            &author.handle,
            &author.name,
            &author.url,
            &author.avatar,
        ));
        let cached = self.authors.get(author.uri.as_str()).copied();
        self.note_author(author, seen, cached.is_some_and(|(_, d)| d == seen))?;
        if let Some((id, digest)) = cached
            && digest == seen
        {
            return Ok(id);
        }
        let id = self.store_author(author)?;
        if self.authors.len() >= AUTHOR_CACHE {
            self.authors.clear();
        }
        self.authors.insert(author.uri.as_str().into(), (id, seen));
        Ok(id)
    }

    fn store_author(&mut self, author: &Author) -> Result<i64> {
        let rich = !author.name.is_empty() || author.avatar.is_some();
        let stored = self
            .tx
            .prepare_cached(SQL_AUTHOR)?
            .query_row([&author.uri], |r| {
                let stored = Author {
                    handle: r.get(1)?,
                    name: r.get(2)?,
                    url: r.get(3)?,
                    avatar: r.get(4)?,
                    ..Default::default()
                };
                Ok((r.get::<_, i64>(0)?, stored))
            })
            .optional()?;
        let Some((id, stored)) = stored else {
            self.tx.prepare_cached(SQL_INSERT_AUTHOR)?.execute(params![
                author.uri,
                author.handle,
                author.name,
                author.url,
                author.avatar,
                self.collected_at
            ])?;
            return Ok(self.tx.last_insert_rowid());
        };
        let url = newer_link(author.url.as_ref(), stored.url.as_ref());
        let avatar = newer_link(author.avatar.as_ref(), stored.avatar.as_ref());
        let same = author.handle == stored.handle
            && author.name == stored.name
            && url == stored.url.as_ref()
            && avatar == stored.avatar.as_ref();
        if rich && !same {
            self.tx.prepare_cached(SQL_UPDATE_AUTHOR)?.execute(params![
                id,
                author.handle,
                author.name,
                url,
                avatar,
                self.collected_at
            ])?;
        }
        Ok(id)
    }

    /// Forgets the cached `authors` rows (after statements that change them in bulk).
    pub(super) fn forget_cached_authors(&mut self) {
        self.authors.clear();
    }

    /// Stores `post` in the story of the writer's tag, keeping whichever version is newest.
    pub fn upsert_post(
        &mut self,
        post: &Post,
        in_reply_to: Option<&str>,
        reason: Reason,
    ) -> Result<PostOutcome> {
        self.last_post = None;
        if self.is_tombstoned(&post.uri)? {
            return Ok(PostOutcome::Deleted);
        }
        let author_id = self.upsert_author(&post.author)?;
        // Most posts a collect writes are new: inserted first, a post asks the URI index once,
        // where a lookup before the insert asked it twice (3% of the writing thread, 100k
        // Mastodon statuses; issue 10). An insert that meets the URI writes nothing.
        if let Some(post_id) = self.insert_post(post, author_id, in_reply_to)? {
            self.last_post = Some(post_id);
            self.count_replies(post_id, post)?;
            self.add_media_and_tags(post_id, post)?;
            self.join_story(post_id, reason, true)?;
            return Ok(PostOutcome::New);
        }
        let existing: Option<Existing> = self
            .tx
            .prepare_cached(SQL_EXISTING)?
            .query_row(params![post.uri, self.tag], |r| {
                Ok(Existing {
                    id: r.get(0)?,
                    version: r.get(1)?,
                    richness: r.get(2)?,
                    missing: r.get(3)?,
                    in_story: r.get(4)?,
                })
            })
            .optional()?;
        let version = time_text(&post.edited_at.unwrap_or(post.created_at));
        let Some(existing) = existing else {
            anyhow::bail!("post {} was neither inserted nor found", post.uri);
        };
        let id = existing.id;
        self.last_post = Some(id);
        let outcome = if version > existing.version {
            self.update_post(id, post, author_id, in_reply_to, true)?;
            PostOutcome::Updated
        } else if version == existing.version && richness(post, in_reply_to) > existing.richness {
            // The same version from another source or format: the richer copy wins.
            self.update_post(id, post, author_id, in_reply_to, false)?;
            PostOutcome::Updated
        } else {
            if existing.can_fill(post, in_reply_to) {
                self.fill_missing(id, post, in_reply_to)?;
            }
            if version < existing.version {
                self.keep_older_version(id, post, &version)?;
            }
            PostOutcome::Unchanged
        };
        if outcome != PostOutcome::Unchanged {
            self.replace_media_and_tags(id, post)?;
            self.join_story(id, reason, true)?;
        } else {
            self.keep_in_story(id, existing.in_story.as_deref(), reason)?;
        }
        Ok(outcome)
    }

    /// Inserts `post` unless the archive holds its URI; returns its new id if it did.
    fn insert_post(
        &mut self,
        post: &Post,
        author_id: i64,
        in_reply_to: Option<&str>,
    ) -> Result<Option<i64>> {
        let reply_local = post.in_reply_to_local.as_ref();
        self.fts.before_insert(self.tx)?;
        let inserted =
            held(self.tx, &mut self.held.insert_post, SQL_INSERT_POST)?.execute(params![
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
                self.format,
                post.source_json,
                self.collected_at,
                post.quote_of,
            ])?;
        if inserted == 0 {
            return Ok(None);
        }
        let id = self.tx.last_insert_rowid();
        self.fts.inserted(id);
        Ok(Some(id))
    }

    fn update_post(
        &mut self,
        id: i64,
        post: &Post,
        author_id: i64,
        in_reply_to: Option<&str>,
        newer_version: bool,
    ) -> Result<()> {
        let reply_local = post.in_reply_to_local.as_ref();
        self.fts.before_change(self.tx, id)?;
        if newer_version {
            // The version being replaced becomes part of the post's edit history.
            self.tx.prepare_cached(SQL_KEEP_REPLACED)?.execute([id])?;
        }
        self.tx.prepare_cached(SQL_UPDATE_POST)?.execute(params![
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
            self.format,
            post.source_json,
            self.collected_at,
            post.quote_of,
        ])?;
        Ok(())
    }

    /// An older copy of a stored post is kept as a revision, when it is a different version.
    fn keep_older_version(&mut self, id: i64, post: &Post, version: &str) -> Result<()> {
        self.tx.prepare_cached(SQL_KEEP_OLDER)?.execute(params![
            id,
            version,
            post.content_html,
            post.text,
            post.spoiler_text
        ])?;
        Ok(())
    }

    /// Another copy may know what the stored one does not: a parent (a resolved local id), the
    /// permalink, the language, the quoted post.
    fn fill_missing(&mut self, id: i64, post: &Post, in_reply_to: Option<&str>) -> Result<()> {
        self.tx.prepare_cached(SQL_FILL_MISSING)?.execute(params![
            id,
            in_reply_to,
            post.url,
            post.language,
            post.quote_of
        ])?;
        Ok(())
    }

    fn replace_media_and_tags(&mut self, post_id: i64, post: &Post) -> Result<()> {
        for sql in SQL_CLEAR_POST {
            self.tx.prepare_cached(sql)?.execute([post_id])?;
        }
        self.add_media_and_tags(post_id, post)
    }

    /// Writes a post's media, tags, emoji and poll (a new post has none yet: no deletes).
    /// (Each statement is fetched only when the post has rows for it: fetching hashes the SQL,
    /// 3% of the writing thread for all statements together; issue 10.)
    fn add_media_and_tags(&mut self, post_id: i64, post: &Post) -> Result<()> {
        if !post.media.is_empty() {
            let mut media = self.tx.prepare_cached(SQL_INSERT_MEDIA)?;
            for (position, m) in post.media.iter().enumerate() {
                media.execute(params![
                    post_id, position, m.url, m.kind, m.alt, m.width, m.height, m.preview
                ])?;
            }
        }
        if !post.tags.is_empty() {
            let tags = held(self.tx, &mut self.held.insert_tag, SQL_INSERT_TAG)?;
            for tag in &post.tags {
                tags.execute(params![post_id, tag])?;
            }
        }
        if !post.emojis.is_empty() {
            let mut emojis = self.tx.prepare_cached(SQL_INSERT_EMOJI)?;
            for emoji in &post.emojis {
                emojis.execute(params![post_id, emoji.shortcode, emoji.url])?;
            }
        }
        if let Some(poll) = &post.poll {
            self.tx.prepare_cached(SQL_INSERT_POLL)?.execute(params![
                post_id,
                poll.multiple,
                poll.closes_at.as_ref().map(time_text),
                poll.voters
            ])?;
            let mut option = self.tx.prepare_cached(SQL_INSERT_POLL_OPTION)?;
            for (position, o) in poll.options.iter().enumerate() {
                option.execute(params![post_id, position, o.title, o.votes])?;
            }
        }
        Ok(())
    }

    /// Keeps an unchanged copy's post (or an archived post of a known record) in the story,
    /// where `in_story` is its reason there now: joined when it is not in it yet, made tagged
    /// when it is in it as context.
    pub fn keep_in_story(
        &mut self,
        post_id: i64,
        in_story: Option<&str>,
        reason: Reason,
    ) -> Result<()> {
        if in_story.is_none() || (reason == Reason::Tagged && in_story != Some("tagged")) {
            self.join_story(post_id, reason, false)?;
        }
        Ok(())
    }

    /// Adds the post to the story; a newer version decides the reason, an older copy can only
    /// promote `context` to `tagged`.
    fn join_story(&mut self, post_id: i64, reason: Reason, newer: bool) -> Result<()> {
        let params = params![self.tag, post_id, reason.as_str(), self.collected_at];
        if newer {
            held(
                self.tx,
                &mut self.held.join_story_newer,
                SQL_JOIN_STORY_NEWER,
            )?
            .execute(params)?;
        } else {
            self.tx
                .prepare_cached(SQL_JOIN_STORY_OLDER)?
                .execute(params)?;
        }
        Ok(())
    }

    fn is_tombstoned(&mut self, uri: &str) -> Result<bool> {
        if !probe_once(self.tx, &mut self.tombstones, SQL_ANY_TOMBSTONE)? {
            return Ok(false);
        }
        Ok(self.tx.prepare_cached(SQL_TOMBSTONED)?.exists([uri])?)
    }

    /// Notes that a tombstone was recorded in this transaction.
    pub(super) fn tombstone_recorded(&mut self) {
        self.tombstones = Some(true);
    }

    /// Records the source's tallies and commits everything written through this writer.
    pub fn commit(mut self, c: &SourceCounts) -> Result<()> {
        self.build_deferred_indexes()?;
        self.fts.finish(self.tx)?;
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
        self.tx.execute_batch("COMMIT")?;
        Ok(())
    }
}

impl Drop for SourceWriter<'_> {
    /// A writer dropped before its commit (or whose commit failed) stores nothing.
    fn drop(&mut self) {
        if !self.tx.is_autocommit() {
            // Nothing to tell anyone if this fails: the connection is closed with the run, and
            // SQLite rolls back whatever it has not committed.
            let _ = self.tx.execute_batch("ROLLBACK");
        }
    }
}

/// Statements a writer runs per post, prepared on first use and kept: fetching them from
/// rusqlite's cache hashed their SQL every time (3.4% of the writing thread in a first collect
/// of 100k Mastodon statuses; issue 10).
#[derive(Default)]
pub(super) struct Held<'c> {
    pub(super) insert_post: Option<Statement<'c>>,
    pub(super) join_story_newer: Option<Statement<'c>>,
    pub(super) insert_tag: Option<Statement<'c>>,
    pub(super) count_replies: Option<Statement<'c>>,
    pub(super) set_aside_record: Option<Statement<'c>>,
    pub(super) local_aside: Option<Statement<'c>>,
}

/// The statement in `slot`, prepared from `sql` on `conn` the first time.
pub(super) fn held<'s, 'c>(
    conn: &'c Connection,
    slot: &'s mut Option<Statement<'c>>,
    sql: &str,
) -> rusqlite::Result<&'s mut Statement<'c>> {
    match slot {
        Some(statement) => Ok(statement),
        None => Ok(slot.insert(conn.prepare(sql)?)),
    }
}
