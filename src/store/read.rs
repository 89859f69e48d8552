//! Reading a story back for rendering.

use std::collections::HashMap;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use super::Store;

/// A post of a story, as stored, with what the renderer needs about it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPost {
    /// Canonical URI.
    pub uri: String,
    /// Permalink as received (not yet checked for safety).
    pub url: Option<String>,
    /// Author's canonical URI.
    pub author_uri: String,
    /// Author's `@name@host`.
    pub author_handle: String,
    /// Author's display name, `""` when unknown.
    pub author_name: String,
    /// Author's avatar URL as received.
    pub author_avatar: Option<String>,
    /// First publication.
    pub created_at: DateTime<Utc>,
    /// Time of the stored version, if edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Sanitised content HTML.
    pub content_html: String,
    /// Plain text.
    pub text: String,
    /// Declared language.
    pub language: Option<String>,
    /// Parent URI, whether or not the parent is archived.
    pub in_reply_to: Option<String>,
    /// The post is a reply whose parent is known only by a server-local id no source mapped.
    pub reply_to_unknown: bool,
    /// Media hidden behind a warning.
    pub sensitive: bool,
    /// Content warning.
    pub spoiler_text: Option<String>,
    /// Carries the tag (rather than being context).
    pub tagged: bool,
    /// Attachments in order.
    pub media: Vec<StoredMedia>,
    /// Number of boosts archived.
    pub boosts: u64,
}

/// An attachment as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMedia {
    /// URL as received.
    pub url: String,
    /// `image`, `video`, `gifv`, `audio` or `unknown`.
    pub kind: String,
    /// Alt text.
    pub alt: Option<String>,
}

impl Store {
    /// Every post in the story of `tag`, in no particular order.
    pub fn load_story(&self, tag: &str) -> Result<Vec<StoredPost>> {
        let mut media = self.load_story_media(tag)?;
        let mut stmt = self.conn.prepare(
            "SELECT p.id, p.uri, p.url, a.uri, a.handle, a.name, a.avatar_url, p.created_at,
                    p.edited_at, p.content_html, p.text, p.language, p.in_reply_to_uri,
                    p.reply_to_local_id IS NOT NULL, p.sensitive, p.spoiler_text,
                    s.reason = 'tagged',
                    (SELECT count(*) FROM boosts b WHERE b.post_uri = p.uri)
             FROM story_posts s
             JOIN posts p ON p.id = s.post_id
             JOIN authors a ON a.id = p.author_id
             WHERE s.tag = ?1",
        )?;
        let rows = stmt.query_map([tag], |r| {
            let id: i64 = r.get(0)?;
            Ok(StoredPost {
                uri: r.get(1)?,
                url: r.get(2)?,
                author_uri: r.get(3)?,
                author_handle: r.get(4)?,
                author_name: r.get(5)?,
                author_avatar: r.get(6)?,
                created_at: parse_stored_time(r.get_ref(7)?.as_str()?)?,
                edited_at: match r.get_ref(8)?.as_str_or_null()? {
                    Some(t) => Some(parse_stored_time(t)?),
                    None => None,
                },
                content_html: r.get(9)?,
                text: r.get(10)?,
                language: r.get(11)?,
                in_reply_to: r.get(12)?,
                reply_to_unknown: r.get::<_, bool>(13)?
                    && r.get::<_, Option<String>>(12)?.is_none(),
                sensitive: r.get(14)?,
                spoiler_text: r.get(15)?,
                tagged: r.get(16)?,
                media: media.remove(&id).unwrap_or_default(),
                boosts: r.get(17)?,
            })
        })?;
        rows.collect::<Result<_, _>>()
            .with_context(|| format!("cannot read the story of #{tag}"))
    }

    fn load_story_media(&self, tag: &str) -> Result<HashMap<i64, Vec<StoredMedia>>> {
        let mut stmt = self.conn.prepare(
            "SELECT m.post_id, m.url, m.kind, m.alt_text FROM media m
             JOIN story_posts s ON s.post_id = m.post_id AND s.tag = ?1
             ORDER BY m.post_id, m.position",
        )?;
        let mut by_post: HashMap<i64, Vec<StoredMedia>> = HashMap::new();
        let rows = stmt.query_map([tag], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                StoredMedia {
                    url: r.get(1)?,
                    kind: r.get(2)?,
                    alt: r.get(3)?,
                },
            ))
        })?;
        for row in rows {
            let (post_id, m) = row?;
            by_post.entry(post_id).or_default().push(m);
        }
        Ok(by_post)
    }
}

fn parse_stored_time(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}
