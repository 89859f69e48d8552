//! Twitter API v2 JSON as twarc 2 writes it: one response page per JSONL line
//! (`{"data", "includes", "meta", "errors", "__twarc"}`), or one tweet per line with its
//! expansions inlined (`twarc2 flatten`: `author`, `attachments.media`, `attachments.poll`,
//! and each `referenced_tweets[]` entry merged with the tweet it names). The caller splits the
//! lines; each one arrives here as its own document. Field meanings: `FORMATS.md` §5.
//!
//! # Identity
//! Every Twitter format (v1.1, the account archive, v2) names things the same way, so one tweet
//! seen in two formats is one row: a post is `https://twitter.com/i/web/status/{id}`, its
//! permalink `https://twitter.com/{username}/status/{id}` when the author's username is known,
//! an author `https://twitter.com/i/user/{author_id}`. Ids stay strings throughout and must be
//! decimal digits. An author missing from `includes.users` (trimmed, suspended) keeps that URI
//! and uses it as the handle too, since a made-up `@{author_id}` could be a real username.
//!
//! # What becomes what
//! Every tweet of the page becomes a post, including the ones found only in `includes.tweets`
//! (reply parents, quoted tweets, retweeted originals): the collector decides what belongs to a
//! thread. Included tweets come first, then `data` in order; a tweet is emitted once per page
//! (`data` wins over `includes`). A retweet (`referenced_tweets[type=retweeted]`) is only ever a
//! [`Boost`]; its truncated `RT @…` text is dropped. A protected author's tweets are skipped
//! as not public. `errors[]` entries (unresolvable expansions) and unusable `includes` become
//! notes, not skipped records: every tweet of the page is still read.
//!
//! # Text
//! `note_tweet.text` (long posts) with `note_tweet.entities`, else `text` with `entities`.
//! Entity offsets count code points over the text as delivered, still HTML-escaped, so the text
//! is cut at the entities first and each run is unescaped once afterwards (`&amp;lt;` stays
//! `&lt;`). Links to the tweet's own photos and videos are dropped (the media are attachments);
//! other links show their `display_url` and point to (and, in `text`, read as) `expanded_url`.
//! Entities with offsets outside the text are reported and left as plain text; overlapping ones
//! (Twitter repeats a photo link once per photo) are read once.
//!
//! # Edits
//! An edit is a new tweet with a new id; `edit_history_tweet_ids` lists every version, oldest
//! first. Each version present is its own post, as Twitter itself addresses them, and a reply
//! or quote links to exactly the version it names. Merging versions is left to a later change.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::serde_util::{bool_of, kind_of, parse_time, pointer_join, str_of};
use super::tweet_v1::{status_uri, unescape, user_uri};
use super::{FormatError, ItemSink, Problem, ProblemKind, SourceFormat};
use crate::model::{Author, Boost, Item, Media, Poll, PollOption, Post, Skip, SkipReason};
use crate::sanitize::{LINK_REL, escape_html, sanitize_html_owned};
use crate::tag::normalize;

/// A JSON object: tweets, users, media and polls all are.
type Object = Map<String, Value>;

/// Profiles, permalinks and hashtag pages live under this.
const SITE: &str = "https://twitter.com/";
/// How deep the flattened form's inlined referenced tweets are followed (a reply whose parent
/// quotes another tweet is 2).
const MAX_INLINE_DEPTH: usize = 4;

/// twarc 2 output: Twitter API v2 response pages, or flattened tweets.
pub struct Twarc2;

impl SourceFormat for Twarc2 {
    const NAME: &'static str = "twarc2";

