//! The archive: one SQLite file holding every collected post, author, boost, deletion and
//! source, which posts make up the story of each tag, and the archived bytes of their media.
//!
//! # Compatibility
//! An archive must still open in ten years. The schema is versioned with `PRAGMA user_version`:
//! a new archive gets `schema.sql` (always the current schema) whole, and an older archive runs
//! the upgrade steps it misses from `UPGRADES`, which are only ever appended. Either way it
//! happens in one exclusive transaction, so an interrupted upgrade leaves the old version
//! intact. An archive newer than this binary is refused rather than guessed at.
//!
//! # Writing
//! Each source is written in one transaction through [`SourceWriter`]; nothing is visible until it
//! commits, so a failed source leaves what was collected before untouched.
//!
//! # Concurrent writers
//! Several collects may write one archive at once. Each write transaction is `BEGIN
//! IMMEDIATE`: it takes the write lock before reading anything, so it waits for another writer
//! (up to [`BUSY_TIMEOUT`]) instead of failing half-way on a stale snapshot; and it is kept
//! short, since reading and parsing a source (the slow part) happens before it, in staging.
//! Readers never wait: the archive is in WAL mode.

mod catalog;
mod consent;
mod curator;
mod cursors;
mod deferred_indexes;
mod events;
mod forget;
mod fts;
mod journal;
mod media;
mod read;
mod records;
mod replies;
mod snapshot;
mod staging;
mod write;

pub use catalog::{SearchHit, StorySummary};
pub use curator::{PostMatch, StoredCurator, StoredNote, StoredSource};
pub use cursors::{Cursor, Refetch};
pub use forget::{ForgetReport, StoredAuthor};
pub use journal::NeedsCascades;
pub use media::{ArchivedMedia, MediaUse, PutMediaOutcome, StoryMediaUrl, sha256_hex};
pub use read::{StoredCuration, StoredMedia, StoredPost, StoredRevision};
pub use records::{Fingerprint, NeedsReading, RecordPost};
pub(crate) use replies::reply_count_of;
#[cfg(test)]
pub(crate) use staging::order::SourceOrder;
pub use staging::order::Written;
#[cfg(test)]
pub(crate) use staging::walk::{WALK_FOR_TEST, WalkForTest};
pub use staging::{Entry, GraphPlace, KnownPost, StageRow, Staged, StagedItem, UnselectedPost};
pub use write::{PostOutcome, Reason, SourceCounts, SourceWriter};

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use rusqlite::{Connection, TransactionBehavior};

use crate::model::LocalId;

/// The current schema, for new archives.
const SCHEMA: &str = include_str!("../../schema.sql");

/// Upgrade steps: `UPGRADES[n]` takes an archive from version `n + 1` to `n + 2`.
const UPGRADES: &[&str] = &[
    include_str!("upgrades/v2.sql"),
    include_str!("upgrades/v3.sql"),
    include_str!("upgrades/v4.sql"),
    include_str!("upgrades/v5.sql"),
    include_str!("upgrades/v6.sql"),
    include_str!("upgrades/v7.sql"),
    include_str!("upgrades/v8.sql"),
    include_str!("upgrades/v9.sql"),
    include_str!("upgrades/v10.sql"),
    include_str!("upgrades/v11.sql"),
    include_str!("upgrades/v12.sql"),
    include_str!("upgrades/v13.sql"),
];

/// How long a writer waits for another to finish before giving up. One source is written in
/// one transaction, which for a gigabyte-sized file takes minutes; a collect that gave up
/// sooner would lose its source to a lock (see: issue 11, where four collects at once failed
/// one round in three with the former 10 s). A writer that holds the lock longer than this is
/// stuck, not busy.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// The largest page cache of the archive (SQLite's `cache_size`, in KiB); the staging tables
/// get half as much. SQLite's default of 2 MiB made a large collect re-read the indexes it was
/// writing (issue 10); see [`Store::size_cache_for`]. 16 MiB rather than 20: with an allocator
/// that gives freed memory back late, a second collect of 1M posts peaked at 62.5 MB with 20.
const MAX_CACHE_KIB: u64 = 16 * 1024;
/// The page size of a new archive.
const PAGE_SIZE: i64 = 16 * 1024;

/// What SQLite's sorter may hold in memory while the staging indexes are built (see
/// [`Store::with_small_sorter`]); larger sorts are merged from runs of this size on disk.
const SORTER_KIB: u16 = 2 * 1024;

/// The page cache of SQLite's `temp` schema, which holds only lists read once from end to end
/// (the staging tables are a database of their own).
const TEMP_CACHE_KIB: i64 = 512;

