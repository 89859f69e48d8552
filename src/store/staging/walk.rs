//! The membership walk: the other staged posts joined to a seed through posts that are not
//! seeds. It starts next to a seed (below a seed, or above a staged seed or an archived post of
//! the story, that seed's parent being a staged post or a missing parent of one), then goes
//! from post to parent and to children through staged links. A post that is not staged has no
//! link of its own to walk on, and a seed's links are not walked: whatever lies past it is
//! joined to a seed already, and reached from its own side.
//!
//! A recursive query took the posts it reached one at a time and probed the staging indexes
//! for each one's parent and children wherever their keys fell: once the indexes outgrew the
//! staging cache (300k posts: 45 MB against 8 MiB), that was a page read per probe, a third
//! of the page reads of a first collect (issue 10). Here the walk goes a ring at a time
//! instead: every post reached in one step is probed in key order (so each index page is read
//! once per step at most), what they lead to is sorted by SQLite's sorter (sequential I/O),
//! and the next ring is kept in a table of its own, in key order again. Rings grow few and
//! small after the first; once one holds fewer than [`SMALL_RING`] posts, the rest of the walk
//! is a recursive query's, from that ring, which a long chain of replies needs (a statement
//! per ring would be a statement per post of it).

use rusqlite::{Connection, Result};

/// Below this many posts in a ring, the recursive query finishes the walk.
const SMALL_RING: usize = 256;

/// How tests walk: rings below `small_ring` posts finish by the recursive query; starts next
/// to a seed are looked for from the posts outside the story (`Some(true)`), from the seeds
/// (`Some(false)`) or as the counts say (`None`).
#[cfg(test)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct WalkForTest {
    pub small_ring: usize,
    pub from_outside: Option<bool>,
}

#[cfg(test)]
thread_local! {
    pub(crate) static WALK_FOR_TEST: std::cell::Cell<Option<WalkForTest>> =
        const { std::cell::Cell::new(None) };
}

fn small_ring() -> usize {
    #[cfg(test)]
    if let Some(w) = WALK_FOR_TEST.with(std::cell::Cell::get) {
        return w.small_ring;
    }
    SMALL_RING
}

/// Whether to look for the starts next to a seed from the posts outside the story, of
/// `posts` staged: when the seeds are more than twice as many (a second collect), there are
/// fewer rows to read so.
fn from_outside(seeds: usize, posts: usize) -> bool {
    #[cfg(test)]
    if let Some(WalkForTest {
        from_outside: Some(outside),
        ..
    }) = WALK_FOR_TEST.with(std::cell::Cell::get)
    {
        return outside;
    }
    seeds > 2 * posts.saturating_sub(seeds)
}

/// The walk's working tables: every post reached so far, the ring being walked from, and the
/// posts the ring leads to (not yet filtered).
pub(super) const CREATE: &str = "
    CREATE TABLE IF NOT EXISTS stage.walk_seen (uri TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS stage.walk_ring (uri TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS stage.walk_next (uri TEXT PRIMARY KEY) WITHOUT ROWID;
";
/// Run before a walk, not after: the staging database is deleted at the end of the run.
const CLEAR: &str = "DELETE FROM walk_seen; DELETE FROM walk_ring; DELETE FROM walk_next;";

/// Starts below a seed: staged posts whose parent is a seed, found in the order of their
/// parents. (A start that is a seed itself is dropped by [`SQL_RING`].)
pub(in crate::store) const SQL_STARTS_BELOW: &str = concat!(
    "INSERT OR IGNORE INTO walk_next (uri)
     SELECT s.uri FROM staged s INDEXED BY staged_parent
     WHERE s.parent IS NOT NULL AND NOT ",
    not_seed!("s.parent"),
    " ORDER BY 1"
);

/// Starts above a staged seed: its parent, found from the seeds in key order. (Every seed's
/// parent, where the rule looks only among posts outside the story and their parents: a
/// parent of a seed that is neither is not staged, has no child outside the story, and so
/// leads nowhere and is not selected.)
pub(in crate::store) const SQL_STARTS_ABOVE: &str = "INSERT OR IGNORE INTO walk_next (uri)
     SELECT s.parent FROM story_selected sel CROSS JOIN staged s ON s.uri = sel.uri
     WHERE s.parent IS NOT NULL ORDER BY 1";

/// Starts found among the posts outside the story (`other`) by `SELECT` parts, sorted. The
/// staged posts are read in the order of their URIs, from the index that holds what is read of
/// them, so that `story_selected` is probed in its own order: read in the order they were
/// staged, each probe was a page read once `story_selected` outgrew the staging cache
/// (220,000 of a second collect of 300k statuses).
macro_rules! from_outside {
    ($($select:expr),+ $(,)?) => {
        concat!(
            "INSERT OR IGNORE INTO walk_next (uri)
             WITH other(uri, parent) AS (
                 SELECT s.uri, s.parent FROM staged s INDEXED BY staged_uri
                 WHERE s.uri IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM story_selected WHERE uri = s.uri)) ",
            $($select),+,
            " ORDER BY 1"
        )
    };
}

/// The posts outside the story and their parents (`x`) for which `$where` holds.
macro_rules! outside {
    ($where:literal) => {
        from_outside!(
            "SELECT x.uri FROM (SELECT uri FROM other UNION SELECT parent FROM other) x
             WHERE x.uri IS NOT NULL AND (",
            $where,
            ")"
        )
    };
}

/// Starts above an archived post of the story, among the posts outside it and their parents
/// (run only when the archive holds a story of the tag).
pub(in crate::store) const SQL_STARTS_ABOVE_ARCHIVED: &str = outside!(
    "EXISTS (SELECT 1 FROM main.posts p
         JOIN main.story_posts sp ON sp.tag = ?1 AND sp.post_id = p.id
         WHERE p.in_reply_to_uri = x.uri)"
);

/// Starts above a seed, staged or archived, among the posts outside the story and their
/// parents: when the seeds far outnumber those (a second collect), fewer rows to read than
/// every seed, though each probe of `story_selected` is a random one.
pub(in crate::store) const SQL_STARTS_ABOVE_FROM_OUTSIDE: &str = outside!(
    "EXISTS (SELECT 1 FROM staged s JOIN story_selected sel ON sel.uri = s.uri
         WHERE s.parent = x.uri)
     OR EXISTS (SELECT 1 FROM main.posts p
         JOIN main.story_posts sp ON sp.tag = ?1 AND sp.post_id = p.id
         WHERE p.in_reply_to_uri = x.uri)"
);

