//! A Twitter API v1.1 Tweet object, as the REST API, the streaming API, twarc 1 and the account
//! archive deliver it, turned into [`Item`]s. Shared by [`super::twarc`] and
//! [`super::twitter_archive`]; field meanings: `FORMATS.md` §3 and §4.
//!
//! Conventions every Twitter format follows, so that one tweet read from two formats is one
//! row:
//! - a post's `uri` is `https://twitter.com/i/web/status/{id_str}` ([`status_uri`]), which does
//!   not depend on the screen name; `url` is `https://twitter.com/{screen_name}/status/{id_str}`
//!   when the screen name is known;
//! - ids are strings end to end (`id_str`; a JSON-number id is read from its digits, never
//!   through `f64`);
//! - an author is `https://twitter.com/i/user/{id_str}` ([`user_uri`]), `@screen_name`;
//! - the text is HTML-escaped (`&amp;` `&lt;` `&gt;`) and entity `indices` count code points of
//!   that escaped text: entities are cut out by code point first, and each text run is unescaped
//!   once afterwards (old tweets hold a raw `&`, which stays as it is). Indices that are out of
//!   range, reversed, overlapping or that do not point at the entity's own text are not
//!   trusted: a link is then looked up by its `t.co` URL, a mention or hashtag stays plain text;
//! - `display_text_range` hides a reply's leading `@mentions` and trailing media or quote links;
//!   whatever lies outside it is in neither `content_html` nor `text`;
//! - media `t.co` links are removed from the text, because the media are attachments.
//!
//! A retweet (`retweeted_status`) becomes the retweeted post followed by an [`Item::Boost`],
//! never a post of its own. A `quoted_status` becomes a post too, before the quoting one.
//! A protected account's tweet is [`SkipReason::NotPublic`].
//!
//! Archive tweets have no `user` object: the caller passes the archive owner as the author.
//! Their retweets carry no `retweeted_status` either, only a truncated `RT @name: …` text: such a
//! tweet (no `user`, text starting with `RT @`) is a boost of the tweet named by a media
//! entity's `source_status_id_str` when there is one, and otherwise an [`Item::TextBoost`]
//! naming the tweet by its author and the start of its text, which the collector matches
//! against archived posts (now or when a later collection brings the tweet); with too little
//! text to tell, [`SkipReason::Unsupported`]. A tweet with
//! `deleted_at` (the archive's `deleted-tweets.js`) is a deletion.

use serde_json::{Map, Value};

pub use super::serde_util::kind_of;
use super::serde_util::{parse_time, parse_twitter_time, pointer_join, str_of};
use super::{ItemSink, Problem, ProblemKind};
use crate::model::{Author, Boost, Deletion, Item, Media, Post, Skip, SkipReason, TextBoost};
use crate::sanitize::{escape_html, sanitize_html};
use crate::tag::normalize;

/// A JSON object.
type Object = Map<String, Value>;

/// How deep `retweeted_status` / `quoted_status` may nest before a record is refused (the API
/// nests at most a quote inside a retweet).
const MAX_DEPTH: usize = 4;

/// How many entities of each kind are read: a tweet has a few dozen at most, and placing them
/// takes time quadratic in their number.
const MAX_ENTITIES: usize = 1000;

/// The canonical URI of the tweet with this id.
pub fn status_uri(id: &str) -> String {
    format!("https://twitter.com/i/web/status/{id}")
}

/// The canonical URI of the account with this id.
pub fn user_uri(id: &str) -> String {
    format!("https://twitter.com/i/user/{id}")
}

/// An id as a string: `{key}_str` when present, else `key` if it is a string (archives) or an
/// integer JSON number (read from its digits). A float has lost digits and counts as absent.
pub fn id_field(obj: &Value, key: &str) -> Option<String> {
    id_in(obj.as_object()?, key)
}

/// [`id_field`] of an object.
fn id_in(obj: &Object, key: &str) -> Option<String> {
    if let Some(id) = str_of(obj.get(format!("{key}_str").as_str())) {
        return Some(id.trim().to_owned());
    }
    match obj.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

/// The author of a v1.1 `user` object.
pub fn author_of_user(user: &Value) -> Result<Author, Problem> {
    if !user.is_object() {
        return Err(Problem::shape(format!(
            "`user` must be an object, found {}",
            kind_of(user)
        )));
    }
    let id = id_field(user, "id").ok_or_else(|| Problem::missing("`user` has no `id_str`"))?;
    let screen_name = str_of(user.get("screen_name"))
        .ok_or_else(|| Problem::missing(format!("user `{id}` has no `screen_name`")))?
        .trim()
        .trim_start_matches('@');
    Ok(Author {
        uri: user_uri(&id),
        handle: format!("@{screen_name}"),
        name: user
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        url: Some(format!("https://twitter.com/{screen_name}")),
        avatar: str_of(user.get("profile_image_url_https"))
            .or_else(|| str_of(user.get("profile_image_url")))
            .map(str::to_owned),
        consent: super::consent::of_twitter_bio(user.get("description")),
    })
}

/// Pushes the items of one v1.1 tweet: its quoted tweet, then the tweet itself; for a retweet
/// the retweeted tweet (with its quote) and then the boost. `author` stands in for a missing
/// `user` object (archives); a `user` object always wins. Bad records become warnings at
/// `pointer`.
pub fn tweet_items(tweet: &Value, author: Option<&Author>, pointer: &str, sink: &mut dyn ItemSink) {
    Reader { sink }.tweet(tweet, author, pointer, 0);
}

struct Reader<'s> {
    sink: &'s mut dyn ItemSink,
}

