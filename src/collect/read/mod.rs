//! Reading one source as a stream of documents: the framing (a JSON array read element by
//! element, JSON Lines read line by line, a single JSON document, a Twitter archive's
//! `window.YTD… =` prefix), format detection on the first document, and parsing into the
//! staging sink. Nothing here holds a whole large input in memory: arrays and lines are parsed
//! a bounded chunk at a time, and so are the items of a single JSON object that is a
//! collection (a Mastodon account export's `outbox.json`: one object of a million activities).
//! Any other single JSON object (an API page) is read whole.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::depth;
use super::error::{At, ReadError, ReadErrorKind as Kind, strip_position};
use super::fingerprint::{Fingerprint, Hasher};
use super::staging::StagingSink;

mod ahead;
mod array;
mod lines;
mod object;
mod split;

use crate::model::Author;
use crate::sources::{
    self, Format, FormatError, ItemSink, Parsed, Problem, ProblemKind, side_file, twitter_archive,
};
use array::Chunks;
use split::{Element, Elements, SplitError, Text};

/// Array elements parsed together, so that a format can use neighbours as context (which
/// server issued Mastodon ids) while memory stays bounded.
const CHUNK: usize = 64;

/// The largest single document, JSON Lines line or array element read: a hundred times any
/// real post or API page, and the most one source may make this process hold at once.
pub(super) const MAX_DOCUMENT: usize = 16 << 20;

/// Array elements are parsed as soon as they add up to this many bytes, even before
/// [`CHUNK`] of them are read, so that a chunk of large posts stays small in memory.
const CHUNK_BYTES: usize = 4 << 20;

/// The longest first line read whole to tell JSON Lines from a single document: a longer one is
/// a single document (an outbox written on one line), streamed.
const MAX_FIRST_LINE: usize = 4 << 20;

/// The most bytes a `window.YTD.… =` prefix may take.
const MAX_PREFIX: usize = 256;

/// Where a source comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceInput {
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(PathBuf),
}

impl SourceInput {
    /// About how many bytes the source holds: a file's size, the files of a folder and of its
    /// `data/` (a Twitter archive); 0 for standard input.
    pub fn size(&self) -> u64 {
        let SourceInput::File(path) = self else {
            return 0;
        };
        let files = |dir: &Path| -> u64 {
            std::fs::read_dir(dir).map_or(0, |entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.metadata().ok())
                    .filter(std::fs::Metadata::is_file)
                    .map(|m| m.len())
                    .sum()
            })
        };
        if path.is_dir() {
            files(path) + files(&path.join("data"))
        } else {
            std::fs::metadata(path).map_or(0, |m| m.len())
        }
    }

    /// How the source is named in messages and in the `sources` table.
    pub fn location(&self) -> String {
        match self {
            SourceInput::Stdin => "-".to_string(),
            SourceInput::File(path) => path.display().to_string(),
        }
    }
}

/// How sources are read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Skip detection and read every source as this format.
    pub format: Option<Format>,
    /// A bad line or record fails its whole source instead of being skipped.
    pub strict: bool,
}

