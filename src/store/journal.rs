//! The journal a source is written with. The archive is a WAL database, so that a render
//! reads while a collect writes; but a transaction larger than the page cache writes every
//! page it spills to the WAL, reads it back from there, and then copies it into the archive
//! at the checkpoint: each page is written twice and read twice or more. SQLite's own advice
//! is a rollback journal for transactions of more than about 100 MB, and a first collect is
//! one: its new pages go straight into the archive's file, with nothing to journal, since no
//! page of them existed before. (Issue 10: a first collect of a million Mastodon statuses
//! took 185 s in WAL mode and 122 s with the rollback journal.)
//!
//! So a source that brings more posts than the archive holds is written with a rollback
//! journal (`DELETE`: the `-journal` file exists exactly while the transaction writes, and a
//! render that finds it reads with SQLite's locks, waiting for the commit, rather than as an
//! unchanging file), and the archive is back in WAL mode as soon as the source is written.
//! SQLite leaves WAL mode only when no other connection has the archive open; when one has
//! (a render, another collect), the source is written in WAL mode as before. A collect that
//! is killed leaves a hot journal, which the next connection that writes rolls back.

use anyhow::{Context, Result};
use rusqlite::{Connection, ErrorCode};

use super::Store;

/// Whether the run selected more posts than the archive holds.
pub(super) const SQL_RUN_OUTGROWS_ARCHIVE: &str =
    "SELECT coalesce((SELECT max(id) FROM main.posts), 0)
     < (SELECT count(*) FROM selected_rows)";

impl Store {
    /// Chooses the journal for writing the run's staged source: a rollback journal when the
    /// run outgrows the archive and no other connection has it open, else WAL.
    pub(super) fn journal_for_source(&self) -> Result<()> {
        if journal_mode(&self.conn)? != "wal" {
            return Ok(());
        }
        let outgrows: bool = self
            .conn
            .prepare_cached(SQL_RUN_OUTGROWS_ARCHIVE)?
            .query_row([], |r| r.get(0))?;
        if !outgrows {
            return Ok(());
        }
        // SQLite answers "busy" at once, without the busy handler, when another connection
        // has the archive open: then it stays in WAL mode.
        match self
            .conn
            .query_row("PRAGMA main.journal_mode = DELETE", [], |_| Ok(()))
        {
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => Ok(()),
            switched => switched.context("cannot leave the archive's WAL mode for a large source"),
        }
    }

    /// Puts the archive back in WAL mode after a source was written (or failed) with a
    /// rollback journal; nothing otherwise.
    pub fn end_source(&self) -> Result<()> {
        if journal_mode(&self.conn)? == "delete" {
            super::enable_wal(&self.conn)?;
            // A read opens the WAL, whose file tells a render starting now to take locks.
            super::check_readable(&self.conn)?;
        }
        Ok(())
    }
}

/// The archive's journal mode, as SQLite names it (`wal`, `delete`, `memory`…).
pub(super) fn journal_mode(conn: &Connection) -> rusqlite::Result<String> {
    conn.query_row("PRAGMA main.journal_mode", [], |r| r.get(0))
}

#[cfg(test)]
mod tests;
