//! The order a large source's posts are written in: by URI, not as the source put them.
//!
//! Every post a writer stores goes into the unique index of `posts.uri` (and `posts_author`),
//! and a source's URIs come in no order those indexes keep: once they outgrow the page cache,
//! each new post read an index page back and later wrote one out. For a first collect of a
//! million Mastodon statuses that was 970,000 of its 1.5 M page reads and 1.1 M page writes
//! (issue 10). Written in URI order, each index page is filled once, in turn. So a source
//! written without foreign keys (one larger than the archive, `journal.rs`) whose posts would
//! take the index past the page cache is written from `write_order`, a copy of its staged rows
//! sorted by URI (posts first, each URI's copies in the source's order, then everything else
//! in the source's order). 300k Mastodon API statuses: 27.9 -> 21.5 s; 1M: 110 -> 86 s.
//!
//! Nothing a post's own write does depends on the posts before it, but three things a source
//! holds do, and a source that holds any of them keeps its order ([`in_order`]): a profile
//! (which of an author's copies is stored last), a deletion (a post deleted before or after it
//! came) and a curated story (its entries' positions). What a writer keeps per source in the
//! order of the rows is gathered in order here instead: the local ids of its posts, kept in
//! `local_ids_aside` and written sorted at the end (keyed by server and id, they are in the
//! source's order, not the URIs'; a source that keeps no order sets them aside even when it
//! is written as read, since sorted they are appended to `local_ids`), the records of several
//! posts it remembers (`record_outcomes`: their posts no longer come one after another; a
//! record of one post is remembered as it is written), and the profiles of the authors its
//! posts carry: the last one met is stored, so an author whose posts carried several is stored
//! again in the source's order at the end (`author_copies`, `author_profiles`).

use anyhow::Result;
use rusqlite::params;

use crate::model::{Author, Item, LocalId};
use crate::store::records::Fingerprint;
use crate::store::write::SourceWriter;

/// Whether a source that holds `item` must be written in its own order (see the module's doc).
pub(super) fn in_order(item: &Item) -> bool {
    matches!(
        item,
        Item::Actor(_) | Item::Delete(_) | Item::Story(_) | Item::Curated(_)
    )
}

