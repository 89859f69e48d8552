//! A JSON array read element by element, [`CHUNK`] elements at a time, each chunk parsed as one
//! document (or each element, when the format reads single objects), with every warning's
//! pointer placed in the whole array.

use serde_json::Value;

use super::ahead::Taken;
use super::{CHUNK, CHUNK_BYTES, Stream};
use crate::collect::error::{At, ReadError, ReadErrorKind};
use crate::collect::fingerprint::Fingerprint;
use crate::collect::staging::StagingSink;
use crate::sources::{self, Format, FormatError, ItemSink, Problem, twitter_archive};

/// Collects array elements into chunks and parses each chunk as one array document.
pub(super) struct Chunks<'x, 'a, 's, 'c> {
    pub(super) stream: &'x mut Stream<'a, 's, 'c>,
    pub(super) chunk: Vec<Value>,
    /// The text of each element of the chunk, while records are fingerprinted but the format
    /// is not known yet (the first chunk tells it).
    pub(super) raw: Vec<Option<Vec<u8>>>,
    /// The fingerprint of each element of the chunk, once the format is known.
    pub(super) prints: Vec<Option<Fingerprint>>,
    pub(super) base: usize,
    pub(super) per_element: bool,
    pub(super) result: Result<Option<Format>, ReadError>,
    /// The bytes of the elements held.
    pub(super) held: usize,
    /// The last chunk parsed, for the reader to give back (see [`super::ahead::Parser::discard`]).
    pub(super) spent: Option<Value>,
}

impl Chunks<'_, '_, '_, '_> {
    /// Adds an element, parsed unless the archive holds it as a record already. Then it stands
    /// in the chunk as `null`: the format skips it (see [`ItemSink::record`]) and it lends its
    /// neighbours nothing, such as a clue to the server that issued their ids (one without is
    /// still matched, by id alone).
    pub(super) fn push(&mut self, taken: Taken) -> Result<(), ReadError> {
        let Taken { print, parsed } = taken;
        match parsed {
            Some((element, value)) => {
                self.held += element.text.len();
                self.chunk.push(value);
                // Before the first chunk tells the format, the text is kept to fingerprint.
                let unprinted = self.stream.fingerprinting() && print.is_none();
                self.raw.push(unprinted.then_some(element.text));
            }
            None => {
                self.chunk.push(Value::Null);
                self.raw.push(None);
            }
        }
        self.prints.push(print);
        if self.chunk.len() == CHUNK || self.held > CHUNK_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    pub(super) fn flush(&mut self) -> Result<(), ReadError> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let doc = Value::Array(std::mem::take(&mut self.chunk));
        let flushed = self.parse_doc(&doc);
        self.spent = Some(doc);
        flushed
    }

    fn parse_doc(&mut self, doc: &Value) -> Result<(), ReadError> {
        let raw = std::mem::take(&mut self.raw);
        let mut prints = std::mem::take(&mut self.prints);
        self.held = 0;
        let base = self.base;
        self.base += doc.as_array().map_or(0, Vec::len);
        if self.stream.format.is_none() {
            self.detect(doc)?;
        }
        let (Some(format), Value::Array(elements)) = (self.stream.format, doc) else {
            return Ok(());
        };
        // The first chunk's, fingerprinted once it told the format.
        for (print, text) in prints.iter_mut().zip(&raw) {
            if let (None, Some(text)) = (&print, text) {
                *print = self.stream.fingerprint_as(format, text);
            }
        }
        if self.stream.sink.stage_if_all_known(&prints) {
            self.result = Ok(Some(format));
            return self.stream.check_failure();
        }
        if self.per_element {
            for (i, element) in elements.iter().enumerate() {
                let print = prints.get(i).copied().flatten();
                if self.stream.sink.open_record(print) {
                    // An element that holds several records (a collection) makes each its own.
                    self.stream.sink.line = print;
                    let parsed = self.parse(format, element, base + i, &format!("/{}", base + i));
                    self.stream.sink.end_record();
                    self.stream.sink.line = None;
                    parsed?;
                }
            }
        } else {
            self.stream.sink.element_prints = prints;
            let parsed = self.parse(format, doc, base, "");
            self.stream.sink.element_prints.clear();
            parsed?;
        }
        self.stream.sink.end_record();
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
    fn record(&mut self, index: Option<usize>) -> bool {
        self.inner.record(index)
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