    fn sniff(doc: &Value) -> bool {
        let Some(obj) = doc.as_object() else {
            return false;
        };
        if obj.contains_key("id_str") && obj.contains_key("user") {
            return false; // a v1.1 tweet
        }
        match obj.get("data") {
            Some(Value::Object(tweet)) => is_tweet(tweet),
            Some(Value::Array(items)) => match items.first() {
                Some(first) => first.as_object().is_some_and(is_tweet),
                None => ["includes", "meta", "__twarc"]
                    .iter()
                    .any(|key| obj.contains_key(*key)),
            },
            Some(_) => false,
            None => {
                is_flat_tweet(obj)
                    || (obj.contains_key("__twarc")
                        && obj.get("errors").is_some_and(Value::is_array))
            }
        }
    }

    fn parse(doc: &Value, sink: &mut dyn ItemSink) -> Result<(), FormatError> {
        let Some(obj) = doc.as_object() else {
            return Err(FormatError::new(
                "",
                format!(
                    "expected a twarc2 response page or a flattened tweet (a JSON object), found {}",
                    kind_of(doc)
                ),
            ));
        };
        let mut reader = Reader {
            lookup: Lookup::default(),
            sink,
            seen: HashSet::new(),
        };
        if obj.contains_key("data") || (obj.contains_key("errors") && !obj.contains_key("id")) {
            reader.page(obj)
        } else if obj.contains_key("id") {
            reader.inline("", obj, 0);
            Ok(())
        } else {
            Err(FormatError::new(
                "",
                "expected a twarc2 response page (with `data`) or a flattened tweet (with `id`)",
            ))
        }
    }
}

fn is_tweet(tweet: &Object) -> bool {
    tweet.contains_key("id")
        && (tweet.contains_key("text") || tweet.contains_key("edit_history_tweet_ids"))
}

fn is_flat_tweet(obj: &Object) -> bool {
    ["id", "text", "author_id"]
        .iter()
        .all(|key| obj.contains_key(*key))
        && (obj.contains_key("author") || obj.contains_key("__twarc"))
}

/// A page's `includes`, by id (users, polls) or `media_key` (media).
#[derive(Default)]
struct Lookup<'a> {
    users: HashMap<&'a str, &'a Object>,
    media: HashMap<&'a str, &'a Object>,
    polls: HashMap<&'a str, &'a Object>,
}

/// Turns one document's tweets into items.
struct Reader<'a, 's> {
    lookup: Lookup<'a>,
    sink: &'s mut dyn ItemSink,
    /// Ids already emitted from this document.
    seen: HashSet<String>,
}

