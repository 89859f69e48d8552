//! Helpers shared by the parsers' unit tests: where the real samples and our fixtures are, and
//! small builders every expectation uses.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::model::{Consent, Item, Post};
use crate::sources::{FormatError, Parsed, SourceFormat};

/// `../shared/corpus/<rel>`, or `None` (after saying so) when the shared corpus is not checked
/// out beside the project, as in a user's clone.
pub(crate) fn corpus_path(rel: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.is_dir() {
        println!("skipped: ../shared/corpus not present");
        return None;
    }
    Some(root.join(rel))
}

/// The JSON document at `../shared/corpus/<rel>` (see [`corpus_path`]).
pub(crate) fn corpus_json(rel: &str) -> Option<Value> {
    corpus_path(rel).map(|path| read_json(&path))
}

/// The JSON document at `fixtures/<rel>`.
pub(crate) fn fixture_json(rel: &str) -> Value {
    read_json(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(rel),
    )
}

/// Every file under `fixtures/`, at any depth, in path order.
pub(crate) fn fixture_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}")) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Every non-blank line of the JSON Lines file at `path`, parsed.
pub(crate) fn json_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{path:?}: {e}")))
        .collect()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// What an author's consent is when the source showed a profile saying nothing about it.
pub(crate) fn profile_says_nothing() -> Consent {
    Consent {
        from_profile: true,
        ..Consent::default()
    }
}

/// Parses `doc` as format `F`, which must accept it.
pub(crate) fn parse_as<F: SourceFormat>(doc: &Value) -> Parsed {
    let mut parsed = Parsed::default();
    F::parse(doc, &mut parsed).expect("document parses");
    parsed
}

/// Parses `doc` as format `F`, which must refuse it whole, having emitted nothing.
pub(crate) fn refused_as<F: SourceFormat>(doc: &Value) -> FormatError {
    let mut parsed = Parsed::default();
    let err = F::parse(doc, &mut parsed).expect_err("document is refused");
    assert!(parsed.items.is_empty(), "{:?}", parsed.items);
    err
}

/// The one item of `parsed`, which must be a post, with no warning or note.
pub(crate) fn sole_post(parsed: &Parsed) -> &Post {
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert!(parsed.notes.is_empty(), "{:?}", parsed.notes);
    match parsed.items.as_slice() {
        [Item::Post(post)] => post,
        other => panic!("expected one post, got {other:?}"),
    }
}

/// The posts among `parsed`'s items, in order.
pub(crate) fn posts(parsed: &Parsed) -> Vec<&Post> {
    parsed
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Post(post) => Some(&**post),
            _ => None,
        })
        .collect()
}

/// A UTC time from RFC 3339 text.
pub(crate) fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test timestamp")
        .with_timezone(&Utc)
}

/// `Some(s.to_owned())`.
pub(crate) fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}
