//! A single JSON document read as a stream. An ActivityStreams collection (a Mastodon account
//! export's `outbox.json`, an outbox page) has its `orderedItems` (or `items`) parsed
//! [`CHUNK`] at a time as they are read, each chunk as a collection of its own, so that memory
//! holds one chunk however many activities the file has: a 250 MB outbox read whole peaked at
//! 1.38 GB (issue 10). The members before the items tell the format; those after them (an
//! embedded `first` page) are read with the rest of the document once the items are done. Any
//! other document is read whole.

use std::fmt;
use std::io::Read;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{CHUNK, CHUNK_BYTES, MAX_DOCUMENT, Stream, json_failure};
use crate::collect::depth::{DepthGuard, Meter};
use crate::collect::error::{At, ReadError};
use crate::sources::{self, Format, FormatError, ItemSink, Problem};

/// Collection types whose items are streamed (as `sources::activitypub` reads them).
const COLLECTIONS: &[&str] = &[
    "OrderedCollection",
    "OrderedCollectionPage",
    "Collection",
    "CollectionPage",
];

/// Reads one document from `reader` into `stream`'s sink; returns its format.
pub(super) fn read(
    stream: &mut Stream<'_, '_, '_>,
    reader: impl Read,
) -> Result<Format, ReadError> {
    let meter = Meter::new(MAX_DOCUMENT);
    let mut de = serde_json::Deserializer::from_reader(DepthGuard::metered(reader, meter.clone()));
    de.disable_recursion_limit();
    let mut top = Top {
        stream,
        rest: Map::new(),
        streamed: None,
        failure: None,
        meter: meter.clone(),
    };
    let outcome = serde::Deserializer::deserialize_any(
        serde_stacker::Deserializer::new(&mut de),
        TopVisitor(&mut top),
    );
    let location = top.stream.location;
    if let Some(error) = top.failure.take() {
        return Err(error);
    }
    let doc = match outcome {
        Ok(Some(doc)) => doc,
        Ok(None) => Value::Object(std::mem::take(&mut top.rest)),
        Err(e) => return Err(json_failure(location, &meter, &e)),
    };
    de.end().map_err(|e| json_failure(location, &meter, &e))?;
    let streamed = top.streamed;
    // What is left: the whole document, or a streamed collection without its items (an
    // embedded `first` page is read now).
    let stream = top.stream;
    let format = stream.parse(&doc, "", At::Source)?;
    Ok(streamed.unwrap_or(format))
}

/// The document being read: the members kept so far, and the format its items were streamed
/// as, once they were.
struct Top<'x, 'a, 's, 'c> {
    stream: &'x mut Stream<'a, 's, 'c>,
    rest: Map<String, Value>,
    streamed: Option<Format>,
    failure: Option<ReadError>,
    /// The bytes held: the members kept, or the items of the chunk being read.
    meter: Meter,
}

impl Top<'_, '_, '_, '_> {
    /// Whether the items under the next key can be streamed: the members read so far say the
    /// document is an ActivityStreams collection.
    fn streamable(&mut self) -> bool {
        let head = Value::Object(self.rest.clone());
        let format = match self.stream.format {
            Some(format) => format,
            None => match sources::detect(&head) {
                Some(format) => format,
                None => return false,
            },
        };
        let collection = self
            .rest
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| COLLECTIONS.contains(&t));
        if format != Format::ActivityPub || !collection {
            return false;
        }
        self.stream.format = Some(format);
        true
    }

    /// Parses `items` (starting at index `base` of `key`) as a collection of their own.
    fn parse_chunk(
        &mut self,
        key: &str,
        items: Vec<Value>,
        raw: &[Option<Vec<u8>>],
        base: usize,
    ) -> Result<(), ReadError> {
        let prints = if raw.len() == items.len() {
            raw.iter()
                .map(|text| {
                    self.stream
                        .fingerprint_as(Format::ActivityPub, text.as_deref()?)
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut doc = Map::new();
        for member in ["@context", "id", "type"] {
            if let Some(v) = self.rest.get(member) {
                doc.insert(member.to_string(), v.clone());
            }
        }
        doc.insert(key.to_string(), Value::Array(items));
        let doc = Value::Object(doc);
        let prefix = format!("/{key}/");
        self.stream.sink.element_prints = prints;
        let mut offset = ItemsOffset {
            inner: &mut *self.stream.sink,
            prefix: &prefix,
            base,
        };
        let result = Format::ActivityPub
            .parse(&doc, &mut offset)
            .map_err(|e| FormatError::new(offset.rewrite(&e.pointer), e.message));
        self.stream.sink.element_prints.clear();
        self.stream.sink.end_record();
        self.streamed = Some(Format::ActivityPub);
        result.map_err(|e| self.stream.format_error(At::Source, e))?;
        self.stream.read_one = true;
        self.stream.check_failure()
    }
}

struct TopVisitor<'t, 'x, 'a, 's, 'c>(&'t mut Top<'x, 'a, 's, 'c>);

impl<'de> Visitor<'de> for TopVisitor<'_, '_, '_, '_, '_> {
    /// `Some(doc)` for a document that is not an object (read whole), `None` for an object,
    /// whose members are in `Top::rest`.
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let top = self.0;
        while let Some(key) = map.next_key::<String>()? {
            let items = key == "orderedItems" || key == "items";
            if items && top.streamed.is_none() && top.streamable() {
                // The members kept so far stay few; the items are counted chunk by chunk.
                top.meter.release();
                map.next_value_seed(ItemsSeed { top, key: &key })?;
                if top.failure.is_some() {
                    // The error is kept in `top`; serde only needs to stop.
                    return Err(A::Error::custom("stopped"));
                }
            } else {
                let value: Value = map.next_value()?;
                top.rest.insert(key, value);
            }
        }
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        Ok(Some(Value::Array(items)))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Some(Value::Null))
    }
}