impl<'a> Reader<'a, '_> {
    fn warn(&mut self, pointer: &str, problem: Problem) {
        self.sink.warning(pointer.to_owned(), problem);
    }

    /// A problem with what the page includes for its tweets (a user, a medium, a poll): no
    /// tweet is skipped for it, the ones referring to it are read without it.
    fn note(&mut self, pointer: &str, kind: ProblemKind, message: impl Into<String>) {
        self.sink
            .note(pointer.to_owned(), Problem::new(kind, message));
    }

    /// A response page: includes, then `errors` as notes, then included tweets, then `data`.
    fn page(&mut self, page: &'a Object) -> Result<(), FormatError> {
        let data: Vec<(String, &Value)> = match page.get("data") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (pointer_join("/data", i), item))
                .collect(),
            Some(tweet @ Value::Object(_)) => vec![("/data".to_owned(), tweet)],
            Some(other) => {
                return Err(FormatError::new(
                    "/data",
                    format!(
                        "`data` must be a tweet or an array of tweets, found {}",
                        kind_of(other)
                    ),
                ));
            }
        };
        let included = self.includes(page.get("includes"));
        self.errors(page.get("errors"));
        let ids = |tweets: &[(String, &Value)]| -> Vec<Option<String>> {
            tweets.iter().map(|(_, t)| id_of(t.get("id"))).collect()
        };
        let read = included_read(&ids(&included), &ids(&data));
        let included: Vec<_> = included
            .into_iter()
            .zip(read)
            .filter_map(|(tweet, read)| read.then_some(tweet))
            .collect();
        // Each tweet of a page of several is a record of its own, numbered in the order read.
        let parts = included.len() + data.len() > 1;
        for (index, (pointer, tweet)) in included.into_iter().chain(data).enumerate() {
            if !parts || self.sink.record(Some(index)) {
                self.value(&pointer, tweet);
            }
        }
        if parts {
            self.sink.record(None);
        }
        Ok(())
    }

    /// Indexes `includes.users`, `media` and `polls`; returns `includes.tweets` with pointers.
    fn includes(&mut self, includes: Option<&'a Value>) -> Vec<(String, &'a Value)> {
        let includes = match includes {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Object(includes)) => includes,
            Some(other) => {
                let message = format!(
                    "`includes` must be an object, found {}; the page's tweets are read without \
                     their users, media and polls",
                    kind_of(other)
                );
                self.note("/includes", ProblemKind::Shape, message);
                return Vec::new();
            }
        };
        let mut tweets = Vec::new();
        for (key, id_key) in [
            ("users", "id"),
            ("media", "media_key"),
            ("polls", "id"),
            ("tweets", "id"),
        ] {
            let base = pointer_join("/includes", key);
            let items = match includes.get(key) {
                None | Some(Value::Null) => continue,
                Some(Value::Array(items)) => items,
                Some(other) => {
                    let message = format!(
                        "`{key}` must be an array, found {}; the tweets referring to them are \
                         read without them",
                        kind_of(other)
                    );
                    self.note(&base, ProblemKind::Shape, message);
                    continue;
                }
            };
            for (i, item) in items.iter().enumerate() {
                let pointer = pointer_join(&base, i);
                if key == "tweets" {
                    tweets.push((pointer, item));
                    continue;
                }
                let keyed = item
                    .as_object()
                    .and_then(|obj| Some((str_of(obj.get(id_key))?, obj)));
                let Some((id, obj)) = keyed else {
                    let message = format!(
                        "included {key} entry has no `{id_key}`; not used (the tweets referring \
                         to it are read without it)"
                    );
                    self.note(&pointer, ProblemKind::Missing, message);
                    continue;
                };
                let map = match key {
                    "users" => &mut self.lookup.users,
                    "media" => &mut self.lookup.media,
                    _ => &mut self.lookup.polls,
                };
                map.entry(id).or_insert(obj);
            }
        }
        tweets
    }

    /// `errors[]`: expansions the API could not resolve (deleted tweets, suspended users).
    fn errors(&mut self, errors: Option<&Value>) {
        let errors = match errors {
            None | Some(Value::Null) => return,
            Some(Value::Array(errors)) => errors,
            Some(other) => {
                let message = format!("`errors` must be an array, found {}", kind_of(other));
                return self.note("/errors", ProblemKind::Shape, message);
            }
        };
        for (i, error) in errors.iter().enumerate() {
            let text = |key| str_of(error.get(key));
            let said = match (text("title"), text("detail").or_else(|| text("message"))) {
                (Some(title), Some(detail)) => format!("{title}: {detail}"),
                (Some(one), None) | (None, Some(one)) => one.to_owned(),
                (None, None) => "an error without a title or detail".to_owned(),
            };
            self.note(
                &pointer_join("/errors", i),
                ProblemKind::Reported,
                format!(
                    "the API could not include an item ({said}); the tweets referring to it are \
                     read without it"
                ),
            );
        }
    }

    fn value(&mut self, pointer: &str, tweet: &Value) {
        match tweet.as_object() {
            Some(tweet) => self.tweet(pointer, tweet),
            None => {
                let message = format!("expected a tweet object, found {}", kind_of(tweet));
                self.warn(pointer, Problem::shape(message));
            }
        }
    }

    /// A flattened tweet: the tweets it references inline first, then itself.
    fn inline(&mut self, pointer: &str, tweet: &Object, depth: usize) {
        let refs = tweet.get("referenced_tweets").and_then(Value::as_array);
        for (i, reference) in refs.into_iter().flatten().enumerate() {
            let pointer = pointer_join(&pointer_join(pointer, "referenced_tweets"), i);
            let Some(reference) = reference.as_object() else {
                continue;
            };
            // twarc merges the tweet into the reference; accept a nested `tweet` too.
            let (pointer, inner) = match reference.get("tweet").and_then(Value::as_object) {
                Some(inner) => (pointer_join(&pointer, "tweet"), inner),
                None => (pointer, reference),
            };
            let has_content = ["text", "author_id", "created_at"]
                .iter()
                .any(|key| inner.contains_key(*key));
            if !has_content {
                continue; // only `{type, id}`: the tweet was not available
            }
            if depth + 1 < MAX_INLINE_DEPTH {
                self.inline(&pointer, inner, depth + 1);
            } else {
                let problem = Problem::new(
                    ProblemKind::TooDeep,
                    "referenced tweets nested too deeply; not read",
                );
                self.warn(&pointer, problem);
            }
        }
        self.tweet(pointer, tweet);
    }

    /// One tweet: a post, a boost (a retweet), or a skip (a protected author).
    fn tweet(&mut self, pointer: &str, tweet: &Object) {
        let Some(id) = id_of(tweet.get("id")) else {
            return self.warn(
                pointer,
                Problem::unreadable("tweet has no `id` made of digits"),
            );
        };
        if !self.seen.insert(id.clone()) {
            return;
        }
        let uri = status_uri(&id);
        let user = tweet
            .get("author")
            .and_then(Value::as_object)
            .filter(|user| !user.is_empty());
        let author_id =
            id_of(tweet.get("author_id")).or_else(|| user.and_then(|u| id_of(u.get("id"))));
        let Some(author_id) = author_id else {
            return self.warn(
                pointer,
                Problem::unreadable(format!("tweet `{id}` has no `author_id` made of digits")),
            );
        };
        let user = user.or_else(|| self.lookup.users.get(author_id.as_str()).copied());
        if user.is_some_and(|u| bool_of(u.get("protected"))) {
            return self.sink.item(Item::Skipped(Skip {
                uri: Some(uri),
                reason: SkipReason::NotPublic,
            }));
        }
        let author = author_of(&author_id, user);
        let username = user.and_then(username_of).map(str::to_owned);
        if let Some(original) = referenced(tweet, "retweeted") {
            return self.sink.item(Item::Boost(Boost {
                uri,
                post_uri: status_uri(&original),
                booster: author.uri,
                created_at: str_of(tweet.get("created_at")).and_then(parse_time),
            }));
        }
        match self.post(pointer, &id, tweet, author, username.as_deref()) {
            Ok(post) => self.sink.item(Item::Post(Box::new(post))),
            Err(message) => self.warn(pointer, message),
        }
    }

    fn post(
        &mut self,
        pointer: &str,
        id: &str,
        t: &Object,
        author: Author,
        username: Option<&str>,
    ) -> Result<Post, Problem> {
        let created_at = match str_of(t.get("created_at")) {
            None => {
                return Err(Problem::missing(format!(
                    "tweet `{id}` has no `created_at`"
                )));
            }
            Some(raw) => parse_time(raw).ok_or_else(|| {
                Problem::unreadable(format!(
                    "tweet `{id}` has an unreadable `created_at` `{raw}`"
                ))
            })?,
        };
        let note = t
            .get("note_tweet")
            .and_then(Value::as_object)
            .filter(|note| str_of(note.get("text")).is_some());
        let (raw, entities, entities_pointer) = match note {
            Some(note) => (
                note.get("text"),
                note.get("entities"),
                pointer_join(&pointer_join(pointer, "note_tweet"), "entities"),
            ),
            None => (
                t.get("text"),
                t.get("entities"),
                pointer_join(pointer, "entities"),
            ),
        };
        let raw = raw.and_then(Value::as_str).unwrap_or_default();
        let entities = entities.and_then(Value::as_object);
        let chars: Vec<char> = raw.chars().collect();
        let (spans, problems) = spans(&chars, entities, id);
        // The post is read all the same, with the entity's text as written: not a skipped record.
        for (at, message) in problems {
            let problem = Problem::new(ProblemKind::LeftOut, message);
            self.sink.note(format!("{entities_pointer}{at}"), problem);
        }
        let pieces = pieces(&chars, spans);
        let source_json = serde_json::to_string(t).map_err(|e| {
            Problem::unreadable(format!("tweet `{id}` cannot be serialised again: {e}"))
        })?;
        let language = str_of(t.get("lang"))
            .filter(|lang| !matches!(*lang, "und" | "zxx"))
            .map(str::to_owned);
        Ok(Post {
            uri: status_uri(id),
            url: username.map(|name| format!("{SITE}{name}/status/{id}")),
            author,
            created_at,
            edited_at: None,
            content_html: html_of(&pieces),
            text: text_of(&pieces),
            language,
            in_reply_to: referenced(t, "replied_to").map(|id| status_uri(&id)),
            in_reply_to_local: None,
            local_id: None,
            conversation: str_of(t.get("conversation_id")).map(str::to_owned),
            sensitive: bool_of(t.get("possibly_sensitive")),
            spoiler_text: None,
            tags: tags_of(entities),
            has_structured_tags: entities.is_some(),
            media: self.media_of(t),
            quote_of: referenced(t, "quoted").map(|id| status_uri(&id)),
            poll: self.poll_of(t),
            emojis: Vec::new(),
            source_json,
            reply_count: crate::store::reply_count_of(t),
        })
    }

    /// Attachments: inline `attachments.media` (flattened), else `media_keys` looked up in
    /// `includes.media`. Keys missing from the includes are left out.
    fn media_of(&self, tweet: &Object) -> Vec<Media> {
        let attachments = tweet.get("attachments");
        let objects: Vec<&Object> = match attachments.and_then(|a| a.get("media")) {
            Some(Value::Array(inline)) => inline.iter().filter_map(Value::as_object).collect(),
            _ => attachments
                .and_then(|a| a.get("media_keys"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|key| self.lookup.media.get(key.as_str()?).copied())
                .collect(),
        };
        objects.into_iter().filter_map(media_item).collect()
    }

    /// The poll: inline `attachments.poll` (flattened), else the first of `poll_ids` found in
    /// `includes.polls`.
    fn poll_of(&self, tweet: &Object) -> Option<Poll> {
        let attachments = tweet.get("attachments")?;
        let poll = match attachments.get("poll").and_then(Value::as_object) {
            Some(inline) => inline,
            None => attachments
                .get("poll_ids")?
                .as_array()?
                .iter()
                .find_map(|id| self.lookup.polls.get(id.as_str()?).copied())?,
        };
        poll_item(poll)
    }
}

