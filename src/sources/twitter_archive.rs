//! The Twitter/X account archive ("Download an archive of your data"): `data/tweets.js` and
//! its parts, as an unzipped folder or as the `.zip` itself.
//!
//! Each data file is a JavaScript assignment, `window.YTD.tweets.part0 = [ … ]`, whose right-hand
//! side is JSON: an array of `{"tweet": {…}}` elements holding v1.1 Tweet objects without a
//! `user` (every number, indices included, is a string). `data/manifest.js`
//! (`window.__THAR_CONFIG = {…}`) names the account (`userInfo`) and lists the tweets parts
//! (`dataTypes.tweets.files[].fileName`); older archives have `data/tweet.js` and name the account
//! in `data/account.js`. Field meanings: `FORMATS.md` §3.
//!
//! Reading an archive takes three steps, the first two here:
//! 1. [`for_each_tweets_file`] opens the folder or zip, finds the account and each tweets part,
//!    and hands each part to a callback as a reader that yields the part's JSON (the
//!    `window.YTD… =` prefix and a trailing `;` removed while streaming; [`read_part`] parses it);
//! 2. [`parse_with_author`] turns one part's array into items, the account as author;
//! 3. the collector stores them. [`TwitterArchive::parse`] is step 2 for a lone `tweets.js`
//!    whose account is unknown (the author is then [`unknown_author`], and posts have no `url`).
//!
//! How a tweet becomes items is [`super::tweet_v1`]'s business. Archive specifics:
//! retweets are only a truncated `RT @name: …` text with no `retweeted_status`. When a media
//! entity names the tweet it came from (`source_status_id_str`), the retweet becomes a boost of
//! that tweet; otherwise it is skipped as [`SkipReason::Unsupported`](crate::model::SkipReason),
//! because nothing in the archive tells which tweet it boosts. A quote is only a
//! `twitter.com/NAME/status/N` link, which becomes `quote_of`. Archives have no alt text.
//! Elements of `deleted-tweets.js` (a `tweet` with `deleted_at`) become deletions.

mod files;
mod json_part;

use std::io::{self, BufReader, Read};
use std::path::Path;

use serde_json::Value;

use super::serde_util::{pointer_join, str_of};
use super::tweet_v1::{id_field, kind_of, tweet_items, user_uri};
use super::{FormatError, ItemSink, Problem, SourceFormat};
use crate::model::Author;
use files::Source;
use json_part::JsonPart;

/// Longest prefix (`window.YTD.<name>.partN = `) accepted before a data file's JSON.
const MAX_PREFIX: usize = 4096;

/// A Twitter account archive's `data/tweets.js` (or a part of it).
pub struct TwitterArchive;

impl SourceFormat for TwitterArchive {
    const NAME: &'static str = "twitter-archive";

    fn sniff(doc: &Value) -> bool {
        doc.as_array()
            .and_then(|items| items.first())
            .and_then(Value::as_object)
            .is_some_and(|first| first.len() == 1 && first.contains_key("tweet"))
    }

    fn parse(doc: &Value, sink: &mut dyn ItemSink) -> Result<(), FormatError> {
        parse_with_author(doc, &unknown_author(), sink)
    }
}

/// The author of an archive whose account is not known.
pub fn unknown_author() -> Author {
    Author {
        uri: user_uri("unknown"),
        handle: "@unknown".to_owned(),
        ..Author::default()
    }
}

/// Pushes the items of one tweets part (the JSON array, prefix already removed), with `author`
/// (the archive's account) as the author of every tweet.
pub fn parse_with_author(
    doc: &Value,
    author: &Author,
    sink: &mut dyn ItemSink,
) -> Result<(), FormatError> {
    let Some(items) = doc.as_array() else {
        return Err(FormatError::new(
            "",
            format!(
                "expected the array of a Twitter archive's `tweets.js` (`[{{\"tweet\": …}}, …]`), \
                 found {}",
                kind_of(doc)
            ),
        ));
    };
    if !items.is_empty() && !items.iter().any(|item| item.get("tweet").is_some()) {
        return Err(FormatError::new(
            "",
            "expected `{\"tweet\": …}` elements, as in a Twitter archive's `tweets.js`; found none",
        ));
    }
    for (i, item) in items.iter().enumerate() {
        if !sink.record(Some(i)) {
            continue;
        }
        let pointer = pointer_join("", i);
        match item.get("tweet") {
            Some(tweet) => tweet_items(tweet, Some(author), &pointer_join(&pointer, "tweet"), sink),
            None => {
                let message = format!("expected a `{{\"tweet\": …}}` element, found {}", {
                    match item {
                        Value::Object(_) => "an object without `tweet`",
                        other => kind_of(other),
                    }
                });
                sink.warning(pointer, Problem::shape(message));
            }
        }
    }
    Ok(())
}

/// The JSON of an archive data file: everything after the first `=` that comes before the
/// first `[` or `{` (`window.YTD.tweets.part0 = `), without the whitespace around it and a
/// trailing `;`.
/// `None` when there is no such prefix.
pub fn strip_js_prefix(bytes: &[u8]) -> Option<&[u8]> {
    let open = bytes.iter().position(|&b| b == b'[' || b == b'{')?;
    let eq = bytes.get(..open)?.iter().position(|&b| b == b'=')?;
    let mut json = bytes.get(eq + 1..)?.trim_ascii_start();
    while let [rest @ .., last] = json {
        if *last == b';' || last.is_ascii_whitespace() {
            json = rest;
        } else {
            break;
        }
    }
    Some(json)
}

