//! Parsing a few documents ahead on a thread of their own: JSON Lines ([`super::lines`]) and
//! the elements of a JSON array or a collection's items ([`Ahead`]). Splitting, fingerprints
//! and everything done with a parsed document stay on the reading thread, in order; only
//! turning a document's bytes into a JSON value moves.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, Sender};

use serde_json::Value;

use super::split::{Element, Elements};
use super::{Stream, depth, split_failure, value_error};
use crate::collect::error::{ReadError, ReadErrorKind};
use crate::collect::fingerprint::Fingerprint;
use crate::sources::Format;

/// Documents being parsed ahead of the one being read, at most, and their bytes (a document
/// more when one is larger): enough to keep the parsing thread busy while the reading thread
/// stages (a chunk of elements), and few enough to hold little: a JSON value takes several
/// times its text, and a twarc 2 page is a quarter of a megabyte (two pages, then).
const AHEAD: usize = super::CHUNK;
const AHEAD_BYTES: usize = 256 << 10;

/// What can be parsed ahead: a line of JSON Lines or an element.
pub(super) trait Document: Send {
    /// Its size in bytes.
    fn bytes(&self) -> usize;
    /// Its JSON value.
    fn parse(&self) -> Result<Value, serde_json::Error>;
}

impl Document for Element {
    fn bytes(&self) -> usize {
        self.text.len()
    }
    fn parse(&self) -> Result<Value, serde_json::Error> {
        depth::value_from_slice(&self.text)
    }
}

/// A document and its value, or why it is no JSON.
pub(super) type Parsed<D> = (D, Result<Value, serde_json::Error>);

/// What the parsing thread is given: a document to parse, or a value the reader is done
/// with. A value is freed on the thread that allocated it: the allocator frees another
/// thread's blocks through a slower, deferred path, and dropping the values it was given was
/// 6% of the reading thread, which bounds how fast a source is staged (issue 10).
enum Job<D> {
    Parse(D),
    Drop(Value),
}

/// The reading thread's end of the parsing thread: documents go in, come back parsed in the
/// order they went in.
pub(super) struct Parser<D> {
    to_parser: Sender<Job<D>>,
    parsed: Receiver<Parsed<D>>,
    parsing: usize,
    parsing_bytes: usize,
}

/// Runs `read` with a parser on a second thread, which ends with it.
pub(super) fn parsing_ahead<D: Document, R>(read: impl FnOnce(&mut Parser<D>) -> R) -> R {
    std::thread::scope(|scope| {
        let (to_parser, jobs) = std::sync::mpsc::channel::<Job<D>>();
        let (parsed_out, parsed) = std::sync::mpsc::channel::<Parsed<D>>();
        scope.spawn(move || {
            for job in jobs {
                let document = match job {
                    Job::Parse(document) => document,
                    Job::Drop(value) => {
                        drop(value);
                        continue;
                    }
                };
                let value = document.parse();
                // The reader stopped (an error): nothing more is wanted.
                if parsed_out.send((document, value)).is_err() {
                    break;
                }
            }
        });
        let mut parser = Parser {
            to_parser,
            parsed,
            parsing: 0,
            parsing_bytes: 0,
        };
        read(&mut parser)
        // `parser` is dropped here, closing both channels: the parsing thread ends.
    })
}

impl<D: Document> Parser<D> {
    /// Whether another document may be read ahead, with `waiting` read and not taken yet
    /// (see [`AHEAD`]). Those the archive holds are not parsed and take no room in the
    /// parser, but count among the waiting: bounded by the parser alone, a file of them was
    /// read to its end before the first was taken, the archive's thread idle meanwhile (a
    /// third of a second collect of a tweets.js; issue 10).
    pub(super) fn has_room(&self, waiting: usize) -> bool {
        self.parsing < AHEAD && self.parsing_bytes < AHEAD_BYTES && waiting < AHEAD
    }

    /// Sends `document` to be parsed.
    pub(super) fn send(&mut self, document: D) {
        self.parsing += 1;
        self.parsing_bytes += document.bytes();
        // The parsing thread lives as long as `self`; a send fails only if it panicked, and
        // then the receive says so.
        let _ = self.to_parser.send(Job::Parse(document));
    }

    /// Gives back a value the reader is done with, to be freed on the parsing thread.
    pub(super) fn discard(&mut self, value: Value) {
        if let Err(job) = self.to_parser.send(Job::Drop(value)) {
            // The thread is gone (it panicked): freed here.
            drop(job);
        }
    }

    /// The first document sent and not received yet, parsed. An error if the parsing thread
    /// stopped (it panicked), named by `what` it parsed.
    pub(super) fn receive(&mut self, location: &str, what: &str) -> Result<Parsed<D>, ReadError> {
        let (document, value) = self.parsed.recv().map_err(|_| {
            let gone = anyhow::anyhow!("the thread parsing {what} stopped");
            ReadError::of(location, ReadErrorKind::Staging(gone))
        })?;
        self.parsing -= 1;
        self.parsing_bytes -= document.bytes();
        Ok((document, value))
    }
}

/// An element read and not taken yet.
enum Waiting {
    /// With its fingerprint (when the format was known as it was read); `parsing` when sent
    /// to the parser, not when the archive holds it already (then it is not parsed at all).
    Element {
        print: Option<Fingerprint>,
        parsing: bool,
    },
    /// Nothing can be read past here.
    Failed(ReadError),
}

