//! Input formats: detection by content and one parser per format.
//!
//! Every parser turns a parsed JSON document into [`Item`]s pushed into an [`ItemSink`]. Parsers
//! never touch the store and never decide story membership: that is the collector's job, because
//! it needs every source of a run to see a whole reply tree.
//!
//! Errors come in two sizes. A document that cannot be read as the detected format at all is a
//! [`FormatError`] and the source adds nothing. A single bad record inside an otherwise good
//! document is a warning pushed to the sink with its JSON pointer, and the rest is kept. A
//! problem with only part of a record (an entity whose offsets do not fit the text) is a note:
//! that part is left out and the record is read, so nothing is skipped.

pub mod activitypub;
pub mod bluesky;
pub mod consent;
pub mod mastodon_api;
pub mod serde_util;
pub mod side_file;
pub mod storify;
pub mod twarc;
pub mod twarc2;
pub mod tweet_v1;
pub mod twitter_archive;

#[cfg(test)]
pub(crate) mod test_util;

use serde_json::Value;

use crate::model::Item;

/// The formats tagstory reads, as detected from a document's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Mastodon REST API JSON: an array of Status entities, one Status, or a context object.
    MastodonApi,
    /// ActivityStreams 2.0 / ActivityPub: objects, activities, collections and actors.
    ActivityPub,
    /// A Twitter/X account archive's `data/tweets.js` (elements `{"tweet": {...}}`).
    TwitterArchive,
    /// Twitter API v1.1 tweets: a tweet, an array of them, or twarc 1 / streaming JSON Lines.
    TwitterV1,
    /// Twitter API v2 as twarc 2 saves it: response pages or flattened tweets, one per line.
    Twarc2,
    /// Bluesky `app.bsky.feed.*` responses: searchPosts, getPostThread, author feeds.
    Bluesky,
    /// A Storify story (API v1 / the saved story JSON): curated tweets and the curator's notes.
    Storify,
}

impl Format {
    /// Every format, in detection order: the most specific shapes first.
    pub const ALL: [Format; 7] = [
        Format::TwitterArchive,
        Format::TwitterV1,
        Format::Twarc2,
        Format::Bluesky,
        Format::Storify,
        Format::ActivityPub,
        Format::MastodonApi,
    ];

    /// The name used in messages, in `--format` and in the `sources` table.
    pub fn name(self) -> &'static str {
        match self {
            Format::MastodonApi => mastodon_api::MastodonApi::NAME,
            Format::ActivityPub => activitypub::ActivityPub::NAME,
            Format::TwitterArchive => twitter_archive::TwitterArchive::NAME,
            Format::TwitterV1 => twarc::TwitterV1::NAME,
            Format::Twarc2 => twarc2::Twarc2::NAME,
            Format::Bluesky => bluesky::Bluesky::NAME,
            Format::Storify => storify::Storify::NAME,
        }
    }

    /// Whether `doc` looks like this format.
    pub fn sniff(self, doc: &Value) -> bool {
        match self {
            Format::MastodonApi => mastodon_api::MastodonApi::sniff(doc),
            Format::ActivityPub => activitypub::ActivityPub::sniff(doc),
            Format::TwitterArchive => twitter_archive::TwitterArchive::sniff(doc),
            Format::TwitterV1 => twarc::TwitterV1::sniff(doc),
            Format::Twarc2 => twarc2::Twarc2::sniff(doc),
            Format::Bluesky => bluesky::Bluesky::sniff(doc),
            Format::Storify => storify::Storify::sniff(doc),
        }
    }

    /// Parses `doc` as this format.
    pub fn parse(self, doc: &Value, sink: &mut dyn ItemSink) -> Result<(), FormatError> {
        match self {
            Format::MastodonApi => mastodon_api::MastodonApi::parse(doc, sink),
            Format::ActivityPub => activitypub::ActivityPub::parse(doc, sink),
            Format::TwitterArchive => twitter_archive::TwitterArchive::parse(doc, sink),
            Format::TwitterV1 => twarc::TwitterV1::parse(doc, sink),
            Format::Twarc2 => twarc2::Twarc2::parse(doc, sink),
            Format::Bluesky => bluesky::Bluesky::parse(doc, sink),
            Format::Storify => storify::Storify::parse(doc, sink),
        }
    }
}

/// What every format lists in an "unrecognised format" message.
pub const KNOWN_FORMATS: &str = concat!(
    "Mastodon API JSON (statuses, a status, a /context response), ActivityPub JSON (notes, ",
    "activities, outboxes, actors), a Twitter/X archive (data/tweets.js, the unzipped folder or ",
    "the .zip), Twitter API v1.1 tweets or twarc JSON Lines (v1 and v2, flattened too), and ",
    "Bluesky app.bsky.feed responses (searchPosts, getPostThread, getAuthorFeed), and Storify v1 ",
    "stories; name one with --format to skip detection"
);

