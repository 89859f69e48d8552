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

use super::ItemSink;
pub use super::serde_util::kind_of;
use super::serde_util::{parse_time, parse_twitter_time, pointer_join, str_of};
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
pub fn author_of_user(user: &Value) -> Result<Author, String> {
    if !user.is_object() {
        return Err(format!("`user` must be an object, found {}", kind_of(user)));
    }
    let id = id_field(user, "id").ok_or("`user` has no `id_str`")?;
    let screen_name = str_of(user.get("screen_name"))
        .ok_or_else(|| format!("user `{id}` has no `screen_name`"))?
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
    fn warn(&mut self, pointer: &str, message: String) {
        self.sink.warning(pointer.to_owned(), message);
    }

    fn tweet(&mut self, tweet: &Value, author: Option<&Author>, pointer: &str, depth: usize) {
        let Some(obj) = tweet.as_object() else {
            let message = format!("expected a tweet object, found {}", kind_of(tweet));
            return self.warn(pointer, message);
        };
        if depth > MAX_DEPTH {
            return self.warn(pointer, "tweets nested too deeply".to_owned());
        }
        let Some(id) = id_field(tweet, "id") else {
            return self.warn(pointer, "tweet has no `id_str`".to_owned());
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
                Err(e) => return self.warn(pointer, format!("tweet `{id}`: {e}")),
            },
            (None, Some(author)) => author.clone(),
            (None, None) => return self.warn(pointer, format!("tweet `{id}` has no `user`")),
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
                return self.warn(pointer, message);
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
            return self.warn(pointer, message);
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

fn post_of(tweet: &Object, id: &str, author: Author) -> Result<Post, String> {
    let created_at = match str_of(tweet.get("created_at")) {
        None => return Err(format!("tweet `{id}` has no `created_at`")),
        Some(raw) => time_of(raw)
            .ok_or_else(|| format!("tweet `{id}` has an unreadable `created_at` `{raw}`"))?,
    };
    let body = Body::of(tweet);
    let rendered = body.render();
    let source_json = serde_json::to_string(tweet)
        .map_err(|e| format!("tweet `{id}` cannot be serialised again: {e}"))?;
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

/// The parts of a tweet its text is made from: `full_text`, else `extended_tweet.full_text`
/// (streaming "compatibility plus", with that object's own entities and range), else `text`.
#[derive(Debug, Clone, Copy)]
pub struct Body<'a> {
    /// The text, still HTML-escaped.
    pub text: &'a str,
    /// `entities`.
    pub entities: Option<&'a Value>,
    /// `extended_entities`.
    pub extended_entities: Option<&'a Value>,
    /// `display_text_range`.
    pub display_text_range: Option<&'a Value>,
}

/// HTML and plain text made from a tweet's text and entities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Sanitised content HTML (`""` when nothing is left, as for a media-only tweet).
    pub html: String,
    /// Plain text: unescaped, `t.co` links replaced by their target, media links removed.
    pub text: String,
}

impl<'a> Body<'a> {
    /// Picks the text, entities and display range of `tweet`.
    pub fn of(tweet: &'a Object) -> Self {
        let from = |obj: &'a Object, text: &'a str| Body {
            text,
            entities: obj.get("entities"),
            extended_entities: obj.get("extended_entities"),
            display_text_range: obj.get("display_text_range"),
        };
        if let Some(text) = tweet.get("full_text").and_then(Value::as_str) {
            return from(tweet, text);
        }
        let extended = tweet.get("extended_tweet").and_then(Value::as_object);
        if let Some(ext) = extended
            && let Some(text) = ext.get("full_text").and_then(Value::as_str)
        {
            return from(ext, text);
        }
        from(
            tweet,
            tweet.get("text").and_then(Value::as_str).unwrap_or(""),
        )
    }

    /// `hashtags[].text`, normalised, without duplicates, in source order.
    pub fn tags(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let names = self
            .entities
            .and_then(|e| e.get("hashtags"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .take(MAX_ENTITIES)
            .filter_map(|h| str_of(h.get("text")));
        for name in names {
            let tag = normalize(name);
            if !tag.is_empty() && !out.contains(&tag) {
                out.push(tag);
            }
        }
        out
    }

    /// Attachments from `extended_entities.media`, else `entities.media`.
    pub fn media(&self) -> Vec<Media> {
        let list = |v: Option<&'a Value>| v.and_then(|e| e.get("media")).and_then(Value::as_array);
        list(self.extended_entities)
            .or_else(|| list(self.entities))
            .into_iter()
            .flatten()
            .filter_map(media_of)
            .collect()
    }

    /// The displayed text as HTML and as plain text.
    pub fn render(&self) -> Rendered {
        let chars: Vec<char> = self.text.chars().collect();
        let (from, to) = self.display_range(chars.len());
        let spans = spans_of(self.text, &chars, self.entities, self.extended_entities);
        let mut segments = Vec::new();
        let mut pos = from;
        for span in spans.into_iter().filter(|s| s.start >= from && s.end <= to) {
            segments.push(Segment::Text(unescape(&collect(&chars, pos, span.start))));
            segments.push(span.kind);
            pos = span.end;
        }
        segments.push(Segment::Text(unescape(&collect(&chars, pos, to))));
        trim_segments(&mut segments);
        render_segments(&segments)
    }

    /// `display_text_range` as code-point offsets, or the whole text when it is absent or
    /// makes no sense.
    fn display_range(&self, len: usize) -> (usize, usize) {
        let range = self
            .display_text_range
            .and_then(Value::as_array)
            .and_then(|r| Some((index(r.first()?)?, index(r.get(1)?)?)));
        match range {
            Some((from, to)) if from <= to && from <= len => (from, to.min(len)),
            _ => (0, len),
        }
    }
}

fn media_of(m: &Value) -> Option<Media> {
    let kind = match str_of(m.get("type")) {
        Some("photo") => "image",
        Some("video") => "video",
        Some("animated_gif") => "gifv",
        _ => "unknown",
    };
    let image = str_of(m.get("media_url_https")).or_else(|| str_of(m.get("media_url")));
    let url = if matches!(kind, "video" | "gifv") {
        best_variant(m).or(image)
    } else {
        image
    }?;
    let (width, height) = match m.get("original_info") {
        Some(info) if info.get("width").is_some() => (info.get("width"), info.get("height")),
        _ => {
            let large = m.get("sizes").and_then(|s| s.get("large"));
            (
                large.and_then(|l| l.get("w")),
                large.and_then(|l| l.get("h")),
            )
        }
    };
    Some(Media {
        url: url.to_owned(),
        kind: kind.to_owned(),
        alt: str_of(m.get("ext_alt_text")).map(str::to_owned),
        width: width.and_then(index).and_then(|n| u32::try_from(n).ok()),
        height: height.and_then(index).and_then(|n| u32::try_from(n).ok()),
    })
}

/// The highest-bitrate `video/mp4` variant's URL, else the first variant's.
fn best_variant(m: &Value) -> Option<&str> {
    let variants = m.get("video_info")?.get("variants")?.as_array()?;
    let bitrate = |v: &Value| v.get("bitrate").and_then(index).unwrap_or(0);
    variants
        .iter()
        .filter(|v| str_of(v.get("content_type")) == Some("video/mp4"))
        .filter(|v| str_of(v.get("url")).is_some())
        .max_by_key(|v| bitrate(v))
        .or_else(|| variants.first())
        .and_then(|v| str_of(v.get("url")))
}

/// A non-negative index or size, as a JSON number or (archives) a decimal string.
fn index(v: &Value) -> Option<usize> {
    match v {
        Value::Number(n) => usize::try_from(n.as_u64()?).ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One piece of displayed text.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    /// Unescaped text.
    Text(String),
    /// A `t.co` link: shown as `display`, pointing at (and written out in text as) `target`.
    Link { target: String, display: String },
    /// `@name`, as written, and the account's screen name.
    Mention {
        written: String,
        screen_name: String,
    },
    /// `#tag`, as written, and the tag.
    Hashtag { written: String, tag: String },
    /// A media link, shown as an attachment instead.
    Media,
}

/// An entity placed in the text: `[start, end)` in code points.
#[derive(Debug)]
struct Span {
    start: usize,
    end: usize,
    kind: Segment,
}

/// The entities whose place in the text could be confirmed, sorted and without overlaps.
fn spans_of(
    text: &str,
    chars: &[char],
    entities: Option<&Value>,
    extended: Option<&Value>,
) -> Vec<Span> {
    let list = |v: Option<&Value>, key: &str| -> Vec<Value> {
        let all = v.and_then(|e| e.get(key)).and_then(Value::as_array);
        all.into_iter()
            .flatten()
            .take(MAX_ENTITIES)
            .cloned()
            .collect()
    };
    let mut placed: Vec<Span> = Vec::new();
    let mut unplaced_links: Vec<(String, Segment)> = Vec::new();
    let place = |placed: &mut Vec<Span>, start: usize, end: usize, kind: Segment| {
        if !placed.iter().any(|s| start < s.end && s.start < end) {
            placed.push(Span { start, end, kind });
        }
    };
    for m in list(entities, "user_mentions") {
        let Some(name) = str_of(m.get("screen_name")) else {
            continue;
        };
        if let Some((start, end)) = indices(&m, chars)
            && let Some(written) = matching(chars, start, end, |w| {
                w.strip_prefix(['@', '＠'])
                    .is_some_and(|rest| rest.eq_ignore_ascii_case(name))
            })
        {
            let kind = Segment::Mention {
                written,
                screen_name: name.to_owned(),
            };
            place(&mut placed, start, end, kind);
        }
    }
    for h in list(entities, "hashtags") {
        let Some(tag) = str_of(h.get("text")) else {
            continue;
        };
        if let Some((start, end)) = indices(&h, chars)
            && let Some(written) = matching(chars, start, end, |w| {
                w.strip_prefix(['#', '＃'])
                    .is_some_and(|rest| rest.to_lowercase() == tag.to_lowercase())
            })
        {
            let kind = Segment::Hashtag {
                written,
                tag: tag.to_owned(),
            };
            place(&mut placed, start, end, kind);
        }
    }
    let media = {
        let ext = list(extended, "media");
        if ext.is_empty() {
            list(entities, "media")
        } else {
            ext
        }
    };
    let links = list(entities, "urls")
        .into_iter()
        .map(|u| (u, false))
        .chain(media.into_iter().map(|m| (m, true)));
    for (link, is_media) in links {
        let Some(tco) = str_of(link.get("url")) else {
            continue;
        };
        let kind = if is_media {
            Segment::Media
        } else {
            let target = str_of(link.get("expanded_url")).unwrap_or(tco);
            Segment::Link {
                target: target.to_owned(),
                display: str_of(link.get("display_url")).unwrap_or(target).to_owned(),
            }
        };
        let at = indices(&link, chars).filter(|&(start, end)| {
            matching(chars, start, end, |w| w == tco).is_some()
                && !placed.iter().any(|s| start < s.end && s.start < end)
        });
        match at {
            Some((start, end)) => place(&mut placed, start, end, kind),
            None => unplaced_links.push((tco.to_owned(), kind)),
        }
    }
    // Links whose indices are wrong: look for the `t.co` URL itself.
    for (tco, kind) in unplaced_links {
        let len = tco.chars().count();
        // Byte offsets of the matches, turned into code-point offsets as the scan goes.
        let (mut byte, mut start) = (0, 0);
        let found = text.match_indices(tco.as_str()).find_map(|(at, _)| {
            start += text.get(byte..at).unwrap_or_default().chars().count();
            byte = at;
            let end = start + len;
            (!placed.iter().any(|s| start < s.end && s.start < end)).then_some(start)
        });
        if let Some(start) = found {
            place(&mut placed, start, start + len, kind);
        }
    }
    placed.sort_by_key(|s| s.start);
    placed
}

/// An entity's `indices`, when they lie inside the text and in order.
fn indices(entity: &Value, chars: &[char]) -> Option<(usize, usize)> {
    let pair = entity.get("indices")?.as_array()?;
    let start = index(pair.first()?)?;
    let end = index(pair.get(1)?)?;
    (start < end && end <= chars.len()).then_some((start, end))
}

/// The text at `[start, end)` when `ok` accepts it.
fn matching(chars: &[char], start: usize, end: usize, ok: impl Fn(&str) -> bool) -> Option<String> {
    let written = collect(chars, start, end);
    ok(&written).then_some(written)
}

/// The code points `[start, end)` as a string; empty when out of range.
fn collect(chars: &[char], start: usize, end: usize) -> String {
    chars.get(start..end).unwrap_or_default().iter().collect()
}

/// Undoes Twitter's escaping of `&`, `<` and `>`, once: `&amp;lt;` becomes `&lt;`, and a raw
/// `&` (old tweets) stays.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let entity = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>')]
            .into_iter()
            .find(|(entity, _)| rest.starts_with(entity));
        match entity {
            Some((entity, c)) => {
                out.push(c);
                rest = &rest[entity.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Drops the whitespace a removed media link or hidden prefix leaves at either end.
fn trim_segments(segments: &mut Vec<Segment>) {
    segments.retain(|s| !matches!(s, Segment::Media));
    let mut merged: Vec<Segment> = Vec::with_capacity(segments.len());
    for segment in segments.drain(..) {
        match (merged.last_mut(), segment) {
            (Some(Segment::Text(prev)), Segment::Text(next)) => prev.push_str(&next),
            (_, segment) => merged.push(segment),
        }
    }
    if let Some(Segment::Text(first)) = merged.first_mut() {
        *first = first.trim_start().to_owned();
    }
    if let Some(Segment::Text(last)) = merged.last_mut() {
        *last = last.trim_end().to_owned();
    }
    merged.retain(|s| !matches!(s, Segment::Text(t) if t.is_empty()));
    *segments = merged;
}

fn render_segments(segments: &[Segment]) -> Rendered {
    let mut html = String::new();
    let mut text = String::new();
    for segment in segments {
        match segment {
            Segment::Text(t) => {
                html.push_str(&escape_html(t).replace("\r\n", "\n").replace('\n', "<br>"));
                text.push_str(t);
            }
            Segment::Link { target, display } => {
                html.push_str(&format!(
                    "<a href=\"{}\">{}</a>",
                    escape_html(target),
                    escape_html(display)
                ));
                text.push_str(target);
            }
            Segment::Mention {
                written,
                screen_name,
            } => {
                html.push_str(&format!(
                    "<a href=\"{}\" class=\"mention\">{}</a>",
                    escape_html(&profile_link("", screen_name)),
                    escape_html(written)
                ));
                text.push_str(written);
            }
            Segment::Hashtag { written, tag } => {
                html.push_str(&format!(
                    "<a href=\"{}\" class=\"mention hashtag\">{}</a>",
                    escape_html(&profile_link("hashtag", tag)),
                    escape_html(written)
                ));
                text.push_str(written);
            }
            Segment::Media => {}
        }
    }
    let html = if html.is_empty() {
        String::new()
    } else {
        sanitize_html(&format!("<p>{html}</p>"))
    };
    Rendered {
        html,
        text: text.trim().to_owned(),
    }
}

/// `https://twitter.com/[dir/]name`, with `name` percent-encoded as one path segment.
fn profile_link(dir: &str, name: &str) -> String {
    let mut url = url::Url::parse("https://twitter.com/").expect("constant URL parses");
    if let Ok(mut path) = url.path_segments_mut() {
        path.clear();
        if !dir.is_empty() {
            path.push(dir);
        }
        path.push(name);
    }
    url.to_string()
}

#[cfg(test)]
mod tests;