impl Reader<'_> {
    fn warn(&mut self, pointer: &str, problem: Problem) {
        self.sink.warning(pointer.to_owned(), problem);
    }

    fn tweet(&mut self, tweet: &Value, author: Option<&Author>, pointer: &str, depth: usize) {
        let Some(obj) = tweet.as_object() else {
            let message = format!("expected a tweet object, found {}", kind_of(tweet));
            return self.warn(pointer, Problem::shape(message));
        };
        if depth > MAX_DEPTH {
            return self.warn(
                pointer,
                Problem::new(ProblemKind::TooDeep, "tweets nested too deeply"),
            );
        }
        let Some(id) = id_field(tweet, "id") else {
            return self.warn(pointer, Problem::missing("tweet has no `id_str`"));
        };
        let uri = status_uri(&id);
        if let Some(deleted) = str_of(obj.get("deleted_at")) {
            return self.sink.item(Item::Delete(Deletion {
                uri,
                deleted_at: time_of(deleted),
            }));
        }
        let user = obj.get("user").filter(|u| !u.is_null());
        let author = match (user, author) {
            (Some(user), _) => match author_of_user(user) {
                Ok(author) => author,
                Err(e) => return self.warn(pointer, e.of(format_args!("tweet `{id}`"))),
            },
            (None, Some(author)) => author.clone(),
            (None, None) => {
                return self.warn(
                    pointer,
                    Problem::missing(format!("tweet `{id}` has no `user`")),
                );
            }
        };
        match obj.get("retweeted_status") {
            None | Some(Value::Null) => {}
            Some(inner @ Value::Object(_)) => {
                let inner_pointer = pointer_join(pointer, "retweeted_status");
                self.tweet(inner, None, &inner_pointer, depth + 1);
                return self.boost(obj, &uri, &author, id_field(inner, "id"), pointer);
            }
            Some(other) => {
                let message = format!(
                    "tweet `{id}`: `retweeted_status` must be a tweet, found {}",
                    kind_of(other)
                );
                return self.warn(pointer, Problem::shape(message));
            }
        }
        if user.is_none() && Body::of(obj).text.starts_with("RT @") {
            return match media_source_status(obj) {
                Some(source) => self.boost(obj, &uri, &author, Some(source), pointer),
                None => match text_boost(obj, &uri, &author) {
                    Some(boost) => self.sink.item(Item::TextBoost(boost)),
                    None => self.sink.item(Item::Skipped(Skip {
                        uri: Some(uri),
                        reason: SkipReason::Unsupported,
                    })),
                },
            };
        }
        if let Some(quoted @ Value::Object(_)) = obj.get("quoted_status") {
            self.tweet(
                quoted,
                None,
                &pointer_join(pointer, "quoted_status"),
                depth + 1,
            );
        }
        if is_protected(obj) {
            return self.sink.item(Item::Skipped(Skip {
                uri: Some(uri),
                reason: SkipReason::NotPublic,
            }));
        }
        match post_of(obj, &id, author) {
            Ok(post) => self.sink.item(Item::Post(Box::new(post))),
            Err(message) => self.warn(pointer, message),
        }
    }

    fn boost(
        &mut self,
        wrapper: &Object,
        uri: &str,
        booster: &Author,
        original: Option<String>,
        pointer: &str,
    ) {
        let Some(original) = original else {
            let message = format!("retweet `{uri}`: the retweeted tweet has no `id_str`");
            return self.warn(pointer, Problem::missing(message));
        };
        if is_protected(wrapper) {
            return self.sink.item(Item::Skipped(Skip {
                uri: Some(uri.to_owned()),
                reason: SkipReason::NotPublic,
            }));
        }
        self.sink.item(Item::Boost(Boost {
            uri: uri.to_owned(),
            post_uri: status_uri(&original),
            booster: booster.uri.clone(),
            created_at: str_of(wrapper.get("created_at")).and_then(time_of),
        }));
    }
}

/// The fewest characters of quoted text that identify a retweeted tweet.
const MIN_TEXT_START: usize = 12;

