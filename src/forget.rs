//! Takedowns that stay down: how a forgotten post or author is recognised again, knowing only
//! hashes, and how their handle, name and posts are scrubbed from other people's posts.
//!
//! `tagstory forget` keeps no readable trace: the `forgotten` table holds SHA-256 hashes of
//! the normalised post URI and permalink, the author's URI and profile URL, handle and display
//! name ([`hash`]). A later collect hashes what it reads and compares:
//! - a post whose URI, permalink, author URI, profile URL or handle is forgotten is not kept;
//! - in any other post, every string of its source JSON, every `@handle` and URL written in its
//!   text, and every run of up to [`NAME_WORDS`] words of its text is hashed, so a forgotten
//!   person mentioned there is recognised and scrubbed ([`Forgotten::recognise`]).
//!
//! Scrubbing ([`Scrubber`]) replaces a handle with `@forgotten`, a display name with
//! `[forgotten]`, a URI or profile URL (and so every post URI or permalink under it) with an
//! opaque `forgotten:<hash prefix>` that is no link, and in source JSON replaces whole objects
//! that stand for a forgotten post or author (a quoted post, a mention, an account) with the
//! string `forgotten`. The same rules run at `forget` time over the archived posts and at
//! collect time over incoming ones, so a post collected again comes out byte for byte as the
//! archive holds it.
//!
//! Not recognised: a display name shorter than [`MIN_NAME_CHARS`] characters (replacing it in
//! other people's text would mangle ordinary words), and a name written with different
//! spacing or punctuation inside it.

use std::collections::HashSet;

use serde_json::Value;

use crate::model::{Author, Post};
use crate::sanitize::escape_html;

/// What replaces a forgotten handle.
pub const HANDLE_PLACEHOLDER: &str = "@forgotten";
/// What replaces a forgotten display name.
pub const NAME_PLACEHOLDER: &str = "[forgotten]";
/// What replaces a whole JSON value (a username, an embedded post or account).
pub const VALUE_PLACEHOLDER: &str = "forgotten";
/// Display names shorter than this are not scrubbed from other people's posts.
pub const MIN_NAME_CHARS: usize = 3;
/// The longest run of words of a post's text compared with forgotten names.
pub const NAME_WORDS: usize = 5;

/// What a tombstone stands for (the `forgotten.kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A post's URI or permalink.
    Post,
    /// An author's URI or profile URL.
    Author,
    /// An author's handle.
    Handle,
    /// An author's display name.
    Name,
}

impl Kind {
    /// The name stored in the archive.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Post => "post",
            Kind::Author => "author",
            Kind::Handle => "handle",
            Kind::Name => "name",
        }
    }

    /// The kind stored as `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        [Kind::Post, Kind::Author, Kind::Handle, Kind::Name]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// The form of `value` that is hashed: URIs trimmed of spaces and a trailing `/`, handles of a
/// leading `@`, names of the punctuation and symbols around them; all lower-cased.
pub fn normalise(kind: Kind, value: &str) -> String {
    let value = value.trim();
    match kind {
        Kind::Post | Kind::Author => value.trim_end_matches('/').to_lowercase(),
        Kind::Handle => value.trim_start_matches('@').to_lowercase(),
        Kind::Name => name_core(value).to_lowercase(),
    }
}