/// A decimal id: a string of digits, or a JSON integer (never a float, which lost digits).
fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.to_owned())
        }
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

/// Which of a page's included tweets (by id) are read: those not also in `data`, where the
/// page's own copy wins. The page's records are these, then `data`, numbered in that order.
fn included_read(included: &[Option<String>], data: &[Option<String>]) -> Vec<bool> {
    let data: HashSet<&str> = data.iter().flatten().map(String::as_str).collect();
    included
        .iter()
        .map(|id| !id.as_deref().is_some_and(|id| data.contains(id)))
        .collect()
}

/// The id of the first `referenced_tweets` entry of type `kind`.
fn referenced(tweet: &Object, kind: &str) -> Option<String> {
    tweet
        .get("referenced_tweets")?
        .as_array()?
        .iter()
        .filter(|r| r.get("type").and_then(Value::as_str) == Some(kind))
        .find_map(|r| id_of(r.get("id")))
}

/// A Twitter username: ASCII letters, digits and `_`. Anything else is not put in a URL.
fn username_of(user: &Object) -> Option<&str> {
    str_of(user.get("username")).filter(|name| {
        name.len() <= 50 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

fn author_of(author_id: &str, user: Option<&Object>) -> Author {
    let uri = user_uri(author_id);
    let Some(user) = user else {
        return Author {
            handle: uri.clone(),
            uri,
            ..Author::default()
        };
    };
    let username = username_of(user);
    Author {
        handle: username.map_or_else(|| uri.clone(), |name| format!("@{name}")),
        uri,
        name: str_of(user.get("name")).unwrap_or_default().to_owned(),
        url: username.map(|name| format!("{SITE}{name}")),
        avatar: str_of(user.get("profile_image_url")).map(str::to_owned),
        consent: super::consent::of_twitter_bio(user.get("description")),
    }
}

/// One media object. Photos: `url`. Videos and GIFs: the highest-bit-rate MP4 of `variants`,
/// else any variant, else `preview_image_url`, which is otherwise kept as the poster.
fn media_item(m: &Object) -> Option<Media> {
    let kind = match m.get("type").and_then(Value::as_str) {
        Some("photo") => "image",
        Some("video") => "video",
        Some("animated_gif") => "gifv",
        _ => "unknown",
    };
    let variants: Vec<&Object> = m
        .get("variants")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .filter(|v| str_of(v.get("url")).is_some())
        .collect();
    let best_mp4 = variants
        .iter()
        .filter(|v| v.get("content_type").and_then(Value::as_str) == Some("video/mp4"))
        .max_by_key(|v| v.get("bit_rate").and_then(Value::as_u64).unwrap_or(0))
        .or_else(|| variants.first())
        .and_then(|v| str_of(v.get("url")));
    let url = if kind == "image" {
        str_of(m.get("url")).or_else(|| str_of(m.get("preview_image_url")))
    } else {
        best_mp4
            .or_else(|| str_of(m.get("preview_image_url")))
            .or_else(|| str_of(m.get("url")))
    }?;
    let pixels = |key| u32::try_from(m.get(key)?.as_u64()?).ok();
    let preview = str_of(m.get("preview_image_url")).filter(|p| kind != "image" && *p != url);
    Some(Media {
        url: url.to_owned(),
        kind: kind.to_owned(),
        alt: str_of(m.get("alt_text")).map(str::to_owned),
        width: pixels("width"),
        height: pixels("height"),
        preview: preview.map(str::to_owned),
    })
}

/// A poll: options in `position` order. Twitter polls take one choice each, so the votes add
/// up to the number of voters when every option has a count.
fn poll_item(poll: &Object) -> Option<Poll> {
    let mut options: Vec<(u64, PollOption)> = poll
        .get("options")?
        .as_array()?
        .iter()
        .enumerate()
        .map(|(i, option)| {
            let position = option.get("position").and_then(Value::as_u64);
            let title = option
                .get("label")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let option = PollOption {
                title: title.to_owned(),
                votes: option.get("votes").and_then(Value::as_u64),
            };
            (position.unwrap_or(i as u64), option)
        })
        .collect();
    options.sort_by_key(|(position, _)| *position);
    let options: Vec<PollOption> = options.into_iter().map(|(_, option)| option).collect();
    let voters = options
        .iter()
        .map(|option| option.votes)
        .try_fold(0u64, |sum, votes| sum.checked_add(votes?));
    Some(Poll {
        voters: voters.filter(|_| !options.is_empty()),
        options,
        multiple: false,
        closes_at: str_of(poll.get("end_datetime")).and_then(parse_time),
    })
}

/// `entities.hashtags[].tag`, normalised, without duplicates, in source order.
fn tags_of(entities: Option<&Object>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let tags = entities
        .and_then(|e| e.get("hashtags"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tag| str_of(tag.get("tag")));
    for tag in tags {
        let tag = normalize(tag);
        if !tag.is_empty() && !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

mod sparse;
#[cfg(test)]
mod tests;
mod text;

pub(crate) use sparse::sparse_page;

use text::*;
