//! A JSON array (or object) split into the texts of its elements (or members), without parsing
//! them: each is then parsed from its own bytes (serde_json reads a slice several times faster than an
//! `io::Read`, which it takes one byte per call) and fingerprinted by them. Positions are
//! counted as serde_json counts them from where the array begins, so that an error names the
//! same line and column whichever way the array is read.

use std::io::{self, BufRead};

/// One element's text and where it begins (line, and column of its first byte).
pub(super) struct Element {
    pub(super) text: Vec<u8>,
    pub(super) line: usize,
    pub(super) column: usize,
}

/// `(line, column)` in the whole input of a position serde_json gave within an element that
/// begins at `(start_line, start_column)`.
pub(super) fn place(
    start_line: usize,
    start_column: usize,
    line: usize,
    column: usize,
) -> (usize, usize) {
    if line <= 1 {
        (start_line, start_column + column.saturating_sub(1))
    } else {
        (start_line + line - 1, column)
    }
}

/// Why the array could not be split.
#[derive(Debug)]
pub(super) enum SplitError {
    Io(io::Error),
    /// Broken JSON between elements, in serde_json's words, where it is.
    Json {
        message: &'static str,
        line: usize,
        column: usize,
    },
    /// An element longer than the limit, beginning there.
    TooLarge {
        line: usize,
        column: usize,
    },
}

/// JSON text read value by value, counting lines and columns as serde_json does.
pub(super) struct Text<'r> {
    reader: &'r mut dyn BufRead,
    limit: usize,
    line: usize,
    /// Bytes of the current line consumed so far.
    column: usize,
}

impl<'r> Text<'r> {
    /// The text of `reader`, whose values may be at most `limit` bytes each.
    pub(super) fn new(reader: &'r mut dyn BufRead, limit: usize) -> Self {
        Text {
            reader,
            limit,
            line: 1,
            column: 0,
        }
    }

    /// After the document: only whitespace may follow.
    pub(super) fn end(&mut self) -> Result<(), SplitError> {
        self.skip_whitespace()?;
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters", 1)),
        }
    }

    /// The error `message` at the next byte (`ahead` 1) or the last one read (0).
    pub(super) fn error(&self, message: &'static str, ahead: usize) -> SplitError {
        SplitError::Json {
            message,
            line: self.line,
            column: self.column + ahead,
        }
    }

    pub(super) fn peek(&mut self) -> Result<Option<u8>, SplitError> {
        Ok(self
            .reader
            .fill_buf()
            .map_err(SplitError::Io)?
            .first()
            .copied())
    }

    /// Consumes the next byte, which is no newline.
    pub(super) fn consume_byte(&mut self) {
        self.reader.consume(1);
        self.column += 1;
    }

    pub(super) fn skip_whitespace(&mut self) -> Result<(), SplitError> {
        loop {
            let buf = self.reader.fill_buf().map_err(SplitError::Io)?;
            let n = buf
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                .count();
            if n == 0 {
                return Ok(());
            }
            advance(&mut self.line, &mut self.column, &buf[..n]);
            self.reader.consume(n);
        }
    }

    /// Reads one value's bytes: up to its closing bracket or quote, or for a number or a
    /// literal up to what ends it (not consumed). At the end of the input the text is as far as
    /// it goes, for the parser to say what is missing.
    pub(super) fn value(&mut self) -> Result<Element, SplitError> {
        let (line, column) = (self.line, self.column + 1);
        let mut text = Vec::new();
        let mut scan = Scan::default();
        loop {
            let buf = self.reader.fill_buf().map_err(SplitError::Io)?;
            if buf.is_empty() {
                break;
            }
            let (n, complete) = scan.feed(buf);
            if text.len() + n > self.limit {
                return Err(SplitError::TooLarge { line, column });
            }
            text.extend_from_slice(&buf[..n]);
            advance(&mut self.line, &mut self.column, &buf[..n]);
            self.reader.consume(n);
            if complete {
                break;
            }
        }
        Ok(Element { text, line, column })
    }
}

/// The elements of the array a text is at, one at a time.
pub(super) struct Elements<'t, 'r> {
    text: &'t mut Text<'r>,
    first: bool,
    done: bool,
}

impl<'t, 'r> Elements<'t, 'r> {
    /// The elements of the array `text` is at (its `[` next).
    pub(super) fn new(text: &'t mut Text<'r>) -> Result<Self, SplitError> {
        match text.peek()? {
            Some(b'[') => text.consume_byte(),
            _ => return Err(text.error("expected `[`", 1)),
        }
        Ok(Elements {
            text,
            first: true,
            done: false,
        })
    }

