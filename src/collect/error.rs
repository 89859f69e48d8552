//! Why a source added nothing: a typed error carrying the source, the position in it and the
//! kind of failure, so callers and tests can tell failures apart by [`ReadErrorKind`] while the
//! message shown stays the one precise line a reader needs (`file.json:3:17: invalid JSON: …`).

use std::fmt;
use std::io;

use crate::sources::{Format, FormatError, KNOWN_FORMATS};

/// A source that could not be read (or staged); nothing of it was written.
#[derive(Debug)]
pub struct ReadError {
    /// The source as the user named it (a path, `-`, a URL, or `archive.zip:data/tweets.js`).
    pub location: String,
    /// Where in it, as far as known.
    pub at: At,
    /// What went wrong.
    pub kind: ReadErrorKind,
}

/// A position in a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    /// The source as a whole.
    Source,
    /// A line (1-based).
    Line(usize),
    /// A line and a column in bytes (both 1-based, as serde_json counts them).
    LineColumn(usize, usize),
    /// A document of the source: `line 3` of JSON Lines, `document 2` of fetched pages.
    Document(String),
}

/// The kinds of failure of a source.
#[derive(Debug)]
pub enum ReadErrorKind {
    /// The file (or standard input) could not be opened or read.
    Io(io::Error),
    /// Nothing but whitespace.
    Empty,
    /// Text that is not JSON at all (a CSV file, a web page saved as text).
    NotJson,
    /// JSON broken at a position (serde_json's message without its position).
    InvalidJson(String),
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// A single document, line or array element larger than the cap of one.
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// A line that is not a JSON object, under `--strict` (which fails the source for it).
    BadLineStrict(String),
    /// JSON Lines of which no line could be read.
    NoReadableLine,
    /// No format tagstory reads.
    UnknownFormat,
    /// A document not readable as the format the source was taken for.
    NotReadableAs {
        /// The format.
        format: Format,
        /// What the parser said.
        error: FormatError,
    },
    /// A folder that is not a Twitter archive.
    NotTwitterArchive(io::Error),
    /// A Twitter archive (folder or zip) that could not be read.
    TwitterArchive(io::Error),
    /// A side file of a Twitter archive (`manifest.js`, `account.js`, named in the error)
    /// that could not be read.
    SideFile(io::Error),
    /// Fetched pages that held nothing to collect.
    Nothing,
    /// The staging tables of the archive refused the rows.
    Staging(anyhow::Error),
}

impl ReadError {
    /// A failure of `location` at `at`.
    pub fn new(location: impl Into<String>, at: At, kind: ReadErrorKind) -> Self {
        ReadError {
            location: location.into(),
            at,
            kind,
        }
    }

    /// A failure of `location` as a whole.
    pub fn of(location: impl Into<String>, kind: ReadErrorKind) -> Self {
        ReadError::new(location, At::Source, kind)
    }

    /// Broken JSON, positioned where serde_json found it.
    pub fn json(location: impl Into<String>, e: &serde_json::Error) -> Self {
        ReadError::new(
            location,
            At::LineColumn(e.line(), e.column()),
            ReadErrorKind::InvalidJson(strip_position(&e.to_string()).to_string()),
        )
    }
}

/// serde_json's message without its trailing " at line L column C".
pub(super) fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = &self.location;
        let at = match &self.at {
            At::Source => String::new(),
            At::Line(line) => format!(":{line}"),
            At::LineColumn(line, column) => format!(":{line}:{column}"),
            At::Document(document) => format!(" at {document}"),
        };
        match &self.kind {
            ReadErrorKind::Io(e) => match &self.at {
                At::Line(line) => write!(f, "cannot read `{location}` at line {line}: {e}"),
                _ => write!(f, "cannot read `{location}`: {e}"),
            },
            ReadErrorKind::Empty => write!(f, "`{location}`: the file is empty"),
            ReadErrorKind::NotJson => write!(
                f,
                "`{location}`{at}: not JSON: the file starts with text, not `[` or `{{` \
                 (tagstory reads JSON and JSON Lines exports)"
            ),
            ReadErrorKind::InvalidJson(message) => {
                write!(f, "`{location}`{at}: invalid JSON: {message}")
            }
            ReadErrorKind::InvalidUtf8 => {
                write!(f, "`{location}`{at}: invalid UTF-8; save the file as UTF-8")
            }
            ReadErrorKind::TooLarge { limit } => write!(
                f,
                "`{location}`{at}: one document is larger than {} MiB, more than any post or \
                 page holds; not read (split the file, or check that it is what you meant)",
                limit >> 20
            ),
            ReadErrorKind::BadLineStrict(message) => {
                write!(f, "`{location}`{at}: {message} (--strict)")
            }
            ReadErrorKind::NoReadableLine => write!(f, "`{location}`: no readable line"),
            ReadErrorKind::UnknownFormat => write!(
                f,
                "`{location}`{at}: unrecognised format; tagstory reads {KNOWN_FORMATS}"
            ),
            ReadErrorKind::NotReadableAs { format, error } => write!(
                f,
                "`{location}`{at}: not readable as {}: {error}",
                format.name()
            ),
            ReadErrorKind::NotTwitterArchive(e) => write!(
                f,
                "`{location}` is a directory but not a Twitter archive ({e}); give the files in \
                 it"
            ),
            ReadErrorKind::TwitterArchive(e) => {
                write!(f, "cannot read `{location}` as a Twitter archive: {e}")
            }
            ReadErrorKind::SideFile(e) => write!(f, "`{location}`: {e}"),
            ReadErrorKind::Nothing => write!(f, "`{location}`: nothing to collect"),
            ReadErrorKind::Staging(e) => write!(f, "cannot stage `{location}`: {e:#}"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ReadErrorKind::Io(e)
            | ReadErrorKind::NotTwitterArchive(e)
            | ReadErrorKind::TwitterArchive(e)
            | ReadErrorKind::SideFile(e) => Some(e),
            ReadErrorKind::NotReadableAs { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
