//! What an archive holds: its stories, and full-text search inside one.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use super::Store;
use super::read::parse_stored_time;

/// One story of the archive.
#[derive(Debug, Clone, PartialEq)]
pub struct StorySummary {
    /// Normalised tag.
    pub tag: String,
    /// The curator's title, else a curated (Storify) story's.
    pub title: Option<String>,
    /// Posts filed under the tag.
    pub posts: u64,
    /// Their distinct authors.
    pub participants: u64,
    /// Earliest post.
    pub first: Option<DateTime<Utc>>,
    /// Latest post.
    pub last: Option<DateTime<Utc>>,
}

/// A post that matched a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// Canonical URI.
    pub uri: String,
    /// Permalink as received.
    pub url: Option<String>,
    /// Author's `@name@host`.
    pub author_handle: String,
    /// Publication time.
    pub created_at: DateTime<Utc>,
    /// The matching passage, the matches between `[` and `]`.
    pub snippet: String,
}

impl Store {
    /// Every story in the archive, by tag.
    pub fn list_stories(&self) -> Result<Vec<StorySummary>> {
        let mut stmt = self.conn.prepare(
            "SELECT s.tag,
                    coalesce((SELECT title FROM stories WHERE tag = s.tag),
                             (SELECT title FROM curated_stories c WHERE c.tag = s.tag
                              ORDER BY published_at, url LIMIT 1)),
                    count(*), count(DISTINCT p.author_id), min(p.created_at), max(p.created_at)
             FROM story_posts s JOIN posts p ON p.id = s.post_id
             GROUP BY s.tag ORDER BY s.tag",
        )?;
        let rows = stmt.query_map([], |r| {
            let time = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
                r.get_ref(i)?
                    .as_str_or_null()?
                    .map(parse_stored_time)
                    .transpose()
            };
            Ok(StorySummary {
                tag: r.get(0)?,
                title: r.get(1)?,
                posts: r.get(2)?,
                participants: r.get(3)?,
                first: time(4)?,
                last: time(5)?,
            })
        })?;
        rows.collect::<Result<_, _>>()
            .context("cannot list the archive's stories")
    }

    /// Posts of the story of `tag` whose text or content warning matches `query`, best first.
    /// `query` is FTS5 syntax when `raw`; otherwise each word must occur, as typed (quotes,
    /// `-`, `*` and `OR` are not operators).
    pub fn search(
        &self,
        tag: &str,
        query: &str,
        raw: bool,
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        let expr = if raw {
            query.to_string()
        } else {
            plain_terms(query)
        };
        let mut stmt = self.conn.prepare(
            "SELECT p.uri, p.url, a.handle, p.created_at,
                    snippet(posts_fts, -1, '[', ']', '…', 16)
             FROM posts_fts
             JOIN posts p ON p.id = posts_fts.rowid
             JOIN story_posts s ON s.post_id = p.id AND s.tag = ?1
             JOIN authors a ON a.id = p.author_id
             WHERE posts_fts MATCH ?2
             ORDER BY rank, p.created_at LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            (tag, &expr, i64::try_from(limit).unwrap_or(i64::MAX)),
            |r| {
                Ok(SearchHit {
                    uri: r.get(0)?,
                    url: r.get(1)?,
                    author_handle: r.get(2)?,
                    created_at: parse_stored_time(r.get_ref(3)?.as_str()?)?,
                    snippet: r.get(4)?,
                })
            },
        )?;
        rows.collect::<Result<_, _>>()
            .with_context(|| format!("cannot search for `{query}`"))
    }
}

/// Every word of `query` as a quoted FTS5 string, so nothing a user types is an operator.
fn plain_terms(query: &str) -> String {
    query
        .split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_terms_are_quoted() {
        assert_eq!(
            super::plain_terms(r#"care  "plan" -x OR"#),
            r#""care" """plan""" "-x" "OR""#
        );
    }
}
