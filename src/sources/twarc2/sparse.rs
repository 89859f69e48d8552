//! A twarc 2 page read again. Each tweet of a page is a record of its own, numbered as the page
//! is read (see `Reader::page`); a later collect finds most of them held by the archive and
//! skips them, but still parsed the whole page into a JSON value first: a quarter of a second
//! collect of twarc 2 pages went to parsing tweets it then skipped (issue 10).
//!
//! [`sparse_page`] splits the page into its members unparsed, reads only the ids of its tweets
//! (which decide how the records are numbered) and parses only the tweets the archive does not
//! hold. What it gives is the page's full value but for those held tweets, each left as its id
//! alone: the reader skips them by number before looking inside, so it reads the same either
//! way. Anything unusual about the page (not an object, `data` not an array, a member that does
//! not parse) gives `None`, and the page is parsed whole, to be read (and reported) as before.

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{id_of, included_read};

/// An object's members in the order written, their values unparsed.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct Each;
        impl<'de> Visitor<'de> for Each {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, &'de RawValue>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        de.deserialize_map(Each)
    }
}

impl<'a> Members<'a> {
    /// Where the member `key` that counts is (the last of that name, as a parse keeps).
    fn last(&self, key: &str) -> Option<usize> {
        self.0.iter().rposition(|(k, _)| k == key)
    }

    /// The members as a JSON object, each parsed but those `given` by position.
    fn with(&self, given: impl IntoIterator<Item = (usize, Value)>) -> Option<Value> {
        let mut given: Vec<(usize, Value)> = given.into_iter().collect();
        let mut object = Map::new();
        for (i, (key, raw)) in self.0.iter().enumerate() {
            let value = match given.iter().position(|(at, _)| *at == i) {
                Some(g) => given.swap_remove(g).1,
                None => serde_json::from_str(raw.get()).ok()?,
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

/// The page `text` as parsing it whole gives it, except that each tweet the archive holds
/// (`held(i)`: record `i` of the page, numbered as the reader numbers them) is only its id.
/// `None` when the page is not a page of several tweets in the usual shape, or does not parse:
/// then it is to be parsed whole.
pub(crate) fn sparse_page(text: &str, held: impl Fn(usize) -> bool) -> Option<Value> {
    let page: Members<'_> = serde_json::from_str(text).ok()?;
    let data_at = page.last("data")?;
    let data: Vec<&RawValue> = serde_json::from_str(page.0[data_at].1.get()).ok()?;
    let includes_at = page.last("includes");
    let includes: Option<Members<'_>> = match includes_at {
        Some(at) => Some(serde_json::from_str(page.0[at].1.get()).ok()?),
        None => None,
    };
    let tweets_at = includes.as_ref().and_then(|i| i.last("tweets"));
    let included: Vec<&RawValue> = match (&includes, tweets_at) {
        (Some(includes), Some(at)) => serde_json::from_str(includes.0[at].1.get()).ok()?,
        _ => Vec::new(),
    };
    let ids = |tweets: &[&RawValue]| -> Option<Vec<Option<Value>>> {
        tweets
            .iter()
            .map(|t| serde_json::from_str::<IdOnly>(t.get()).ok().map(|t| t.id))
            .collect()
    };
    let (included_ids, data_ids) = (ids(&included)?, ids(&data)?);
    let strings = |ids: &[Option<Value>]| -> Vec<Option<String>> {
        ids.iter().map(|id| id_of(id.as_ref())).collect()
    };
    let read = included_read(&strings(&included_ids), &strings(&data_ids));
    if read.iter().filter(|&&r| r).count() + data.len() < 2 {
        // One tweet is the page's one record: the line itself, held or not as a whole.
        return None;
    }
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
            let tweets = tweets_at.map(|t| (t, Value::Array(included_values)));
            Some((at, includes.with(tweets)?))
        }
        _ => None,
    };
    page.with(std::iter::once((data_at, Value::Array(data_values))).chain(includes))
}

#[cfg(test)]
mod tests;
