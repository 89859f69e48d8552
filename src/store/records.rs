//! Records read before (schema v11): which posts each record a collect read whole made, by
//! the record's fingerprint (see `collect::fingerprint`). A record met again is staged from
//! here, as its posts' places in the reply graph, instead of being parsed and staged anew.
//! Each post's place and hashtags are kept with the record as the record said them (schema
//! v13), so that staging it reads one row and no page of `posts`.
//!
//! A record whose posts all stayed outside the story being collected is remembered too
//! (`passed`, schema v12), with each post's place in the reply graph, author and hashtags:
//! nothing of it is archived. Staged from there, such a post is what membership needs; when
//! membership selects one after all (a reply to it arrived, a collect of another tag), the
//! record is read again ([`NeedsReading`], [`Store::selected_passed`]).

use anyhow::Result;
use rusqlite::params;

use super::Store;
use super::write::SourceWriter;

mod known;
pub(super) use known::KnownAhead;

/// A record's fingerprint: the first 16 bytes of a SHA-256 (a collision among the records of
/// one archive is as unlikely as one of the whole hash, in practice).
pub type Fingerprint = [u8; 16];

/// Whether the archive remembers any passed record (a first collect remembers none).
const SQL_ANY_PASSED: &str = "SELECT EXISTS (SELECT 1 FROM main.passed)";

/// Remembers an archived post of a record read whole, staged as row `?4`.
const SQL_REMEMBER: &str = "INSERT OR IGNORE INTO main.records (hash, post_id, text_tags, uri,
         parent, parent_server, parent_local, tags)
     SELECT ?1, ?2, ?3, uri, parent, parent_server, parent_local, coalesce(tags, '')
     FROM staged WHERE seq = ?4 AND uri IS NOT NULL";

/// Remembers a staged post of a record read whole that stayed outside the story.
const SQL_PASS: &str = "INSERT OR IGNORE INTO main.passed (hash, uri, parent, parent_server,
     parent_local, local_server, local_id, author_uri, tags)
     SELECT ?1, uri, parent, parent_server, parent_local, local_server, local_id, author,
         coalesce(tags, '') FROM staged WHERE seq = ?2 AND uri IS NOT NULL AND author IS NOT NULL";

/// A record remembered as archived is no longer passed (it was read again and joined a story).
const SQL_UNPASS: &str = "DELETE FROM main.passed WHERE hash = ?1";

/// The same three, for what a writer without foreign keys set aside (see
/// [`SourceWriter::remember_record`]), each in the order of the table's key.
const SQL_SET_ASIDE_RECORD: &str = "INSERT INTO stage.remembered_records
     (hash, post_id, text_tags, seq) VALUES (?1, ?2, ?3, ?4)";
const SQL_SET_ASIDE_PASSED: &str =
    "INSERT OR IGNORE INTO stage.remembered_passed (seq, hash) VALUES (?2, ?1)";
/// The staged rows are read in their own order (the rows set aside come in the order they were
/// written, by URI for a source written so), then sorted by record. Sorted into a table of
/// their own first: in a subquery, SQLite dropped the `ORDER BY` under the outer one (and kept
/// with a `LIMIT`, it sorted in a temporary B-tree that spilled a page write per few rows), so
/// the staged rows were read by URI, a page read per row once they outgrew the staging cache
/// (1.4 of the 20 s of a first collect of 300k Mastodon statuses; issue 10).
const SQL_REMEMBER_SET_ASIDE: &str = "
    DELETE FROM stage.remembered_by_seq;
    INSERT INTO stage.remembered_by_seq (hash, post_id, text_tags, seq)
        SELECT hash, post_id, text_tags, seq FROM stage.remembered_records ORDER BY seq;
    INSERT OR IGNORE INTO main.records (hash, post_id, text_tags, uri, parent, parent_server,
        parent_local, tags)
        SELECT r.hash, r.post_id, r.text_tags, s.uri, s.parent, s.parent_server,
            s.parent_local, coalesce(s.tags, '')
        FROM stage.remembered_by_seq r CROSS JOIN staged s ON s.seq = r.seq
        WHERE s.uri IS NOT NULL
        ORDER BY r.hash, r.post_id;
    DELETE FROM stage.remembered_by_seq;
";
const SQL_UNPASS_SET_ASIDE: &str = "DELETE FROM main.passed
     WHERE hash IN (SELECT hash FROM stage.remembered_records)";
