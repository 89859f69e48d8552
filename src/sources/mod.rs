//! Input formats: detection by content and one parser per format.
//!
//! Every parser turns a parsed JSON document into [`Item`]s pushed into an [`ItemSink`]. Parsers
//! never touch the store and never decide story membership: that is the collector's job, because
//! it needs every source of a run to see a whole reply tree.
//!
//! Errors come in two sizes. A document that cannot be read as the detected format at all is a
//! [`FormatError`] and the source adds nothing. A single bad record inside an otherwise good
//! document is a warning pushed to the sink with its JSON pointer, and the rest is kept.

pub mod activitypub;
pub mod mastodon_api;
pub mod serde_util;
pub mod tweet_v1;
pub mod twarc;
pub mod twitter_archive;

use serde_json::Value;

use crate::model::Item;

/// The formats tagstory reads, as detected from a document's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Mastodon REST API JSON: an array of Status entities, one Status, or a context object.
    MastodonApi,
    /// ActivityStreams 2.0 / ActivityPub: objects, activities, collections and actors.
    ActivityPub,
}

impl Format {
    /// The name used in messages and recorded with each collected source.
    pub fn name(self) -> &'static str {
        match self {
            Format::MastodonApi => mastodon_api::MastodonApi::NAME,
            Format::ActivityPub => activitypub::ActivityPub::NAME,
        }
    }

    /// Parses `doc` as this format.
    pub fn parse(self, doc: &Value, sink: &mut dyn ItemSink) -> Result<(), FormatError> {
        match self {
            Format::MastodonApi => mastodon_api::MastodonApi::parse(doc, sink),
            Format::ActivityPub => activitypub::ActivityPub::parse(doc, sink),
        }
    }
}

/// What every format lists in an "unrecognised format" message.
pub const KNOWN_FORMATS: &str = "Mastodon API JSON (an array of statuses, a status, or a \
    `{\"ancestors\", \"descendants\"}` context) or ActivityPub JSON (a Note, a Create, Update, \
    Announce or Delete activity, an outbox or other (Ordered)Collection(Page), or an actor)";

/// Tells which format a document is in, by its shape.
pub fn detect(doc: &Value) -> Option<Format> {
    if activitypub::ActivityPub::sniff(doc) {
        Some(Format::ActivityPub)
    } else if mastodon_api::MastodonApi::sniff(doc) {
        Some(Format::MastodonApi)
    } else {
        None
    }
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
    fn warning(&mut self, pointer: String, message: String);
}

/// A record-level problem, kept with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// JSON pointer to the record.
    pub pointer: String,
    /// What is wrong with it.
    pub message: String,
}

/// An [`ItemSink`] that keeps everything in memory.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Items in document order.
    pub items: Vec<Item>,
    /// Skipped records.
    pub warnings: Vec<Warning>,
}

impl ItemSink for Parsed {
    fn item(&mut self, item: Item) {
        self.items.push(item);
    }
    fn warning(&mut self, pointer: String, message: String) {
        self.warnings.push(Warning { pointer, message });
    }
}

/// The document as a whole is not in the format it was taken for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at {pointer}: {message}")]
pub struct FormatError {
    /// JSON pointer to the offending value (`""` for the whole document).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl FormatError {
    /// A new error at `pointer`.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        FormatError {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}
