//! `tagstory forget`: erasing posts or an author for good. Everything of them goes — content,
//! earlier versions, media and their archived bytes, raw JSON, full-text entries, story
//! membership, the curator's notes and hidden marks on them, local ids, boosts, and their
//! handle and name where other posts mention them ([`crate::forget::Scrubber`]) — and only
//! hashes stay behind (`forgotten`), which keep them out of every later collect.
//!
//! The bytes must leave the file too: [`Store::compact`] runs with `secure_delete` on, then
//! checkpoints the WAL and `VACUUM`s, which rewrites the archive without free pages.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::Store;
use super::consent::{collect_media_garbage, erase_posts, load_forgotten, record_forgotten};
use super::curator::PostMatch;
use crate::forget::{Kind, Scrubber};

/// An archived author, as `forget --author` names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuthor {
    /// Canonical URI.
    pub uri: String,
    /// `@name@host` as the JSON output shows it.
    pub handle: String,
    /// Display name, `""` when unknown.
    pub name: String,
    /// Profile page.
    pub url: Option<String>,
}

/// What forgetting erased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForgetReport {
    /// Posts erased.
    pub posts: u64,
    /// Earlier versions of them erased.
    pub revisions: u64,
    /// Attachments erased (media rows).
    pub media: u64,
    /// Archived media files erased (URLs with their bytes).
    pub media_files: u64,
    /// Boosts of them (or by them) erased.
    pub boosts: u64,
    /// Author profiles erased.
    pub authors: u64,
    /// Curator's notes, hidden marks, warnings and Storify entries at their posts erased.
    pub curation: u64,
    /// Other posts whose text or JSON named them, scrubbed.
    pub scrubbed: u64,
    /// The curator's words (notes, introductions, titles, content warnings, Storify notes) and
    /// other posts' descriptions and poll choices that named them, scrubbed.
    pub other_texts: u64,
    /// Hashes recorded to keep them out of later collects.
    pub hashes: u64,
}

/// Tables whose row counts tell what forgetting erased.
const COUNTED: [&str; 6] = [
    "posts",
    "revisions",
    "media",
    "media_files",
    "boosts",
    "authors",
];

fn counts(conn: &Connection) -> Result<[u64; 6]> {
    let mut out = [0; 6];
    for (slot, table) in out.iter_mut().zip(COUNTED) {
        *slot = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
    }
    Ok(out)
}

