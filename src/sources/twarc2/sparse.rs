//! A twarc 2 page read again. Each tweet of a page is a record of its own, numbered as the page
//! is read (see `Reader::page`); a later collect finds most of them held by the archive and
//! skips them, but still parsed the whole page into a JSON value first: a quarter of a second
//! collect of twarc 2 pages went to parsing tweets it then skipped (issue 10).
//!
//! [`sparse_page`] splits the page into its members unparsed, reads only the ids of its tweets
//! (which decide how the records are numbered) and parses only the tweets the archive does not
//! hold. What it gives is the page's full value but for those held tweets, each left as its id
//! alone: the reader skips them by number before looking inside, so it reads the same either
//! way. When it holds every tweet of the page (once the archive remembers the tweets outside
//! the story too), the users, media and polls the page includes are left as their keys alone:
//! a reader only looks them up for tweets it reads, and says the same of a key as of the
//! whole. Anything unusual about the page (not an object, `data` not an array, a member that
//! does not parse) gives `None`, and the page is parsed whole, to be read (and reported) as
//! before.

use serde::Deserialize;
use serde::de::{DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{id_of, included_read};

/// A member's value: unparsed, or split one level down where a page is read sparsely.
enum Part<'a> {
    Raw(&'a RawValue),
    Array(Vec<&'a RawValue>),
    Object(Members<'a>),
}

/// An object's members in the order written, their values unparsed or split.
struct Members<'a>(Vec<(String, Part<'a>)>);

/// Reads an object's members, splitting those sparse reading looks into as they are met: a
/// page's `data` (an array) and `includes` (an object, whose `tweets` is an array). The page
/// is scanned once; splitting each of them again from its raw text scanned most of it three
/// times, a seventh of a second collect of twarc 2 pages (issue 10).
#[derive(Clone, Copy)]
enum Split {
    Page,
    Includes,
}

impl<'de> DeserializeSeed<'de> for Split {
    type Value = Members<'de>;
    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Members<'de>, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Split {
    type Value = Members<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let part = match (self, key.as_str()) {
                (Split::Page, "data")
                | (Split::Includes, "tweets" | "users" | "media" | "polls") => {
                    Part::Array(map.next_value()?)
                }
                (Split::Page, "includes") => Part::Object(map.next_value_seed(Split::Includes)?),
                _ => Part::Raw(map.next_value()?),
            };
            members.push((key, part));
        }
        Ok(Members(members))
    }
}

impl<'a> Members<'a> {
    /// Where the member `key` that counts is (the last of that name, as a parse keeps).
    fn last(&self, key: &str) -> Option<usize> {
        self.0.iter().rposition(|(k, _)| k == key)
    }