/// A name without the emoji, punctuation and spaces around it, inner spaces collapsed.
fn name_core(name: &str) -> String {
    name.trim_matches(|c: char| !c.is_alphanumeric())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The SHA-256 hex of `value` normalised as `kind`: what the `forgotten` table holds.
pub fn hash(kind: Kind, value: &str) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    Sha256::digest(normalise(kind, value).as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// Everything the archive has forgotten, as hashes.
#[derive(Debug, Clone, Default)]
pub struct Forgotten {
    posts: HashSet<String>,
    authors: HashSet<String>,
    handles: HashSet<String>,
    names: HashSet<String>,
}

impl Forgotten {
    /// Adds a tombstone.
    pub fn insert(&mut self, kind: Kind, hash: String) {
        self.set_mut(kind).insert(hash);
    }

    fn set(&self, kind: Kind) -> &HashSet<String> {
        match kind {
            Kind::Post => &self.posts,
            Kind::Author => &self.authors,
            Kind::Handle => &self.handles,
            Kind::Name => &self.names,
        }
    }

    fn set_mut(&mut self, kind: Kind) -> &mut HashSet<String> {
        match kind {
            Kind::Post => &mut self.posts,
            Kind::Author => &mut self.authors,
            Kind::Handle => &mut self.handles,
            Kind::Name => &mut self.names,
        }
    }

    /// Whether nothing is forgotten (then nothing needs hashing).
    pub fn is_empty(&self) -> bool {
        [Kind::Post, Kind::Author, Kind::Handle, Kind::Name]
            .iter()
            .all(|k| self.set(*k).is_empty())
    }

    /// Whether `value`, read as `kind`, is forgotten.
    pub fn has(&self, kind: Kind, value: &str) -> bool {
        let set = self.set(kind);
        !set.is_empty() && !value.trim().is_empty() && set.contains(&hash(kind, value))
    }

    /// Whether a URI names a forgotten post or author.
    fn has_uri(&self, value: &str) -> bool {
        self.has(Kind::Post, value) || self.has(Kind::Author, value)
    }

    /// Whether `author` is forgotten: by URI, profile URL or handle.
    pub fn forgets_author(&self, author: &Author) -> bool {
        self.has(Kind::Author, &author.uri)
            || author
                .url
                .as_deref()
                .is_some_and(|u| self.has(Kind::Author, u))
            || self.has(Kind::Handle, &author.handle)
    }

    /// Whether `post` is forgotten, itself or with its author.
    pub fn forgets_post(&self, post: &Post) -> bool {
        self.has(Kind::Post, &post.uri)
            || post.url.as_deref().is_some_and(|u| self.has(Kind::Post, u))
            || self.forgets_author(&post.author)
    }

    /// The forgotten people `post` mentions (by handle, profile link, or name), as a
    /// scrubber; empty when it mentions none.
    pub fn recognise(&self, post: &Post) -> Scrubber<'_> {
        let mut scrubber = Scrubber::new(self);
        if self.is_empty() {
            return scrubber;
        }
        let json: Option<Value> = serde_json::from_str(&post.source_json).ok();
        let mut strings: Vec<&str> = vec![&post.content_html, &post.text];
        strings.extend(post.spoiler_text.as_deref());
        strings.extend(post.in_reply_to.as_deref());
        strings.extend(post.quote_of.as_deref());
        if let Some(json) = &json {
            json_strings(json, &mut strings);
        }
        for s in strings {
            self.recognise_in(s, &mut scrubber);
        }
        for text in [Some(post.text.as_str()), post.spoiler_text.as_deref()]
            .into_iter()
            .flatten()
        {
            self.recognise_names(text, &mut scrubber);
        }
        scrubber
    }

    /// A scrubber for a curator's words read with a post (a Storify note, a story's title and
    /// description): `html` and its plain `text`.
    pub fn recognise_words(&self, html: &str, text: &str) -> Scrubber<'_> {
        let mut scrubber = Scrubber::new(self);
        if self.is_empty() {
            return scrubber;
        }
        self.recognise_in(html, &mut scrubber);
        self.recognise_in(text, &mut scrubber);
        self.recognise_names(text, &mut scrubber);
        scrubber
    }

    fn recognise_names(&self, text: &str, scrubber: &mut Scrubber<'_>) {
        for gram in word_runs(text) {
            if self.has(Kind::Name, &gram) {
                scrubber.add_name(&gram);
            }
        }
    }

    fn recognise_in(&self, s: &str, scrubber: &mut Scrubber<'_>) {
        if self.has(Kind::Handle, s) {
            scrubber.add_handle(s.trim());
        }
        if self.has(Kind::Author, s) {
            scrubber.add_url(s.trim());
        }
        if self.has(Kind::Name, s) {
            scrubber.add_name(s);
        }
        if self.has(Kind::Post, s) {
            scrubber.add_post(s.trim());
        }
        for token in handle_tokens(s) {
            if self.has(Kind::Handle, token) {
                scrubber.add_handle(token);
            }
        }
        for url in url_tokens(s) {
            if self.has(Kind::Post, url) {
                scrubber.add_post(url);
            }
            for prefix in url_prefixes(url) {
                if self.has(Kind::Author, prefix) {
                    scrubber.add_url(prefix);
                }
            }
        }
    }
}