/// From the rows set aside to the staged rows, in the order of both (SQLite chose to scan every
/// staged row and look each up among those set aside: 366,000 page reads at 300k).
const SQL_PASS_SET_ASIDE: &str = "
    INSERT OR IGNORE INTO main.passed (hash, uri, parent, parent_server, parent_local,
        local_server, local_id, author_uri, tags)
        SELECT r.hash, s.uri, s.parent, s.parent_server, s.parent_local, s.local_server,
            s.local_id, s.author, coalesce(s.tags, '')
        FROM stage.remembered_passed r CROSS JOIN staged s ON s.seq = r.seq
        WHERE s.uri IS NOT NULL AND s.author IS NOT NULL
        ORDER BY r.hash, s.uri;
";
const SQL_CLEAR_SET_ASIDE: &str =
    "DELETE FROM stage.remembered_records; DELETE FROM stage.remembered_passed;";

/// The staged posts of passed records that membership selected, by source.
const SQL_SELECTED_PASSED: &str = "SELECT DISTINCT s.source, s.record FROM selected_rows sel
     JOIN staged s ON s.seq = sel.seq WHERE s.passed";

/// An archived post of a record read whole (see [`SourceWriter::remember_record`]).
#[derive(Debug, Clone, Copy)]
pub struct RecordPost {
    /// Its id in the archive.
    pub id: i64,
    /// The staged row it was written from, which holds its place in the reply graph.
    pub seq: i64,
    /// Its hashtags are words of its text (see `records.text_tags`).
    pub text_tags: bool,
}

/// Membership selected a post the run staged from a passed record: the record must be read
/// again in full before its source can be written.
#[derive(Debug)]
pub struct NeedsReading;

impl std::fmt::Display for NeedsReading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a post read before outside the story joined it: its source is read again")
    }
}

impl std::error::Error for NeedsReading {}

impl Store {
    /// The fingerprints of the records whose posts the archive holds.
    pub fn known_records(&self) -> Result<Vec<Fingerprint>> {
        self.fingerprints_in("records")
    }

    /// The fingerprints of the records the archive remembers as passed.
    pub fn passed_records(&self) -> Result<Vec<Fingerprint>> {
        self.fingerprints_in("passed")
    }

    fn fingerprints_in(&self, table: &str) -> Result<Vec<Fingerprint>> {
        // Counted first: a million of them are 16 MB, not to be held twice while growing.
        let count: i64 = self.conn.query_row(
            &format!("SELECT count(DISTINCT hash) FROM {table}"),
            [],
            |r| r.get(0),
        )?;
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT DISTINCT hash FROM {table}"))?;
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
        let mut known = Vec::with_capacity(usize::try_from(count).unwrap_or_default());
        for hash in rows {
            if let Ok(print) = Fingerprint::try_from(hash?.as_slice()) {
                known.push(print);
            }
        }
        Ok(known)
    }

    /// The records staged from `passed` whose posts membership selected, with the source
    /// that staged each: they are to be read again (see the module's doc).
    pub fn selected_passed(&self) -> Result<Vec<(usize, Fingerprint)>> {
        let mut stmt = self.conn.prepare(SQL_SELECTED_PASSED)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (source, hash) = row?;
            if let Ok(print) = Fingerprint::try_from(hash.as_slice()) {
                out.push((source, print));
            }
        }
        Ok(out)
    }
}