/// The smallest (SQLite's default).
const MIN_CACHE_KIB: u64 = 2 * 1024;

/// See [`Store::with_small_sorter`], on any connection (a writer's transaction).
pub(super) fn with_small_sorter<T>(
    conn: &Connection,
    build: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> Result<T> {
    let cache: i64 = conn.pragma_query_value(None, "cache_size", |row| row.get(0))?;
    conn.pragma_update(None, "cache_size", -i64::from(SORTER_KIB))?;
    let built = build(conn);
    conn.pragma_update(None, "cache_size", cache)?;
    Ok(built?)
}

/// The schema version this binary writes.
pub const SCHEMA_VERSION: usize = UPGRADES.len() + 1;

/// An open archive.
pub struct Store {
    conn: Connection,
    /// The bodies of the items staged by this run, once it stages any.
    bodies: Option<staging::Bodies>,
    /// The order a large source may be written in (`staging/order.rs`); tests choose it to
    /// compare the two orders.
    order: staging::order::SourceOrder,
    /// How the file looked when it was opened `immutable=1` (see [`Store::read_consistent`]).
    unchanging: Option<snapshot::Unchanging>,
    /// Known records met by the source being staged, not staged yet (`records.rs`).
    known_ahead: records::KnownAhead,
}

impl Store {
    /// Opens (creating if needed) the archive at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open archive `{}`", path.display()))?;
        Self::setup(conn).with_context(|| format!("cannot use archive `{}`", path.display()))
    }

    /// Opens the archive at `path` for reading only, as `render` does: nothing is created,
    /// upgraded or written, so an archive the user may not write (someone else's, chmod 0444
    /// in a read-only directory, a read-only medium) renders, and no `-wal`/`-shm` file is left
    /// beside it. An archive of another schema version is refused with what to do: upgrading
    /// is a write.
    ///
    /// A WAL archive with no `-wal` file beside it has every commit in the main file and no
    /// connection open (the last one to close removes it), so it is opened `immutable=1`: read
    /// as a plain file, with no locks and no `-shm` to create, which a read-only connection
    /// could not remove again. When a `-wal` file exists a collect is writing (or was killed),
    /// and the archive is opened read-only with SQLite's locks, reading through the WAL, whose
    /// files are already there; so it is when a `-journal` file exists, while a large source
    /// is written with a rollback journal (`journal.rs`): the render waits for its commit.
    /// A collect may still start writing into the main file while such a connection reads
    /// (a checkpoint, or a large source's pages before its `-journal` file shows): read with
    /// [`Store::read_consistent`], which notices and has the reads done again.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        if !path.is_file() {
            bail!("no archive at `{}`", path.display());
        }
        // Stamped before anything is looked at: a write after it shows.
        let stamp = snapshot::Unchanging::stamp(path)
            .with_context(|| format!("cannot read archive `{}`", path.display()))?;
        let immutable = !wal_path(path).exists() && !beside(path, "-journal").exists();
        let conn = open_flags(path, immutable)
            .and_then(|conn| {
                // Set before the first read, which waits for a large source's commit.
                conn.busy_timeout(BUSY_TIMEOUT)?;
                check_readable(&conn).map(|()| conn)
            })
            .map_err(|e| match e.sqlite_error().map(|e| e.extended_code) {
                Some(rusqlite::ffi::SQLITE_READONLY_ROLLBACK) => anyhow!(
                    "a collect was stopped while it wrote to the archive `{0}`, and the \
                     journal it left (`{0}-journal`) must be rolled back first: any command \
                     that writes does that, `tagstory story --db {0} --tag TAG` among them; \
                     render never writes to the archive",
                    path.display()
                ),
                _ => anyhow::Error::new(e)
                    .context(format!("cannot open archive `{}`", path.display())),
            })?;
        let version = user_version(&conn)?;
        if version != SCHEMA_VERSION {
            let what = if version > SCHEMA_VERSION {
                "use a newer tagstory".to_owned()
            } else if version == 0 {
                "it is not a tagstory archive, or it is empty".to_owned()
            } else {
                format!(
                    "collect into it once (`tagstory collect --db {} --tag TAG SOURCE...`) to \
                     upgrade it; render never writes to the archive",
                    path.display()
                )
            };
            bail!(
                "the archive `{}` has schema version {version}, this tagstory reads version \
                 {SCHEMA_VERSION}; {what}",
                path.display()
            );
        }
        Ok(Store {
            conn,
            bodies: None,
            order: staging::order::SourceOrder::ByUriWhenLarge,
            unchanging: immutable.then_some(stamp),
            known_ahead: records::KnownAhead::default(),
        })
    }

    /// Opens a private in-memory archive (for tests).
    pub fn open_in_memory() -> Result<Store> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Store> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // One plan per statement, whatever is bound to it: SQLite otherwise marked the lookup
        // of a reply's parent by local id to be planned again for each new value, and
        // compiled it once per reply (issue 10). The plans are the ones `plan_tests` checks,
        // which are made without values.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        conn.set_prepared_statement_cache_capacity(64);
        // A new archive gets larger pages than SQLite's 4 KiB: a post row (its source JSON
        // is most of it) then shares a page instead of filling one, and every index is a level
        // shallower. An existing archive keeps its page size (the pragma does nothing there).
        if user_version(&conn)? == 0 {
            conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        }
        enable_wal(&conn)?;
        migrate(&mut conn)?;
        Ok(Store {
            conn,
            bodies: None,
            order: staging::order::SourceOrder::ByUriWhenLarge,
            unchanging: None,
            known_ahead: records::KnownAhead::default(),
        })
    }

    /// Sizes the page caches for collecting `input_bytes` of input: a sixteenth of that, from
    /// SQLite's default of 2 MiB up to `MAX_CACHE_KIB` for the archive and half as much for
    /// the staging tables, so that a large collect does not re-read what it writes while a
    /// small one stays small (memory stays well below the input's size). `held_bytes` is what
    /// the collect holds in memory besides (the fingerprints of the records the archive
    /// knows): the caches give that much up, so that the whole stays within the same bound.
    pub fn size_cache_for(&self, input_bytes: u64, held_bytes: u64) -> Result<()> {
        let both = MAX_CACHE_KIB * 3 / 2;
        let most = (both.saturating_sub(held_bytes / 1024) * 2 / 3).max(MIN_CACHE_KIB);
        let kib = (input_bytes / 16 / 1024).clamp(MIN_CACHE_KIB, most);
        let main = i64::try_from(kib).unwrap_or(i64::MAX);
        self.conn.pragma_update(None, "cache_size", -main)?;
        self.attach_staging()?;
        self.conn
            .pragma_update(Some("stage"), "cache_size", -(main / 2).max(2048))?;
        self.conn
            .pragma_update(Some("temp"), "cache_size", -TEMP_CACHE_KIB)?;
        Ok(())
    }

    /// Runs `build` (statements that sort: index builds) with SQLite's sorter held to
    /// `SORTER_KIB`. The sorter keeps each run in memory up to the archive's `cache_size`
    /// (vdbesort.c), on top of the page caches and grown by `realloc`, so building the staging
    /// indexes of a large collect took another 14 MB at 147k posts, and an allocator that
    /// returns freed memory late held every smaller copy besides. The cache is lowered for the
    /// build and set back after it, so the pages it gave up are read again as they are needed.
    pub(crate) fn with_small_sorter<T>(
        &self,
        build: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        with_small_sorter(&self.conn, build)
    }

    /// The schema version of the open archive.
    pub fn schema_version(&self) -> Result<usize> {
        Ok(user_version(&self.conn)?)
    }

    /// Starts writing one source; nothing is stored until [`SourceWriter::commit`].
    pub fn begin_source(
        &mut self,
        format: &str,
        location: &str,
        tag: &str,
    ) -> Result<SourceWriter<'_>> {
        SourceWriter::begin(&mut self.conn, None, format, location, tag, None, true)
    }

    /// Starts writing the run's staged source number `source` (see [`Store::stage`]), with a
    /// rollback journal and without foreign keys when the run outgrows the archive
    /// (`journal.rs`), unless `cascades` asks for them whatever the source's size: call
    /// [`Store::end_source`] once the writer is done, committed or not. A writer without them
    /// fails with [`NeedsCascades`] where it would delete a row that others hang on; the
    /// source is then written again with `cascades`. `selected_at` is the data version
    /// membership was decided at (see [`SourceWriter::refresh_membership`]); leaving WAL mode
    /// changes the data version, and when nothing else had, `selected_at` follows it.
    pub fn write_staged(
        &mut self,
        source: usize,
        format: &str,
        location: &str,
        tag: &str,
        cascades: bool,
        selected_at: &mut i64,
    ) -> Result<SourceWriter<'_>> {
        let cascades = self.journal_for_source(source, cascades, selected_at)?;
        let mut w = SourceWriter::begin(
            &mut self.conn,
            self.bodies.as_mut(),
            format,
            location,
            tag,
            Some(source),
            cascades,
        )?;
        w.order = self.order;
        Ok(w)
    }

    /// Chooses the order staged sources are written in (see `staging/order.rs`).
    #[cfg(test)]
    pub(crate) fn set_source_order(&mut self, order: staging::order::SourceOrder) {
        self.order = order;
    }

    /// The URI of the post a server knows by `local`, if any source has told us. When either
    /// side's server could not be told (`""`), an id that only one post has still matches.
    pub fn resolve_local_id(&self, local: &LocalId) -> Result<Option<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT server, post_uri FROM local_ids
             WHERE local_id = ?2 AND (server = ?1 OR server = '' OR ?1 = '')",
        )?;
        let rows = stmt.query_map((&local.server, &local.id), |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let candidates: Vec<(String, String)> = rows.collect::<Result<_, _>>()?;
        Ok(pick_local_match(local, candidates))
    }

    /// `(uri, parent uri)` of every post in the story of `tag`: the reply trees new posts may
    /// join.
    pub fn story_links(&self, tag: &str) -> Result<Vec<(String, Option<String>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.uri, p.in_reply_to_uri FROM story_posts s JOIN posts p ON p.id = s.post_id
             WHERE s.tag = ?1",
        )?;
        let rows = stmt.query_map([tag], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A number that changes whenever another connection commits to the archive (SQLite's
    /// `PRAGMA data_version`): what was read before may be stale when it has changed.
    pub fn data_version(&self) -> Result<i64> {
        Ok(data_version(&self.conn)?)
    }

    /// The underlying connection, for read-only queries in tests.
    #[cfg(test)]
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// The exact `(server, id)` match if there is one, else the only post among `candidates`
/// (same id, one side's server unknown).
pub fn pick_local_match(local: &LocalId, candidates: Vec<(String, String)>) -> Option<String> {
    if let Some((_, uri)) = candidates
        .iter()
        .find(|(server, _)| *server == local.server)
    {
        return Some(uri.clone());
    }
    let mut uris = candidates.into_iter().map(|(_, uri)| uri);
    let first = uris.next()?;
    uris.all(|u| u == first).then_some(first)
}

/// Switches the archive to WAL mode, which keeps readers (render) working while a collect
/// writes; memory databases ignore it. SQLite answers "busy" at once, without waiting for the
/// busy timeout, when two connections switch a new archive at the same moment (waiting
/// while holding a read lock could deadlock), so several collects creating one archive
/// together retry here until one has switched it.
fn enable_wal(conn: &Connection) -> Result<()> {
    let started = std::time::Instant::now();
    loop {
        match conn.query_row("PRAGMA main.journal_mode = WAL", [], |_| Ok(())) {
            Ok(()) => return Ok(()),
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e).context("cannot switch the archive to WAL mode"),
        }
    }
}

/// A read-only connection to `path`; `immutable` opens it as a file that cannot change.
fn open_flags(path: &Path, immutable: bool) -> rusqlite::Result<Connection> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if !immutable {
        return Connection::open_with_flags(path, flags);
    }
    let mut uri =
        url::Url::from_file_path(std::path::absolute(path).map_err(|e| {
            rusqlite::Error::InvalidPath(format!("{}: {e}", path.display()).into())
        })?)
        .map_err(|()| rusqlite::Error::InvalidPath(path.to_owned()))?;
    uri.set_query(Some("immutable=1"));
    Connection::open_with_flags(uri.as_str(), flags)
}