/// An element taken: its fingerprint, and its text and value unless the archive holds it.
pub(super) struct Taken {
    pub(super) print: Option<Fingerprint>,
    pub(super) parsed: Option<(Element, Value)>,
}

/// Elements being parsed ahead of the reader.
pub(super) struct Ahead<'p> {
    parser: &'p mut Parser<Element>,
    waiting: VecDeque<Waiting>,
    at_end: bool,
}

/// Runs `read` with elements parsed ahead on a second thread, which ends with it.
pub(super) fn elements_ahead<R>(read: impl FnOnce(&mut Ahead<'_>) -> R) -> R {
    parsing_ahead(|parser| {
        read(&mut Ahead {
            parser,
            waiting: VecDeque::with_capacity(AHEAD),
            at_end: false,
        })
    })
}

impl Ahead<'_> {
    /// Gives back a value the reader is done with (see [`Parser::discard`]).
    pub(super) fn discard(&mut self, value: Value) {
        self.parser.discard(value);
    }

    /// The next element of `elements`, `None` after the last; its fingerprint is taken as
    /// `format` (when known) when it is read, ahead of its turn.
    pub(super) fn next(
        &mut self,
        elements: &mut Elements<'_, '_>,
        stream: &mut Stream<'_, '_, '_>,
        format: Option<Format>,
    ) -> Result<Option<Taken>, ReadError> {
        while !self.at_end && self.parser.has_room(self.waiting.len()) {
            let element = match elements.next_element() {
                Ok(Some(element)) => element,
                Ok(None) => {
                    self.at_end = true;
                    break;
                }
                Err(e) => {
                    self.at_end = true;
                    self.waiting
                        .push_back(Waiting::Failed(split_failure(stream.location, e)));
                    break;
                }
            };
            let print = format.and_then(|f| stream.fingerprint_as(f, &element.text));
            let parsing = !print.is_some_and(|p| stream.sink.knows(&p));
            if parsing {
                self.parser.send(element);
            }
            self.waiting.push_back(Waiting::Element { print, parsing });
        }
        let (print, parsing) = match self.waiting.pop_front() {
            None => return Ok(None),
            Some(Waiting::Failed(e)) => return Err(e),
            Some(Waiting::Element { print, parsing }) => (print, parsing),
        };
        if !parsing {
            return Ok(Some(Taken {
                print,
                parsed: None,
            }));
        }
        let (element, value) = self.parser.receive(stream.location, "elements")?;
        let value = value.map_err(|e| value_error(stream.location, &element, &e))?;
        Ok(Some(Taken {
            print,
            parsed: Some((element, value)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::io::{BufReader, Read};
    use std::rc::Rc;

    use super::*;
    use crate::collect::fingerprint::Fingerprints;
    use crate::collect::read::split::Text;
    use crate::collect::staging::StagingSink;
    use crate::forget::Forgotten;

    /// Counts the bytes read through it.
    struct Counting<R> {
        inner: R,
        read: Rc<Cell<usize>>,
    }

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read.set(self.read.get() + n);
            Ok(n)
        }
    }

    /// Takes `count` elements of `array`, known as `known`; returns their fingerprints and how
    /// many bytes had been read when the first was taken.
    fn take(array: &[u8], count: usize, known: Vec<Fingerprint>) -> (Vec<Fingerprint>, usize) {
        let forgotten = Forgotten::default();
        let fingerprints = Fingerprints::new(Vec::new(), known);
        let mut sink = StagingSink::new(None, "tag", &forgotten);
        sink.fingerprints = Some(&fingerprints);
        let mut stream = Stream {
            location: "test.json",
            hasher: None,
            options: crate::collect::ReadOptions::default(),
            format: Some(Format::MastodonApi),
            read_one: false,
            archive_author: None,
            prefixed: false,
            sink: &mut sink,
        };
        let read = Rc::new(Cell::new(0));
        let counting = Counting {
            inner: array,
            read: Rc::clone(&read),
        };
        let mut reader = BufReader::with_capacity(1024, counting);
        let mut text = Text::new(&mut reader, 1 << 20);
        let mut elements = Elements::new(&mut text).unwrap();
        let mut prints = Vec::new();
        let mut read_at_first = 0;
        elements_ahead(|ahead| {
            for i in 0..count {
                let taken = ahead
                    .next(&mut elements, &mut stream, Some(Format::MastodonApi))
                    .unwrap()
                    .unwrap();
                if i == 0 {
                    read_at_first = read.get();
                }
                prints.push(taken.print.unwrap());
            }
        });
        (prints, read_at_first)
    }

    #[test]
    fn elements_the_archive_holds_are_read_a_few_ahead_not_to_the_end() {
        let n = 2000;
        let items: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"id": "{i}", "content": "<p>status number {i}</p>"}}"#))
            .collect();
        let array = format!("[{}]", items.join(","));
        let (prints, _) = take(array.as_bytes(), n, Vec::new());
        let (again, read_at_first) = take(array.as_bytes(), n, prints.clone());
        assert_eq!(again, prints);
        // The first taken, a few elements' bytes (and a read buffer) had been read.
        let ahead = array.len() * AHEAD / n + 2048;
        assert!(read_at_first < ahead, "{read_at_first} of {}", array.len());
    }
}
