//! The elements of a JSON array (or a collection's items) parsed a few ahead on a thread of
//! their own, as [`super::lines`] does for JSON Lines: splitting, fingerprints and everything
//! done with a parsed element stay on the reading thread, in order; only turning an element's
//! bytes into a JSON value moves.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, Sender};

use serde_json::Value;

use super::split::{Element, Elements};
use super::{Stream, depth, split_failure, value_error};
use crate::collect::error::ReadError;
use crate::collect::fingerprint::Fingerprint;
use crate::sources::Format;

/// Elements parsed ahead of the one being read, at most, and their bytes (an element more
/// when one is larger): a chunk's worth, so that one chunk is parsed while the one before it
/// is read into the archive.
const AHEAD: usize = super::CHUNK;
const AHEAD_BYTES: usize = 256 << 10;

type Parsed = (Element, Result<Value, serde_json::Error>);

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
pub(super) struct Ahead {
    to_parser: Sender<Element>,
    parsed: Receiver<Parsed>,
    waiting: VecDeque<Waiting>,
    parsing: usize,
    parsing_bytes: usize,
    at_end: bool,
}

/// Runs `read` with elements parsed ahead on a second thread, which ends with it.
pub(super) fn parsing_ahead<R>(read: impl FnOnce(&mut Ahead) -> R) -> R {
    std::thread::scope(|scope| {
        let (to_parser, elements) = std::sync::mpsc::channel::<Element>();
        let (parsed_out, parsed) = std::sync::mpsc::channel::<Parsed>();
        scope.spawn(move || {
            for element in elements {
                let value = depth::value_from_slice(&element.text);
                // The reader stopped (an error): nothing more is wanted.
                if parsed_out.send((element, value)).is_err() {
                    break;
                }
            }
        });
        let mut ahead = Ahead {
            to_parser,
            parsed,
            waiting: VecDeque::with_capacity(AHEAD),
            parsing: 0,
            parsing_bytes: 0,
            at_end: false,
        };
        read(&mut ahead)
        // `ahead` is dropped here, closing both channels: the parser ends.
    })
}

impl Ahead {
    /// The next element of `elements`, `None` after the last; its fingerprint is taken as
    /// `format` (when known) when it is read, ahead of its turn.
    pub(super) fn next(
        &mut self,
        elements: &mut Elements<'_, '_>,
        stream: &mut Stream<'_, '_, '_>,
        format: Option<Format>,
    ) -> Result<Option<Taken>, ReadError> {
        while !self.at_end && self.parsing < AHEAD && self.parsing_bytes < AHEAD_BYTES {
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
                self.parsing += 1;
                self.parsing_bytes += element.text.len();
                // The parser lives as long as `self`; a send fails only if it panicked, and
                // then the receive below says so.
                let _ = self.to_parser.send(element);
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
        let (element, value) = self.parsed.recv().map_err(|_| {
            ReadError::of(
                stream.location,
                crate::collect::error::ReadErrorKind::Staging(anyhow::anyhow!(
                    "the thread parsing elements stopped"
                )),
            )
        })?;
        self.parsing -= 1;
        self.parsing_bytes -= element.text.len();
        let value = value.map_err(|e| value_error(stream.location, &element, &e))?;
        Ok(Some(Taken {
            print,
            parsed: Some((element, value)),
        }))
    }
}