/// Reads `input` into `sink`; returns the format it was read as, or why the source cannot be
/// read, where.
pub(super) fn stage_source(
    input: &SourceInput,
    options: ReadOptions,
    sink: &mut StagingSink<'_>,
) -> Result<Format, ReadError> {
    let location = input.location();
    if let SourceInput::File(path) = input
        && (path.is_dir()
            || path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip")))
    {
        return stage_twitter_archive(path, &location, options, sink);
    }
    let reader: Box<dyn Read> = match input {
        SourceInput::Stdin => Box::new(std::io::stdin().lock()),
        SourceInput::File(path) => {
            Box::new(std::fs::File::open(path).map_err(|e| ReadError::of(&location, Kind::Io(e)))?)
        }
    };
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let archive_author = match input {
        SourceInput::File(path) => {
            archive_author_beside(path).map_err(|e| ReadError::of(&location, Kind::SideFile(e)))?
        }
        SourceInput::Stdin => None,
    };
    let mut stream = Stream {
        location: &location,
        hasher: None,
        options,
        format: options.format,
        read_one: false,
        archive_author,
        prefixed: false,
        sink,
    };
    let format = stream.read(&mut reader)?;
    if let (SourceInput::File(path), Format::ActivityPub) = (input, format) {
        stream.export_actor(path);
    }
    stream.check_failure()?;
    Ok(format)
}

/// A Twitter archive given as its unzipped folder or its `.zip`: every tweets part, in the
/// manifest's order, each streamed like a `tweets.js` file, with the archive's account as author.
fn stage_twitter_archive(
    path: &Path,
    location: &str,
    options: ReadOptions,
    sink: &mut StagingSink<'_>,
) -> Result<Format, ReadError> {
    let mut failure = None;
    let mut read_part = |part: &str, account: Option<&Author>, reader: &mut dyn Read| {
        let part_location = format!("{location}:{part}");
        let mut stream = Stream {
            location: &part_location,
            hasher: None,
            options,
            format: Some(options.format.unwrap_or(Format::TwitterArchive)),
            read_one: false,
            archive_author: Some(
                account
                    .cloned()
                    .unwrap_or_else(twitter_archive::unknown_author),
            ),
            prefixed: true,
            sink: &mut *sink,
        };
        let mut reader = BufReader::new(reader);
        let outcome = stream
            .read(&mut reader)
            .and_then(|_| stream.check_failure());
        match outcome {
            Ok(()) => Ok(()),
            Err(message) => {
                failure = Some(message);
                Err(std::io::Error::other("stopped"))
            }
        }
    };
    match twitter_archive::for_each_tweets_file(path, &mut read_part) {
        Ok(_) => Ok(options.format.unwrap_or(Format::TwitterArchive)),
        Err(e) => Err(failure.unwrap_or_else(|| {
            if path.is_dir() && e.kind() == std::io::ErrorKind::NotFound {
                ReadError::of(location, Kind::NotTwitterArchive(e))
            } else {
                ReadError::of(location, Kind::TwitterArchive(e))
            }
        })),
    }
}

struct Stream<'a, 's, 'c> {
    location: &'a str,
    /// Fingerprints this source's records, once its format is known.
    hasher: Option<Hasher>,
    options: ReadOptions,
    format: Option<Format>,
    /// A document has been read as `format`.
    read_one: bool,
    /// The account of a Twitter archive (its tweets carry no author).
    archive_author: Option<Author>,
    /// The file began with a JavaScript assignment (`window.YTD.tweets.part0 =`).
    prefixed: bool,
    sink: &'s mut StagingSink<'c>,
}

