//! One AS2 object turned into a model record: a Note (Article, Page, Question) into a [`Post`],
//! an actor into an [`Author`], plus the addressing rule that decides whether a post is public.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::super::serde_util::{authority, bool_of, id_of, one_or_many, parse_time, str_of};
use super::super::{ItemSink, Problem};
use super::{Object, kind_of, types};
use crate::model::{Author, CustomEmoji, Item, Media, Poll, PollOption, Post, Skip, SkipReason};
use crate::sanitize::{escape_html, html_to_text, sanitize_html};
use crate::tag::normalize;

/// The addressee meaning "everyone", in the three spellings servers use (AS2 Core §2.1 allows
/// the compacted `as:Public` and `Public`; GoToSocial and bovine send `as:Public`).
const PUBLIC: [&str; 3] = [
    "https://www.w3.org/ns/activitystreams#Public",
    "as:Public",
    "Public",
];

/// The activity a post came in, which lends it addressing, author and edit time.
#[derive(Clone, Copy)]
pub(super) struct Wrapper<'a> {
    pub(super) activity: &'a Object,
    /// Whether it is an `Update`, making the post an edited version.
    pub(super) update: bool,
}

/// What became of a post.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Pushed as [`Item::Post`].
    Kept,
    /// Pushed as a [`SkipReason::NotPublic`] skip.
    NotPublic,
    /// Malformed: a warning was pushed.
    Invalid,
}

/// A timestamp field.
pub(super) fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    str_of(v).and_then(parse_time)
}

/// Whether `object` is addressed to the public. Its own `to`/`cc` decide; only when it has
/// neither do the wrapping activity's. No addressing at all is not public: an export holds
/// private posts, and keeping one back is better than publishing it.
pub(super) fn is_public(object: &Object, wrapper: Option<&Object>) -> bool {
    addressees(object)
        .or_else(|| wrapper.and_then(addressees))
        .is_some_and(|list| {
            list.into_iter()
                .any(|v| id_of(Some(v)).is_some_and(|uri| PUBLIC.contains(&uri)))
        })
}

/// Everything in `to` and `cc`; `None` when the object has neither.
fn addressees(map: &Object) -> Option<Vec<&Value>> {
    let has = |key| !matches!(map.get(key), None | Some(Value::Null));
    (has("to") || has("cc")).then(|| {
        ["to", "cc"]
            .into_iter()
            .flat_map(|key| one_or_many(map.get(key)))
            .collect()
    })
}

/// Pushes the post `note` (a Note, Article, Page or Question), a skip if it is not public, or a
/// warning at `pointer` if it lacks what a post needs.
pub(super) fn post(
    note: &Object,
    wrapper: Option<Wrapper<'_>>,
    pointer: &str,
    sink: &mut dyn ItemSink,
) -> Outcome {
    let mut invalid = |problem: Problem| {
        sink.warning(pointer.to_string(), problem);
        Outcome::Invalid
    };
    let Some(uri) = str_of(note.get("id")) else {
        return invalid(Problem::missing("the post has no `id`; skipped"));
    };
    if !is_public(note, wrapper.map(|w| w.activity)) {
        sink.item(Item::Skipped(Skip {
            uri: Some(uri.to_string()),
            reason: SkipReason::NotPublic,
        }));
        return Outcome::NotPublic;
    }
    let Some(created_at) = time(note.get("published")) else {
        return invalid(Problem::unreadable(format!(
            "post {uri}: `published` is missing or not a timestamp; skipped"
        )));
    };
    let author = one_or_many(note.get("attributedTo"))
        .into_iter()
        .next()
        .and_then(author_of)
        .or_else(|| {
            wrapper
                .and_then(|w| w.activity.get("actor"))
                .and_then(author_of)
        });
    let Some(author) = author else {
        return invalid(Problem::missing(format!(
            "post {uri} has no `attributedTo`; skipped"
        )));
    };

    let updated = time(note.get("updated"));
    let edited_at = match wrapper {
        Some(w) if w.update => updated.or_else(|| time(w.activity.get("published"))),
        _ => updated.filter(|t| *t > created_at),
    };
    // Lemmy puts a post's title in `name` and (in old versions) `summary`; neither is a CW.
    let titled = matches!(kind_of(note), Some("Page" | "Article"));
    let content_map = note.get("contentMap").and_then(Value::as_object);
    let mapped = content_map.and_then(|m| m.iter().find_map(|(k, v)| Some((k, str_of(Some(v))?))));
    let language = mapped
        .map(|(k, _)| k)
        .or_else(|| content_map.and_then(|m| m.keys().next()))
        .filter(|k| !k.trim().is_empty())
        .cloned();
    // Friendica's `content` and `contentMap` disagree; `content` is what Mastodon shows.
    let body = str_of(note.get("content"))
        .or(mapped.map(|(_, html)| html))
        .unwrap_or_default();
    let html = match str_of(note.get("name")).filter(|_| titled) {
        Some(title) => format!("<p><strong>{}</strong></p>{body}", escape_html(title)),
        None => body.to_string(),
    };
    let content_html = sanitize_html(&html);
    let text = html_to_text(&content_html);
    let has_structured_tags = !matches!(note.get("tag"), None | Some(Value::Null));

    sink.item(Item::Post(Box::new(Post {
        uri: uri.to_string(),
        url: web_link(note.get("url")),
        author,
        created_at,
        edited_at,
        content_html,
        text,
        language,
        in_reply_to: id_of(note.get("inReplyTo")).map(str::to_string),
        in_reply_to_local: None,
        local_id: None,
        conversation: str_of(note.get("conversation"))
            .or_else(|| str_of(note.get("context")))
            .map(str::to_string),
        sensitive: bool_of(note.get("sensitive")),
        spoiler_text: str_of(note.get("summary"))
            .filter(|_| !titled)
            .map(str::to_string),
        tags: hashtags(note),
        has_structured_tags,
        media: one_or_many(note.get("attachment"))
            .into_iter()
            .filter_map(media)
            .collect(),
        quote_of: quote_of(note),
        poll: poll_of(note),
        emojis: emojis(note),
        // Cannot fail: a `Value` always has string keys. Depth is bounded by the caller.
        source_json: serde_json::to_string(note).unwrap_or_default(),
        reply_count: crate::store::reply_count_of(note),
    })));
    Outcome::Kept
}