pub(super) const CREATE: &str = "
    CREATE TABLE IF NOT EXISTS stage.write_order (
        n INTEGER PRIMARY KEY, seq INTEGER NOT NULL, uri TEXT, parent TEXT, local_server TEXT,
        local_id TEXT, withheld INTEGER NOT NULL, record BLOB, text_tags INTEGER NOT NULL,
        known INTEGER, author TEXT, passed INTEGER NOT NULL, body_at INTEGER, body_len INTEGER,
        tagged INTEGER, alone INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS stage.local_ids_aside (
        server TEXT NOT NULL, local_id TEXT NOT NULL, uri TEXT NOT NULL, seq INTEGER NOT NULL);
    -- What became of each post of a record read whole: 0 stored (as `post_id`), 1 left
    -- outside the story, 2 anything else.
    CREATE TABLE IF NOT EXISTS stage.record_outcomes (
        hash BLOB NOT NULL, seq INTEGER NOT NULL, post_id INTEGER, text_tags INTEGER NOT NULL,
        outcome INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS stage.record_verdicts (
        hash BLOB NOT NULL, seq INTEGER NOT NULL, post_id INTEGER, text_tags INTEGER NOT NULL,
        verdict INTEGER NOT NULL);
    -- Which profile of its author each stored post carried, and the profiles by digest.
    CREATE TABLE IF NOT EXISTS stage.author_copies (
        seq INTEGER NOT NULL, uri TEXT NOT NULL, digest INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS stage.author_profiles (
        uri TEXT NOT NULL, digest INTEGER NOT NULL, handle TEXT NOT NULL, name TEXT NOT NULL,
        url TEXT, avatar TEXT, PRIMARY KEY (uri, digest)) WITHOUT ROWID;
";

/// Whether a source keeps its order, and how many posts it staged that the archive may not
/// hold (not those of records read before: a second collect has only those, and sorting them
/// was a tenth of one of twarc 2's).
const SQL_KEEPS_ORDER: &str = "SELECT coalesce(max(in_order), 0),
     count(*) FILTER (WHERE uri IS NOT NULL AND known IS NULL AND NOT passed)
     FROM staged WHERE source = ?1";

/// About what an entry of the index of `posts.uri` takes (a URI, a row id, its cell): while
/// the index fits the page cache, writing in URI order saves nothing and costs two sorts
/// (4% more instructions in a first collect of 20,000 posts).
const URI_ENTRY_BYTES: i64 = 100;

/// Which order a staged source is written in. (Only tests choose another than the first.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum SourceOrder {
    /// By URI when the source is written without foreign keys, keeps no order, and the
    /// index of `posts.uri` outgrows the page cache.
    ByUriWhenLarge,
    /// By URI whenever the source is written without foreign keys and keeps no order.
    ByUri,
    /// As read, and local ids recorded one by one.
    AsRead,
}

const SQL_FILL: &str =
    "INSERT INTO write_order (seq, uri, parent, local_server, local_id, withheld,
         record, text_tags, known, author, passed, body_at, body_len, tagged, alone)
     SELECT st.seq, st.uri, st.parent, st.local_server, st.local_id, st.withheld, st.record,
         st.text_tags, st.known, st.author, st.passed, st.body_at, st.body_len, sel.tagged,
         st.alone
     FROM staged st LEFT JOIN selected_rows sel ON sel.seq = st.seq
     WHERE st.source = ?1 ORDER BY st.uri IS NULL, st.uri, st.seq";

/// `$batch` over the rows of `write_order` in its order (the source, `?1`, is the one it was
/// filled from).
macro_rules! in_write_order {
    ($batch:ident) => {
        $batch!(
            "write_order st",
            "st.tagged",
            "st.n",
            "st.n > ?2 ORDER BY st.n LIMIT ?3"
        )
    };
}

pub(super) const SQL_NEXT_BATCH: &str = in_write_order!(next_batch);
pub(super) const SQL_NEXT_PLACES: &str = in_write_order!(body_places);

const SQL_LOCAL_ASIDE: &str =
    "INSERT INTO stage.local_ids_aside (server, local_id, uri, seq) VALUES (?1, ?2, ?3, ?4)";

/// The local ids set aside that the archive did not know (an id twice is harmless there: the
/// list only selects the replies to link), then all of them, in key order: the first of a
/// source's copies of an id wins, as it does written one by one.
const SQL_NEW_LOCAL_IDS: &str = "INSERT INTO temp.new_local_ids (server, local_id)
     SELECT a.server, a.local_id FROM stage.local_ids_aside a
     WHERE NOT EXISTS (SELECT 1 FROM main.local_ids l
         WHERE l.server = a.server AND l.local_id = a.local_id)";
const SQL_WRITE_LOCAL_IDS: &str =
    "INSERT OR IGNORE INTO main.local_ids (server, local_id, post_uri)
     SELECT server, local_id, uri FROM stage.local_ids_aside ORDER BY server, local_id, seq";

const SQL_RECORD_OUTCOME: &str = "INSERT INTO stage.record_outcomes
     (hash, seq, post_id, text_tags, outcome) VALUES (?1, ?2, ?3, ?4, ?5)";

/// Records whose every post was stored (verdict 0), or every post left outside the story
/// (verdict 1), are remembered as `remember_record` and `remember_passed` remember them (set
/// aside, `records.rs`); a record that did both, or anything else, is read again next time.
/// In one sort by record: looking each row's record up among the records kept read a page per
/// row (199,000 at 300k), and a sort for each verdict was 3% of a 1M-post first collect.
const SQL_SETTLE_RECORDS: &str = "
    INSERT INTO stage.record_verdicts (hash, seq, post_id, text_tags, verdict)
        SELECT hash, seq, post_id, text_tags, lo FROM (
            SELECT hash, seq, post_id, text_tags, min(outcome) OVER w AS lo,
                max(outcome) OVER w AS hi
            FROM stage.record_outcomes WINDOW w AS (PARTITION BY hash))
        WHERE lo = hi AND lo < 2;
    INSERT INTO stage.remembered_records (hash, post_id, text_tags, seq)
        SELECT hash, post_id, text_tags, seq FROM stage.record_verdicts WHERE verdict = 0;
    INSERT OR IGNORE INTO stage.remembered_passed (seq, hash)
        SELECT seq, hash FROM stage.record_verdicts WHERE verdict = 1;
";

const SQL_AUTHOR_COPY: &str =
    "INSERT INTO stage.author_copies (seq, uri, digest) VALUES (?1, ?2, ?3)";
const SQL_AUTHOR_PROFILE: &str = "INSERT OR IGNORE INTO stage.author_profiles
     (uri, digest, handle, name, url, avatar) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/// Every copy of the authors whose posts carried more than one profile, in the source's order.
const SQL_AUTHORS_TO_REPLAY: &str = "SELECT p.uri, p.handle, p.name, p.url, p.avatar
     FROM stage.author_copies c JOIN stage.author_profiles p
         ON p.uri = c.uri AND p.digest = c.digest
     WHERE c.uri IN (SELECT uri FROM stage.author_profiles GROUP BY uri HAVING count(*) > 1)
     ORDER BY c.seq";

const SQL_CLEAR: &str = "DELETE FROM stage.write_order; DELETE FROM stage.local_ids_aside;
     DELETE FROM stage.record_outcomes; DELETE FROM stage.record_verdicts;
     DELETE FROM stage.author_copies; DELETE FROM stage.author_profiles;";

/// What writing a staged post did, as far as the record that made it is concerned.
#[derive(Debug, Clone, Copy)]
pub enum Written {
    /// Archived with this id.
    Stored(i64),
    /// Left outside the story.
    Passed,
    /// Anything else: the record is read again next time.
    Other,
}

impl SourceWriter<'_> {
    /// Chooses the order this writer's staged source is written in (see the module's doc);
    /// [`SourceWriter::next_staged`] follows it.
    pub fn choose_order(&mut self) -> Result<()> {
        self.tx.execute_batch(CREATE)?;
        self.tx.execute_batch(SQL_CLEAR)?;
        self.by_uri = false;
        self.locals_aside = false;
        if self.cascades || self.order == SourceOrder::AsRead || self.staged_source < 0 {
            return Ok(());
        }
        let (keeps, posts): (bool, i64) =
            self.tx
                .query_row(SQL_KEEPS_ORDER, [self.staged_source], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
        // Written one by one, a source's local ids go into `local_ids` in the source's order,
        // which is no order of its key: a timeline runs newest first, so each id went in at
        // the left edge, splitting a page every few rows (8% of the writing thread, 100k
        // Mastodon statuses; issue 10). Sorted at the end, they are appended.
        self.locals_aside = !keeps;
        if keeps || (self.order == SourceOrder::ByUriWhenLarge && !self.outgrows_cache(posts)?) {
            return Ok(());
        }
        crate::store::with_small_sorter(self.tx, |conn| {
            conn.execute(SQL_FILL, [self.staged_source])
        })?;
        self.by_uri = true;
        Ok(())
    }

    /// Whether the index of `posts.uri`, with `new` more posts, outgrows the page cache.
    fn outgrows_cache(&self, new: i64) -> Result<bool> {
        let posts: i64 =
            self.tx
                .query_row("SELECT coalesce(max(id), 0) FROM main.posts", [], |r| {
                    r.get(0)
                })?;
        let cache: i64 = self
            .tx
            .query_row("PRAGMA main.cache_size", [], |r| r.get(0))?;
        let page: i64 = self
            .tx
            .query_row("PRAGMA main.page_size", [], |r| r.get(0))?;
        let cache_bytes = if cache < 0 {
            -cache * 1024
        } else {
            cache * page
        };
        Ok((posts + new).saturating_mul(URI_ENTRY_BYTES) > cache_bytes)
    }

    /// Whether the staged source is written in URI order (see the module's doc).
    pub fn by_uri(&self) -> bool {
        self.by_uri
    }

    /// Records that a server knows `uri` by `local` (a post of the staged row being written):
    /// at once, or at [`SourceWriter::settle_order`] when the source keeps no order.
    pub fn record_local_id_of(&mut self, local: &LocalId, uri: &str) -> Result<()> {
        if !self.locals_aside {
            return self.record_local_id(local, uri).map(drop);
        }
        crate::store::write::held(self.tx, &mut self.held.local_aside, SQL_LOCAL_ASIDE)?
            .execute(params![local.server, local.id, uri, self.row])?;
        Ok(())
    }

    /// Notes what became of the post of the staged row being written, made by the record
    /// `print` (read whole), in a source written in URI order: the record is remembered at
    /// [`SourceWriter::settle_order`] if its posts all went the same way.
    pub fn note_record_post(
        &mut self,
        print: &Fingerprint,
        text_tags: bool,
        outcome: Written,
    ) -> Result<()> {
        let (post_id, code) = match outcome {
            Written::Stored(id) => (Some(id), 0),
            Written::Passed => (None, 1),
            Written::Other => (None, 2),
        };
        self.tx
            .prepare_cached(SQL_RECORD_OUTCOME)?
            .execute(params![
                print.as_slice(),
                self.row,
                post_id,
                text_tags,
                code
            ])?;
        Ok(())
    }

    /// Notes that the post of the staged row being written carried `author`, whose profile
    /// has digest `digest`, when the source is written in URI order: which of an author's
    /// profiles is stored depends on the order of the posts (the last one met, `write.rs`), so
    /// an author met with several is stored again in the source's order at
    /// [`SourceWriter::settle_order`].
    /// (`known`: this profile was the last one stored for the author, so it is noted already.)
    pub(in crate::store) fn note_author(
        &mut self,
        author: &Author,
        digest: u64,
        known: bool,
    ) -> Result<()> {
        if !self.by_uri {
            return Ok(());
        }
        let digest = digest as i64;
        self.tx
            .prepare_cached(SQL_AUTHOR_COPY)?
            .execute(params![self.row, author.uri, digest])?;
        if known {
            return Ok(());
        }
        self.tx
            .prepare_cached(SQL_AUTHOR_PROFILE)?
            .execute(params![
                author.uri,
                digest,
                author.handle,
                author.name,
                author.url,
                author.avatar
            ])?;
        Ok(())
    }

    /// Says which staged row is being written (`seq`).
    pub fn writing_row(&mut self, seq: i64) {
        self.row = seq;
    }

    /// Stores again, in the source's order, every copy of the authors met with several
    /// profiles (see [`SourceWriter::note_author`]): what is left is what the source's order
    /// leaves, whatever the profiles written before (a later copy with a name replaces it; a
    /// web link is kept over a path in either order).
    fn replay_authors(&mut self) -> Result<()> {
        let copies: Vec<Author> = self
            .tx
            .prepare(SQL_AUTHORS_TO_REPLAY)?
            .query_map([], |r| {
                Ok(Author {
                    uri: r.get(0)?,
                    handle: r.get(1)?,
                    name: r.get(2)?,
                    url: r.get(3)?,
                    avatar: r.get(4)?,
                    ..Default::default()
                })
            })?
            .collect::<Result<_, _>>()?;
        self.forget_cached_authors();
        for author in &copies {
            self.upsert_author(author)?;
        }
        Ok(())
    }

    /// Writes what a source that keeps no order gathered: its local ids and, written in URI
    /// order, the records it remembers (set aside, as `records.rs` writes them) and its
    /// authors' profiles in the source's order. Nothing when it kept its order.
    pub fn settle_order(&mut self) -> Result<()> {
        // Taken first: the authors stored again below are not noted again.
        let by_uri = std::mem::take(&mut self.by_uri);
        if !std::mem::take(&mut self.locals_aside) {
            return Ok(());
        }
        if by_uri {
            self.replay_authors()?;
        }
        // The sorts get the memory the cache gives up only once its dirty pages are written.
        self.tx.cache_flush()?;
        let created = self.new_local_ids;
        let new = crate::store::with_small_sorter(self.tx, |conn| {
            if !created {
                conn.execute_batch(crate::store::events::CREATE_NEW_LOCAL_IDS)?;
            }
            let new = conn.execute(SQL_NEW_LOCAL_IDS, [])?;
            conn.execute(SQL_WRITE_LOCAL_IDS, [])?;
            if by_uri {
                conn.execute_batch(SQL_SETTLE_RECORDS)?;
            }
            conn.execute_batch(SQL_CLEAR)?;
            Ok(new)
        })?;
        self.new_local_ids = created || new > 0;
        self.set_aside |= by_uri;
        Ok(())
    }
}

#[cfg(test)]
/// The statements above that run per post or per batch, for the query-plan test.
pub(in crate::store) const PER_ROW_QUERIES: &[&str] = &[
    SQL_NEXT_BATCH,
    SQL_LOCAL_ASIDE,
    SQL_RECORD_OUTCOME,
    SQL_NEXT_PLACES,
];

#[cfg(test)]
/// The statements above that run once per source, for the query-plan test.
pub(in crate::store) const ONCE_QUERIES: &[&str] = &[
    SQL_KEEPS_ORDER,
    SQL_FILL,
    SQL_NEW_LOCAL_IDS,
    SQL_WRITE_LOCAL_IDS,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// See: issue 10. A record whose posts were all stored is remembered with each of them,
    /// one whose posts all stayed outside the story is remembered as passed, and one that did
    /// both, or anything else, is not remembered: as `close_record` decides for a record whose
    /// posts come one after another.
    #[test]
    fn records_of_several_posts_are_settled_by_what_became_of_all_of_them() {
        let store = Store::open_in_memory().unwrap();
        let conn = store.connection();
        crate::store::staging::create_for_test(conn).unwrap();
        // (record, staged row, post id, outcome)
        let outcomes: &[(u8, i64, Option<i64>, i64)] = &[
            (1, 10, Some(100), 0),
            (2, 11, None, 1),
            (3, 12, Some(102), 0),
            (1, 13, Some(103), 0),
            (2, 14, None, 1),
            (3, 15, None, 1),
            (4, 16, Some(104), 0),
            (4, 17, None, 2),
        ];
        for &(record, seq, post_id, outcome) in outcomes {
            conn.execute(
                SQL_RECORD_OUTCOME,
                params![[record; 32], seq, post_id, true, outcome],
            )
            .unwrap();
        }
        conn.execute_batch(SQL_SETTLE_RECORDS).unwrap();
        let remembered: Vec<(Vec<u8>, i64)> = conn
            .prepare("SELECT hash, post_id FROM stage.remembered_records ORDER BY post_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(remembered, [(vec![1; 32], 100), (vec![1; 32], 103)]);
        let passed: Vec<(i64, Vec<u8>)> = conn
            .prepare("SELECT seq, hash FROM stage.remembered_passed ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(passed, [(11, vec![2; 32]), (14, vec![2; 32])]);
    }
}