/// Starts below a seed among the posts outside the story (as [`SQL_STARTS_BELOW`], when the
/// seeds far outnumber those: every reply of a second collect is below a seed, and a seed).
pub(in crate::store) const SQL_STARTS_BELOW_FROM_OUTSIDE: &str = from_outside!(
    "SELECT o.uri FROM other o WHERE o.parent IS NOT NULL AND NOT ",
    not_seed!("o.parent"),
);

/// How many posts were staged.
const SQL_STAGED_POSTS: &str = "SELECT count(DISTINCT uri) FROM staged WHERE uri IS NOT NULL";

/// Whether the archive holds any post of the story.
const SQL_ANY_STORY: &str = "SELECT EXISTS (SELECT 1 FROM main.story_posts WHERE tag = ?1)";

/// The next ring: the posts led to that are neither seeds nor reached before, in key order.
pub(in crate::store) const SQL_RING: &str = concat!(
    "INSERT INTO walk_ring (uri) SELECT n.uri FROM walk_next n
     WHERE NOT EXISTS (SELECT 1 FROM walk_seen WHERE uri = n.uri) AND ",
    not_seed!("n.uri")
);

/// What a ring leads to: each post's parent and its staged children, sorted.
pub(in crate::store) const SQL_STEP: &str = "INSERT OR IGNORE INTO walk_next (uri)
     SELECT uri FROM (
         SELECT s.parent AS uri FROM walk_ring r CROSS JOIN staged s ON s.uri = r.uri
         WHERE s.parent IS NOT NULL
         UNION ALL
         SELECT s.uri FROM walk_ring r CROSS JOIN staged s INDEXED BY staged_parent
         ON s.parent = r.uri)
     ORDER BY 1";

/// The rest of the walk from a small ring, one post at a time, past the posts reached before.
pub(in crate::store) const SQL_FINISH: &str = concat!(
    "INSERT OR IGNORE INTO walk_seen (uri)
     WITH RECURSIVE reach(uri) AS (
         SELECT uri FROM walk_ring
         UNION SELECT s.parent FROM reach r JOIN staged s ON s.uri = r.uri
         WHERE s.parent IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM walk_seen WHERE uri = s.parent) AND ",
    not_seed!("s.parent"),
    "
         UNION SELECT s.uri FROM reach r JOIN staged s ON s.parent = r.uri
         WHERE NOT EXISTS (SELECT 1 FROM walk_seen WHERE uri = s.uri)
         AND NOT EXISTS (SELECT 1 FROM story_selected WHERE uri = s.uri))
     SELECT uri FROM reach"
);

/// The staged posts reached join the story, in key order.
pub(in crate::store) const SQL_SELECT_REACHED: &str =
    "INSERT OR IGNORE INTO story_selected (uri, tagged)
     SELECT w.uri, 0 FROM walk_seen w WHERE EXISTS (SELECT 1 FROM staged s WHERE s.uri = w.uri)";

/// Walks from the `seeds` staged posts in `story_selected` (the story of `tag`) and adds the
/// staged posts the walk reaches.
pub(super) fn walk(conn: &Connection, tag: &str, seeds: usize) -> Result<()> {
    conn.execute_batch(CLEAR)?;
    let any_story: bool = conn
        .prepare_cached(SQL_ANY_STORY)?
        .query_row([tag], |r| r.get(0))?;
    // Into a new story, every start is found from the seeds; otherwise the posts outside the
    // story may be far fewer (a second collect), and counting them is one read of an index.
    let outside = any_story && {
        let posts: usize = conn
            .prepare_cached(SQL_STAGED_POSTS)?
            .query_row([], |r| r.get(0))?;
        from_outside(seeds, posts)
    };
    if outside {
        conn.prepare_cached(SQL_STARTS_BELOW_FROM_OUTSIDE)?
            .execute([tag])?;
        conn.prepare_cached(SQL_STARTS_ABOVE_FROM_OUTSIDE)?
            .execute([tag])?;
    } else {
        conn.prepare_cached(SQL_STARTS_BELOW)?.execute([tag])?;
        conn.prepare_cached(SQL_STARTS_ABOVE)?.execute([])?;
        if any_story {
            conn.prepare_cached(SQL_STARTS_ABOVE_ARCHIVED)?
                .execute([tag])?;
        }
    }
    loop {
        let ring = conn.prepare_cached(SQL_RING)?.execute([tag])?;
        conn.execute_batch("DELETE FROM walk_next")?;
        if ring == 0 {
            break;
        }
        if ring < small_ring() {
            conn.prepare_cached(SQL_FINISH)?.execute([tag])?;
            break;
        }
        conn.execute_batch("INSERT INTO walk_seen (uri) SELECT uri FROM walk_ring")?;
        conn.prepare_cached(SQL_STEP)?.execute([])?;
        conn.execute_batch("DELETE FROM walk_ring")?;
    }
    conn.prepare_cached(SQL_SELECT_REACHED)?.execute([])?;
    Ok(())
}