/// The quoted post: FEP-044f `quote` (Mastodon 4.4+), Fedibird's `quoteUri`, Misskey's
/// `quoteUrl` and `_misskey_quote`, the first one present (Mastodon reads them in this order and
/// keeps one quote). Each is a URI, or an embedded object or `Link` naming it.
fn quote_of(note: &Object) -> Option<String> {
    ["quote", "quoteUri", "quoteUrl", "_misskey_quote"]
        .into_iter()
        .find_map(|key| id_of(note.get(key)))
        .map(str::to_string)
}

/// A `Question`'s poll: `oneOf` (one choice) or `anyOf` (several), each option a `Note` whose
/// `name` is the choice and `replies.totalItems` its votes; `endTime`, else `closed` (a time;
/// `true` tells no time), and Mastodon's `votersCount`. `None` for other types and for a
/// Question without a readable option.
fn poll_of(note: &Object) -> Option<Poll> {
    if !types(note).any(|t| t == "Question") {
        return None;
    }
    let (key, multiple) = match note.get("oneOf") {
        Some(v) if !v.is_null() => ("oneOf", false),
        _ => ("anyOf", true),
    };
    let options: Vec<PollOption> = one_or_many(note.get(key))
        .into_iter()
        .filter_map(|option| {
            let option = option.as_object()?;
            Some(PollOption {
                title: option.get("name")?.as_str()?.to_string(),
                votes: option
                    .get("replies")
                    .and_then(|r| r.get("totalItems"))
                    .and_then(Value::as_u64),
            })
        })
        .collect();
    (!options.is_empty()).then(|| Poll {
        options,
        multiple,
        closes_at: time(note.get("endTime")).or_else(|| time(note.get("closed"))),
        voters: note.get("votersCount").and_then(Value::as_u64),
    })
}

/// `tag[]` entries of type `Emoji`: `name` `:blob:` gives the shortcode `blob`, `icon.url` the
/// image. Each shortcode once, first wins; shortcodes and URLs are kept as given, for the
/// renderer to judge.
fn emojis(note: &Object) -> Vec<CustomEmoji> {
    let mut out: Vec<CustomEmoji> = Vec::new();
    for entry in one_or_many(note.get("tag")) {
        let Some(map) = entry.as_object().filter(|m| types(m).any(|t| t == "Emoji")) else {
            continue;
        };
        let shortcode = str_of(map.get("name")).map(|n| n.trim().trim_matches(':'));
        let url = icon_url(map);
        if let (Some(shortcode), Some(url)) = (shortcode, url)
            && !shortcode.is_empty()
            && !out.iter().any(|e| e.shortcode == shortcode)
        {
            out.push(CustomEmoji {
                shortcode: shortcode.to_string(),
                url: url.to_string(),
            });
        }
    }
    out
}

/// An actor document's profile; `None` without an `id`.
pub(super) fn actor(map: &Object) -> Option<Author> {
    let uri = str_of(map.get("id"))?;
    let handle = match (str_of(map.get("preferredUsername")), authority(uri)) {
        (Some(name), Some(host)) => format!("@{}@{host}", name.trim().trim_start_matches('@')),
        _ => guess_handle(uri),
    };
    let avatar = icon_url(map);
    Some(Author {
        uri: uri.to_string(),
        handle,
        name: str_of(map.get("name")).unwrap_or_default().to_string(),
        url: web_link(map.get("url")),
        avatar: avatar.map(str::to_string),
        consent: super::super::consent::of_actor(map),
    })
}

