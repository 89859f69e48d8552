//! The curator's own story of a tag: title, introduction, notes and posts left out. Kept by
//! tag and post URI, apart from the collected posts, so collecting again never loses it.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

use super::read::parse_stored_time;
use super::{Store, now_text};

/// What the curator set for a story.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredCurator {
    /// The title, when set.
    pub title: Option<String>,
    /// The introduction as written (Markdown), when set.
    pub intro_markdown: Option<String>,
    /// The introduction rendered and sanitised, when set.
    pub intro_html: Option<String>,
    /// Notes, in the order they were written.
    pub notes: Vec<StoredNote>,
    /// URIs of the posts left out.
    pub hidden: Vec<String>,
    /// The curator's content warnings: `(post URI, warning)`.
    pub warnings: Vec<(String, String)>,
}

/// A curator's note.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredNote {
    /// Its id.
    pub id: i64,
    /// The post it stands at.
    pub post_uri: String,
    /// After the post (else before it).
    pub after: bool,
    /// As written.
    pub markdown: String,
    /// Rendered and sanitised.
    pub html: String,
}

/// A collected source of a story.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSource {
    /// Path, `-` or URL, as given.
    pub location: String,
    /// Format name.
    pub format: String,
    /// When it was collected.
    pub collected_at: DateTime<Utc>,
}

/// What a post name (URI, permalink or a prefix of either) matched in a story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostMatch {
    /// One post: its URI.
    One(String),
    /// No post.
    None,
    /// Several posts: some of their URIs.
    Several(Vec<String>),
}