impl Store {
    /// The post `name` names in the whole archive (any story, or none): its URI or permalink
    /// exactly, else the one whose URI or permalink starts with `name`, else a post a collect
    /// passed over (`passed`) with that URI.
    pub fn find_post_anywhere(&self, name: &str) -> Result<PostMatch> {
        let name = name.trim();
        if name.is_empty() {
            return Ok(PostMatch::None);
        }
        let query = |sql: &str| -> Result<Vec<String>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt.query_map([name], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        let mut found = query("SELECT uri FROM posts WHERE uri = ?1 OR url = ?1")?;
        if found.is_empty() {
            found = query(
                "SELECT uri FROM posts WHERE substr(uri, 1, length(?1)) = ?1
                 OR substr(coalesce(url, ''), 1, length(?1)) = ?1 ORDER BY uri LIMIT 6",
            )?;
        }
        if found.is_empty() {
            // A post a collect passed over, known by its URI alone.
            found = query("SELECT DISTINCT uri FROM passed WHERE uri = ?1")?;
        }
        Ok(match found.len() {
            0 => PostMatch::None,
            1 => PostMatch::One(found.remove(0)),
            _ => PostMatch::Several(found),
        })
    }

    /// The archived authors `name` names: by handle (`@name@server`, with or without the
    /// first `@`, case ignored), profile URL or URI. An author the archive knows only as the
    /// author of posts a collect passed over (`passed`, by URI alone) is found by that URI,
    /// with no handle or name.
    pub fn find_authors(&self, name: &str) -> Result<Vec<StoredAuthor>> {
        let mut stmt = self.conn.prepare(
            "SELECT uri, handle, name, url FROM authors
             WHERE lower(ltrim(handle, '@')) = lower(ltrim(?1, '@'))
                OR rtrim(coalesce(url, ''), '/') = rtrim(?1, '/')
                OR rtrim(uri, '/') = rtrim(?1, '/')
             ORDER BY uri",
        )?;
        let rows = stmt.query_map([name.trim()], |r| {
            Ok(StoredAuthor {
                uri: r.get(0)?,
                handle: r.get(1)?,
                name: r.get(2)?,
                url: r.get(3)?,
            })
        })?;
        let found: Vec<StoredAuthor> = rows.collect::<Result<_, _>>()?;
        if !found.is_empty() {
            return Ok(found);
        }
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT author_uri FROM passed WHERE author_uri IN (?1, rtrim(?1, '/'))",
        )?;
        let rows = stmt.query_map([name.trim()], |r| {
            Ok(StoredAuthor {
                uri: r.get(0)?,
                handle: String::new(),
                name: String::new(),
                url: None,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Erases the posts with these URIs for good and keeps their hashes.
    pub fn forget_posts(&mut self, uris: &[String]) -> Result<ForgetReport> {
        self.conn.pragma_update(None, "secure_delete", true)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = counts(&tx)?;
        let mut report = ForgetReport::default();
        let mut identities: Vec<String> = Vec::new();
        for uri in uris {
            let url: Option<String> = tx
                .query_row("SELECT url FROM posts WHERE uri = ?1", [uri], |r| r.get(0))
                .optional()?
                .flatten();
            for id in std::iter::once(uri).chain(url.as_ref()) {
                report.hashes += u64::from(record_forgotten(&tx, Kind::Post, id)?);
                identities.push(id.clone());
            }
            report.curation += erase_curation(&tx, uri)?;
            erase_posts(&tx, "uri = ?1", uri)?;
            tx.execute("DELETE FROM tombstones WHERE uri = ?1", [uri])?;
        }
        collect_media_garbage(&tx)?;
        let forgotten = load_forgotten(&tx)?;
        let mut scrubber = Scrubber::new(&forgotten);
        for id in &identities {
            scrubber.add_post(id);
        }
        report.scrubbed = scrub_archive(&tx, &scrubber)?;
        report.other_texts = scrub_other_texts(&tx, &scrubber)?;
        finish(&tx, &before, &mut report)?;
        tx.commit().context("cannot forget the posts")?;
        Ok(report)
    }

    /// Erases every post and the profile of `author` for good, scrubs their handle and name
    /// from other posts, and keeps hashes of their URIs, handle and name.
    pub fn forget_author(&mut self, author: &StoredAuthor) -> Result<ForgetReport> {
        self.conn.pragma_update(None, "secure_delete", true)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = counts(&tx)?;
        let mut report = ForgetReport::default();
        // Their posts a collect passed over are forgotten with the others.
        let posts: Vec<(String, Option<String>)> = tx
            .prepare(
                "SELECT p.uri, p.url FROM posts p JOIN authors a ON a.id = p.author_id
                 WHERE a.uri = ?1
                 UNION SELECT uri, NULL FROM passed WHERE author_uri = ?1",
            )?
            .query_map([&author.uri], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut record = |kind, value: &str| -> Result<()> {
            report.hashes += u64::from(record_forgotten(&tx, kind, value)?);
            Ok(())
        };
        record(Kind::Author, &author.uri)?;
        if let Some(url) = &author.url {
            record(Kind::Author, url)?;
        }
        if !author.handle.is_empty() {
            record(Kind::Handle, &author.handle)?;
        }
        if crate::forget::normalise(Kind::Name, &author.name)
            .chars()
            .count()
            >= crate::forget::MIN_NAME_CHARS
        {
            record(Kind::Name, &author.name)?;
        }
        for (uri, url) in &posts {
            record(Kind::Post, uri)?;
            if let Some(url) = url {
                record(Kind::Post, url)?;
            }
        }
        for (uri, _) in &posts {
            report.curation += erase_curation(&tx, uri)?;
        }
        erase_posts(
            &tx,
            "author_id IN (SELECT id FROM authors WHERE uri = ?1)",
            &author.uri,
        )?;
        erase_author_traces(&tx, author)?;
        collect_media_garbage(&tx)?;
        let forgotten = load_forgotten(&tx)?;
        let mut scrubber = Scrubber::new(&forgotten);
        scrubber.add_url(&author.uri);
        if let Some(url) = &author.url {
            scrubber.add_url(url);
        }
        scrubber.add_handle(&author.handle);
        scrubber.add_name(&author.name);
        for (uri, url) in &posts {
            scrubber.add_post(uri);
            if let Some(url) = url {
                scrubber.add_post(url);
            }
        }
        report.scrubbed = scrub_archive(&tx, &scrubber)?;
        report.other_texts = scrub_other_texts(&tx, &scrubber)?;
        finish(&tx, &before, &mut report)?;
        tx.commit().context("cannot forget the author")?;
        Ok(report)
    }

    /// Makes what was erased leave the file: the WAL is checkpointed and truncated, and the
    /// archive rewritten by `VACUUM` (with `secure_delete` on, freed pages are zeroed too).
    pub fn compact(&mut self) -> Result<()> {
        self.conn.pragma_update(None, "secure_delete", true)?;
        let checkpoint =
            |conn: &Connection| conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        checkpoint(&self.conn).context("cannot checkpoint the archive's WAL")?;
        self.conn
            .execute_batch("VACUUM")
            .context("cannot compact the archive (VACUUM)")?;
        checkpoint(&self.conn).context("cannot checkpoint the archive's WAL")?;
        Ok(())
    }
}

/// The curator's notes, hidden marks, content warnings and Storify entries at `uri`.
fn erase_curation(conn: &Connection, uri: &str) -> Result<u64> {
    let mut n = 0;
    for table in ["notes", "hidden_posts", "curator_warnings", "curation"] {
        n += conn.execute(&format!("DELETE FROM {table} WHERE post_uri = ?1"), [uri])?;
    }
    Ok(n as u64)
}

/// What else names the author: their boosts, waiting boosts naming their handle, what their
/// profile said about consent, tombstones and refetch entries of their posts, their profile.
fn erase_author_traces(conn: &Connection, author: &StoredAuthor) -> Result<()> {
    let prefixes: Vec<String> = std::iter::once(&author.uri)
        .chain(author.url.as_ref())
        .map(|u| format!("{}/", u.trim_end_matches('/')))
        .collect();
    conn.execute("DELETE FROM boosts WHERE booster_uri = ?1", [&author.uri])?;
    if !author.handle.is_empty() {
        conn.execute(
            "DELETE FROM text_boosts
             WHERE lower(ltrim(author_handle, '@')) = lower(ltrim(?1, '@'))",
            [&author.handle],
        )?;
    }
    conn.execute(
        "DELETE FROM author_consent WHERE author_uri = ?1",
        [&author.uri],
    )?;
    for prefix in &prefixes {
        for (table, column) in [
            ("tombstones", "uri"),
            ("fetched_posts", "post_uri"),
            ("boosts", "post_uri"),
        ] {
            conn.execute(
                &format!("DELETE FROM {table} WHERE substr({column}, 1, length(?1)) = ?1"),
                [prefix],
            )?;
        }
    }
    conn.execute("DELETE FROM authors WHERE uri = ?1", [&author.uri])?;
    Ok(())
}

/// Scrubs every archived post and earlier version that holds one of the scrubber's forms;
/// returns how many posts changed.
fn scrub_archive(conn: &Connection, scrubber: &Scrubber<'_>) -> Result<u64> {
    let mut ids: Vec<i64> = Vec::new();
    for needle in scrubber.needle_texts() {
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM posts WHERE instr(lower(content_html), ?1) OR instr(lower(text), ?1)
             OR instr(lower(source_json), ?1) OR instr(lower(coalesce(spoiler_text, '')), ?1)
             OR instr(lower(coalesce(in_reply_to_uri, '')), ?1)
             OR instr(lower(coalesce(quote_of_uri, '')), ?1)
             OR instr(lower(coalesce(conversation, '')), ?1)
             UNION SELECT post_id FROM revisions WHERE instr(lower(content_html), ?1)
             OR instr(lower(text), ?1) OR instr(lower(coalesce(spoiler_text, '')), ?1)",
        )?;
        let rows = stmt.query_map([&needle], |r| r.get(0))?;
        for id in rows {
            ids.push(id?);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let mut scrubbed = 0;
    for id in ids {
        scrubbed += u64::from(scrub_post_row(conn, scrubber, id)?);
    }
    Ok(scrubbed)
}

/// Texts beside the posts that may name a forgotten person or post: the curator's, written
/// about the conversation, and the parts of other people's posts kept in their own tables.
/// `(table, key columns, text column)`; all are names fixed here, never input.
const OTHER_TEXTS: &[(&str, &[&str], &str)] = &[
    ("notes", &["id"], "body_md"),
    ("notes", &["id"], "body_html"),
    ("stories", &["tag"], "title"),
    ("stories", &["tag"], "intro_md"),
    ("stories", &["tag"], "intro_html"),
    ("curated_stories", &["tag", "url"], "title"),
    ("curated_stories", &["tag", "url"], "intro_html"),
    ("curated_stories", &["tag", "url"], "curator_name"),
    ("curation", &["tag", "story_url", "position"], "note_html"),
    ("curator_warnings", &["tag", "post_uri"], "text"),
    ("media", &["post_id", "position"], "alt_text"),
    ("poll_options", &["post_id", "position"], "title"),
];

/// Scrubs [`OTHER_TEXTS`]; returns how many texts changed.
fn scrub_other_texts(conn: &Connection, scrubber: &Scrubber<'_>) -> Result<u64> {
    use rusqlite::types::Value as Sql;
    let needles = scrubber.needle_texts();
    if needles.is_empty() {
        return Ok(0);
    }
    let mut changed = 0;
    for (table, keys, column) in OTHER_TEXTS {
        // One pass, all needles at once: each text that holds any comes back once.
        let holds_any: Vec<String> = (1..=needles.len())
            .map(|i| format!("instr(lower({column}), ?{i})"))
            .collect();
        let select = format!(
            "SELECT {}, {column} FROM {table} WHERE {}",
            keys.join(", "),
            holds_any.join(" OR ")
        );
        let mut stmt = conn.prepare(&select)?;
        let rows: Vec<(Vec<Sql>, String)> = stmt
            .query_map(rusqlite::params_from_iter(&needles), |r| {
                let key = (0..keys.len())
                    .map(|i| r.get(i))
                    .collect::<Result<_, _>>()?;
                Ok((key, r.get(keys.len())?))
            })?
            .collect::<Result<_, _>>()?;
        let filter: Vec<String> = (0..keys.len())
            .map(|i| format!("{} = ?{}", keys[i], i + 2))
            .collect();
        let update = format!(
            "UPDATE {table} SET {column} = ?1 WHERE {}",
            filter.join(" AND ")
        );
        for (key, text) in rows {
            if let Some(scrubbed) = scrubber.scrub_text(&text) {
                let mut values = vec![Sql::Text(scrubbed)];
                values.extend(key);
                conn.prepare_cached(&update)?
                    .execute(rusqlite::params_from_iter(values))?;
                changed += 1;
            }
        }
    }
    Ok(changed)
}

fn scrub_post_row(conn: &Connection, scrubber: &Scrubber<'_>, id: i64) -> Result<bool> {
    type Row = (
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    );
    let (html, text, spoiler, json, reply, quote): Row = conn.query_row(
        "SELECT content_html, text, spoiler_text, source_json, in_reply_to_uri, quote_of_uri
         FROM posts WHERE id = ?1",
        [id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        },
    )?;
    let text_of = |s: &str| scrubber.scrub_text(s);
    let opt = |s: &Option<String>| s.as_deref().and_then(text_of);
    let new = (
        text_of(&html),
        text_of(&text),
        opt(&spoiler),
        scrubber.scrub_json(&json),
        opt(&reply),
        opt(&quote),
    );
    let mut changed = new != (None, None, None, None, None, None);
    if changed {
        conn.execute(
            "UPDATE posts SET content_html = ?2, text = ?3, spoiler_text = ?4, source_json = ?5,
             in_reply_to_uri = ?6, quote_of_uri = ?7,
             conversation = ?8 WHERE id = ?1",
            params![
                id,
                new.0.unwrap_or(html),
                new.1.unwrap_or(text),
                new.2.or(spoiler),
                new.3.unwrap_or(json),
                new.4.or(reply),
                new.5.or(quote),
                conversation_of(conn, scrubber, id)?,
            ],
        )?;
    }
    let revisions: Vec<(String, String, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT edited_at, content_html, text, spoiler_text FROM revisions WHERE post_id = ?1",
        )?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (at, html, text, spoiler) in revisions {
        let new = (text_of(&html), text_of(&text), opt(&spoiler));
        if new != (None, None, None) {
            changed = true;
            conn.execute(
                "UPDATE revisions SET content_html = ?3, text = ?4, spoiler_text = ?5
                 WHERE post_id = ?1 AND edited_at = ?2",
                params![
                    id,
                    at,
                    new.0.unwrap_or(html),
                    new.1.unwrap_or(text),
                    new.2.or(spoiler)
                ],
            )?;
        }
    }
    Ok(changed)
}

fn conversation_of(conn: &Connection, scrubber: &Scrubber<'_>, id: i64) -> Result<Option<String>> {
    let conversation: Option<String> =
        conn.query_row("SELECT conversation FROM posts WHERE id = ?1", [id], |r| {
            r.get(0)
        })?;
    Ok(conversation.map(|c| scrubber.scrub_text(&c).unwrap_or(c)))
}

/// Rebuilds the full-text index from the posts, so no erased word stays in its segments, and
/// fills in the report from the row counts.
fn finish(conn: &Connection, before: &[u64; 6], report: &mut ForgetReport) -> Result<()> {
    conn.execute_batch("INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')")?;
    let after = counts(conn)?;
    let gone = |i: usize| before[i].saturating_sub(after[i]);
    report.posts = gone(0);
    report.revisions = gone(1);
    report.media = gone(2);
    report.media_files = gone(3);
    report.boosts = gone(4);
    report.authors = gone(5);
    Ok(())
}