/// The author named by an `attributedTo` or `actor` entry: a URI or an embedded actor.
fn author_of(v: &Value) -> Option<Author> {
    match v {
        Value::Object(map) => actor(map),
        Value::String(uri) if !uri.trim().is_empty() => Some(Author {
            uri: uri.clone(),
            handle: guess_handle(uri),
            ..Author::default()
        }),
        _ => None,
    }
}

/// `@name@host` from an actor URI alone: its last path segment without a leading `@`
/// (`/users/alice`, `/@bob`, Lemmy `/u/carol`, Friendica `/profile/dave`). The URI itself when
/// it has no host or no path.
fn guess_handle(uri: &str) -> String {
    let Ok(url) = url::Url::parse(uri) else {
        return uri.to_string();
    };
    let name = url
        .path_segments()
        .and_then(|mut segments| segments.rfind(|s| !s.is_empty()))
        .map(|s| s.trim_start_matches('@'))
        .filter(|s| !s.is_empty());
    match (name, authority(uri)) {
        (Some(name), Some(host)) => format!("@{}@{host}", percent_decode(name)),
        _ => uri.to_string(),
    }
}

/// The URLs in a `url`-like field: a string, a `Link` object (`href`), or an array of either.
/// The picture of an `icon` (an emoji's image, an actor's avatar, a video's poster): an `Image`
/// whose `url` is a string or a `Link`, or a URL, or a list of them (the first that names one).
fn icon_url(map: &Object) -> Option<&str> {
    one_or_many(map.get("icon"))
        .into_iter()
        .find_map(|icon| match icon {
            Value::Object(image) => links(image.get("url"))
                .into_iter()
                .next()
                .or_else(|| str_of(image.get("href"))),
            other => links(Some(other)).into_iter().next(),
        })
}

fn links(v: Option<&Value>) -> Vec<&str> {
    one_or_many(v)
        .into_iter()
        .filter_map(|link| match link {
            Value::Object(map) => str_of(map.get("href")),
            other => str_of(Some(other)),
        })
        .collect()
}

/// The first http(s) link of a `url` field, else its first link as given.
fn web_link(v: Option<&Value>) -> Option<String> {
    let all = links(v);
    let is_web = |s: &&&str| s.starts_with("https://") || s.starts_with("http://");
    all.iter()
        .find(is_web)
        .or(all.first())
        .map(|s| s.to_string())
}

/// Normalised `Hashtag` names, deduplicated, in order. Without a `name`, the tag is read from
/// the `href`: a `tag` query parameter (Friendica's search URLs), else the last path segment.
fn hashtags(note: &Object) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for entry in one_or_many(note.get("tag")) {
        let Some(map) = entry.as_object() else {
            continue;
        };
        if !types(map).any(|t| t == "Hashtag") {
            continue;
        }
        let name = str_of(map.get("name"))
            .map(str::to_string)
            .or_else(|| str_of(map.get("href")).and_then(tag_from_href));
        let tag = name.map(|n| normalize(&n)).unwrap_or_default();
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

fn tag_from_href(href: &str) -> Option<String> {
    let url = url::Url::parse(href).ok()?;
    if let Some((_, tag)) = url.query_pairs().find(|(k, _)| k == "tag") {
        return Some(tag.into_owned());
    }
    let last = url.path_segments()?.rfind(|s| !s.is_empty())?;
    Some(percent_decode(last))
}

/// An attachment; `None` when it names no file.
fn media(v: &Value) -> Option<Media> {
    let map = v.as_object()?;
    let url = links(map.get("url"))
        .into_iter()
        .next()
        .or_else(|| str_of(map.get("href")))?;
    let media_type = str_of(map.get("mediaType")).unwrap_or_default();
    let kind = ["image", "video", "audio"]
        .into_iter()
        .find(|k| media_type.starts_with(&format!("{k}/")))
        .or_else(|| {
            types(map).find_map(|t| match t {
                "Image" => Some("image"),
                "Video" => Some("video"),
                "Audio" => Some("audio"),
                _ => None,
            })
        })
        .unwrap_or("unknown");
    // Mastodon sends alt text as `name`, GoToSocial as `summary`.
    let alt = str_of(map.get("name")).or_else(|| str_of(map.get("summary")));
    let pixels = |key| {
        map.get(key)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    // Mastodon sends the poster or cover of a video or sound as `icon`, as PeerTube does.
    let preview = icon_url(map).filter(|p| matches!(kind, "video" | "audio") && *p != url);
    Some(Media {
        url: url.to_string(),
        kind: kind.to_string(),
        alt: alt.map(str::to_string),
        width: pixels("width"),
        height: pixels("height"),
        preview: preview.map(str::to_string),
    })
}

/// Decodes `%XX` escapes in a URL path segment; invalid UTF-8 becomes U+FFFD.
fn percent_decode(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        let hex = tail
            .get(..2)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (byte, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                rest = tail.get(2..).unwrap_or_default();
            }
            _ => {
                out.push(byte);
                rest = tail;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