impl Store {
    /// What the curator set for the story of `tag`.
    pub fn load_curator(&self, tag: &str) -> Result<StoredCurator> {
        let mut curator = self
            .conn
            .query_row(
                "SELECT title, intro_md, intro_html FROM stories WHERE tag = ?1",
                [tag],
                |r| {
                    Ok(StoredCurator {
                        title: r.get(0)?,
                        intro_markdown: r.get(1)?,
                        intro_html: r.get(2)?,
                        ..StoredCurator::default()
                    })
                },
            )
            .optional()?
            .unwrap_or_default();
        let mut stmt = self.conn.prepare(
            "SELECT id, post_uri, placement = 'after', body_md, body_html FROM notes
             WHERE tag = ?1 ORDER BY id",
        )?;
        curator.notes = stmt
            .query_map([tag], |r| {
                Ok(StoredNote {
                    id: r.get(0)?,
                    post_uri: r.get(1)?,
                    after: r.get(2)?,
                    markdown: r.get(3)?,
                    html: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut stmt = self
            .conn
            .prepare("SELECT post_uri FROM hidden_posts WHERE tag = ?1 ORDER BY post_uri")?;
        curator.hidden = stmt
            .query_map([tag], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare(
            "SELECT post_uri, text FROM curator_warnings WHERE tag = ?1 ORDER BY post_uri",
        )?;
        curator.warnings = stmt
            .query_map([tag], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(curator)
    }

    /// Sets (or with `None` clears) the story's title.
    pub fn set_title(&mut self, tag: &str, title: Option<&str>) -> Result<()> {
        self.ensure_story(tag)?;
        self.conn.execute(
            "UPDATE stories SET title = ?2, updated_at = ?3 WHERE tag = ?1",
            (tag, title, now_text()),
        )?;
        Ok(())
    }

    /// Sets (or with `None` clears) the story's introduction: `(markdown, sanitised html)`.
    pub fn set_intro(&mut self, tag: &str, intro: Option<(&str, &str)>) -> Result<()> {
        self.ensure_story(tag)?;
        let (md, html) = intro.unzip();
        self.conn.execute(
            "UPDATE stories SET intro_md = ?2, intro_html = ?3, updated_at = ?4 WHERE tag = ?1",
            (tag, md, html, now_text()),
        )?;
        Ok(())
    }

    fn ensure_story(&self, tag: &str) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO stories (tag, updated_at) VALUES (?1, ?2)",
            (tag, now_text()),
        )?;
        Ok(())
    }

    /// Adds a note at a post; returns its id.
    pub fn add_note(
        &mut self,
        tag: &str,
        post_uri: &str,
        after: bool,
        markdown: &str,
        html: &str,
    ) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO notes (tag, post_uri, placement, body_md, body_html, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            (
                tag,
                post_uri,
                if after { "after" } else { "before" },
                markdown,
                html,
                now_text(),
            ),
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Removes a note of the story; whether there was one.
    pub fn remove_note(&mut self, tag: &str, id: i64) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM notes WHERE tag = ?1 AND id = ?2", (tag, id))?
            > 0)
    }

    /// Sets (or with `None` removes) the curator's content warning on a post and the replies
    /// shown under it; whether anything changed.
    pub fn set_warning(&mut self, tag: &str, post_uri: &str, text: Option<&str>) -> Result<bool> {
        let changed = match text {
            Some(text) => self.conn.execute(
                "INSERT INTO curator_warnings (tag, post_uri, text, created_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tag, post_uri) DO UPDATE SET text = excluded.text",
                (tag, post_uri, text, now_text()),
            )?,
            None => self.conn.execute(
                "DELETE FROM curator_warnings WHERE tag = ?1 AND post_uri = ?2",
                (tag, post_uri),
            )?,
        };
        Ok(changed > 0)
    }

    /// What the story's sources tell about it: posts deleted by their authors and posts not
    /// stored because their author refuses archiving, each source counted once however often
    /// it was collected.
    pub fn consent_counts(&self, tag: &str) -> Result<(u64, u64)> {
        Ok(self.conn.query_row(
            // A source collected again reports the same skips again: count each place once.
            "SELECT coalesce(sum(d), 0), coalesce(sum(c), 0) FROM (
                 SELECT max(deletions) AS d, max(skipped_consent) AS c FROM sources
                 WHERE tag = ?1 GROUP BY location)",
            [tag],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Leaves posts out of the story (all or none); how many were not left out already.
    pub fn hide(&mut self, tag: &str, uris: &[String]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut changed = 0;
        for uri in uris {
            changed += tx.execute(
                "INSERT OR IGNORE INTO hidden_posts (tag, post_uri, hidden_at) VALUES (?1, ?2, ?3)",
                (tag, uri, now_text()),
            )?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// Puts posts back into the story; how many were left out.
    pub fn unhide(&mut self, tag: &str, uris: &[String]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut changed = 0;
        for uri in uris {
            changed += tx.execute(
                "DELETE FROM hidden_posts WHERE tag = ?1 AND post_uri = ?2",
                (tag, uri),
            )?;
        }
        tx.commit()?;
        Ok(changed)
    }

    /// The post of the story of `tag` that `name` names: its URI or permalink exactly, else the
    /// one whose URI or permalink starts with `name`.
    pub fn find_post(&self, tag: &str, name: &str) -> Result<PostMatch> {
        let name = name.trim();
        if name.is_empty() {
            return Ok(PostMatch::None);
        }
        let exact: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT p.uri FROM posts p JOIN story_posts s ON s.post_id = p.id AND s.tag = ?1
                 WHERE p.uri = ?2 OR p.url = ?2",
            )?
            .query_map((tag, name), |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let found = if exact.is_empty() {
            self.conn
                .prepare_cached(
                    "SELECT p.uri FROM posts p
                     JOIN story_posts s ON s.post_id = p.id AND s.tag = ?1
                     WHERE substr(p.uri, 1, length(?2)) = ?2
                        OR substr(coalesce(p.url, ''), 1, length(?2)) = ?2
                     ORDER BY p.uri LIMIT 6",
                )?
                .query_map((tag, name), |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?
        } else {
            exact
        };
        Ok(match found.len() {
            0 => PostMatch::None,
            1 => PostMatch::One(found.into_iter().next().unwrap_or_default()),
            _ => PostMatch::Several(found),
        })
    }

    /// The sources collected for the story of `tag`, oldest first.
    pub fn load_sources(&self, tag: &str) -> Result<Vec<StoredSource>> {
        let mut stmt = self.conn.prepare(
            "SELECT location, format, collected_at FROM sources WHERE tag = ?1
             ORDER BY collected_at, id",
        )?;
        let rows = stmt.query_map([tag], |r| {
            Ok(StoredSource {
                location: r.get(0)?,
                format: r.get(1)?,
                collected_at: parse_stored_time(r.get_ref(2)?.as_str()?)?,
            })
        })?;
        rows.collect::<Result<_, _>>()
            .with_context(|| format!("cannot read the sources of #{tag}"))
    }
}