/// The account of `data/manifest.js` (`window.__THAR_CONFIG = {"userInfo": {"accountId",
/// "userName", "displayName"}, …}`).
pub fn account_from_manifest(bytes: &[u8]) -> Option<Author> {
    let manifest = js_json(bytes)?;
    let info = manifest.get("userInfo")?;
    account(info, "userName", "displayName")
}

/// The account of `data/account.js` (`[{"account": {"accountId", "username",
/// "accountDisplayName"}}]`).
pub fn account_from_account_js(bytes: &[u8]) -> Option<Author> {
    let doc = js_json(bytes)?;
    let info = doc
        .as_array()?
        .iter()
        .find_map(|item| item.get("account"))?;
    account(info, "username", "accountDisplayName")
}

fn account(info: &Value, name_key: &str, display_key: &str) -> Option<Author> {
    let id = id_field(info, "accountId")?;
    let screen_name = str_of(info.get(name_key))?.trim().trim_start_matches('@');
    Some(Author {
        uri: user_uri(&id),
        handle: format!("@{screen_name}"),
        name: str_of(info.get(display_key)).unwrap_or_default().to_owned(),
        url: Some(format!("https://twitter.com/{screen_name}")),
        avatar: None,
        ..Default::default()
    })
}

/// A data file's JSON, with or without its `window… =` prefix.
fn js_json(bytes: &[u8]) -> Option<Value> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice(strip_js_prefix(bytes).unwrap_or(bytes)).ok()
}

/// The tweets parts listed by a manifest, `None` when it lists none (old archives).
fn parts_from_manifest(bytes: &[u8]) -> Option<Vec<String>> {
    let manifest = js_json(bytes)?;
    let types = manifest.get("dataTypes")?;
    let files = ["tweets", "tweet"]
        .into_iter()
        .find_map(|key| types.get(key)?.get("files")?.as_array())?;
    Some(
        files
            .iter()
            .filter_map(|f| str_of(f.get("fileName")))
            .map(|name| name.trim().trim_start_matches("./").to_owned())
            .collect(),
    )
}

/// What [`for_each_tweets_file`] calls for each part: `(part name, the archive's account, reader)`.
pub type PartVisitor<'f> = dyn FnMut(&str, Option<&Author>, &mut dyn Read) -> io::Result<()> + 'f;

/// Calls `f(part_name, account, reader)` for each tweets part of the archive at `archive` (an unzipped
/// folder, holding `data/`, or the archive's `.zip`), in the manifest's order, and returns the
/// account when the manifest or `data/account.js` names it. `part_name` is the archive-relative
/// path (`data/tweets-part1.js`); `reader` streams the part's JSON, its `window.YTD… =` prefix
/// and trailing `;` already removed (parse it with [`read_part`], then [`parse_with_author`]).
///
/// The parts are those of `data/manifest.js`'s `dataTypes.tweets.files`; without a manifest
/// that lists them, `data/tweets.js`, `data/tweets-partN.js` (by N), `data/tweet.js` and
/// `data/tweet-partN.js`. An archive with no tweets file at all is a `NotFound` error.
pub fn for_each_tweets_file(archive: &Path, f: &mut PartVisitor<'_>) -> io::Result<Option<Author>> {
    let mut source = Source::open(archive)?;
    let manifest = source.read_small("data/manifest.js")?;
    let mut account = manifest.as_deref().and_then(account_from_manifest);
    if account.is_none() {
        account = source
            .read_small("data/account.js")?
            .as_deref()
            .and_then(account_from_account_js);
    }
    let parts = match manifest.as_deref().and_then(parts_from_manifest) {
        Some(parts) => parts,
        None => {
            let parts = fallback_parts(&source.data_files()?);
            if parts.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "{}: no `data/tweets.js` (nor `data/tweet.js`) and no manifest listing \
                         the tweets files: is this a Twitter archive?",
                        archive.display()
                    ),
                ));
            }
            parts
        }
    };
    for part in parts {
        source.with_reader(&part, &mut |reader| {
            let mut json = JsonPart::new(BufReader::new(reader));
            f(&part, account.as_ref(), &mut json)
        })?;
    }
    Ok(account)
}

/// Parses one part as handed out by [`for_each_tweets_file`] (or any reader of a data file).
pub fn read_part(reader: &mut dyn Read) -> io::Result<Value> {
    let json = JsonPart::new(BufReader::new(reader));
    serde_json::from_reader(json).map_err(io::Error::from)
}

/// `data/tweets.js`, then `data/tweets-partN.js` by N, then the old names.
fn fallback_parts(data_files: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for stem in ["tweets", "tweet"] {
        let whole = format!("data/{stem}.js");
        if data_files.contains(&whole) {
            out.push(whole);
        }
        let prefix = format!("data/{stem}-part");
        let mut numbered: Vec<(u64, &String)> = data_files
            .iter()
            .filter_map(|name| {
                let n = name.strip_prefix(&prefix)?.strip_suffix(".js")?;
                Some((n.parse().ok()?, name))
            })
            .collect();
        numbered.sort();
        out.extend(numbered.into_iter().map(|(_, name)| name.clone()));
    }
    out
}

#[cfg(test)]
mod tests;
