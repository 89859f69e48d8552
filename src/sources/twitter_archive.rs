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

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::serde_util::{pointer_join, str_of};
use super::tweet_v1::{id_field, kind_of, tweet_items, user_uri};
use super::{FormatError, ItemSink, SourceFormat};
use crate::model::Author;

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
                sink.warning(pointer, message);
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

/// An unzipped archive folder or an archive zip.
enum Source {
    Dir(PathBuf),
    Zip {
        zip: Box<zip::ZipArchive<File>>,
        /// Path of the folder holding `data/` inside the zip (`""` or `name/`).
        root: String,
    },
}

impl Source {
    fn open(archive: &Path) -> io::Result<Self> {
        if archive.is_dir() {
            return Ok(Source::Dir(archive.to_owned()));
        }
        let zip = zip::ZipArchive::new(File::open(archive)?).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: neither a folder nor a readable zip: {e}",
                    archive.display()
                ),
            )
        })?;
        let root = zip
            .file_names()
            .filter_map(Result::ok)
            .filter_map(|name| {
                let start = name.find("data/")?;
                (start == 0 || name[..start].ends_with('/')).then(|| name[..start].to_owned())
            })
            .min_by_key(String::len)
            .unwrap_or_default();
        Ok(Source::Zip {
            zip: Box::new(zip),
            root,
        })
    }

    /// The archive-relative names of the files directly in `data/`.
    fn data_files(&self) -> io::Result<Vec<String>> {
        match self {
            Source::Dir(dir) => {
                let data = dir.join("data");
                if !data.is_dir() {
                    return Ok(Vec::new());
                }
                let mut out = Vec::new();
                for entry in std::fs::read_dir(data)? {
                    let entry = entry?;
                    if let Some(name) = entry.file_name().to_str() {
                        out.push(format!("data/{name}"));
                    }
                }
                Ok(out)
            }
            Source::Zip { zip, root } => Ok(zip
                .file_names()
                .filter_map(Result::ok)
                .filter_map(|name| {
                    let rel = name.strip_prefix(root.as_str())?;
                    let file = rel.strip_prefix("data/")?;
                    (!file.is_empty() && !file.contains('/')).then(|| rel.to_owned())
                })
                .collect()),
        }
    }

    /// A small file (manifest, account) read whole; `None` when absent.
    fn read_small(&mut self, name: &str) -> io::Result<Option<Vec<u8>>> {
        let mut out = None;
        let found = self.with_reader_opt(name, &mut |reader| {
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes)?;
            out = Some(bytes);
            Ok(())
        })?;
        Ok(if found { out } else { None })
    }

    fn with_reader(
        &mut self,
        name: &str,
        f: &mut dyn FnMut(&mut dyn Read) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.with_reader_opt(name, f)? {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("the archive's manifest lists `{name}`, which is not in the archive"),
            ))
        }
    }

    /// Calls `f` with a reader of `name`; false when there is no such file.
    fn with_reader_opt(
        &mut self,
        name: &str,
        f: &mut dyn FnMut(&mut dyn Read) -> io::Result<()>,
    ) -> io::Result<bool> {
        if !is_safe_relative(name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("refusing the archive path `{name}`: not a plain path inside the archive"),
            ));
        }
        match self {
            Source::Dir(dir) => {
                let path = dir.join(name);
                let mut file = match File::open(&path) {
                    Ok(file) => file,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
                    Err(e) => return Err(e),
                };
                f(&mut file)?;
            }
            Source::Zip { zip, root } => {
                let mut file = match zip.by_name(&format!("{root}{name}")) {
                    Ok(file) => file,
                    Err(zip::result::ZipError::FileNotFound) => return Ok(false),
                    Err(e) => return Err(e.into()),
                };
                f(&mut file)?;
            }
        }
        Ok(true)
    }
}

/// A relative path of plain names only: no `..`, no root, no drive.
fn is_safe_relative(name: &str) -> bool {
    !name.is_empty()
        && Path::new(name)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// Streams a data file's JSON: drops the `window.YTD.<name>.partN =` prefix (everything up to
/// and including the first `=` before the first `[` or `{`; a file without one passes as it is)
/// and the `;` and whitespace that end the file.
struct JsonPart<R> {
    inner: R,
    started: bool,
    done: bool,
    /// Bytes ready to hand out, from `pos` on.
    ready: Vec<u8>,
    pos: usize,
    /// Trailing `;` and whitespace read so far, handed out only if more JSON follows.
    held: Vec<u8>,
}

impl<R: BufRead> JsonPart<R> {
    fn new(inner: R) -> Self {
        JsonPart {
            inner,
            started: false,
            done: false,
            ready: Vec::new(),
            pos: 0,
            held: Vec::new(),
        }
    }

    /// Reads up to the first `[` or `{` and keeps what follows the prefix.
    fn start(&mut self) -> io::Result<()> {
        self.started = true;
        let mut head = Vec::new();
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            match buf.iter().position(|&b| b == b'[' || b == b'{') {
                Some(open) => {
                    head.extend_from_slice(buf.get(..open).unwrap_or_default());
                    self.inner.consume(open);
                    break;
                }
                None => {
                    let n = buf.len();
                    head.extend_from_slice(buf);
                    self.inner.consume(n);
                }
            }
            if head.len() > MAX_PREFIX {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "no JSON array or object near the start of the data file",
                ));
            }
        }
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        let kept = match head.iter().position(|&b| b == b'=') {
            Some(eq) => head.get(eq + 1..).unwrap_or_default().trim_ascii_start(),
            None => head,
        };
        self.hold(kept.to_vec());
        Ok(())
    }

    /// Adds freshly read bytes: all but the trailing `;`/whitespace become ready.
    fn hold(&mut self, bytes: Vec<u8>) {
        let mut data = std::mem::take(&mut self.held);
        data.extend(bytes);
        let keep = data
            .iter()
            .rposition(|&b| b != b';' && !b.is_ascii_whitespace())
            .map_or(0, |last| last + 1);
        self.held = data.split_off(keep);
        self.ready = data;
        self.pos = 0;
    }
}

impl<R: BufRead> Read for JsonPart<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if !self.started {
            self.start()?;
        }
        while self.pos >= self.ready.len() && !self.done {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                self.done = true;
                self.held.clear();
                break;
            }
            let chunk = buf.to_vec();
            self.inner.consume(chunk.len());
            self.hold(chunk);
        }
        let available = self.ready.get(self.pos..).unwrap_or_default();
        let n = available.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), available.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
