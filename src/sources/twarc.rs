//! Twitter API v1.1 JSON: twarc 1 and streaming-API lines, and REST responses.
//!
//! Accepted documents: one Tweet object (one line of a twarc 1 / `statuses/filter` JSONL file,
//! or `GET statuses/show`), a JSON array of Tweet objects (`GET statuses/user_timeline`,
//! `search/tweets`' `statuses`, `statuses/lookup`), and the stream's notices. JSONL framing is the
//! caller's: each line is handed to [`TwitterV1::parse`] as its own document. Field meanings:
//! `FORMATS.md` §4; how a tweet becomes items: [`super::tweet_v1`].
//!
//! Notices: `{"delete": {"status": {"id_str": …}, "timestamp_ms": …}}` is a deletion of that
//! tweet; `limit`, `scrub_geo`, `status_withheld`, `user_withheld`, `disconnect`, `warning` and
//! the user-stream preambles carry no post and are [`SkipReason::Unsupported`]. Streams repeat
//! tweets; a repeat is the same post again (same `uri`), which the store deduplicates.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::serde_util::{pointer_join, str_of};
use super::tweet_v1::{id_field, kind_of, status_uri, tweet_items};
use super::{FormatError, ItemSink, Problem, SourceFormat};
use crate::model::{Deletion, Item, Skip, SkipReason};

/// Stream messages that are not tweets, each an object with this one key.
const NOTICES: &[&str] = &[
    "delete",
    "limit",
    "scrub_geo",
    "status_withheld",
    "user_withheld",
    "disconnect",
    "warning",
    "friends",
    "friends_str",
    "control",
];

/// Twitter API v1.1 tweets (REST, streaming, twarc 1).
pub struct TwitterV1;

impl SourceFormat for TwitterV1 {
    const NAME: &'static str = "twitter-v1";

    fn sniff(doc: &Value) -> bool {
        match doc {
            Value::Array(items) => items
                .first()
                .and_then(Value::as_object)
                .is_some_and(is_tweet),
            Value::Object(obj) => is_tweet(obj) || notice_of(obj).is_some(),
            _ => false,
        }
    }

    fn parse(doc: &Value, sink: &mut dyn ItemSink) -> Result<(), FormatError> {
        match doc {
            Value::Array(items) => {
                if !items.is_empty() && !items.iter().any(Value::is_object) {
                    return Err(FormatError::new(
                        "",
                        "expected an array of tweets, found no objects in the array",
                    ));
                }
                for (i, item) in items.iter().enumerate() {
                    if sink.record(Some(i)) {
                        record(item, &pointer_join("", i), sink);
                    }
                }
                Ok(())
            }
            Value::Object(obj) if is_tweet(obj) || notice_of(obj).is_some() => {
                record(doc, "", sink);
                Ok(())
            }
            other => Err(FormatError::new(
                "",
                format!(
                    "expected a Twitter v1.1 tweet (`id_str`, `user` and `text` or `full_text`), \
                     an array of tweets or a stream notice such as `{{\"delete\": …}}`, found {}",
                    match other {
                        Value::Object(_) => "an object without those fields",
                        _ => kind_of(other),
                    }
                ),
            )),
        }
    }
}

/// A v1.1 tweet: `id_str` (or `id`), `user`, and `text` or `full_text`.
fn is_tweet(obj: &Map<String, Value>) -> bool {
    (obj.contains_key("id_str") || obj.contains_key("id"))
        && obj.get("user").is_some_and(Value::is_object)
        && (obj.contains_key("text") || obj.contains_key("full_text"))
}

/// The notice's key, when `obj` is a stream notice.
fn notice_of(obj: &Map<String, Value>) -> Option<&'static str> {
    if obj.len() != 1 {
        return None;
    }
    let (key, _) = obj.iter().next()?;
    NOTICES.iter().copied().find(|n| n == key)
}

fn record(item: &Value, pointer: &str, sink: &mut dyn ItemSink) {
    let notice = item.as_object().and_then(notice_of);
    match notice {
        Some("delete") => deletion(item.get("delete").unwrap_or(&Value::Null), pointer, sink),
        Some(_) => sink.item(Item::Skipped(Skip {
            uri: None,
            reason: SkipReason::Unsupported,
        })),
        None => tweet_items(item, None, pointer, sink),
    }
}

/// `{"delete": {"status": {"id_str": …, "user_id_str": …}, "timestamp_ms": "…"}}`.
fn deletion(notice: &Value, pointer: &str, sink: &mut dyn ItemSink) {
    let Some(id) = notice.get("status").and_then(|s| id_field(s, "id")) else {
        let problem = Problem::missing("delete notice has no `status.id_str`");
        return sink.warning(pointer_join(pointer, "delete"), problem);
    };
    sink.item(Item::Delete(Deletion {
        uri: status_uri(&id),
        deleted_at: notice.get("timestamp_ms").and_then(millis),
    }));
}

/// A `timestamp_ms`, as a string (the stream's form) or a number.
fn millis(v: &Value) -> Option<DateTime<Utc>> {
    let ms: i64 = match v {
        Value::Number(n) => n.as_i64()?,
        _ => str_of(Some(v))?.trim().parse().ok()?,
    };
    DateTime::from_timestamp_millis(ms)
}

#[cfg(test)]
mod tests;