    /// The array member at `at`, as split.
    fn array(&self, at: usize) -> Option<&[&'a RawValue]> {
        match &self.0.get(at)?.1 {
            Part::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members as a JSON object, each parsed but those `given` by position.
    fn with(&self, given: impl IntoIterator<Item = (usize, Value)>) -> Option<Value> {
        let mut given: Vec<(usize, Value)> = given.into_iter().collect();
        let mut object = Map::new();
        for (i, (key, part)) in self.0.iter().enumerate() {
            let value = match given.iter().position(|(at, _)| *at == i) {
                Some(g) => given.swap_remove(g).1,
                // A member of a split name that a later one of the same name overrides.
                None => match part {
                    Part::Raw(raw) => serde_json::from_str(raw.get()).ok()?,
                    Part::Array(items) => Value::Array(
                        items
                            .iter()
                            .map(|raw| serde_json::from_str(raw.get()).ok())
                            .collect::<Option<_>>()?,
                    ),
                    Part::Object(members) => members.with([])?,
                },
            };
            object.insert(key.clone(), value);
        }
        Some(Value::Object(object))
    }
}

/// A tweet read for its id only.
#[derive(Deserialize)]
struct IdOnly {
    id: Option<Value>,
}

/// A medium read for its key only.
#[derive(Deserialize)]
struct MediaKeyOnly {
    media_key: Option<Value>,
}

/// An included user, medium or poll as only its key (`key`: `id`, or `media_key`), or `None`
/// when it is not an object.
fn key_only(raw: &RawValue, key: &str) -> Option<Value> {
    let value = if key == "media_key" {
        serde_json::from_str::<MediaKeyOnly>(raw.get())
            .ok()?
            .media_key
    } else {
        serde_json::from_str::<IdOnly>(raw.get()).ok()?.id
    };
    let mut stub = Map::new();
    if let Some(value) = value {
        stub.insert(key.to_owned(), value);
    }
    Some(Value::Object(stub))
}

/// The page `text` as parsing it whole gives it, except that each tweet the archive holds
/// (`held(i)`: record `i` of the page, numbered as the reader numbers them) is only its id.
/// `None` when the page is not a page of several tweets in the usual shape, or does not parse:
/// then it is to be parsed whole.
pub(crate) fn sparse_page(text: &str, held: impl Fn(usize) -> bool) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    let page = Split::Page.deserialize(&mut de).ok()?;
    de.end().ok()?;
    let data_at = page.last("data")?;
    let data = page.array(data_at)?;
    let includes_at = page.last("includes");
    let includes = match includes_at {
        Some(at) => match &page.0[at].1 {
            Part::Object(includes) => Some(includes),
            _ => return None,
        },
        None => None,
    };
    let tweets_at = includes.and_then(|i| i.last("tweets"));
    let included: &[&RawValue] = match (includes, tweets_at) {
        (Some(includes), Some(at)) => includes.array(at)?,
        _ => &[],
    };
    let ids = |tweets: &[&RawValue]| -> Option<Vec<Option<Value>>> {
        tweets
            .iter()
            .map(|t| serde_json::from_str::<IdOnly>(t.get()).ok().map(|t| t.id))
            .collect()
    };
    let (included_ids, data_ids) = (ids(included)?, ids(data)?);
    let strings = |ids: &[Option<Value>]| -> Vec<Option<String>> {
        ids.iter().map(|id| id_of(id.as_ref())).collect()
    };
    let read = included_read(&strings(&included_ids), &strings(&data_ids));
    if read.iter().filter(|&&r| r).count() + data.len() < 2 {
        // One tweet is the page's one record: the line itself, held or not as a whole.
        return None;
    }
    let read_count = read.iter().filter(|&&r| r).count() + data.len();
    // With every tweet read held, what a page includes for its tweets (users, media, polls)
    // is looked at only for what a reader says of it: each as its key alone.
    let all_held = (0..read_count).all(&held);
    let mut number = 0;
    let mut tweet = |raw: &RawValue, id: Option<Value>, is_read: bool| -> Option<Value> {
        if is_read {
            number += 1;
            if !held(number - 1) {
                return serde_json::from_str(raw.get()).ok();
            }
        }
        // Held by the archive, or a copy of a `data` tweet that is not read: only its id
        // counts.
        let mut stub = Map::new();
        if let Some(id) = id {
            stub.insert("id".to_owned(), id);
        }
        Some(Value::Object(stub))
    };
    let mut included_values = Vec::with_capacity(included.len());
    for ((raw, id), is_read) in included.iter().zip(included_ids).zip(read) {
        included_values.push(tweet(raw, id, is_read)?);
    }
    let mut data_values = Vec::with_capacity(data.len());
    for (raw, id) in data.iter().zip(data_ids) {
        data_values.push(tweet(raw, id, true)?);
    }
    let includes = match (includes_at, includes) {
        (Some(at), Some(includes)) => {
            let mut given: Vec<(usize, Value)> = tweets_at
                .map(|t| (t, Value::Array(included_values)))
                .into_iter()
                .collect();
            if all_held {
                for (name, key) in [("users", "id"), ("media", "media_key"), ("polls", "id")] {
                    let Some(at) = includes.last(name) else {
                        continue;
                    };
                    let stubs = includes
                        .array(at)?
                        .iter()
                        .map(|raw| key_only(raw, key))
                        .collect::<Option<Vec<Value>>>()?;
                    given.push((at, Value::Array(stubs)));
                }
            }
            Some((at, includes.with(given)?))
        }
        _ => None,
    };
    page.with(std::iter::once((data_at, Value::Array(data_values))).chain(includes))
}

#[cfg(test)]
mod tests;