/// The items array of a collection, parsed a chunk at a time.
struct ItemsSeed<'t, 'k, 'x, 'a, 's, 'c> {
    top: &'t mut Top<'x, 'a, 's, 'c>,
    key: &'k str,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_, '_, '_, '_, '_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_, '_, '_, '_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut raw = Vec::new();
        let fingerprinting = self.top.stream.fingerprinting();
        if fingerprinting {
            self.top.meter.start_capture();
        }
        let mut base = 0;
        loop {
            let next = seq.next_element::<Value>()?;
            let done = next.is_none();
            if fingerprinting && next.is_some() {
                raw.push(self.top.meter.take_capture());
            }
            chunk.extend(next);
            let full = chunk.len() == CHUNK || self.top.meter.held() > CHUNK_BYTES;
            if full || (done && !chunk.is_empty()) {
                let n = chunk.len();
                if let Err(error) =
                    self.top
                        .parse_chunk(self.key, std::mem::take(&mut chunk), &raw, base)
                {
                    self.top.failure = Some(error);
                    self.top.meter.stop_capture();
                    return Err(A::Error::custom("stopped"));
                }
                base += n;
                raw.clear();
                self.top.meter.release();
            }
            if done {
                self.top.meter.stop_capture();
                return Ok(());
            }
        }
    }

    /// Not an array: kept as it is, for the parser to say what is wrong with it.
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        self.top.rest.insert(self.key.to_string(), value);
        self.top.streamed = None;
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.top.rest.insert(self.key.to_string(), Value::from(v));
        Ok(())
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.top.rest.insert(self.key.to_string(), Value::Bool(v));
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.top.rest.insert(self.key.to_string(), Value::from(v));
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.top.rest.insert(self.key.to_string(), Value::from(v));
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.top.rest.insert(self.key.to_string(), Value::from(v));
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.top.rest.insert(self.key.to_string(), Value::Null);
        Ok(())
    }
}

/// Places each warning's pointer in the whole document: `/orderedItems/3/…` of a chunk
/// starting at item `base` is `/orderedItems/{base + 3}/…`.
struct ItemsOffset<'s, 'p> {
    inner: &'s mut dyn ItemSink,
    prefix: &'p str,
    base: usize,
}

impl ItemsOffset<'_, '_> {
    fn rewrite(&self, pointer: &str) -> String {
        let Some(rest) = pointer.strip_prefix(self.prefix) else {
            return pointer.to_string();
        };
        let (head, tail) = rest.split_once('/').map_or((rest, ""), |(h, t)| (h, t));
        match head.parse::<usize>() {
            Ok(i) => {
                let sep = if tail.is_empty() { "" } else { "/" };
                format!("{}{}{sep}{tail}", self.prefix, i + self.base)
            }
            Err(_) => pointer.to_string(),
        }
    }
}

impl ItemSink for ItemsOffset<'_, '_> {
    fn item(&mut self, item: crate::model::Item) {
        self.inner.item(item);
    }
    fn warning(&mut self, pointer: String, problem: Problem) {
        let pointer = self.rewrite(&pointer);
        self.inner.warning(pointer, problem);
    }
    fn note(&mut self, pointer: String, problem: Problem) {
        let pointer = self.rewrite(&pointer);
        self.inner.note(pointer, problem);
    }
    fn record(&mut self, index: Option<usize>) -> bool {
        self.inner.record(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_of_a_chunk_are_placed_in_the_whole_collection() {
        let mut sink = crate::sources::Parsed::default();
        let offset = ItemsOffset {
            inner: &mut sink,
            prefix: "/orderedItems/",
            base: 128,
        };
        assert_eq!(offset.rewrite("/orderedItems/3"), "/orderedItems/131");
        assert_eq!(
            offset.rewrite("/orderedItems/0/object/tag"),
            "/orderedItems/128/object/tag"
        );
        assert_eq!(
            offset.rewrite("/first/orderedItems/2"),
            "/first/orderedItems/2"
        );
    }
}
