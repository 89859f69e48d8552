//! An index of `posts` built once at the end of a source rather than entry by entry, when the
//! source brings more posts than the archive holds (a first collect, above all); and, when
//! such a source is written without foreign keys, the indexes of `records` and `passed`,
//! whose rows it writes at the end too ([`DEFERRED_WITHOUT_CASCADES`], `records.rs`).
//!
//! A post's parent URI falls anywhere in `posts_in_reply_to`, so once the index outgrows the
//! page cache every new reply read an index page back and wrote one out. Built by
//! `CREATE INDEX` from the finished table, it is sorted and written in order instead, for one
//! read of the table (issue 10: page reads and writes of a first collect of 300k Mastodon
//! statuses 1,372,926 -> 1,087,967). The author index was set aside too at first, but an
//! author's posts go to one place in it (an account export's to one end), and its read of the
//! table cost more than its inserts saved: a million-post account export, with the other
//! changes of the same day, did 2,714,682 page reads and writes with both set aside, 2,546,777
//! with this one alone, 2,667,254 before the day's changes. Nothing the writer runs per post
//! reads the index (the query-plan test checks the per-post statements without it); what does
//! (linking replies that waited for a local id) runs after it is back. It is dropped and built
//! again in the writer's transaction, from the SQL the archive stored: another connection
//! never sees the archive without it, and a writer that fails rolls both back.

use anyhow::Result;
use rusqlite::OptionalExtension;

use super::write::SourceWriter;

/// The indexes set aside (see the module's doc for why not `posts_author`).
pub(super) const DEFERRED: &[&str] = &["posts_in_reply_to"];

/// The indexes also set aside by a writer without foreign keys, which writes `records` and
/// `passed` at commit in the order of their keys (`records.rs`): their entries would go to
/// random places. They serve deleting posts and authors, which such a writer never does.
pub(super) const DEFERRED_WITHOUT_CASCADES: &[&str] =
    &["records_post", "passed_uri", "passed_author"];

impl SourceWriter<'_> {
    /// Sets the indexes aside when this run selected more posts than the archive holds.
    pub fn defer_indexes(&mut self) -> Result<()> {
        if !self.deferred_indexes.is_empty() {
            return Ok(());
        }
        let fewer: bool = self
            .tx
            .prepare_cached(super::journal::SQL_RUN_OUTGROWS_ARCHIVE)?
            .query_row([], |r| r.get(0))?;
        if !fewer {
            return Ok(());
        }
        let without_cascades = if self.cascades {
            &[][..]
        } else {
            DEFERRED_WITHOUT_CASCADES
        };
        for name in DEFERRED.iter().chain(without_cascades) {
            let sql: Option<String> = self
                .tx
                .query_row(
                    "SELECT sql FROM main.sqlite_schema WHERE type = 'index' AND name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(sql) = sql {
                self.tx
                    .execute_batch(&format!("DROP INDEX main.\"{name}\""))?;
                self.deferred_indexes.push(sql);
            }
        }
        Ok(())
    }

    /// Whether the index `name` is set aside.
    pub(super) fn deferred(&self, name: &str) -> bool {
        let create = format!("CREATE INDEX {name} ");
        self.deferred_indexes
            .iter()
            .any(|sql| sql.starts_with(&create))
    }

    /// Builds the indexes set aside again (nothing when none was).
    pub fn build_deferred_indexes(&mut self) -> Result<()> {
        self.remember_set_aside()?;
        if self.deferred_indexes.is_empty() {
            return Ok(());
        }
        // The cache is written out first so that the sort gets the memory it gives up: its
        // pages are dirty, and a dirty page is not freed when the cache is made smaller.
        self.tx.cache_flush()?;
        let indexes = std::mem::take(&mut self.deferred_indexes);
        super::with_small_sorter(self.tx, |conn| {
            indexes.iter().try_for_each(|sql| conn.execute_batch(sql))
        })?;
        Ok(())
    }
}
