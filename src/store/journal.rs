//! The journal a source is written with. The archive is a WAL database, so that a render
//! reads while a collect writes; but a transaction larger than the page cache writes every
//! page it spills to the WAL, reads it back from there, and then copies it into the archive
//! at the checkpoint: each page is written twice and read twice or more. SQLite's own advice
//! is a rollback journal for transactions of more than about 100 MB, and a first collect is
//! one: its new pages go straight into the archive's file, with nothing to journal, since no
//! page of them existed before. (Issue 10: a first collect of a million Mastodon statuses
//! took 160 s in WAL mode and 123 s with the rollback journal.)
//!
//! So a source that brings more posts than the archive holds is written with a rollback
//! journal (`DELETE`: the `-journal` file exists exactly while the transaction writes, and a
//! render that finds it reads with SQLite's locks, waiting for the commit, rather than as an
//! unchanging file), and the archive is back in WAL mode as soon as the source is written.
//! SQLite leaves WAL mode only when no other connection has the archive open; when one has
//! (a render, another collect), the source is written in WAL mode as before. A collect that
//! is killed leaves a hot journal, which the next connection that writes rolls back.
//!
//! Such a source is also written without foreign keys. Each post inserted had SQLite look
//! its author up by `posts.author_id`, and in a transaction larger than the cache that page
//! was read from the file again most of the time (at 300k posts, 96,000 page reads of
//! 531,000, for an id the writer had just taken from `authors`). But the foreign keys also
//! do the erasing: deleting a post deletes by cascade everything that hangs on it. So a
//! source with a refusing profile is written with them, and a writer without them fails
//! with [`NeedsCascades`] where it would delete a post; the source is then written again,
//! from the start, with them (`collect.rs`). A deletion in a first collect is rare (an
//! account's outbox that deletes a post it created).

use anyhow::{Context, Result};
use rusqlite::{Connection, ErrorCode};

use super::Store;

/// Whether the run selected more posts than the archive holds, not counting the posts of
/// records read before, stored already: a second collect of twarc 2 (whose pages repeat
/// tweets) counted 100,000 against 82,222, and took the rollback journal, set indexes aside
/// and built them again to insert nothing (issue 10).
pub(super) const SQL_RUN_OUTGROWS_ARCHIVE: &str =
    "SELECT coalesce((SELECT max(id) FROM main.posts), 0)
     < (SELECT count(*) FROM selected_rows sel CROSS JOIN staged s ON s.seq = sel.seq
        WHERE s.known IS NULL)";

/// Whether the run's staged source `?1` has a profile that refuses archiving.
const SQL_REFUSAL_STAGED: &str =
    "SELECT EXISTS (SELECT 1 FROM staged_consent WHERE source = ?1 AND refuses)";

/// A writer without foreign keys met a row to delete: write the source again with them
/// ([`Store::write_staged`] with `cascades`).
#[derive(Debug)]
pub struct NeedsCascades;

impl std::fmt::Display for NeedsCascades {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a large source deletes a post: it is written again with foreign keys")
    }
}

impl std::error::Error for NeedsCascades {}

impl Store {
    /// Chooses the journal for writing the run's staged source number `source`: a rollback
    /// journal when the run outgrows the archive and no other connection has it open, else
    /// WAL. Returns whether foreign keys are enforced: they are not with a rollback journal,
    /// unless `cascades` asks for them or a profile of the source refuses archiving.
    pub(super) fn journal_for_source(
        &self,
        source: usize,
        cascades: bool,
        selected_at: &mut i64,
    ) -> Result<bool> {
        if journal_mode(&self.conn)? != "wal" {
            return Ok(true);
        }
        let outgrows: bool = self
            .conn
            .prepare_cached(SQL_RUN_OUTGROWS_ARCHIVE)?
            .query_row([], |r| r.get(0))?;
        if !outgrows {
            return Ok(true);
        }
        // SQLite answers "busy" at once, without the busy handler, when another connection
        // has the archive open: then it stays in WAL mode.
        let switched = own_change(&self.conn, selected_at, |conn| {
            conn.query_row("PRAGMA main.journal_mode = DELETE", [], |_| Ok(()))
        });
        match switched {
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => return Ok(true),
            switched => {
                switched.context("cannot leave the archive's WAL mode for a large source")?;
            }
        }
        let source = i64::try_from(source)?;
        let refusal: bool = self
            .conn
            .prepare_cached(SQL_REFUSAL_STAGED)?
            .query_row([source], |r| r.get(0))?;
        if cascades || refusal {
            return Ok(true);
        }
        self.conn.pragma_update(None, "foreign_keys", false)?;
        Ok(false)
    }

    /// Puts the archive back in WAL mode, with foreign keys, after a source was written (or
    /// failed) with a rollback journal; nothing otherwise. `selected_at` as for
    /// [`Store::write_staged`].
    pub fn end_source(&self, selected_at: &mut i64) -> Result<()> {
        if journal_mode(&self.conn)? == "delete" {
            self.conn.pragma_update(None, "foreign_keys", true)?;
            let once = own_change(&self.conn, selected_at, |conn| {
                conn.query_row("PRAGMA main.journal_mode = WAL", [], |_| Ok(()))
            });
            if once.is_err() {
                // Busy: others may commit while it waits, so the version is not followed.
                super::enable_wal(&self.conn)?;
            }
            // A read opens the WAL, whose file tells a render starting now to take locks.
            super::check_readable(&self.conn)?;
        }
        Ok(())
    }
}

/// Runs `change` (a change of journal mode), which changes the connection's data version
/// as another connection's commit would. When the version was still `selected_at` before it,
/// `selected_at` follows: membership decided at that version still holds, and deciding it
/// again costs a tenth of a first collect's writing thread. A commit by another connection
/// between the two reads of the version would be taken for the switch; the switch succeeds
/// only when no other connection has the archive open, so that connection would have had to
/// commit and close in those few microseconds.
fn own_change<T>(
    conn: &Connection,
    selected_at: &mut i64,
    change: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let before = super::data_version(conn)?;
    let done = change(conn)?;
    if before == *selected_at {
        *selected_at = super::data_version(conn)?;
    }
    Ok(done)
}

/// Fails with [`NeedsCascades`] when `w` writes without foreign keys.
pub(super) fn require_cascades(w: &super::SourceWriter<'_>) -> Result<()> {
    if w.cascades {
        Ok(())
    } else {
        Err(NeedsCascades.into())
    }
}

/// The archive's journal mode, as SQLite names it (`wal`, `delete`, `memory`…).
pub(super) fn journal_mode(conn: &Connection) -> rusqlite::Result<String> {
    conn.query_row("PRAGMA main.journal_mode", [], |r| r.get(0))
}

#[cfg(test)]
mod tests;
