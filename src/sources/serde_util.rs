//! Lenient readers for the loose JSON that servers emit: one-or-many values, string-or-object
//! references, `null` vs `""` vs missing, and timestamps in several ISO 8601 shapes.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

/// The non-empty string at `v`, if it is one.
pub fn str_of(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

/// A field that may hold one value or an array of them (AS2 `to`, `tag`, `attachment`, `url`).
pub fn one_or_many(v: Option<&Value>) -> Vec<&Value> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
    }
}

/// The id of a reference that may be a bare URI string or an embedded object with `id`
/// (AS2 `object`, `attributedTo`, `inReplyTo`, `first`).
pub fn id_of(v: Option<&Value>) -> Option<&str> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s),
        Value::Object(map) => str_of(map.get("id")).or_else(|| str_of(map.get("href"))),
        Value::Array(items) => items.iter().find_map(|item| id_of(Some(item))),
        _ => None,
    }
}

/// What kind of JSON value `v` is, for messages ("expected an array, found a string").
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A boolean that may be `null` or missing (Pleroma sends `sensitive: null`).
pub fn bool_of(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool).unwrap_or(false)
}

/// Parses the timestamp shapes seen in Mastodon and ActivityPub data: RFC 3339 with or without
/// fraction and with `Z` or an offset, and the same without any zone (taken as UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // Lowercase `z`, a space instead of `T`, or no zone at all: all seen in the wild.
    let normal = s.replacen(' ', "T", 1).replace('z', "Z");
    if let Ok(t) = DateTime::parse_from_rfc3339(&normal) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(&normal, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

pub use crate::urls::authority;

/// Appends a key or index to a JSON pointer, escaping as RFC 6901 requires.
pub fn pointer_join(base: &str, key: impl std::fmt::Display) -> String {
    use std::fmt::Write as _;
    // Built in place: a pointer is made for every tweet and part read (issue 10).
    let mut pointer = String::with_capacity(base.len() + 12);
    pointer.push_str(base);
    pointer.push('/');
    let start = pointer.len();
    let _ = write!(pointer, "{key}");
    if pointer[start..].contains(['~', '/']) {
        let key = pointer[start..].replace('~', "~0").replace('/', "~1");
        pointer.truncate(start);
        pointer.push_str(&key);
    }
    pointer
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_timestamp_shapes() {
        let want = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            parse_time("2022-11-08T03:07:14Z"),
            Some(want("2022-11-08T03:07:14Z"))
        );
        assert_eq!(
            parse_time("2020-09-14T15:03:11.909105+00:00"),
            Some(want("2020-09-14T15:03:11.909105Z"))
        );
        assert_eq!(
            parse_time("2013-08-20T10:00:00+02:00"),
            Some(want("2013-08-20T08:00:00Z"))
        );
        assert_eq!(
            parse_time("2013-08-20 10:00:00"),
            Some(want("2013-08-20T10:00:00Z"))
        );
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time(""), None);
    }

    #[test]
    fn reads_loose_shapes() {
        let doc = json!({"one": "a", "many": ["a", "b"], "obj": {"id": "x"}, "n": null, "e": ""});
        assert_eq!(one_or_many(doc.get("one")).len(), 1);
        assert_eq!(one_or_many(doc.get("many")).len(), 2);
        assert!(one_or_many(doc.get("n")).is_empty());
        assert!(one_or_many(doc.get("missing")).is_empty());
        assert_eq!(id_of(doc.get("obj")), Some("x"));
        assert_eq!(id_of(doc.get("one")), Some("a"));
        assert_eq!(str_of(doc.get("e")), None);
        assert!(!bool_of(doc.get("n")));
        assert_eq!(pointer_join("/a", "b/c~"), "/a/b~1c~0");
    }
}

/// Parses Twitter's `created_at` shape, `Wed Aug 27 13:08:45 +0000 2008` (API v1.1 and the
/// account archive), into UTC.
pub fn parse_twitter_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(s.trim(), "%a %b %d %H:%M:%S %z %Y")
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod twitter_time_tests {
    use super::*;

    #[test]
    fn parses_twitter_created_at() {
        let want = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            parse_twitter_time("Wed Aug 27 13:08:45 +0000 2008"),
            Some(want("2008-08-27T13:08:45Z"))
        );
        assert_eq!(
            parse_twitter_time("Sat Mar 10 16:03:15 +0200 2018"),
            Some(want("2018-03-10T14:03:15Z"))
        );
        assert_eq!(parse_twitter_time("2008-08-27T13:08:45Z"), None);
        assert_eq!(parse_twitter_time("Wed Aug 27 13:08:45 2008"), None);
        assert_eq!(parse_twitter_time(""), None);
    }
}
