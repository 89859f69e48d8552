//! A single JSON document read as a stream. An ActivityStreams collection (a Mastodon account
//! export's `outbox.json`, an outbox page) has its `orderedItems` (or `items`) parsed
//! [`CHUNK`] at a time as they are read, each chunk as a collection of its own, so that memory
//! holds one chunk however many activities the file has: a 250 MB outbox read whole peaked at
//! 1.38 GB (issue 10). The members before the items tell the format; those after them (an
//! embedded `first` page) are read with the rest of the document once the items are done. Any
//! other document is read whole.
//!
//! The object is split into its members, and the items into their elements, by
//! [`super::split`], each parsed from its own bytes; an item the archive holds as a record is
//! not parsed (see [`super::array::Chunks::push`], which this follows).

use std::io::BufRead;

use serde_json::{Map, Value};

use super::ahead::{self, Taken};
use super::split::{Elements, Text};
use super::{CHUNK, CHUNK_BYTES, MAX_DOCUMENT, Stream, element_value, split_failure};
use crate::collect::error::{At, ReadError, ReadErrorKind};
use crate::collect::fingerprint::Fingerprint;
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
    reader: &mut dyn BufRead,
) -> Result<Format, ReadError> {
    let location = stream.location;
    let fail = |e| split_failure(location, e);
    let mut text = Text::new(reader, MAX_DOCUMENT);
    text.skip_whitespace().map_err(fail)?;
    if text.peek().map_err(fail)? != Some(b'{') {
        // Not an object: read whole, for the formats to say what it is.
        if text.peek().map_err(fail)?.is_none() {
            return Err(fail(text.error("EOF while parsing a value", 0)));
        }
        let element = text.value().map_err(fail)?;
        let doc = element_value(location, &element)?;
        text.end().map_err(fail)?;
        return stream.parse(&doc, "", At::Source);
    }
    text.consume_byte();
    let mut top = Top {
        stream,
        rest: Map::new(),
        streamed: None,
    };
    top.members(&mut text)?;
    text.end().map_err(fail)?;
    let streamed = top.streamed;
    // What is left: the whole document, or a streamed collection without its items (an
    // embedded `first` page is read now).
    let doc = Value::Object(std::mem::take(&mut top.rest));
    let format = top.stream.parse(&doc, "", At::Source)?;
    Ok(streamed.unwrap_or(format))
}

/// The document being read: the members kept so far, and the format its items were streamed
/// as, once they were.
struct Top<'x, 'a, 's, 'c> {
    stream: &'x mut Stream<'a, 's, 'c>,
    rest: Map<String, Value>,
    streamed: Option<Format>,
}

