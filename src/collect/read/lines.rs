//! JSON Lines, each line one document, with the lines parsed a few ahead on a thread of their
//! own ([`super::ahead`]). Parsing a line into a JSON value was a third of the reading
//! thread's work, and that thread decides how fast a large source is staged; everything else
//! about a line (its fingerprint, its format's reading, its warnings) stays on the reading
//! thread, in line order, as before.

use std::collections::VecDeque;
use std::io::BufRead;

use serde_json::Value;

use super::ahead::{self, Document, Parser};
use super::{Stream, depth, read_line};
use crate::collect::error::{ReadError, ReadErrorKind as Kind};
use crate::collect::fingerprint::{Fingerprint, Fingerprints, part_of};
use crate::sources::{Format, Problem, ProblemKind, twarc2};

/// How often a twarc 2 page is read sparsely when the page before had nothing held.
const SPARSE_PROBE: usize = 16;

/// A line to parse; when it is a twarc 2 page of a source read before, with its fingerprint
/// and the archive's, so that the tweets the archive holds are not parsed (see
/// [`twarc2::sparse_page`]).
struct Line<'f> {
    text: String,
    held: Option<(Fingerprint, &'f Fingerprints)>,
}

impl Document for Line<'_> {
    fn bytes(&self) -> usize {
        self.text.len()
    }
    fn parse(&self) -> Result<Value, serde_json::Error> {
        if let Some((line, known)) = self.held
            && let Some(page) = twarc2::sparse_page(&self.text, |i| known.knows(&part_of(&line, i)))
        {
            return Ok(page);
        }
        depth::value_from_str(&self.text)
    }
}

/// A line read and not staged yet.
enum Waiting {
    /// Line `line_no`, with its fingerprint; `parsing` when sent to the parser, not when the
    /// archive holds it already (then it is not parsed at all).
    Line {
        line_no: usize,
        print: Option<Fingerprint>,
        parsing: bool,
    },
    /// A line over the largest document read, read past (a warning where it stands).
    TooLarge { line_no: usize, limit: usize },
    /// The source cannot be read past here.
    Failed(ReadError),
}

impl<'c> Stream<'_, '_, 'c> {
    /// JSON Lines: each line one document; a bad line is a warning (an error with `--strict`).
    /// `first` is line `first_line`, read already (its text and its document).
    pub(super) fn read_lines_from(
        &mut self,
        reader: &mut dyn BufRead,
        first: (&str, &Value),
        first_line: usize,
    ) -> Result<Format, ReadError> {
        self.first_line(first, first_line)?;
        ahead::parsing_ahead(|parser| self.read_lines_ahead(reader, first_line, parser))?;
        self.format
            .ok_or_else(|| ReadError::of(self.location, Kind::NoReadableLine))
    }

    /// The first line is a record like the others, fingerprinted once it tells the format:
    /// read before, it is staged from the archive (the first page of a twarc 2 file was read
    /// anew by every collect).
    fn first_line(&mut self, (text, doc): (&str, &Value), line_no: usize) -> Result<(), ReadError> {
        let format = self.format.or_else(|| crate::sources::detect(doc));
        let print = format.and_then(|format| self.fingerprint_as(format, text.trim().as_bytes()));
        if !self.sink.open_record(print) {
            // As the archive read it: the file is of this format, and a later bad line is one
            // bad line, not a file of another kind.
            self.format = format;
            self.read_one = true;
            return Ok(());
        }
        self.sink.line = print;
        let read = self.line_document(doc, line_no);
        self.sink.end_record();
        self.sink.line = None;
        read
    }

    fn read_lines_ahead(
        &mut self,
        reader: &mut dyn BufRead,
        first_line: usize,
        parser: &mut Parser<Line<'c>>,
    ) -> Result<(), ReadError> {
        let mut waiting: VecDeque<Waiting> = VecDeque::new();
        let mut line_no = first_line;
        let mut at_end = false;
        // Whether the last page read held records the archive has. Reading a page sparsely
        // scans it more than once, which pays only when some of it is held; a first collect
        // (nothing held) or new pages of a live collect would pay for nothing. After a page
        // with nothing held, one page in `SPARSE_PROBE` is still tried.
        let mut held_last = true;
        loop {
            while !at_end && parser.has_room(waiting.len()) {
                let mut line = String::new();
                let next = self.read_ahead(reader, &mut line, &mut line_no);
                let Some(next) = next else {
                    at_end = true;
                    break;
                };
                at_end = matches!(next, Waiting::Failed(_));
                if let Waiting::Line {
                    parsing: true,
                    print,
                    ..
                } = next
                {
                    let held = match (self.format, print, self.sink.fingerprints) {
                        (Some(Format::Twarc2), Some(print), Some(known))
                            if (held_last || line_no.is_multiple_of(SPARSE_PROBE))
                                && !known.is_empty() =>
                        {
                            Some((print, known))
                        }
                        _ => None,
                    };
                    parser.send(Line { text: line, held });
                }
                waiting.push_back(next);
            }
            let Some(next) = waiting.pop_front() else {
                return Ok(());
            };
            let (line_no, print, sent) = match next {
                Waiting::Failed(e) => return Err(e),
                Waiting::TooLarge { line_no, limit } => {
                    let message = format!("larger than {} MiB; not read", limit >> 20);
                    let problem = Problem::new(ProblemKind::BadLine, message);
                    self.sink.warn(format!("line {line_no}"), problem);
                    continue;
                }
                Waiting::Line {
                    line_no,
                    print,
                    parsing,
                } => (line_no, print, parsing),
            };
            let doc = if sent {
                Some(parser.receive(self.location, "lines")?)
            } else {
                None
            };
            if !self.sink.open_record(print) {
                continue;
            }
            let Some((line, doc)) = doc else {
                // Not parsed, as the archive holds it: open_record said so above.
                continue;
            };
            self.sink.line = print;
            let known_before = self.sink.known_records;
            match doc {
                Ok(doc) => {
                    self.line_document(&doc, line_no)?;
                    parser.discard(doc);
                }
                Err(_) => self.bad_line(line_no, &line.text)?,
            }
            held_last = self.sink.known_records > known_before;
            self.sink.end_record();
            self.sink.line = None;
            self.check_failure()?;
        }
    }

    /// Reads the next line that is not blank into `line`; `None` at the end of the source.
    fn read_ahead(
        &mut self,
        reader: &mut dyn BufRead,
        line: &mut String,
        line_no: &mut usize,
    ) -> Option<Waiting> {
        loop {
            let n = match read_line(reader, line, self.location, *line_no + 1) {
                Ok(n) => n,
                // Read past, not held: one line too long is one bad line.
                Err(ReadError {
                    kind: Kind::TooLarge { limit },
                    ..
                }) if !self.options.strict => {
                    *line_no += 1;
                    return Some(Waiting::TooLarge {
                        line_no: *line_no,
                        limit,
                    });
                }
                Err(e) => return Some(Waiting::Failed(e)),
            };
            if n == 0 {
                return None;
            }
            *line_no += 1;
            let record = line.trim();
            if record.is_empty() {
                continue;
            }
            let print = self.fingerprint(record.as_bytes());
            let known = print.is_some_and(|p| self.sink.knows(&p));
            return Some(Waiting::Line {
                line_no: *line_no,
                print,
                parsing: !known,
            });
        }
    }
}