/// Tells which format a document is in, by its shape.
pub fn detect(doc: &Value) -> Option<Format> {
    Format::ALL.into_iter().find(|f| f.sniff(doc))
}

/// One input format.
pub trait SourceFormat {
    /// Short name, as shown to users and stored in the `sources` table.
    const NAME: &'static str;
    /// Whether `doc` looks like this format. Cheap: looks at the top level only.
    fn sniff(doc: &Value) -> bool;
    /// Pushes every item of `doc` into `sink`; bad records become warnings.
    fn parse(doc: &Value, sink: &mut dyn ItemSink) -> Result<(), FormatError>;
}

/// Where parsed items go.
pub trait ItemSink {
    /// Receives one item, in document order.
    fn item(&mut self, item: Item);
    /// Receives a problem with one record, which was skipped. `pointer` is a JSON pointer
    /// (RFC 6901) to the record, such as `/orderedItems/12`.
    fn warning(&mut self, pointer: String, problem: Problem);
    /// Receives a problem with part of a post that was left out while the post itself was read
    /// (and pushed as an item): not a skipped record. `pointer` is a JSON pointer to the part,
    /// such as `/data/0/entities/urls/1`; the problem says what was left out and why
    /// (`entity ignored: ...`). A note is not an error: the run's exit status does not change.
    fn note(&mut self, pointer: String, problem: Problem);
    /// The items that follow, up to the next call, come from record `index` of the document
    /// (an element of its array, an item of its collection); `None`: from none of them.
    /// Returns `false` when the sink already holds that record, which the format then skips.
    /// A format whose document is one record need not call it.
    fn record(&mut self, index: Option<usize>) -> bool {
        let _ = index;
        true
    }
}

/// What is wrong with a record or with part of one: its kind, which callers and tests go by,
/// and a message for people, which names the record's own words (its id, the field, the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What sort of problem.
    pub kind: ProblemKind,
    /// What is wrong, in words.
    pub message: String,
}

/// The sorts of problem a record can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// A field the record needs is absent or empty (an `id`, a time, an author).
    Missing,
    /// A field is there but cannot be read (a time that is no time, an id not made of digits).
    Unreadable,
    /// A value of the wrong JSON type or shape (a string where a post object belongs).
    Shape,
    /// Only a reference (a URI) where the record itself is needed: a live collect fetches it.
    Reference,
    /// Records embedded deeper than they are read.
    TooDeep,
    /// Parts of a record that contradict each other (more elements than a page says it holds).
    Inconsistent,
    /// Part of a post left out while the post was read (an entity whose offsets do not fit).
    LeftOut,
    /// A problem the source itself reported (twarc 2 `errors[]`).
    Reported,
    /// A line of JSON Lines that is not a JSON object, or is too large.
    BadLine,
}

impl Problem {
    /// A problem of `kind`.
    pub fn new(kind: ProblemKind, message: impl Into<String>) -> Problem {
        Problem {
            kind,
            message: message.into(),
        }
    }

    /// A field the record needs is absent.
    pub fn missing(message: impl Into<String>) -> Problem {
        Problem::new(ProblemKind::Missing, message)
    }

    /// A field that cannot be read.
    pub fn unreadable(message: impl Into<String>) -> Problem {
        Problem::new(ProblemKind::Unreadable, message)
    }

    /// A value of the wrong shape.
    pub fn shape(message: impl Into<String>) -> Problem {
        Problem::new(ProblemKind::Shape, message)
    }

    /// The same problem, said of `what` (`post X: …`).
    pub fn of(self, what: impl std::fmt::Display) -> Problem {
        Problem::new(self.kind, format!("{what}: {}", self.message))
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

/// A problem with a record (a warning) or with part of one (a note), kept with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// JSON pointer to the record.
    pub pointer: String,
    /// What sort of problem.
    pub kind: ProblemKind,
    /// What is wrong with it.
    pub message: String,
}

impl Warning {
    /// `problem` at `pointer`.
    pub fn at(pointer: String, problem: Problem) -> Warning {
        Warning {
            pointer,
            kind: problem.kind,
            message: problem.message,
        }
    }
}

/// An [`ItemSink`] that keeps everything in memory.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Items in document order.
    pub items: Vec<Item>,
    /// Skipped records.
    pub warnings: Vec<Warning>,
    /// Parts of records left out, the records being read.
    pub notes: Vec<Warning>,
}

impl ItemSink for Parsed {
    fn item(&mut self, item: Item) {
        self.items.push(item);
    }
    fn warning(&mut self, pointer: String, problem: Problem) {
        self.warnings.push(Warning::at(pointer, problem));
    }
    fn note(&mut self, pointer: String, problem: Problem) {
        self.notes.push(Warning::at(pointer, problem));
    }
}

/// The document as a whole is not in the format it was taken for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// JSON pointer to the offending value (`""` for the whole document).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pointer.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "at {}: {}", self.pointer, self.message)
        }
    }
}

impl std::error::Error for FormatError {}

impl FormatError {
    /// A new error at `pointer`.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        FormatError {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}