impl Top<'_, '_, '_, '_> {
    /// Reads the members of the object `text` is in (its `{` read): the items of a collection
    /// streamed, the others kept (at most [`MAX_DOCUMENT`] bytes of them).
    fn members(&mut self, text: &mut Text<'_>) -> Result<(), ReadError> {
        let location = self.stream.location;
        let fail = |e| split_failure(location, e);
        let mut held = 0;
        text.skip_whitespace().map_err(fail)?;
        if text.peek().map_err(fail)? == Some(b'}') {
            text.consume_byte();
            return Ok(());
        }
        loop {
            text.skip_whitespace().map_err(fail)?;
            match text.peek().map_err(fail)? {
                Some(b'"') => {}
                None => return Err(fail(text.error("EOF while parsing an object", 0))),
                Some(_) => return Err(fail(text.error("key must be a string", 1))),
            }
            let key = text.value().map_err(fail)?;
            let Value::String(key) = element_value(location, &key)? else {
                return Err(fail(text.error("key must be a string", 0)));
            };
            text.skip_whitespace().map_err(fail)?;
            match text.peek().map_err(fail)? {
                Some(b':') => text.consume_byte(),
                None => return Err(fail(text.error("EOF while parsing an object", 0))),
                Some(_) => return Err(fail(text.error("expected `:`", 1))),
            }
            text.skip_whitespace().map_err(fail)?;
            let items = key == "orderedItems" || key == "items";
            match text.peek().map_err(fail)? {
                None => return Err(fail(text.error("EOF while parsing a value", 0))),
                Some(b'[') if items && self.streamed.is_none() && self.streamable() => {
                    self.stream_items(text, &key)?;
                }
                Some(_) => {
                    let value = text.value().map_err(fail)?;
                    held += value.text.len();
                    if held > MAX_DOCUMENT {
                        let at = At::LineColumn(value.line, value.column);
                        let kind = ReadErrorKind::TooLarge {
                            limit: MAX_DOCUMENT,
                        };
                        return Err(ReadError::new(location, at, kind));
                    }
                    let value = element_value(location, &value)?;
                    self.rest.insert(key, value);
                }
            }
            text.skip_whitespace().map_err(fail)?;
            match text.peek().map_err(fail)? {
                Some(b',') => text.consume_byte(),
                Some(b'}') => {
                    text.consume_byte();
                    return Ok(());
                }
                None => return Err(fail(text.error("EOF while parsing an object", 0))),
                Some(_) => return Err(fail(text.error("expected `,` or `}`", 1))),
            }
            text.skip_whitespace().map_err(fail)?;
            if text.peek().map_err(fail)? == Some(b'}') {
                return Err(fail(text.error("trailing comma", 1)));
            }
        }
    }

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

    /// The items under `key`, a chunk at a time.
    fn stream_items(&mut self, text: &mut Text<'_>, key: &str) -> Result<(), ReadError> {
        let location = self.stream.location;
        let fail = |e| split_failure(location, e);
        let mut elements = Elements::new(text).map_err(fail)?;
        let mut chunk = Items::default();
        ahead::elements_ahead(|ahead| {
            let activitypub = Some(Format::ActivityPub);
            while let Some(taken) = ahead.next(&mut elements, self.stream, activitypub)? {
                let Taken { print, parsed } = taken;
                if let Some((element, _)) = &parsed {
                    chunk.held += element.text.len();
                }
                chunk
                    .values
                    .push(parsed.map_or(Value::Null, |(_, value)| value));
                chunk.prints.push(print);
                if chunk.values.len() == CHUNK || chunk.held > CHUNK_BYTES {
                    self.parse_chunk(key, &mut chunk)?;
                    if let Some(doc) = chunk.spent.take() {
                        ahead.discard(doc);
                    }
                }
            }
            self.parse_chunk(key, &mut chunk)
        })?;
        // An empty list streams nothing: a later one of the same name may (an export can
        // name `orderedItems` twice, the first empty).
        if chunk.base > 0 {
            self.streamed = Some(Format::ActivityPub);
        }
        Ok(())
    }

    /// Parses the items of `chunk` (starting at index `base` of `key`) as a collection of
    /// their own, and empties it.
    fn parse_chunk(&mut self, key: &str, chunk: &mut Items) -> Result<(), ReadError> {
        let items = std::mem::take(&mut chunk.values);
        let prints = std::mem::take(&mut chunk.prints);
        let base = chunk.base;
        chunk.base += items.len();
        chunk.held = 0;
        if items.is_empty() {
            return Ok(());
        }
        self.stream.read_one = true;
        if self.stream.sink.stage_if_all_known(&prints) {
            return self.stream.check_failure();
        }
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
        chunk.spent = Some(doc);
        result.map_err(|e| self.stream.format_error(At::Source, e))?;
        self.stream.check_failure()
    }
}

/// A chunk of items being read.
#[derive(Default)]
struct Items {
    values: Vec<Value>,
    prints: Vec<Option<Fingerprint>>,
    /// The index of the first in the whole collection.
    base: usize,
    /// Their bytes.
    held: usize,
    /// The last chunk parsed, for the reader to give back (see [`super::ahead::Parser::discard`]).
    spent: Option<Value>,
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