impl Stream<'_, '_, '_> {
    fn read(&mut self, reader: &mut dyn BufRead) -> Result<Format, ReadError> {
        let io = |e: std::io::Error| ReadError::of(self.location, Kind::Io(e));
        skip_bom_and_space(reader).map_err(io)?;
        if peek(reader)
            .map_err(io)?
            .is_some_and(|b| b.is_ascii_alphabetic())
        {
            skip_js_prefix(reader)
                .map_err(|kind| ReadError::new(self.location, At::Line(1), kind))?;
            self.prefixed = true;
            skip_bom_and_space(reader).map_err(io)?;
        }
        match peek(reader).map_err(io)? {
            None => Err(ReadError::of(self.location, Kind::Empty)),
            Some(b'[') => self.read_array(reader),
            Some(b'{') => self.read_object_or_lines(reader),
            Some(_) => self.read_document(reader, Vec::new()),
        }
    }

    /// The fingerprint of a record of `bytes`, when records are fingerprinted and the format
    /// is known.
    fn fingerprint(&mut self, bytes: &[u8]) -> Option<Fingerprint> {
        let format = self.format?;
        self.fingerprint_as(format, bytes)
    }

    /// The fingerprint of a record of `bytes` read as `format`, when records are
    /// fingerprinted.
    fn fingerprint_as(&mut self, format: Format, bytes: &[u8]) -> Option<Fingerprint> {
        self.sink.fingerprints?;
        let author = &self.archive_author;
        let hasher = self.hasher.get_or_insert_with(|| {
            // A Twitter archive's tweets are read with its account as their author.
            let context = author
                .as_ref()
                .and_then(|a| serde_json::to_string(a).ok())
                .unwrap_or_default();
            Hasher::new(format, &context)
        });
        Some(hasher.of(bytes))
    }

    /// Whether records are fingerprinted (then the bytes of array elements are kept).
    fn fingerprinting(&self) -> bool {
        self.sink.fingerprints.is_some()
    }

    fn check_failure(&mut self) -> Result<(), ReadError> {
        match self.sink.failure.take() {
            Some(e) => Err(ReadError::of(self.location, Kind::Staging(e))),
            None => Ok(()),
        }
    }

    /// Detects the format of the first document (unless forced) and parses `doc`; `position`
    /// names the document in warnings (`line 3 `) and `at` in the error.
    fn parse(&mut self, doc: &Value, position: &str, at: At) -> Result<Format, ReadError> {
        let format = match self.format {
            Some(format) => format,
            None => {
                let format = sources::detect(doc)
                    .ok_or_else(|| ReadError::of(self.location, Kind::UnknownFormat))?;
                self.format = Some(format);
                format
            }
        };
        self.sink.position = position.to_string();
        let result = format.parse(doc, self.sink);
        self.sink.position.clear();
        result
            .map(|()| format)
            .map_err(|e| self.format_error(at, e))
    }

    fn format_error(&self, at: At, error: FormatError) -> ReadError {
        match self.format {
            Some(format) => {
                ReadError::new(self.location, at, Kind::NotReadableAs { format, error })
            }
            None => ReadError::of(self.location, Kind::UnknownFormat),
        }
    }

    /// A JSON array, element by element (each parsed from its own text), `CHUNK` at a time.
    fn read_array(&mut self, reader: &mut dyn BufRead) -> Result<Format, ReadError> {
        let location = self.location;
        let prefixed = self.prefixed;
        let mut text = Text::new(reader, MAX_DOCUMENT);
        let mut elements = Elements::new(&mut text).map_err(|e| split_failure(location, e))?;
        let mut chunks = Chunks {
            stream: self,
            chunk: Vec::with_capacity(CHUNK),
            raw: Vec::new(),
            prints: Vec::new(),
            base: 0,
            per_element: false,
            result: Ok(None),
            held: 0,
            spent: None,
        };
        ahead::elements_ahead(|ahead| {
            loop {
                let format = chunks.stream.format;
                let Some(taken) = ahead.next(&mut elements, chunks.stream, format)? else {
                    return chunks.flush();
                };
                chunks.push(taken)?;
                if let Some(doc) = chunks.spent.take() {
                    ahead.discard(doc);
                }
            }
        })?;
        let result = std::mem::replace(&mut chunks.result, Ok(None));
        // A `window.YTD… = [...]` file may end with `;`: a script, not JSON, after the array.
        if !prefixed {
            text.end().map_err(|e| split_failure(location, e))?;
        }
        match result? {
            Some(format) => Ok(format),
            // An empty array: nothing to detect from, nothing to collect.
            None => Ok(self.format.unwrap_or(Format::MastodonApi)),
        }
    }

    /// One JSON object, or JSON Lines: decided by whether the first line is a whole document.
    fn read_object_or_lines(&mut self, reader: &mut dyn BufRead) -> Result<Format, ReadError> {
        let head = read_head_line(reader, MAX_FIRST_LINE)
            .map_err(|e| ReadError::new(self.location, At::Line(1), Kind::Io(e)))?;
        if head.last() != Some(&b'\n') && head.len() >= MAX_FIRST_LINE {
            return self.read_document(reader, head);
        }
        let first = line_text(head, self.location, 1)?;
        match depth::value_from_str(&first) {
            Ok(doc) => self.read_lines_from(reader, (&first, &doc), 1),
            Err(e) if e.is_eof() => self.read_document(reader, first.into_bytes()),
            Err(_) => {
                // A broken first line of JSON Lines, or a document whose first line is broken:
                // the next line tells.
                let mut second = String::new();
                read_line(reader, &mut second, self.location, 2)?;
                if depth::value_from_str(&second).is_ok_and(|v| v.is_object()) {
                    self.bad_line(1, &first)?;
                    let doc = depth::value_from_str(&second)
                        .map_err(|e| ReadError::json(self.location, &e))?;
                    self.read_lines_from(reader, (&second, &doc), 2)
                } else {
                    let mut bytes = first.into_bytes();
                    bytes.extend(second.into_bytes());
                    self.read_document(reader, bytes)
                }
            }
        }
    }

    fn bad_line(&mut self, line: usize, text: &str) -> Result<(), ReadError> {
        let message = match depth::value_from_str(text) {
            Err(e) => format!(
                "invalid JSON at column {}: {}",
                e.column(),
                strip_position(&e.to_string())
            ),
            Ok(_) => "not a JSON object".to_string(),
        };
        if self.options.strict {
            return Err(ReadError::new(
                self.location,
                At::Line(line),
                Kind::BadLineStrict(message),
            ));
        }
        self.sink.warn(
            format!("line {line}"),
            Problem::new(ProblemKind::BadLine, message),
        );
        Ok(())
    }

    fn line_document(&mut self, doc: &Value, line: usize) -> Result<(), ReadError> {
        let position = format!("line {line}");
        match self.parse(doc, &format!("{position} "), At::Document(position.clone())) {
            Ok(_) => {
                self.read_one = true;
                Ok(())
            }
            // The first document decides what the file is: if it cannot be read as that, nothing
            // can be.
            Err(e) if self.format.is_none() || self.options.strict || !self.read_one => Err(e),
            Err(ReadError {
                kind: Kind::NotReadableAs { error, .. },
                ..
            }) => {
                let problem = Problem::new(ProblemKind::BadLine, error.to_string());
                self.sink.warn(position, problem);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// A single JSON document: a collection's items streamed a chunk at a time, anything else
    /// read whole (see [`object`]).
    fn read_document(
        &mut self,
        reader: &mut dyn BufRead,
        head: Vec<u8>,
    ) -> Result<Format, ReadError> {
        let mut chained = std::io::Cursor::new(head).chain(reader);
        object::read(self, &mut chained)
    }

    /// A Mastodon account export names its author only in `actor.json` beside `outbox.json`.
    fn export_actor(&mut self, outbox: &Path) {
        if outbox.file_name().is_none_or(|n| n != "outbox.json") {
            return;
        }
        let actor_path = outbox.with_file_name("actor.json");
        if !actor_path.is_file() {
            return;
        }
        let pointer = format!("(beside it) {}", actor_path.display());
        let doc = side_file::read_path(&actor_path)
            .map_err(|e| e.to_string())
            .map(Option::unwrap_or_default)
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).map_err(|e| e.to_string()));
        let mut parsed = Parsed::default();
        let result = doc.and_then(|doc| {
            Format::ActivityPub
                .parse(&doc, &mut parsed)
                .map_err(|e| e.to_string())
        });
        match result {
            Ok(()) => {
                for item in parsed.items {
                    self.sink.item(item);
                }
            }
            Err(message) => self.sink.warn(pointer, Problem::unreadable(message)),
        }
    }
}