/// An archive retweet, `RT @name: text…`, as a boost of `@name`'s tweet that begins with that
/// text; the quote stops before the first link and the truncation mark. `None` when too little
/// text is left to tell the tweet.
fn text_boost(tweet: &Object, uri: &str, booster: &Author) -> Option<TextBoost> {
    let text = unescape(Body::of(tweet).text);
    let rest = text.strip_prefix("RT @")?;
    let (name, quoted) = rest.split_once(": ")?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let cut = quoted.find("http").unwrap_or(quoted.len());
    let text_start = quoted[..cut]
        .trim_end()
        .trim_end_matches('…')
        .trim_end()
        .to_owned();
    (text_start.chars().count() >= MIN_TEXT_START).then(|| TextBoost {
        uri: uri.to_owned(),
        booster: booster.uri.clone(),
        created_at: str_of(tweet.get("created_at")).and_then(time_of),
        author_handle: format!("@{name}"),
        text_start,
    })
}

fn is_protected(tweet: &Object) -> bool {
    tweet
        .get("user")
        .and_then(|u| u.get("protected"))
        .is_some_and(|p| flag(Some(p)))
}

/// Twitter's `created_at`, or an ISO 8601 time as a fallback.
fn time_of(raw: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    parse_twitter_time(raw).or_else(|| parse_time(raw))
}

/// A boolean that archives may write as a string.
fn flag(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn post_of(tweet: &Object, id: &str, author: Author) -> Result<Post, Problem> {
    let created_at = match str_of(tweet.get("created_at")) {
        None => {
            return Err(Problem::missing(format!(
                "tweet `{id}` has no `created_at`"
            )));
        }
        Some(raw) => time_of(raw).ok_or_else(|| {
            Problem::unreadable(format!(
                "tweet `{id}` has an unreadable `created_at` `{raw}`"
            ))
        })?,
    };
    let body = Body::of(tweet);
    let rendered = body.render();
    let source_json = serde_json::to_string(tweet).map_err(|e| {
        Problem::unreadable(format!("tweet `{id}` cannot be serialised again: {e}"))
    })?;
    let reply = id_in(tweet, "in_reply_to_status_id");
    Ok(Post {
        uri: status_uri(id),
        url: screen_name_of(&author).map(|name| format!("https://twitter.com/{name}/status/{id}")),
        author,
        created_at,
        edited_at: None,
        content_html: rendered.html,
        text: rendered.text,
        language: str_of(tweet.get("lang"))
            .filter(|lang| *lang != "und")
            .map(str::to_owned),
        in_reply_to: reply.map(|id| status_uri(&id)),
        in_reply_to_local: None,
        local_id: None,
        conversation: None,
        sensitive: flag(tweet.get("possibly_sensitive")),
        spoiler_text: None,
        tags: body.tags(),
        has_structured_tags: true,
        media: body.media(),
        quote_of: quote_of(tweet, &body, id).map(|id| status_uri(&id)),
        poll: None,
        emojis: Vec::new(),
        source_json,
        reply_count: crate::store::reply_count_of(tweet),
    })
}

/// The screen name of an author, known from its profile URL.
fn screen_name_of(author: &Author) -> Option<&str> {
    let url = author.url.as_deref()?;
    let name = url
        .strip_prefix("https://twitter.com/")
        .or_else(|| url.strip_prefix("https://x.com/"))?
        .trim_end_matches('/');
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(name)
}

/// `quoted_status_id_str`, else the embedded `quoted_status`, else (archives, where a quote is
/// only a link) the first `twitter.com/NAME/status/N` link of the entities, unless the tweet
/// says it is no quote.
fn quote_of(tweet: &Object, body: &Body<'_>, own_id: &str) -> Option<String> {
    if let Some(id) = id_in(tweet, "quoted_status_id") {
        return Some(id);
    }
    if let Some(id) = tweet.get("quoted_status").and_then(|q| id_field(q, "id")) {
        return Some(id);
    }
    if tweet.get("is_quote_status").is_some_and(|q| !flag(Some(q))) {
        return None;
    }
    let urls = body.entities.and_then(|e| e.get("urls"))?.as_array()?;
    urls.iter()
        .filter_map(|u| str_of(u.get("expanded_url")))
        .filter_map(status_link_id)
        .find(|id| id != own_id)
}

/// The tweet id of a `https://twitter.com/NAME/status/ID` link (also `x.com`, `mobile.`, `www.`).
pub fn status_link_id(link: &str) -> Option<String> {
    let url = url::Url::parse(link.trim()).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host
        .strip_prefix("www.")
        .or_else(|| host.strip_prefix("mobile."))
        .unwrap_or(&host);
    if !matches!(host, "twitter.com" | "x.com") {
        return None;
    }
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [_, "status" | "statuses", id] if id.bytes().all(|b| b.is_ascii_digit()) => {
            Some((*id).to_owned())
        }
        _ => None,
    }
}

/// The tweet a re-used media entity was first posted with (archive retweets with media).
fn media_source_status(tweet: &Object) -> Option<String> {
    ["extended_entities", "entities"]
        .into_iter()
        .filter_map(|key| tweet.get(key)?.get("media")?.as_array())
        .flatten()
        .find_map(|m| id_field(m, "source_status_id"))
}

mod body;
#[cfg(test)]
mod tests;

pub use body::*;