/// Every string in a JSON value, depth first.
fn json_strings<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => out.push(s),
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
}

/// Runs of 1 to [`NAME_WORDS`] words of `text`, with the punctuation around them trimmed.
fn word_runs(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    for start in 0..words.len() {
        for len in 1..=NAME_WORDS.min(words.len() - start) {
            let run = name_core(&words[start..start + len].join(" "));
            if run.chars().count() >= MIN_NAME_CHARS {
                out.push(run);
            }
        }
    }
    out
}

fn is_handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '@' | ':')
}

/// Handle-shaped runs of `s` (`@user@host`, `user@host`, `@user`), without trailing dots.
fn handle_tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !is_handle_char(c))
        .map(|t| t.trim_end_matches(['.', ':', '-']))
        .filter(|t| t.contains('@') && t.len() > 1)
}

/// `http(s)://…` runs of `s`, up to a space, quote or angle bracket.
fn url_tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("http") {
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
            .unwrap_or(tail.len());
        let url = &tail[..end];
        if url.starts_with("https://") || url.starts_with("http://") {
            out.push(url.trim_end_matches(['.', ',', ')', ';']));
        }
        rest = &tail[end.max(4)..];
    }
    out
}

/// `url` and each of its shorter forms ending at a `/` of the path: `https://h/a/b` gives
/// `https://h/a/b` and `https://h/a`. A post URI starts with its author's.
fn url_prefixes(url: &str) -> Vec<&str> {
    let mut out = vec![url];
    let Some(scheme_end) = url.find("://") else {
        return out;
    };
    let path_start = url[scheme_end + 3..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + 3 + i);
    let mut end = url.len();
    while let Some(slash) = url[..end].rfind('/') {
        if slash <= path_start {
            break;
        }
        out.push(&url[..slash]);
        end = slash;
    }
    out
}

/// `@user@host` of a profile URL: `https://host/@user`, `https://host/users/user`;
/// `@user` of `https://twitter.com/user`.
fn handle_of_url(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = crate::urls::authority(url)?;
    let segments: Vec<&str> = parsed.path_segments()?.filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [user] if user.starts_with('@') && user.len() > 1 => Some(format!("{user}@{host}")),
        ["users", user] => Some(format!("@{user}@{host}")),
        [user]
            if matches!(
                host.as_str(),
                "twitter.com" | "x.com" | "mobile.twitter.com"
            ) =>
        {
            Some(format!("@{user}"))
        }
        _ => None,
    }
}

/// One string to replace, and what replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Needle {
    text: String,
    replacement: String,
}

/// Replaces the forgotten people and posts it was given, wherever they appear in a post.
#[derive(Debug, Clone)]
pub struct Scrubber<'f> {
    forgotten: &'f Forgotten,
    needles: Vec<Needle>,
    /// Lower-cased JSON string values replaced whole by [`VALUE_PLACEHOLDER`].
    exact: HashSet<String>,
}

impl<'f> Scrubber<'f> {
    /// A scrubber that replaces nothing yet; `forgotten` tells which embedded posts and
    /// accounts of source JSON are forgotten.
    pub fn new(forgotten: &'f Forgotten) -> Self {
        Scrubber {
            forgotten,
            needles: Vec::new(),
            exact: HashSet::new(),
        }
    }

    /// Whether it replaces nothing.
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// The strings it replaces, ASCII lower-cased: a text holding none of them is left as it
    /// is (used to find the archived posts worth scrubbing).
    pub fn needle_texts(&self) -> Vec<String> {
        self.needles
            .iter()
            .map(|n| n.text.to_ascii_lowercase())
            .collect()
    }

    fn needle(&mut self, text: &str, replacement: &str) {
        if text.trim().is_empty() || self.needles.iter().any(|n| n.text == text) {
            return;
        }
        self.needles.push(Needle {
            text: text.to_owned(),
            replacement: replacement.to_owned(),
        });
        // Longer forms first: `@user@host` before `@user`.
        self.needles
            .sort_by(|a, b| b.text.len().cmp(&a.text.len()).then(a.text.cmp(&b.text)));
    }