/// A Twitter archive's `data/tweets.js` names no author: its account is in `manifest.js` (or
/// `account.js`) beside it. Each is read through the side-file cap: one that is too large (a
/// symlink to `/dev/zero`) fails the source rather than reading forever.
fn archive_author_beside(path: &Path) -> std::io::Result<Option<Author>> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(None);
    };
    if !(name.starts_with("tweet") && name.ends_with(".js")) {
        return Ok(None);
    }
    let beside = |file: &str| {
        let side = path.with_file_name(file);
        side_file::read_path(&side)
    };
    if let Some(author) = beside("manifest.js")?
        .as_deref()
        .and_then(twitter_archive::account_from_manifest)
    {
        return Ok(Some(author));
    }
    Ok(beside("account.js")?
        .as_deref()
        .and_then(twitter_archive::account_from_account_js))
}

/// Reads one line into `line` (cleared first); returns its length in bytes, 0 at the end.
/// Invalid UTF-8 is an error naming the file, the line and the column (in bytes, as
/// serde_json counts them) of the first bad byte, where `BufRead::read_line` says only
/// "stream did not contain valid UTF-8" (see: issue 11). A line over [`MAX_DOCUMENT`] is read
/// past, not held, and is an error of its own.
fn read_line(
    reader: &mut dyn BufRead,
    line: &mut String,
    location: &str,
    line_no: usize,
) -> Result<usize, ReadError> {
    line.clear();
    let io = |e| ReadError::new(location, At::Line(line_no), Kind::Io(e));
    let mut bytes = Vec::new();
    let n = (&mut *reader)
        .take(MAX_DOCUMENT as u64 + 1)
        .read_until(b'\n', &mut bytes)
        .map_err(io)?;
    if n > MAX_DOCUMENT {
        drop(bytes);
        skip_line(reader).map_err(io)?;
        let kind = Kind::TooLarge {
            limit: MAX_DOCUMENT,
        };
        return Err(ReadError::new(location, At::Line(line_no), kind));
    }
    *line = line_text(bytes, location, line_no)?;
    Ok(n)
}

