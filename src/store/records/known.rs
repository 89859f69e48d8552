//! Staging the records a source met that the archive knows (see the parent module): held
//! back, looked up in the order of their fingerprints, staged where the source put them.

use anyhow::Result;
use rusqlite::params;
use rusqlite::types::ToSqlOutput;

use super::Fingerprint;
use crate::store::Store;

/// The posts of one known record, with what membership needs of them and their hashtags, as
/// the record said them (kept with it since v13: read from `posts` and `post_tags`, that was
/// a page read per table per post once the archive outgrew the cache).
pub(super) const SQL_KNOWN_POSTS: &str =
    "SELECT post_id, uri, parent, parent_server, parent_local, tags
     FROM records WHERE hash = ?1";

pub(super) const SQL_STAGE_KNOWN: &str = "INSERT INTO staged (source, uri, parent, parent_server,
     parent_local, tagged, known) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// The posts of a passed record (see the module's doc).
pub(super) const SQL_PASSED_POSTS: &str =
    "SELECT uri, parent, parent_server, parent_local, local_server,
     local_id, author_uri, tags FROM passed WHERE hash = ?1";

pub(super) const SQL_STAGE_PASSED: &str = "INSERT INTO staged (source, uri, parent, parent_server,
     parent_local, local_server, local_id, tagged, record, author, tags, passed)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1)";

/// How many known records are held back to be looked up together, in the order of the
/// tables' keys (see [`KnownAhead`]): the more, the fewer pages each lookup reads, but the
/// longer the reading thread waits while they are staged (65,536 made a second collect of
/// 100k twarc 2 pages slower, 2.0 -> 2.7 s) and the more memory (it holds their hashtags
/// and the passed posts). Second collect of 300k statuses: 8,192 6.3 s, 16,384 5.8-6.0 s.
const KNOWN_AT_ONCE: usize = 16_384;

/// The known records a source met that are not staged yet. Met in the order of the file, a
/// record's fingerprint falls anywhere in `records` or `passed`: once those outgrew the page
/// cache, each was a page read (one per post of a second collect of 100,000 statuses). Held
/// back until an item read anew comes (which must be staged after them) or
/// [`KNOWN_AT_ONCE`] are held, they are looked up in the order of the fingerprints.
///
/// The archived posts of those records are staged in that order too: among themselves their
/// order tells nothing (a known post is only kept in the story or not, which no other known
/// post changes). The posts of passed records keep the order of the file, after them: they
/// carry server-local ids, which the first post of a source to claim one keeps.
#[derive(Debug, Default)]
pub(in crate::store) struct KnownAhead {
    held: Vec<(Fingerprint, bool)>,
    // Kept from one batch to the next, not grown anew for each.
    order: Vec<u32>,
    places: Vec<(u32, u32)>,
    found: Found,
}

impl KnownAhead {
    /// Holds a known record (`passed`: remembered as passed); true when it is time to stage
    /// those held.
    pub(in crate::store) fn hold(&mut self, print: Fingerprint, passed: bool) -> bool {
        self.held.push((print, passed));
        self.held.len() >= KNOWN_AT_ONCE
    }

    pub(in crate::store) fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    pub(in crate::store) fn clear(&mut self) {
        self.held.clear();
        self.order.clear();
        self.places.clear();
        self.found.text.clear();
        self.found.rows.clear();
    }
}

/// The posts of the passed records held, as staged: their text fields end to end in one
/// buffer (a `String` each is an allocation and 24 bytes more per field).
#[derive(Debug, Default)]
struct Found {
    text: String,
    rows: Vec<[Option<(u32, u32)>; PASSED_FIELDS]>,
}

/// What a passed post is staged with ([`SQL_PASSED_POSTS`]'s columns): its URI, parent, the
/// parent's server and server-local id, its own server and server-local id, its author and
/// its hashtags, each as where it is in [`Found::text`].
const PASSED_FIELDS: usize = 8;

impl Found {
    fn push(&mut self, row: &rusqlite::Row<'_>) -> Result<()> {
        let mut fields = [None; PASSED_FIELDS];
        for (column, field) in fields.iter_mut().enumerate() {
            if let Some(value) = row.get_ref(column)?.as_str_or_null()? {
                let start = u32::try_from(self.text.len())?;
                self.text.push_str(value);
                *field = Some((start, u32::try_from(value.len())?));
            }
        }
        self.rows.push(fields);
        Ok(())
    }

    fn field(&self, row: usize, field: usize) -> Option<&str> {
        self.rows[row][field].map(|(start, len)| &self.text[start as usize..(start + len) as usize])
    }
}

/// Adds `tags` (space-separated) to `hashtags`; true when `tag` is one of them.
fn note_tags(tags: &str, tag: &str, hashtags: &mut Vec<String>) -> bool {
    let mut tagged = false;
    for t in tags.split(' ').filter(|t| !t.is_empty()) {
        tagged |= t == tag;
        hashtags.push(t.to_string());
    }
    tagged
}

impl Store {
    /// Stages the posts of the known records `ahead` holds (archived, or `passed`) for source
    /// `source` under `tag`, in the order they were met, and adds their hashtags to
    /// `hashtags`. A record whose posts were deleted since its fingerprint was read stages
    /// nothing.
    pub(in crate::store) fn stage_known(
        &self,
        source: usize,
        tag: &str,
        ahead: &mut KnownAhead,
        hashtags: &mut Vec<String>,
    ) -> Result<()> {
        if ahead.is_empty() {
            return Ok(());
        }
        // Looked up in the order of the tables' keys, each page read once per batch.
        let KnownAhead {
            held,
            order,
            places,
            found,
        } = ahead;
        order.extend(0..u32::try_from(held.len())?);
        order.sort_unstable_by_key(|&i| held[i as usize]);
        places.resize(held.len(), (0, 0));
        let mut known = self.conn.prepare_cached(SQL_KNOWN_POSTS)?;
        let mut passed = self.conn.prepare_cached(SQL_PASSED_POSTS)?;
        let mut stage_known = self.conn.prepare_cached(SQL_STAGE_KNOWN)?;
        for &i in order.iter() {
            let (print, is_passed) = &held[i as usize];
            if *is_passed {
                let start = u32::try_from(found.rows.len())?;
                let mut rows = passed.query([print.as_slice()])?;
                while let Some(r) = rows.next()? {
                    found.push(r)?;
                }
                places[i as usize] = (start, u32::try_from(found.rows.len())?);
                continue;
            }
            let mut rows = known.query([print.as_slice()])?;
            while let Some(r) = rows.next()? {
                let tagged = note_tags(r.get_ref(5)?.as_str()?, tag, hashtags);
                let column = |i| r.get_ref(i).map(ToSqlOutput::Borrowed);
                stage_known.execute(params![
                    source,
                    column(1)?,
                    column(2)?,
                    column(3)?,
                    column(4)?,
                    tagged,
                    column(0)?,
                ])?;
            }
        }
        let mut stage_passed = self.conn.prepare_cached(SQL_STAGE_PASSED)?;
        for ((print, _), &(start, end)) in held.iter().zip(places.iter()) {
            for row in start as usize..end as usize {
                let field = |k| found.field(row, k);
                let tags = field(7).unwrap_or_default();
                let tagged = note_tags(tags, tag, hashtags);
                stage_passed.execute(params![
                    source,
                    field(0),
                    field(1),
                    field(2),
                    field(3),
                    field(4),
                    field(5),
                    tagged,
                    print.as_slice(),
                    field(6),
                    tags,
                ])?;
            }
        }
        ahead.clear();
        Ok(())
    }
}