    fn exact(&mut self, value: &str) {
        if !value.trim().is_empty() {
            self.exact.insert(value.trim().to_lowercase());
        }
    }

    /// A handle (`@user@host`, Twitter's `@user`, Bluesky's `name.bsky.social`) and the forms
    /// it takes in posts: the bare `@user` of a mention, `user@host`, the profile URLs.
    pub fn add_handle(&mut self, handle: &str) {
        let bare = handle.trim().trim_start_matches('@');
        if bare.is_empty() {
            return;
        }
        match bare.split_once('@') {
            Some((user, host)) => {
                self.needle(&format!("@{user}@{host}"), HANDLE_PLACEHOLDER);
                self.needle(&format!("{user}@{host}"), VALUE_PLACEHOLDER);
                self.needle(&format!("@{user}"), HANDLE_PLACEHOLDER);
                self.needle(
                    &format!("@<span>{user}</span>"),
                    &format!("@<span>{VALUE_PLACEHOLDER}</span>"),
                );
                for scheme in ["https", "http"] {
                    for url in [
                        format!("{scheme}://{host}/@{user}"),
                        format!("{scheme}://{host}/users/{user}"),
                    ] {
                        self.needle(&url, &opaque(&url));
                    }
                }
                for form in [bare, user, &format!("@{bare}"), &format!("@{user}")] {
                    self.exact(form);
                }
            }
            None => {
                self.needle(&format!("@{bare}"), HANDLE_PLACEHOLDER);
                if bare.contains('.') {
                    self.needle(bare, VALUE_PLACEHOLDER);
                }
                self.exact(bare);
                self.exact(&format!("@{bare}"));
            }
        }
    }

    /// An author URI or profile URL: replaced, with every URI under it, by an opaque
    /// `forgotten:…` that is no link.
    pub fn add_url(&mut self, url: &str) {
        let url = url.trim().trim_end_matches('/');
        self.needle(url, &opaque(url));
        self.exact(url);
        if let Some(handle) = handle_of_url(url) {
            self.add_handle(&handle);
        }
    }

    /// A post's URI or permalink.
    pub fn add_post(&mut self, uri: &str) {
        let uri = uri.trim().trim_end_matches('/');
        self.needle(uri, &opaque(uri));
        self.exact(uri);
    }

    /// A display name, when it is long enough to be told from ordinary words.
    pub fn add_name(&mut self, name: &str) {
        for form in [name.trim().to_owned(), name_core(name)] {
            if form.chars().count() < MIN_NAME_CHARS {
                continue;
            }
            let escaped = escape_html(&form);
            self.needle(&form, NAME_PLACEHOLDER);
            self.needle(&escaped, NAME_PLACEHOLDER);
            self.exact(&form);
        }
    }

    /// `text` with every forgotten form replaced; `None` when nothing was.
    pub fn scrub_text(&self, text: &str) -> Option<String> {
        let mut out: Option<String> = None;
        for needle in &self.needles {
            let current = out.as_deref().unwrap_or(text);
            if let Some(replaced) = replace_bounded(current, &needle.text, &needle.replacement) {
                out = Some(replaced);
            }
        }
        out
    }

    /// Source JSON with every forgotten post or account object replaced whole, forgotten
    /// values replaced, and forgotten forms replaced inside other strings; `None` when nothing
    /// changed (or it is not JSON, when it is scrubbed as text).
    pub fn scrub_json(&self, json: &str) -> Option<String> {
        let Ok(mut value) = serde_json::from_str::<Value>(json) else {
            return self.scrub_text(json);
        };
        if !self.scrub_value(&mut value) {
            return None;
        }
        serde_json::to_string(&value).ok()
    }

