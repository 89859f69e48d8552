//! Reading an archive as one state while a collect may be writing it. A connection with
//! SQLite's locks gets that from one read transaction. An archive opened `immutable=1`
//! ([`Store::open_read_only`]) has no locks: a collect that writes into its main file during
//! the reads (a large source with a rollback journal, whose `-journal` file does not exist yet
//! when the render looks, or a checkpoint) can show it a state that was never committed, a
//! story with one post of a source it has not finished. So what such a reader saw is checked
//! afterwards against how the file looked before it was opened, and read again when it
//! changed (issue 11).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Result;

use super::{Store, beside, wal_path};

/// How an archive's main file looked: its database header (the change counter a commit with
/// a rollback journal bumps, the page count, the free list, the journal mode), its size and
/// when it was last written.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct FileStamp {
    header: [u8; 100],
    len: u64,
    modified: Option<SystemTime>,
}

/// An archive opened as an unchanging file: where, and how it looked just before.
#[derive(Debug)]
pub(super) struct Unchanging {
    path: PathBuf,
    stamp: FileStamp,
}

impl Unchanging {
    /// Stamps `path` now, before it is opened.
    pub(super) fn stamp(path: &Path) -> std::io::Result<Unchanging> {
        Ok(Unchanging {
            path: path.to_owned(),
            stamp: stamp_of(path)?,
        })
    }

    /// Whether nothing can have written the file since it was stamped: no writer has a journal
    /// or a WAL beside it, and it looks as it did.
    fn unchanged(&self) -> std::io::Result<bool> {
        if wal_path(&self.path).exists() || beside(&self.path, "-journal").exists() {
            return Ok(false);
        }
        Ok(stamp_of(&self.path)? == self.stamp)
    }
}

fn stamp_of(path: &Path) -> std::io::Result<FileStamp> {
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let mut header = [0; 100];
    // A file shorter than a header is no archive; opening it says so.
    let _ = file.read(&mut header)?;
    Ok(FileStamp {
        header,
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

impl Store {
    /// Runs `read` on one committed state of the archive: in one read transaction, and, when
    /// the archive was opened as an unchanging file, only if the file did not change while it
    /// ran. `None` when it did: open the archive again and read again (then a collect that
    /// is still writing has its journal or WAL beside the file, and the archive is opened with
    /// locks).
    pub fn read_consistent<T>(&self, read: impl FnOnce(&Store) -> Result<T>) -> Result<Option<T>> {
        let Some(unchanging) = &self.unchanging else {
            self.conn.execute_batch("BEGIN DEFERRED")?;
            let result = read(self);
            // The read's own error, when it failed, says more than the end of the transaction.
            let ended = self.conn.execute_batch("COMMIT");
            let value = result?;
            ended?;
            return Ok(Some(value));
        };
        let result = read(self);
        if !unchanging.unchanged()? {
            return Ok(None);
        }
        result.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An archive with every commit in its main file (closed: no `-wal` beside it), and a
    /// reader of it.
    fn closed_archive() -> (tempfile::TempDir, PathBuf, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("archive.db");
        drop(Store::open(&path).unwrap());
        let reader = Store::open_read_only(&path).unwrap();
        (dir, path, reader)
    }

    fn later_rows(store: &Store) -> Result<i64> {
        Ok(store
            .conn
            .query_row("SELECT count(*) FROM later", [], |r| r.get(0))?)
    }

    #[test]
    fn a_read_while_a_collect_wrote_the_file_is_not_taken_and_the_next_one_sees_the_commit() {
        let (_dir, path, reader) = closed_archive();
        assert!(reader.unchanging.is_some(), "opened as an unchanging file");
        let seen = reader
            .read_consistent(|_| {
                let writer = Store::open(&path)?;
                writer
                    .conn
                    .execute_batch("CREATE TABLE later (a); INSERT INTO later VALUES (1)")?;
                // Its checkpoint writes the commit into the main file, and the `-wal` goes.
                drop(writer);
                Ok(())
            })
            .unwrap();
        assert!(seen.is_none(), "the file changed during the read");
        let reader = Store::open_read_only(&path).unwrap();
        assert_eq!(reader.read_consistent(later_rows).unwrap(), Some(1));
    }

    #[test]
    fn a_writer_with_its_wal_open_at_the_end_of_a_read_makes_it_void() {
        let (_dir, path, reader) = closed_archive();
        let mut writer = None;
        let seen = reader
            .read_consistent(|_| {
                let store = Store::open(&path)?;
                store.conn.execute_batch("CREATE TABLE later (a)")?;
                writer = Some(store);
                Ok(())
            })
            .unwrap();
        assert!(seen.is_none());
        // With the writer open, the archive is opened with locks, read in one transaction.
        let reader = Store::open_read_only(&path).unwrap();
        assert!(reader.unchanging.is_none());
        assert_eq!(reader.read_consistent(later_rows).unwrap(), Some(0));
        drop(writer);
    }
}