/// Reads the schema: a file that is not SQLite fails here, not in the first query.
fn check_readable(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
}

fn wal_path(path: &Path) -> std::path::PathBuf {
    beside(path, "-wal")
}

/// The file SQLite keeps beside the archive at `path`, named with `suffix`.
fn beside(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// See [`Store::data_version`].
pub(crate) fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |row| row.get(0))
}

fn user_version(conn: &Connection) -> rusqlite::Result<usize> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

fn migrate(conn: &mut Connection) -> Result<()> {
    // Nothing to do (the usual case) needs no write lock: a collect opening the archive while
    // another writes must not queue behind it just to read `user_version`.
    if user_version(conn)? == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    let version = user_version(&tx)?;
    if version > SCHEMA_VERSION {
        bail!(
            "the archive has schema version {version} but this tagstory only knows up to \
             {SCHEMA_VERSION}; use a newer tagstory"
        );
    }
    if version == 0 {
        tx.execute_batch(SCHEMA)
            .context("cannot create the archive's tables")?;
    } else {
        for (step, sql) in UPGRADES.iter().enumerate().skip(version - 1) {
            tx.execute_batch(sql).with_context(|| {
                format!("cannot upgrade the archive to schema version {}", step + 2)
            })?;
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Current time in the archive's text format.
pub(crate) fn now_text() -> String {
    time_text(&chrono::Utc::now())
}

/// A time in the archive's text format: RFC 3339, UTC, milliseconds, `Z`.
pub fn time_text(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod tests;
