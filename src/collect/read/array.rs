//! A JSON array read element by element, [`CHUNK`] elements at a time, each chunk parsed as one
//! document (or each element, when the format reads single objects), with every warning's
//! pointer placed in the whole array.

use serde::de::{Error as _, SeqAccess, Visitor};
use serde_json::Value;

use super::{CHUNK, CHUNK_BYTES, Stream};
use crate::collect::depth::Meter;
use crate::collect::error::{At, ReadError, ReadErrorKind};
use crate::collect::staging::StagingSink;
use crate::sources::{self, Format, FormatError, ItemSink, Problem, twitter_archive};

/// Collects array elements into chunks and parses each chunk as one array document.
pub(super) struct Chunks<'x, 'a, 's, 'c> {
    pub(super) stream: &'x mut Stream<'a, 's, 'c>,
    pub(super) chunk: Vec<Value>,
    pub(super) base: usize,
    pub(super) per_element: bool,
    pub(super) result: Result<Option<Format>, ReadError>,
    /// The bytes of the elements held.
    pub(super) meter: Meter,
}

impl Chunks<'_, '_, '_, '_> {
    pub(super) fn flush(&mut self) -> Result<(), ReadError> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let doc = Value::Array(std::mem::take(&mut self.chunk));
        let base = self.base;
        self.base += doc.as_array().map_or(0, Vec::len);
        if self.stream.format.is_none() {
            self.detect(&doc)?;
        }
        let (Some(format), Value::Array(elements)) = (self.stream.format, &doc) else {
            return Ok(());
        };
        if self.per_element {
            for (i, element) in elements.iter().enumerate() {
                self.parse(format, element, base + i, &format!("/{}", base + i))?;
            }
        } else {
            self.parse(format, &doc, base, "")?;
        }
        self.result = Ok(Some(format));
        self.stream.check_failure()
    }

    /// A format that reads arrays (statuses, archive elements, tweets) takes the chunk whole;
    /// otherwise each element is a document of its own (an array of ActivityPub objects).
    fn detect(&mut self, doc: &Value) -> Result<(), ReadError> {
        let first = doc.as_array().and_then(|a| a.first());
        let (format, per_element) = match sources::detect(doc) {
            Some(format) => (format, false),
            None => match first.and_then(sources::detect) {
                Some(format) => (format, true),
                None => {
                    return Err(ReadError::of(
                        self.stream.location,
                        ReadErrorKind::UnknownFormat,
                    ));
                }
            },
        };
        self.stream.format = Some(format);
        self.per_element = per_element;
        Ok(())
    }

    /// Parses one document of the array; `prefix` is prepended to its warnings' pointers.
    fn parse(
        &mut self,
        format: Format,
        doc: &Value,
        base: usize,
        prefix: &str,
    ) -> Result<(), ReadError> {
        let mut offset = OffsetSink {
            inner: self.stream.sink,
            base,
            prefix,
        };
        let result = match (&self.stream.archive_author, format) {
            (Some(author), Format::TwitterArchive) => {
                twitter_archive::parse_with_author(doc, author, &mut offset)
            }
            _ => format.parse(doc, &mut offset),
        }
        .map_err(|e| FormatError::new(offset.rewrite(&e.pointer), e.message));
        result.map_err(|e| self.stream.format_error(At::Source, e))
    }
}

impl<'de> Visitor<'de> for &mut Chunks<'_, '_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(element) = seq.next_element::<Value>()? {
            self.chunk.push(element);
            if self.chunk.len() == CHUNK || self.meter.held() > CHUNK_BYTES {
                if let Err(error) = self.flush() {
                    // The error is kept here; serde only needs to stop.
                    self.result = Err(error);
                    return Err(A::Error::custom("stopped"));
                }
                self.meter.release();
            }
        }
        Ok(())
    }
}

/// Places each warning's pointer in the whole array: under the element's own index when each
/// element is a document (`prefix`), else with the chunk's leading index shifted by `base`.
struct OffsetSink<'s, 'c, 'p> {
    inner: &'s mut StagingSink<'c>,
    base: usize,
    prefix: &'p str,
}

impl OffsetSink<'_, '_, '_> {
    fn rewrite(&self, pointer: &str) -> String {
        if self.prefix.is_empty() {
            offset_pointer(pointer, self.base)
        } else {
            format!("{}{pointer}", self.prefix)
        }
    }
}

impl ItemSink for OffsetSink<'_, '_, '_> {
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
}

fn offset_pointer(pointer: &str, base: usize) -> String {
    let rest = pointer.strip_prefix('/').unwrap_or(pointer);
    let (head, tail) = rest.split_once('/').map_or((rest, ""), |(h, t)| (h, t));
    match head.parse::<usize>() {
        Ok(i) if pointer.starts_with('/') => {
            let sep = if tail.is_empty() { "" } else { "/" };
            format!("/{}{sep}{tail}", i + base)
        }
        _ => pointer.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::offset_pointer;

    #[test]
    fn offsets_shift_only_the_leading_index() {
        assert_eq!(offset_pointer("/3", 64), "/67");
        assert_eq!(offset_pointer("/3/account", 128), "/131/account");
        assert_eq!(offset_pointer("", 64), "");
        assert_eq!(offset_pointer("/orderedItems/2", 64), "/orderedItems/2");
    }
}