impl SourceWriter<'_> {
    /// The archived id of the post the last [`SourceWriter::upsert_post`] stored, if it did.
    pub fn last_post(&self) -> Option<i64> {
        self.last_post
    }

    /// Remembers that the record `print`, read whole, made the archived `posts`, every post it
    /// made: a later collect need not read it again.
    ///
    /// A writer without foreign keys (a large source, `journal.rs`) sets what it remembers
    /// aside until it commits, and then writes it in the order of the tables' keys: a
    /// fingerprint falls anywhere in `records` and `passed`, and once those outgrow the cache
    /// each row written at once read a page back and wrote one out. Such a writer deletes no
    /// post (it fails with `NeedsCascades` first), so no record it remembers loses a post
    /// before the commit.
    pub fn remember_record(&mut self, print: &Fingerprint, posts: &[RecordPost]) -> Result<()> {
        if !self.cascades {
            self.set_aside = true;
            let stmt = super::write::held(
                self.tx,
                &mut self.held.set_aside_record,
                SQL_SET_ASIDE_RECORD,
            )?;
            for p in posts {
                stmt.execute(params![print.as_slice(), p.id, p.text_tags, p.seq])?;
            }
            return Ok(());
        }
        let mut stmt = self.tx.prepare_cached(SQL_REMEMBER)?;
        for p in posts {
            stmt.execute(params![print.as_slice(), p.id, p.text_tags, p.seq])?;
        }
        if super::write::probe_once(self.tx, &mut self.any_passed, SQL_ANY_PASSED)? {
            self.tx
                .prepare_cached(SQL_UNPASS)?
                .execute([print.as_slice()])?;
        }
        Ok(())
    }

    /// Remembers that the record `print`, read whole, made only the staged posts `seqs`, all
    /// outside the story: a later collect stages their places from here. (Set aside as
    /// [`SourceWriter::remember_record`] says.)
    pub fn remember_passed(&mut self, print: &Fingerprint, seqs: &[i64]) -> Result<()> {
        // Asked before this writer passes any: a record it passes is not one it archives.
        super::write::probe_once(self.tx, &mut self.any_passed, SQL_ANY_PASSED)?;
        let sql = if self.cascades {
            SQL_PASS
        } else {
            self.set_aside = true;
            SQL_SET_ASIDE_PASSED
        };
        let mut stmt = self.tx.prepare_cached(sql)?;
        for seq in seqs {
            stmt.execute(params![print.as_slice(), seq])?;
        }
        Ok(())
    }

    /// Writes what was set aside (see [`SourceWriter::remember_record`]): before the indexes
    /// set aside are built again, or at commit.
    pub(super) fn remember_set_aside(&mut self) -> Result<()> {
        if !std::mem::take(&mut self.set_aside) {
            return Ok(());
        }
        let any_passed = super::write::probe_once(self.tx, &mut self.any_passed, SQL_ANY_PASSED)?;
        // The sorts get the memory the cache gives up only once its dirty pages are written.
        self.tx.cache_flush()?;
        super::with_small_sorter(self.tx, |conn| {
            conn.execute_batch(SQL_REMEMBER_SET_ASIDE)?;
            if any_passed {
                conn.execute(SQL_UNPASS_SET_ASIDE, [])?;
            }
            conn.execute_batch(SQL_PASS_SET_ASIDE)?;
            conn.execute_batch(SQL_CLEAR_SET_ASIDE)
        })
    }
}

#[cfg(test)]
/// The statements above that run per record or per post, for the query-plan test.
pub(super) const PER_ROW_QUERIES: &[&str] = &[
    known::SQL_KNOWN_POSTS,
    known::SQL_STAGE_KNOWN,
    SQL_REMEMBER,
    known::SQL_PASSED_POSTS,
    known::SQL_STAGE_PASSED,
    SQL_PASS,
    SQL_UNPASS,
    SQL_SET_ASIDE_RECORD,
    SQL_SET_ASIDE_PASSED,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleting_any_post_of_a_record_forgets_the_whole_record() {
        let store = Store::open_in_memory().unwrap();
        let conn = store.connection();
        conn.execute_batch(
            "INSERT INTO authors (id, uri, handle, updated_at) VALUES (1, 'a', '@a@x', '');
             INSERT INTO posts (id, uri, author_id, created_at, content_html, text,
                 source_format, source_json, collected_at)
             VALUES (1, 'p1', 1, '', '', '', 'f', '{}', ''), (2, 'p2', 1, '', '', '', 'f', '{}', ''),
                    (3, 'p3', 1, '', '', '', 'f', '{}', '');
             INSERT INTO records (hash, post_id) VALUES (x'01', 1), (x'01', 2), (x'02', 3), (x'03', 2);",
        )
        .unwrap();
        let hashes = || -> Vec<Vec<u8>> {
            let mut stmt = conn
                .prepare("SELECT DISTINCT hash FROM records ORDER BY hash")
                .unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        assert_eq!(hashes(), [vec![1], vec![2], vec![3]]);
        // p2 was made by records 01 (with p1) and 03: both go, p1's link with 01.
        conn.execute("DELETE FROM posts WHERE id = 2", []).unwrap();
        assert_eq!(hashes(), [vec![2]]);
        // Only records of 16 bytes are fingerprints.
        assert!(store.known_records().unwrap().is_empty());
    }
}
