//! Reading a story back for rendering.

use rustc_hash::FxHashMap as HashMap;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use super::Store;
use crate::model::{CustomEmoji, Poll, PollOption};

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
    /// URI of the quoted post.
    pub quote_of: Option<String>,
    /// The poll, if any.
    pub poll: Option<Poll>,
    /// Custom emoji used in the content.
    pub emojis: Vec<CustomEmoji>,
    /// Earlier versions, oldest first.
    pub revisions: Vec<StoredRevision>,
    /// How many replies the source said the post had, when it said.
    pub replies_total: Option<u64>,
    /// The author opted out of search-engine indexing (so is shown under a pseudonym unless
    /// the curator says otherwise).
    pub author_noindex: bool,
}

/// An earlier version of an edited post.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRevision {
    /// When this version was made.
    pub edited_at: DateTime<Utc>,
    /// Its sanitised content.
    pub content_html: String,
    /// Its plain text.
    pub text: String,
    /// Its content warning.
    pub spoiler_text: Option<String>,
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
    /// The poster or cover picture of a video or sound, as received.
    pub preview_url: Option<String>,
}

impl Store {
    /// Every post in the story of `tag`, in no particular order.
    pub fn load_story(&self, tag: &str) -> Result<Vec<StoredPost>> {
        let mut media = self.load_story_media(tag)?;
        let mut extras = self.load_story_extras(tag)?;
        let mut stmt = self.conn.prepare(
            "SELECT p.id, p.uri, p.url, a.uri, a.handle, a.name, a.avatar_url, p.created_at,
                    p.edited_at, p.content_html, p.text, p.language, p.in_reply_to_uri,
                    p.reply_to_local_id IS NOT NULL, p.sensitive, p.spoiler_text,
                    s.reason = 'tagged',
                    (SELECT count(*) FROM boosts b WHERE b.post_uri = p.uri),
                    (SELECT q.quote_of_uri FROM posts q INDEXED BY posts_quote_of
                     WHERE q.id = p.id AND q.quote_of_uri IS NOT NULL),
                    (SELECT r.total FROM post_replies r WHERE r.post_id = p.id),
                    coalesce((SELECT c.noindex FROM author_consent c WHERE c.author_uri = a.uri), 0)
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
                quote_of: r.get(18)?,
                poll: extras.polls.remove(&id),
                emojis: extras.emojis.remove(&id).unwrap_or_default(),
                revisions: extras.revisions.remove(&id).unwrap_or_default(),
                // A count of the wrong type is the source's mistake, not a reason to fail.
                replies_total: r
                    .get::<_, Option<i64>>(19)
                    .ok()
                    .flatten()
                    .and_then(|n| u64::try_from(n).ok()),
                author_noindex: r.get(20)?,
            })
        })?;
        // Sized first: growing a vector of this many posts copies them again and again.
        let count: usize = self.conn.query_row(
            "SELECT count(*) FROM story_posts WHERE tag = ?1",
            [tag],
            |r| r.get(0),
        )?;
        let mut posts = Vec::with_capacity(count);
        for row in rows {
            posts.push(row.with_context(|| format!("cannot read the story of #{tag}"))?);
        }
        Ok(posts)
    }

    fn load_story_media(&self, tag: &str) -> Result<HashMap<i64, Vec<StoredMedia>>> {
        let mut stmt = self.conn.prepare(
            "SELECT m.post_id, m.url, m.kind, m.alt_text, m.preview_url FROM media m
             JOIN story_posts s ON s.post_id = m.post_id AND s.tag = ?1
             ORDER BY m.post_id, m.position",
        )?;
        let mut by_post: HashMap<i64, Vec<StoredMedia>> = HashMap::default();
        let rows = stmt.query_map([tag], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                StoredMedia {
                    url: r.get(1)?,
                    kind: r.get(2)?,
                    alt: r.get(3)?,
                    preview_url: r.get(4)?,
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

/// A curated story filed under a tag, with its entries in the curator's order.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCuration {
    /// Where it was published.
    pub url: String,
    /// Its title.
    pub title: String,
    /// Its intro, sanitised HTML.
    pub intro_html: String,
    /// Who curated it.
    pub curator_name: Option<String>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Entries: `(post URI, note HTML)`, exactly one of them set.
    pub entries: Vec<(Option<String>, Option<String>)>,
}

impl Store {
    /// The curated stories filed under `tag`, oldest first.
    pub fn load_curations(&self, tag: &str) -> Result<Vec<StoredCuration>> {
        let mut stmt = self.conn.prepare(
            "SELECT url, title, intro_html, curator_name, published_at FROM curated_stories
             WHERE tag = ?1 ORDER BY published_at, url",
        )?;
        let rows = stmt.query_map([tag], |r| {
            Ok(StoredCuration {
                url: r.get(0)?,
                title: r.get(1)?,
                intro_html: r.get(2)?,
                curator_name: r.get(3)?,
                published_at: match r.get_ref(4)?.as_str_or_null()? {
                    Some(t) => Some(parse_stored_time(t)?),
                    None => None,
                },
                entries: Vec::new(),
            })
        })?;
        let mut stories: Vec<StoredCuration> = rows.collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare(
            "SELECT post_uri, note_html FROM curation WHERE tag = ?1 AND story_url = ?2
             ORDER BY position",
        )?;
        for story in &mut stories {
            let rows = stmt.query_map((tag, &story.url), |r| Ok((r.get(0)?, r.get(1)?)))?;
            story.entries = rows.collect::<Result<_, _>>()?;
        }
        Ok(stories)
    }
}

/// Polls, emoji and revisions of a story's posts, by post id.
#[derive(Default)]
struct Extras {
    polls: HashMap<i64, Poll>,
    emojis: HashMap<i64, Vec<CustomEmoji>>,
    revisions: HashMap<i64, Vec<StoredRevision>>,
}

impl Store {
    fn load_story_extras(&self, tag: &str) -> Result<Extras> {
        let mut extras = Extras::default();
        let mut stmt = self.conn.prepare(
            "SELECT p.post_id, p.multiple, p.closes_at, p.voters FROM polls p
             JOIN story_posts s ON s.post_id = p.post_id AND s.tag = ?1",
        )?;
        let rows = stmt.query_map([tag], |r| {
            let closes_at = match r.get_ref(2)?.as_str_or_null()? {
                Some(t) => Some(parse_stored_time(t)?),
                None => None,
            };
            let poll = Poll {
                options: Vec::new(),
                multiple: r.get(1)?,
                closes_at,
                voters: r.get(3)?,
            };
            Ok((r.get::<_, i64>(0)?, poll))
        })?;
        for row in rows {
            let (id, poll) = row?;
            extras.polls.insert(id, poll);
        }
        let mut stmt = self.conn.prepare(
            "SELECT o.post_id, o.title, o.votes FROM poll_options o
             JOIN story_posts s ON s.post_id = o.post_id AND s.tag = ?1
             ORDER BY o.post_id, o.position",
        )?;
        let rows = stmt.query_map([tag], |r| {
            let option = PollOption {
                title: r.get(1)?,
                votes: r.get(2)?,
            };
            Ok((r.get::<_, i64>(0)?, option))
        })?;
        for row in rows {
            let (id, option) = row?;
            if let Some(poll) = extras.polls.get_mut(&id) {
                poll.options.push(option);
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT e.post_id, e.shortcode, e.url FROM emojis e
             JOIN story_posts s ON s.post_id = e.post_id AND s.tag = ?1
             ORDER BY e.post_id, e.shortcode",
        )?;
        let rows = stmt.query_map([tag], |r| {
            let emoji = CustomEmoji {
                shortcode: r.get(1)?,
                url: r.get(2)?,
            };
            Ok((r.get::<_, i64>(0)?, emoji))
        })?;
        for row in rows {
            let (id, emoji) = row?;
            extras.emojis.entry(id).or_default().push(emoji);
        }
        let mut stmt = self.conn.prepare(
            "SELECT v.post_id, v.edited_at, v.content_html, v.text, v.spoiler_text FROM revisions v
             JOIN story_posts s ON s.post_id = v.post_id AND s.tag = ?1
             ORDER BY v.post_id, v.edited_at",
        )?;
        let rows = stmt.query_map([tag], |r| {
            let revision = StoredRevision {
                edited_at: parse_stored_time(r.get_ref(1)?.as_str()?)?,
                content_html: r.get(2)?,
                text: r.get(3)?,
                spoiler_text: r.get(4)?,
            };
            Ok((r.get::<_, i64>(0)?, revision))
        })?;
        for row in rows {
            let (id, revision) = row?;
            extras.revisions.entry(id).or_default().push(revision);
        }
        Ok(extras)
    }
}

pub(super) fn parse_stored_time(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}