/// Reads past the rest of a line without keeping it.
fn skip_line(reader: &mut dyn BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(at) => {
                reader.consume(at + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

/// Reads the first line, up to `limit` bytes (the newline included when it came).
fn read_head_line(reader: &mut dyn BufRead, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    while bytes.len() < limit {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let room = limit - bytes.len();
        let take = buf.len().min(room);
        if let Some(at) = buf[..take].iter().position(|&b| b == b'\n') {
            bytes.extend_from_slice(&buf[..=at]);
            reader.consume(at + 1);
            break;
        }
        bytes.extend_from_slice(&buf[..take]);
        reader.consume(take);
    }
    Ok(bytes)
}

/// The value of an array element or object member, or why it is no JSON, where in the input.
fn element_value(location: &str, element: &Element) -> Result<Value, ReadError> {
    depth::value_from_slice(&element.text).map_err(|e| value_error(location, element, &e))
}

/// Why `element` is no JSON, where in the input.
fn value_error(location: &str, element: &Element, e: &serde_json::Error) -> ReadError {
    let (line, column) = split::place(element.line, element.column, e.line(), e.column());
    let message = strip_position(&e.to_string()).to_string();
    ReadError::new(
        location,
        At::LineColumn(line, column),
        Kind::InvalidJson(message),
    )
}

/// Why an array could not be split into elements, where.
fn split_failure(location: &str, e: SplitError) -> ReadError {
    match e {
        SplitError::Io(e) => ReadError::of(location, Kind::Io(e)),
        SplitError::Json {
            message,
            line,
            column,
        } => ReadError::new(
            location,
            At::LineColumn(line, column),
            Kind::InvalidJson(message.to_string()),
        ),
        SplitError::TooLarge { line, column } => ReadError::new(
            location,
            At::LineColumn(line, column),
            Kind::TooLarge {
                limit: MAX_DOCUMENT,
            },
        ),
    }
}

/// `bytes` of line `line_no` as text; invalid UTF-8 is an error naming the position.
fn line_text(bytes: Vec<u8>, location: &str, line_no: usize) -> Result<String, ReadError> {
    String::from_utf8(bytes).map_err(|e| {
        let column = e.utf8_error().valid_up_to() + 1;
        ReadError::new(location, At::LineColumn(line_no, column), Kind::InvalidUtf8)
    })
}

fn peek(reader: &mut (impl BufRead + ?Sized)) -> std::io::Result<Option<u8>> {
    Ok(reader.fill_buf()?.first().copied())
}

fn skip_bom_and_space(reader: &mut (impl BufRead + ?Sized)) -> std::io::Result<()> {
    if reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    loop {
        let buf = reader.fill_buf()?;
        let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if n == 0 {
            return Ok(());
        }
        reader.consume(n);
    }
}

/// Skips `window.YTD.tweets.part0 =` (any JavaScript assignment of a JSON value). Text that
/// is not such an assignment (a CSV or plain-text file, say) is not JSON, and is called that.
fn skip_js_prefix(reader: &mut (impl BufRead + ?Sized)) -> Result<(), Kind> {
    let mut seen = 0;
    loop {
        let buf = reader.fill_buf().map_err(Kind::Io)?;
        if buf.is_empty() {
            return Err(Kind::NotJson);
        }
        let end = buf.iter().position(|&b| b == b'=').unwrap_or(buf.len());
        let assignable = buf[..end]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"_$.[]'\" \t".contains(&b));
        if !assignable || (seen == 0 && !buf[0].is_ascii_alphabetic() && !b"_$".contains(&buf[0])) {
            return Err(Kind::NotJson);
        }
        match buf.iter().position(|&b| b == b'=') {
            Some(at) if seen + at <= MAX_PREFIX => {
                reader.consume(at + 1);
                return Ok(());
            }
            _ => {}
        }
        let n = buf.len();
        seen += n;
        if seen > MAX_PREFIX {
            return Err(Kind::NotJson);
        }
        reader.consume(n);
    }
}