    fn scrub_value(&self, value: &mut Value) -> bool {
        match value {
            Value::String(s) => {
                if self.exact.contains(&s.trim().to_lowercase()) {
                    *s = VALUE_PLACEHOLDER.to_owned();
                    return true;
                }
                match self.scrub_text(s) {
                    Some(scrubbed) => {
                        *s = scrubbed;
                        true
                    }
                    None => false,
                }
            }
            Value::Array(items) => {
                // Every item is scrubbed: no short-circuit.
                let mut changed = false;
                for item in items {
                    changed |= self.scrub_value(item);
                }
                changed
            }
            Value::Object(map) => {
                if self.stands_for_forgotten(map) {
                    *value = Value::String(VALUE_PLACEHOLDER.to_owned());
                    return true;
                }
                let mut changed = false;
                for item in map.values_mut() {
                    changed |= self.scrub_value(item);
                }
                changed
            }
            _ => false,
        }
    }

    /// Whether a JSON object is a forgotten post or account (an embedded quote, a mention, a
    /// boosted post), or was written by one.
    fn stands_for_forgotten(&self, map: &serde_json::Map<String, Value>) -> bool {
        let names_forgotten = |v: &Value| match v {
            Value::String(s) => {
                self.forgotten.has_uri(s)
                    || self.forgotten.has(Kind::Handle, s)
                    || self.exact.contains(&s.trim().to_lowercase())
            }
            _ => false,
        };
        let is_forgotten = |keys: &[&str]| {
            keys.iter().filter_map(|k| map.get(*k)).any(|v| match v {
                Value::Object(inner) => ["uri", "id", "url", "acct", "handle", "did"]
                    .iter()
                    .filter_map(|k| inner.get(*k))
                    .any(names_forgotten),
                other => names_forgotten(other),
            })
        };
        is_forgotten(&["uri", "id", "url", "acct", "did"])
            || is_forgotten(&["account", "author", "user", "attributedTo", "actor"])
    }

    /// Scrubs every field of `post` that can name someone; whether anything changed.
    pub fn scrub_post(&self, post: &mut Post) -> bool {
        if self.is_empty() {
            return false;
        }
        let mut changed = false;
        let mut text = |field: &mut String| {
            if let Some(s) = self.scrub_text(field) {
                *field = s;
                changed = true;
            }
        };
        text(&mut post.content_html);
        text(&mut post.text);
        for field in [
            &mut post.spoiler_text,
            &mut post.in_reply_to,
            &mut post.quote_of,
            &mut post.conversation,
        ]
        .into_iter()
        .flatten()
        {
            text(field);
        }
        if let Some(json) = self.scrub_json(&post.source_json) {
            post.source_json = json;
            // Read again from what is stored.
            post.reply_count = crate::model::ReplyCount::Unread;
            changed = true;
        }
        changed
    }
}

/// `forgotten:` and the first 12 hex digits of the hash of `uri`: stable (replies to one
/// forgotten post still share a parent) and no link.
fn opaque(uri: &str) -> String {
    let h = hash(Kind::Author, uri);
    format!("{VALUE_PLACEHOLDER}:{}", &h[..12])
}

/// `haystack` with each whole occurrence of `needle` (ASCII case ignored) replaced: one not
/// inside a longer word, handle or host (`@ann` is not in `@anna` or `@ann@elsewhere`).
fn replace_bounded(haystack: &str, needle: &str, replacement: &str) -> Option<String> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    let hay = haystack.to_ascii_lowercase();
    let low = needle.to_ascii_lowercase();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let starts_word = needle.chars().next().is_some_and(word);
    let ends_word = needle.chars().last().is_some_and(word);
    let mut out = String::with_capacity(haystack.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(found) = hay[from..].find(&low) {
        let start = from + found;
        let end = start + low.len();
        let before = haystack[..start].chars().next_back();
        let mut after = haystack[end..].chars();
        let next = after.next();
        let joined_after = match next {
            Some(c) if word(c) || c == '@' => true,
            Some('.' | '-') => after.next().is_some_and(word),
            _ => false,
        };
        let bounded = !(starts_word && before.is_some_and(word) || ends_word && joined_after);
        if bounded {
            out.push_str(&haystack[last..start]);
            out.push_str(replacement);
            last = end;
            from = end;
        } else {
            from = start + low.chars().next().map_or(1, char::len_utf8);
        }
    }
    if last == 0 {
        return None;
    }
    out.push_str(&haystack[last..]);
    Some(out)
}

#[cfg(test)]
mod tests;
