//! Archived media: the bytes of a story's avatars, attachments and custom emoji, stored inside
//! the archive once per content (keyed by their SHA-256, so the same picture used twice is kept
//! once), and what each remote URL gave — its bytes, or why they could not be kept.
//!
//! The store hashes and files; it does not judge what the bytes are. `crate::media` fetches and
//! sniffs them before they get here, and records every refusal with its reason.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{Store, now_text};

/// How a story uses a remote file, which sets how large it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MediaUse {
    /// An author's avatar.
    Avatar,
    /// A custom emoji's picture.
    Emoji,
    /// An image attachment.
    Image,
    /// A video attachment (Mastodon's `gifv` included).
    Video,
    /// An audio attachment.
    Audio,
    /// An attachment of a kind the source did not say.
    Unknown,
    /// The poster or cover picture of a video or sound.
    Preview,
}

impl MediaUse {
    /// The use of an attachment of `kind`, as the `media` table holds it.
    pub fn of_attachment(kind: &str) -> MediaUse {
        match kind {
            "image" => MediaUse::Image,
            "video" | "gifv" => MediaUse::Video,
            "audio" => MediaUse::Audio,
            _ => MediaUse::Unknown,
        }
    }

    /// Whether the file should be a picture (so the smaller size limit applies).
    pub fn is_picture(self) -> bool {
        matches!(
            self,
            MediaUse::Avatar | MediaUse::Emoji | MediaUse::Image | MediaUse::Preview
        )
    }
}

/// A remote file the story of a tag shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryMediaUrl {
    /// The URL, as the post or author names it.
    pub url: String,
    /// How the story uses it; of several uses, the one allowing the largest file.
    pub used_as: MediaUse,
}

/// A file archived for a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedMedia {
    /// Lower-case hex SHA-256 of the bytes: the key of [`Store::blob`].
    pub sha256: String,
    /// The MIME type the bytes were sniffed as (`image/png`, `video/mp4`…).
    pub mime: String,
    /// Length of the bytes.
    pub size: u64,
}

/// What [`Store::put_media`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutMediaOutcome {
    /// The bytes' SHA-256, hex.
    pub sha256: String,
    /// Whether these bytes were new to the archive (rather than already kept for another URL).
    pub new_bytes: bool,
}

/// Lower-case hex SHA-256 of `bytes`: the key of archived media.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

impl Store {
    /// Every avatar, attachment (with the poster or cover of a video or sound) and custom-emoji
    /// URL of the posts in the story of `tag`, each once, in URL order.
    pub fn media_urls_of_story(&self, tag: &str) -> Result<Vec<StoryMediaUrl>> {
        let mut stmt = self.conn.prepare(
            "SELECT m.url, m.kind FROM media m
             JOIN story_posts s ON s.post_id = m.post_id AND s.tag = ?1
             UNION ALL
             SELECT m.preview_url, 'preview' FROM media m
             JOIN story_posts s ON s.post_id = m.post_id AND s.tag = ?1
             WHERE m.preview_url IS NOT NULL AND m.preview_url <> ''
             UNION ALL
             SELECT a.avatar_url, 'avatar' FROM story_posts s
             JOIN posts p ON p.id = s.post_id JOIN authors a ON a.id = p.author_id
             WHERE s.tag = ?1 AND a.avatar_url IS NOT NULL AND a.avatar_url <> ''
             UNION ALL
             SELECT e.url, 'emoji' FROM emojis e
             JOIN story_posts s ON s.post_id = e.post_id AND s.tag = ?1",
        )?;
        let rows = stmt.query_map([tag], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut by_url: BTreeMap<String, MediaUse> = BTreeMap::new();
        for row in rows {
            let (url, kind) = row?;
            let used_as = match kind.as_str() {
                "avatar" => MediaUse::Avatar,
                "emoji" => MediaUse::Emoji,
                "preview" => MediaUse::Preview,
                other => MediaUse::of_attachment(other),
            };
            let entry = by_url.entry(url).or_insert(used_as);
            if entry.is_picture() && !used_as.is_picture() {
                *entry = used_as;
            }
        }
        Ok(by_url
            .into_iter()
            .map(|(url, used_as)| StoryMediaUrl { url, used_as })
            .collect())
    }

    /// Whether the archive holds any media file at all (so a render can skip looking).
    pub fn has_archived_media(&self) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM media_files WHERE sha256 IS NOT NULL)",
            [],
            |r| r.get(0),
        )?)
    }

    /// The archived file of each of `urls` that has one (URLs never fetched, or whose fetch
    /// failed, are absent).
    pub fn archived_media<S: AsRef<str>>(
        &self,
        urls: impl IntoIterator<Item = S>,
    ) -> Result<HashMap<String, ArchivedMedia>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT b.sha256, b.mime, b.size FROM media_files f
             JOIN blobs b ON b.sha256 = f.sha256 WHERE f.url = ?1",
        )?;
        let mut found = HashMap::new();
        for url in urls {
            let url = url.as_ref();
            let archived = stmt
                .query_row([url], |r| {
                    Ok(ArchivedMedia {
                        sha256: r.get(0)?,
                        mime: r.get(1)?,
                        size: r.get(2)?,
                    })
                })
                .optional()?;
            if let Some(archived) = archived {
                found.insert(url.to_owned(), archived);
            }
        }
        Ok(found)
    }

    /// The bytes archived under `sha256` (as [`ArchivedMedia::sha256`] gives it).
    pub fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        self.conn
            .prepare_cached("SELECT data FROM blobs WHERE sha256 = ?1")?
            .query_row([sha256], |r| r.get(0))
            .optional()
            .with_context(|| format!("cannot read archived file {sha256}"))
    }

    /// Archives `bytes`, already checked to be `mime`, as what `url` gives: the bytes once
    /// whatever the number of URLs giving them, and the URL's failure, if any, cleared.
    pub fn put_media(&mut self, url: &str, mime: &str, bytes: &[u8]) -> Result<PutMediaOutcome> {
        let sha256 = sha256_hex(bytes);
        let now = now_text();
        let tx = self.conn.transaction()?;
        let new_bytes = tx.execute(
            "INSERT INTO blobs (sha256, mime, size, data, stored_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(sha256) DO NOTHING",
            params![sha256, mime, bytes.len() as i64, bytes, now],
        )? == 1;
        tx.execute(
            "INSERT INTO media_files (url, sha256, fetched_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(url) DO UPDATE SET sha256 = excluded.sha256,
                 fetched_at = excluded.fetched_at, failure = NULL, detail = NULL",
            params![url, sha256, now],
        )?;
        tx.commit()
            .with_context(|| format!("cannot archive the file of `{url}`"))?;
        Ok(PutMediaOutcome { sha256, new_bytes })
    }

    /// Records that `url` could not be archived, and why (`reason` is a short code such as
    /// `too-large`; `detail` the message). A URL already archived keeps its file.
    pub fn record_media_failure(&mut self, url: &str, reason: &str, detail: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO media_files (url, sha256, fetched_at, failure, detail, failures)
                 VALUES (?1, NULL, ?2, ?3, ?4, 1)
                 ON CONFLICT(url) DO UPDATE SET fetched_at = excluded.fetched_at,
                     failure = excluded.failure, detail = excluded.detail,
                     failures = failures + 1
                 WHERE media_files.sha256 IS NULL",
            )?
            .execute(params![url, now_text(), reason, detail])?;
        Ok(())
    }
}
