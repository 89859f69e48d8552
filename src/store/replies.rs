//! A new post's reply count, read from its source JSON as it is stored. The archive's
//! reply-count triggers (schema v8) read it with `json_extract` at seven places; run in bulk
//! at commit for a collect's new posts, that was two parses of every post's JSON into SQLite's
//! own form, a tenth of a first collect (issue 10). Here the JSON is scanned once, and only
//! the members on the way to those places are looked into.

use std::borrow::Cow;

use anyhow::Result;
use rusqlite::params;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::write::SourceWriter;
pub(crate) use crate::model::ReplyCount;

/// An upsert, not `INSERT OR REPLACE`: a statement that may delete rows needs a statement
/// journal, and this one wrote a 16 KiB page to it for every new post (a third of a first
/// collect's writes; issue 10).
const SQL_COUNT: &str = "INSERT INTO post_replies (post_id, total) VALUES (?1, ?2)
     ON CONFLICT (post_id) DO UPDATE SET total = excluded.total";

/// The places v8's triggers look, in their order, as JSON object keys.
const PLACES: [&[&str]; 7] = [
    &["replies_count"],
    &["replies", "totalItems"],
    &["object", "replies", "totalItems"],
    &["public_metrics", "reply_count"],
    &["reply_count"],
    &["replyCount"],
    &["post", "replyCount"],
];

/// An object's members in the order written, their values unparsed (a map would keep only
/// one of a name given twice).
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

/// A member's name, borrowed from the JSON unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct Name;
        impl<'de> serde::de::Visitor<'de> for Name {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(name)))
            }
            fn visit_str<E>(self, name: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(name.to_owned())))
            }
        }
        de.deserialize_str(Name)
    }
}

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct Each;
        impl<'de> serde::de::Visitor<'de> for Each {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(Key(key)) = map.next_key()? {
                    members.push((key, map.next_value()?));
                }
                Ok(Members(members))
            }
        }
        de.deserialize_map(Each)
    }
}

impl<'a> Members<'a> {
    /// The members of `json` when it is an object.
    fn of(json: &'a str) -> Option<Self> {
        if !json.starts_with('{') {
            return None;
        }
        serde_json::from_str(json).ok()
    }

    /// The value of the member `key`: `Ok(None)` when there is none, `Err(())` when `key` is
    /// given twice (then only SQLite's own reading is sure).
    fn get(&self, key: &str) -> Result<Option<&'a str>, ()> {
        let mut found = self.0.iter().filter(|(k, _)| k == key);
        match (found.next(), found.next()) {
            (None, _) => Ok(None),
            (Some((_, raw)), None) => Ok(Some(raw.get())),
            (Some(_), Some(_)) => Err(()),
        }
    }

    /// What stands at `path` below these members: `Ok(None)` when nothing does (a missing
    /// member, or a step through something that is not an object).
    fn at(&self, path: &[&str]) -> Result<Option<&'a str>, ()> {
        let Some(mut here) = self.get(path[0])? else {
            return Ok(None);
        };
        for key in &path[1..] {
            let Some(found) = Members::of(here).map(|m| m.get(key)).transpose()? else {
                return Ok(None);
            };
            let Some(found) = found else {
                return Ok(None);
            };
            here = found;
        }
        Ok(Some(here))
    }
}

/// What v8's triggers keep of the value found at one of [`PLACES`]: the `coalesce` of
/// `json_extract` there goes on past a JSON `null` (`None`), and the count is kept when SQLite
/// reads an integer from 0. `json_extract` gives a JSON integer within 64 bits as an integer,
/// `true` and `false` as 1 and 0, and anything else as a real, text or JSON text, which the
/// triggers do not keep.
fn count_of(value: &Value) -> Option<ReplyCount> {
    let count = match value {
        Value::Null => return None,
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Number(n) => n.as_i64().filter(|n| *n >= 0),
        _ => None,
    };
    Some(count.map_or(ReplyCount::Absent, ReplyCount::Count))
}

/// The reply count of a post whose source JSON is the object `source` serialised, as v8's
/// triggers take it from the stored text ([`count_of`] at the first of [`PLACES`] that holds
/// anything). Worked out by a source from the JSON it holds parsed, it spares reading the
/// stored text again (issue 10).
pub(crate) fn reply_count_of(source: &serde_json::Map<String, Value>) -> ReplyCount {
    PLACES
        .iter()
        .find_map(|place| {
            let first = source.get(place[0])?;
            let found = place[1..]
                .iter()
                .try_fold(first, |v, key| v.as_object()?.get(*key))?;
            count_of(found)
        })
        .unwrap_or(ReplyCount::Absent)
}

/// The reply count of a post whose source JSON is the text `json`, as v8's triggers take it
/// ([`count_of`] at the first of [`PLACES`] that holds anything). JSON that does not parse,
/// or names a member on the way twice, is left to the archive ([`ReplyCount::Unread`]).
pub(crate) fn reply_count(json: &str) -> ReplyCount {
    let Some(top) = Members::of(json) else {
        return ReplyCount::Unread;
    };
    for place in PLACES {
        let Ok(found) = top.at(place) else {
            return ReplyCount::Unread;
        };
        let Some(text) = found else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            return ReplyCount::Unread;
        };
        // serde_json reads `-0` as a float, SQLite as the integer 0.
        if text == "-0" {
            return ReplyCount::Count(0);
        }
        if let Some(count) = count_of(&value) {
            return count;
        }
    }
    ReplyCount::Absent
}

impl SourceWriter<'_> {
    /// Stores the reply count of `post`, just inserted as `id`, as v8's trigger would read it
    /// from its JSON at commit: as its source worked it out, else read here. Nothing to do
    /// when the trigger is in place, or for JSON only SQLite reads for sure. (An update's
    /// trigger counts anew.)
    pub(super) fn count_replies(&mut self, id: i64, post: &crate::model::Post) -> Result<()> {
        if !self.fts.awaits_count(id) {
            return Ok(());
        }
        let count = match post.reply_count {
            ReplyCount::Unread => reply_count(&post.source_json),
            known => known,
        };
        if count == ReplyCount::Unread {
            return Ok(());
        }
        self.fts.counted(id);
        if let ReplyCount::Count(n) = count {
            super::write::held(self.tx, &mut self.held.count_replies, SQL_COUNT)?
                .execute(params![id, n])?;
        }
        Ok(())
    }
}

#[cfg(test)]
/// The statement above, run per new post, for the query-plan test.
pub(super) const PER_POST_QUERIES: &[&str] = &[SQL_COUNT];

#[cfg(test)]
mod tests;