    /// The next element, or `None` after the closing `]`.
    pub(super) fn next_element(&mut self) -> Result<Option<Element>, SplitError> {
        if self.done {
            return Ok(None);
        }
        let text = &mut *self.text;
        text.skip_whitespace()?;
        if self.first {
            self.first = false;
            match text.peek()? {
                None => return Err(text.error("EOF while parsing a list", 0)),
                Some(b']') => return self.close(),
                Some(_) => {}
            }
        } else {
            match text.peek()? {
                None => return Err(text.error("EOF while parsing a list", 0)),
                Some(b']') => return self.close(),
                Some(b',') => text.consume_byte(),
                Some(_) => return Err(text.error("expected `,` or `]`", 1)),
            }
            text.skip_whitespace()?;
            match text.peek()? {
                None => return Err(text.error("EOF while parsing a value", 0)),
                Some(b']') => return Err(text.error("trailing comma", 1)),
                Some(_) => {}
            }
        }
        text.value().map(Some)
    }

    fn close(&mut self) -> Result<Option<Element>, SplitError> {
        self.text.consume_byte();
        self.done = true;
        Ok(None)
    }
}

/// Moves a position (`line`, bytes of it consumed) past `bytes`.
fn advance(line: &mut usize, column: &mut usize, bytes: &[u8]) {
    // Vectorised searches: every byte of the input passes here, and compact JSON has no line
    // feed to stop a byte-by-byte search from the end before the start.
    match memchr::memrchr(b'\n', bytes) {
        Some(last) => {
            *line += memchr::memchr_iter(b'\n', bytes).count();
            *column = bytes.len() - last - 1;
        }
        None => *column += bytes.len(),
    }
}

/// Where a value ends, fed in pieces.
#[derive(Default)]
struct Scan {
    depth: usize,
    in_string: bool,
    escaped: bool,
    started: bool,
}

/// The bytes that matter inside an array or object, outside its strings: a Twitter archive is
/// a third spaces (its indentation), and keys, numbers and literals hold nothing else to look
/// at. Skipping to the next of these, rather than deciding on every byte, took the splitting
/// of a tweets.js from 248 to 154 profile samples: it is two thirds of the reading thread in a
/// second collect, which reads little else (issue 10).
const NESTED: [bool; 256] = {
    let mut table = [false; 256];
    table[b'"' as usize] = true;
    table[b'{' as usize] = true;
    table[b'}' as usize] = true;
    table[b'[' as usize] = true;
    table[b']' as usize] = true;
    table
};

/// Where the first quote or backslash of `bytes` is. Most strings of a post are keys and
/// short values: looked at byte by byte before a vectorised search pays for setting it up.
fn string_stop(bytes: &[u8]) -> Option<usize> {
    let head = bytes.len().min(16);
    if let Some(at) = bytes[..head].iter().position(|&b| b == b'"' || b == b'\\') {
        return Some(at);
    }
    memchr::memchr2(b'"', b'\\', &bytes[head..]).map(|at| at + head)
}

impl Scan {
    /// How many bytes of `bytes` belong to the value, and whether it ends there.
    fn feed(&mut self, bytes: &[u8]) -> (usize, bool) {
        let mut i = 0;
        while i < bytes.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                let Some(at) = string_stop(&bytes[i..]) else {
                    return (bytes.len(), false);
                };
                i += at;
                if bytes[i] == b'\\' {
                    self.escaped = true;
                } else {
                    self.in_string = false;
                    if self.depth == 0 {
                        return (i + 1, true);
                    }
                }
                i += 1;
                continue;
            }
            if self.depth > 0 {
                match bytes[i..].iter().position(|&b| NESTED[usize::from(b)]) {
                    Some(at) => i += at,
                    None => return (bytes.len(), false),
                }
                match bytes[i] {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    _ => {
                        self.depth -= 1;
                        if self.depth == 0 {
                            return (i + 1, true);
                        }
                    }
                }
                i += 1;
                continue;
            }
            match bytes[i] {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                // What ends a number or a literal (or stray closing brackets).
                b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' if self.started => {
                    return (i, true);
                }
                _ => {}
            }
            self.started = true;
            i += 1;
        }
        (bytes.len(), false)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The scan as it was written first, a byte at a time: [`Scan::feed`] must agree with it.
    fn reference_feed(scan: &mut Scan, bytes: &[u8]) -> (usize, bool) {
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if scan.in_string {
                if scan.escaped {
                    scan.escaped = false;
                } else if b == b'\\' {
                    scan.escaped = true;
                } else if b == b'"' {
                    scan.in_string = false;
                    if scan.depth == 0 {
                        return (i + 1, true);
                    }
                }
                i += 1;
                continue;
            }
            match b {
                b'"' => scan.in_string = true,
                b'{' | b'[' => scan.depth += 1,
                b'}' | b']' if scan.depth > 0 => {
                    scan.depth -= 1;
                    if scan.depth == 0 {
                        return (i + 1, true);
                    }
                }
                b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
                    if scan.depth == 0 && scan.started =>
                {
                    return (i, true);
                }
                _ => {}
            }
            scan.started = true;
            i += 1;
        }
        (bytes.len(), false)
    }

    proptest! {
        /// See: issue 10. Any text, fed in any pieces, ends where the byte-at-a-time scan
        /// says, with the same state after every piece (long runs of one byte stand for
        /// indentation and text).
        #[test]
        fn the_scan_ends_a_value_where_the_byte_at_a_time_scan_does(
            parts in proptest::collection::vec(
                (proptest::sample::select(b"\"\\{}[], \n\tax1:".to_vec()), 1usize..40),
                0..120,
            ),
            cuts in proptest::collection::vec(1usize..64, 1..40),
        ) {
            let text: Vec<u8> =
                parts.iter().flat_map(|&(b, n)| std::iter::repeat_n(b, n)).collect();
            let (mut fast, mut slow) = (Scan::default(), Scan::default());
            let mut at = 0;
            for cut in cuts.iter().cycle() {
                if at >= text.len() {
                    break;
                }
                let piece = &text[at..(at + cut).min(text.len())];
                let (got, want) = (fast.feed(piece), reference_feed(&mut slow, piece));
                prop_assert_eq!(got, want);
                prop_assert_eq!(
                    (fast.depth, fast.in_string, fast.escaped, fast.started),
                    (slow.depth, slow.in_string, slow.escaped, slow.started)
                );
                if got.1 {
                    break;
                }
                at += piece.len();
            }
        }
    }

    fn split(text: &str) -> Result<Vec<String>, String> {
        let mut reader = text.as_bytes();
        let mut text = Text::new(&mut reader, 1 << 20);
        let mut elements = Elements::new(&mut text).map_err(|e| format!("{e:?}"))?;
        let mut out = Vec::new();
        loop {
            match elements.next_element() {
                Ok(Some(e)) => out.push(String::from_utf8(e.text).unwrap()),
                Ok(None) => break,
                Err(e) => return Err(format!("{e:?}")),
            }
        }
        text.end().map_err(|e| format!("{e:?}"))?;
        Ok(out)
    }

    #[test]
    fn elements_are_split_as_written() {
        assert_eq!(
            split(r#"[ {"a": "x]}\"", "b": [1, {}]} , 12 ,"s,]" ,true, [] ] "#).unwrap(),
            [
                r#"{"a": "x]}\"", "b": [1, {}]}"#,
                "12",
                r#""s,]""#,
                "true",
                "[]"
            ]
        );
        assert_eq!(split("[]").unwrap(), Vec::<String>::new());
        assert_eq!(split("[\n]\n").unwrap(), Vec::<String>::new());
    }

    /// Every array among the fixtures splits into the elements serde_json reads in it, and a
    /// pretty-printed copy into the same ones.
    #[test]
    fn the_fixtures_arrays_split_into_their_elements() {
        let mut seen = 0;
        for path in crate::sources::test_util::fixture_files() {
            let Ok(serde_json::Value::Array(whole)) =
                serde_json::from_slice(&std::fs::read(&path).unwrap())
            else {
                continue;
            };
            let pretty = serde_json::to_string_pretty(&whole).unwrap();
            let compact = serde_json::to_string(&whole).unwrap();
            for text in [pretty, compact] {
                let parts: Vec<serde_json::Value> = split(&text)
                    .unwrap()
                    .iter()
                    .map(|t| serde_json::from_str(t).unwrap())
                    .collect();
                assert_eq!(parts, whole, "{}", path.display());
            }
            seen += 1;
        }
        assert!(seen >= 5, "{seen} arrays among the fixtures");
    }

    /// The errors serde_json gives for the same text, at the same place.
    #[test]
    fn broken_arrays_fail_where_serde_json_says() {
        for text in [
            "[1 2]",
            "[1,",
            "[1",
            "[1,]",
            "[{\"a\":1}\n ,\n {\"b\":2}] x",
            "[\n\n",
            "[{\"a\":1},\n  {\"b\":2} {",
        ] {
            let ours = split(text).unwrap_err();
            let theirs = serde_json::from_str::<serde_json::Value>(text.trim_start()).unwrap_err();
            let expected = format!(
                "Json {{ message: {:?}, line: {}, column: {} }}",
                super::super::strip_position(&theirs.to_string()),
                theirs.line(),
                theirs.column()
            );
            assert_eq!(ours, expected, "{text:?}");
        }
    }

    #[test]
    fn an_element_past_the_limit_is_refused_where_it_begins() {
        let text = format!("[1,\n \"{}\"]", "x".repeat(100));
        let mut reader = text.as_bytes();
        let mut text = Text::new(&mut reader, 50);
        let mut elements = Elements::new(&mut text).unwrap();
        assert!(elements.next_element().unwrap().is_some());
        assert!(matches!(
            elements.next_element(),
            Err(SplitError::TooLarge { line: 2, column: 2 })
        ));
    }

    #[test]
    fn positions_inside_an_element_map_to_the_input() {
        let text = "[1,\n  {\"a\":\n 1}]";
        let mut reader = text.as_bytes();
        let mut text = Text::new(&mut reader, 1 << 20);
        let mut elements = Elements::new(&mut text).unwrap();
        elements.next_element().unwrap();
        let e = elements.next_element().unwrap().unwrap();
        assert_eq!((e.line, e.column), (2, 3));
        assert_eq!(place(e.line, e.column, 1, 1), (2, 3));
        assert_eq!(place(e.line, e.column, 1, 5), (2, 7));
        assert_eq!(place(e.line, e.column, 2, 2), (3, 2));
    }
}
