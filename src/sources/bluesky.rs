//! Bluesky / AT Protocol AppView JSON (`app.bsky.*` XRPC responses), saved to a file.
//!
//! Accepted shapes (`FORMATS.md` §6; lexicons `app/bsky/feed/defs.json`,
//! `app/bsky/richtext/facet.json`, `app/bsky/embed/*.json` in `bluesky-social/atproto`):
//!
//! - `app.bsky.feed.searchPosts`: `{posts: [PostView], cursor?}`;
//! - `app.bsky.feed.getPostThread`: `{thread: ThreadViewPost}`, a tree with a recursive `parent`
//!   (up) and `replies` (down). It is walked with explicit stacks, never by recursion, because a
//!   thread may be hundreds of levels deep (`parentHeight` goes up to 1000);
//! - `app.bsky.feed.getAuthorFeed` and timelines: `{feed: [FeedViewPost{post, reply?, reason?}]}`,
//!   whose `reply.root` / `reply.parent` are full PostViews (emitted as posts too) and whose
//!   `reason` `#reasonRepost` makes the item a repost;
//! - a bare PostView.
//!
//! Posts are keyed by their `at://did/app.bsky.feed.post/rkey` URI and emitted once per
//! document. Nodes that cannot be seen (`#notFoundPost`, `#blockedPost`, and the quote views
//! `#viewNotFound`, `#viewBlocked`, `#viewDetached`) become [`SkipReason::Unsupported`] skips.
//!
//! The text is plain (`record.text`); links, mentions and hashtags are **facets** over UTF-8
//! **byte** ranges, from which the content HTML is built. Offsets come from clients and are not
//! trusted: a facet whose range is out of bounds, empty, not on character boundaries or
//! overlapping an earlier one is not rendered (and never panics).
//!
//! This module keeps no state between documents, fetches nothing and does not decide which
//! posts belong to a story.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::serde_util::{kind_of, parse_time, pointer_join, str_of};
use super::{FormatError, ItemSink, Problem, SourceFormat};
use crate::model::{Author, Boost, Item, Media, Post, Skip, SkipReason};
use crate::sanitize::sanitize_html;
use crate::tag::normalize;

/// A JSON object, as every XRPC view is.
type Object = Map<String, Value>;

/// The web app that permalinks, profile links and hashtag links point at.
const WEB: &str = "https://bsky.app";

/// Label values (moderation labels and self-labels) that hide media behind a warning.
const WARNING_LABELS: &[&str] = &["porn", "sexual", "nudity", "graphic-media", "gore"];

/// `$type` suffixes of views standing for a record the viewer cannot see.
const NOT_VISIBLE: &[&str] = &[
    "#notFoundPost",
    "#blockedPost",
    "#viewNotFound",
    "#viewBlocked",
    "#viewDetached",
];

/// Bluesky AppView responses (`app.bsky.feed.*`).
pub struct Bluesky;

impl SourceFormat for Bluesky {
    const NAME: &'static str = "bluesky";

    fn sniff(doc: &Value) -> bool {
        let Some(obj) = doc.as_object() else {
            return false;
        };
        // Any element, not just the first: a page may start with a damaged record.
        let any = |key, test: fn(&Value) -> bool| {
            obj.get(key)
                .and_then(Value::as_array)
                .is_some_and(|items| items.iter().any(test))
        };
        any("posts", is_post_view)
            || any("feed", |item| {
                item.get("post").is_some_and(Value::is_object)
            })
            || obj
                .get("thread")
                .and_then(Value::as_object)
                .is_some_and(|t| {
                    t.get("post").is_some_and(Value::is_object)
                        || type_of(t).is_some_and(|ty| ty.starts_with("app.bsky.feed.defs#"))
                })
            || is_post_view(doc)
    }

    fn parse(doc: &Value, sink: &mut dyn ItemSink) -> Result<(), FormatError> {
        let mut reader = Reader {
            sink,
            posts: HashSet::new(),
            others: HashSet::new(),
        };
        let Some(obj) = doc.as_object() else {
            return Err(FormatError::new("", expected_shapes(doc)));
        };
        if let Some(posts) = obj.get("posts") {
            let posts = array_at(posts, "/posts", "`posts` of a search result")?;
            for (i, post) in posts.iter().enumerate() {
                reader.post_at(&pointer_join("/posts", i), post);
            }
        } else if let Some(feed) = obj.get("feed") {
            let feed = array_at(feed, "/feed", "`feed`")?;
            for (i, item) in feed.iter().enumerate() {
                reader.feed_item(&pointer_join("/feed", i), item);
            }
        } else if let Some(thread) = obj.get("thread") {
            if !thread.is_object() {
                let message = format!("`thread` must be a thread node, found {}", kind_of(thread));
                return Err(FormatError::new("/thread", message));
            }
            reader.thread(thread);
        } else if is_post_view(doc) {
            reader.post_at("", doc);
        } else {
            return Err(FormatError::new("", expected_shapes(doc)));
        }
        Ok(())
    }
}

fn expected_shapes(doc: &Value) -> String {
    format!(
        "expected a Bluesky `{{\"posts\"}}` search result, `{{\"feed\"}}` feed, `{{\"thread\"}}` \
         post thread or a post view, found {}",
        kind_of(doc)
    )
}

fn array_at<'a>(v: &'a Value, pointer: &str, what: &str) -> Result<&'a [Value], FormatError> {
    v.as_array().map(Vec::as_slice).ok_or_else(|| {
        FormatError::new(
            pointer,
            format!("{what} must be an array, found {}", kind_of(v)),
        )
    })
}

/// A PostView: an `at://` URI and the raw record.
fn is_post_view(v: &Value) -> bool {
    str_of(v.get("uri")).is_some_and(|uri| uri.starts_with("at://"))
        && v.get("record").is_some_and(Value::is_object)
}

fn type_of(obj: &Object) -> Option<&str> {
    str_of(obj.get("$type"))
}

/// A not-found, blocked or detached view. Old (2023) responses may lack `$type`, so the
/// `notFound` / `blocked` / `detached` flags count too.
fn is_not_visible(obj: &Object) -> bool {
    type_of(obj).is_some_and(|ty| NOT_VISIBLE.iter().any(|suffix| ty.ends_with(suffix)))
        || ["notFound", "blocked", "detached"]
            .iter()
            .any(|flag| obj.get(*flag).and_then(Value::as_bool) == Some(true))
}

/// One step of a JSON pointer inside a thread.
#[derive(Clone, Copy)]
enum Step {
    Key(&'static str),
    Index(usize),
}

/// JSON pointers of thread nodes, kept as a parent-linked arena and spelled out only when a
/// warning needs one: writing every pointer of a 10,000-deep chain would take quadratic memory.
struct Paths(Vec<(Option<usize>, Step)>);

impl Paths {
    fn push(&mut self, parent: usize, step: Step) -> usize {
        self.0.push((Some(parent), step));
        self.0.len() - 1
    }

    fn pointer(&self, node: usize) -> String {
        let mut steps = Vec::new();
        let mut at = Some(node);
        while let Some((parent, step)) = at.and_then(|i| self.0.get(i)) {
            steps.push(*step);
            at = *parent;
        }
        // Pushed onto one string: joining step by step would copy a deep pointer once per level.
        let mut pointer = String::new();
        for step in steps.iter().rev() {
            pointer.push_str(&match step {
                Step::Key(key) => pointer_join("", key),
                Step::Index(i) => pointer_join("", i),
            });
        }
        pointer
    }
}

/// Turns views into items for one document.
struct Reader<'s> {
    sink: &'s mut dyn ItemSink,
    /// URIs of posts already emitted (a feed repeats thread roots and parents).
    posts: HashSet<String>,
    /// URIs of boosts and skips already emitted.
    others: HashSet<String>,
}

impl Reader<'_> {
    /// A PostView at `pointer`; a bad one becomes a warning there.
    fn post_at(&mut self, pointer: &str, post: &Value) {
        if let Err(message) = self.post_view(post) {
            self.sink.warning(pointer.to_owned(), message);
        }
    }

    fn post_view(&mut self, post: &Value) -> Result<(), Problem> {
        let Some(view) = post.as_object() else {
            return Err(Problem::shape(format!(
                "expected a post view object, found {}",
                kind_of(post)
            )));
        };
        if is_not_visible(view) {
            self.skip(str_of(view.get("uri")));
            return Ok(());
        }
        let uri = str_of(view.get("uri")).ok_or_else(|| Problem::missing("post has no `uri`"))?;
        if self.posts.contains(uri) {
            return Ok(());
        }
        let post = post_of(view)?;
        self.posts.insert(post.uri.clone());
        self.sink.item(Item::Post(Box::new(post)));
        // A quoted post that cannot be seen is named by its view; a visible one is only a
        // partial `viewRecord` and is not turned into a post here.
        if let Some(quoted) = quoted_view(view).filter(|q| is_not_visible(q)) {
            self.skip(str_of(quoted.get("uri")));
        }
        Ok(())
    }

    fn skip(&mut self, uri: Option<&str>) {
        if let Some(uri) = uri
            && !self.others.insert(format!("skip {uri}"))
        {
            return;
        }
        self.sink.item(Item::Skipped(Skip {
            uri: uri.map(str::to_owned),
            reason: SkipReason::Unsupported,
        }));
    }

    /// A FeedViewPost: the post, the repost when `reason` says so, then the thread root and
    /// parent the feed hydrated.
    fn feed_item(&mut self, pointer: &str, item: &Value) {
        let Some(entry) = item.as_object() else {
            let message = format!("expected a feed item object, found {}", kind_of(item));
            return self
                .sink
                .warning(pointer.to_owned(), Problem::shape(message));
        };
        match entry.get("post") {
            Some(post) => self.post_at(&pointer_join(pointer, "post"), post),
            None => self.sink.warning(
                pointer.to_owned(),
                Problem::missing("feed item has no `post`"),
            ),
        }
        if let Some(reason) = entry.get("reason").and_then(Value::as_object) {
            let is_repost = type_of(reason).is_some_and(|ty| ty.ends_with("#reasonRepost"));
            if is_repost {
                match repost_of(entry.get("post"), reason) {
                    Ok(boost) => {
                        if self.others.insert(format!("boost {}", boost.uri)) {
                            self.sink.item(Item::Boost(boost));
                        }
                    }
                    Err(message) => self.sink.warning(pointer_join(pointer, "reason"), message),
                }
            }
            // `#reasonPin` (a pinned post) and unknown reasons add nothing to the post.
        }
        if let Some(reply) = entry.get("reply").and_then(Value::as_object) {
            let reply_pointer = pointer_join(pointer, "reply");
            for key in ["root", "parent"] {
                if let Some(node) = reply.get(key) {
                    self.post_at(&pointer_join(&reply_pointer, key), node);
                }
            }
        }
    }

    /// A `getPostThread` tree: ancestors from the top down, the asked post, then its replies
    /// depth first, siblings in order. Ancestors are followed through `parent` only and
    /// replies through `replies` only, so nothing is visited twice.
    fn thread(&mut self, focus: &Value) {
        let mut paths = Paths(vec![(None, Step::Key("thread"))]);
        let mut ancestors = Vec::new();
        let (mut node, mut id) = (focus, 0);
        while let Some(parent) = node.get("parent").filter(|p| !p.is_null()) {
            id = paths.push(id, Step::Key("parent"));
            ancestors.push((parent, id));
            node = parent;
        }
        let mut down: Vec<(&Value, usize)> = Vec::new();
        for (node, id) in ancestors.into_iter().rev().chain([(focus, 0)]) {
            self.thread_node(&paths, id, node);
            self.push_replies(&mut paths, &mut down, node, id);
            while let Some((reply, reply_id)) = down.pop() {
                self.thread_node(&paths, reply_id, reply);
                self.push_replies(&mut paths, &mut down, reply, reply_id);
            }
        }
    }

    /// Puts `node`'s replies on the stack, last first, so they pop in order.
    fn push_replies<'v>(
        &mut self,
        paths: &mut Paths,
        stack: &mut Vec<(&'v Value, usize)>,
        node: &'v Value,
        id: usize,
    ) {
        let Some(replies) = node.get("replies").filter(|r| !r.is_null()) else {
            return;
        };
        let Some(replies) = replies.as_array() else {
            let message = format!("`replies` must be an array, found {}", kind_of(replies));
            let pointer = pointer_join(&paths.pointer(id), "replies");
            return self.sink.warning(pointer, Problem::shape(message));
        };
        let list = paths.push(id, Step::Key("replies"));
        let first = stack.len();
        for (i, reply) in replies.iter().enumerate() {
            stack.push((reply, paths.push(list, Step::Index(i))));
        }
        if let Some(pushed) = stack.get_mut(first..) {
            pushed.reverse();
        }
    }

    fn thread_node(&mut self, paths: &Paths, id: usize, node: &Value) {
        let Some(obj) = node.as_object() else {
            let message = format!("expected a thread node object, found {}", kind_of(node));
            return self
                .sink
                .warning(paths.pointer(id), Problem::shape(message));
        };
        if is_not_visible(obj) {
            return self.skip(str_of(obj.get("uri")));
        }
        match obj.get("post") {
            Some(post) => {
                if let Err(message) = self.post_view(post) {
                    self.sink
                        .warning(pointer_join(&paths.pointer(id), "post"), message);
                }
            }
            None => {
                let message = match type_of(obj) {
                    Some(ty) => format!("thread node of type `{ty}` has no `post`"),
                    None => "thread node has no `post`".to_owned(),
                };
                self.sink
                    .warning(paths.pointer(id), Problem::missing(message));
            }
        }
    }
}

/// The repost a `#reasonRepost` stands for. The view names the reposter and the time but not
/// the repost record's own `at://…/app.bsky.feed.repost/…` URI (newer AppViews add an optional
/// `uri`, older responses such as the corpus lack it), so the boost's id is made from the post
/// and the reposter: the same repost read from any response gets the same id, and a repost
/// undone and redone counts once.
fn repost_of(post: Option<&Value>, reason: &Object) -> Result<Boost, Problem> {
    let post_uri = str_of(post.and_then(|p| p.get("uri")))
        .ok_or_else(|| Problem::missing("reposted post has no `uri`"))?;
    let booster = str_of(reason.get("by").and_then(|by| by.get("did")))
        .ok_or_else(|| Problem::missing(format!("repost of `{post_uri}` has no `by.did`")))?;
    Ok(Boost {
        uri: format!("{post_uri}#repost-by-{booster}"),
        post_uri: post_uri.to_owned(),
        booster: booster.to_owned(),
        created_at: str_of(reason.get("indexedAt")).and_then(parse_time),
    })
}

/// The parts of an `at://authority/collection/rkey` URI.
fn at_uri_parts(uri: &str) -> Option<(&str, &str, &str)> {
    let mut parts = uri.strip_prefix("at://")?.split('/');
    let authority = parts.next().filter(|s| !s.is_empty())?;
    let collection = parts.next().filter(|s| !s.is_empty())?;
    let rkey = parts.next().filter(|s| !s.is_empty())?;
    parts
        .next()
        .is_none()
        .then_some((authority, collection, rkey))
}

fn post_of(view: &Object) -> Result<Post, Problem> {
    let uri = str_of(view.get("uri")).ok_or_else(|| Problem::missing("post has no `uri`"))?;
    let parts = at_uri_parts(uri).filter(|(_, collection, _)| *collection == "app.bsky.feed.post");
    let Some((uri_did, _, rkey)) = parts else {
        return Err(Problem::unreadable(format!(
            "post `{uri}` is not an `at://did/app.bsky.feed.post/rkey` URI"
        )));
    };
    let record = view
        .get("record")
        .and_then(Value::as_object)
        .ok_or_else(|| Problem::missing(format!("post `{uri}` has no `record` object")))?;
    let author =
        author_of(view.get("author"), uri_did).map_err(|e| e.of(format_args!("post `{uri}`")))?;
    // `createdAt` is what the client claims (possibly without a zone, then UTC); the AppView's
    // `indexedAt` is the fallback when it is missing or unreadable.
    let created_at = [record.get("createdAt"), view.get("indexedAt")]
        .into_iter()
        .find_map(|v| str_of(v).and_then(parse_time))
        .ok_or_else(|| {
            Problem::unreadable(format!(
                "post `{uri}` has no readable `record.createdAt` or `indexedAt`"
            ))
        })?;
    // The DID, not the handle: handles change, DIDs do not.
    let did = if uri_did.starts_with("did:") {
        uri_did
    } else {
        author.uri.as_str()
    };
    let url = format!("{WEB}/profile/{did}/post/{rkey}");
    let text = record
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let spans = facet_spans(text, record.get("facets"));
    let content_html = if text.trim().is_empty() {
        String::new()
    } else {
        sanitize_html(&facets_html(text, &spans))
    };
    let reply = record.get("reply");
    let warnings = warning_labels(view, record);
    let source_json = serde_json::to_string(view).map_err(|e| {
        Problem::unreadable(format!("post `{uri}` cannot be serialised again: {e}"))
    })?;
    Ok(Post {
        uri: uri.to_owned(),
        url: Some(url),
        author,
        created_at,
        edited_at: None,
        content_html,
        text: plain_text(text, &spans),
        language: record
            .get("langs")
            .and_then(Value::as_array)
            .and_then(|langs| str_of(langs.first()))
            .map(str::to_owned),
        in_reply_to: owned(reply.and_then(|r| r.pointer("/parent/uri"))),
        in_reply_to_local: None,
        local_id: None,
        conversation: owned(reply.and_then(|r| r.pointer("/root/uri"))),
        sensitive: !warnings.is_empty(),
        spoiler_text: (!warnings.is_empty()).then(|| format!("Labelled: {}", warnings.join(", "))),
        tags: tags_of(record),
        // A Bluesky hashtag is always a `#tag` facet or a `record.tags` entry: a `#word` in
        // the text without one is not a hashtag on Bluesky either.
        has_structured_tags: true,
        media: media_of(view.get("embed")),
        quote_of: quote_of(record, view),
        poll: None,
        emojis: Vec::new(),
        source_json,
        reply_count: crate::store::reply_count_of(view),
    })
}

fn author_of(author: Option<&Value>, uri_did: &str) -> Result<Author, Problem> {
    let author = author
        .and_then(Value::as_object)
        .ok_or_else(|| Problem::missing("no `author` object"))?;
    let did = str_of(author.get("did"))
        .or(Some(uri_did).filter(|d| d.starts_with("did:")))
        .ok_or_else(|| Problem::missing("`author` has no `did`"))?;
    let handle = str_of(author.get("handle"))
        .map(|h| h.trim().trim_start_matches('@'))
        .unwrap_or(did);
    Ok(Author {
        uri: did.to_owned(),
        handle: handle.to_owned(),
        name: author
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_owned(),
        url: Some(format!("{WEB}/profile/{did}")),
        avatar: owned(author.get("avatar")),
        consent: super::consent::of_bluesky_author(author),
    })
}

/// `#tag` facets' tags and `record.tags` (hashtags not written in the text), normalised,
/// without duplicates, in that order. A tag facet counts even when its byte range is bad:
/// the range only places the link, the tag is what the author attached.
fn tags_of(record: &Object) -> Vec<String> {
    let from_facets = record
        .get("facets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|facet| facet.get("features")?.as_array())
        .flatten()
        .filter_map(|feature| match feature_of(feature)? {
            Feature::Tag(tag) => Some(tag),
            _ => None,
        });
    let from_record = record
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tag| str_of(Some(tag)));
    let mut out: Vec<String> = Vec::new();
    for tag in from_facets.chain(from_record) {
        let tag = normalize(tag);
        if !tag.is_empty() && !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// Warning labels on the post: moderation labels (`labels[]`, where `neg: true` withdraws an
/// earlier label) and the author's self-labels (`record.labels.values[]`), in order, once each.
fn warning_labels(view: &Object, record: &Object) -> Vec<String> {
    fn list(v: Option<&Value>) -> impl Iterator<Item = &Value> {
        v.and_then(Value::as_array).into_iter().flatten()
    }
    let self_labels = record.get("labels").and_then(|l| l.get("values"));
    let labels = list(view.get("labels")).chain(list(self_labels));
    let mut out: Vec<String> = Vec::new();
    for label in labels {
        let Some(val) = str_of(label.get("val")) else {
            continue;
        };
        if !WARNING_LABELS.contains(&val) {
            continue;
        }
        if label.get("neg").and_then(Value::as_bool) == Some(true) {
            out.retain(|v| v != val);
        } else if !out.iter().any(|v| v == val) {
            out.push(val.to_owned());
        }
    }
    out
}

/// The quoted post's URI: the record's `app.bsky.embed.record` (or `recordWithMedia`) strong
/// ref, else the hydrated view's. Only posts count: a record embed may also show a feed
/// generator, a list or a starter pack, which are not quotes of a post.
fn quote_of(record: &Object, view: &Object) -> Option<String> {
    let from_record = record
        .get("embed")
        .and_then(|embed| match str_of(embed.get("$type"))? {
            "app.bsky.embed.record" => str_of(embed.pointer("/record/uri")),
            "app.bsky.embed.recordWithMedia" => str_of(embed.pointer("/record/record/uri")),
            _ => None,
        });
    let from_view = || quoted_view(view).and_then(|q| str_of(q.get("uri")));
    from_record
        .or_else(from_view)
        .filter(|uri| {
            at_uri_parts(uri).is_some_and(|(_, collection, _)| collection == "app.bsky.feed.post")
        })
        .map(str::to_owned)
}

/// The hydrated view of the embedded record (`viewRecord`, `viewNotFound`, …), if any.
fn quoted_view(view: &Object) -> Option<&Object> {
    let embed = view.get("embed")?;
    let inner = match str_of(embed.get("$type"))? {
        "app.bsky.embed.record#view" => embed.get("record"),
        "app.bsky.embed.recordWithMedia#view" => embed.get("record")?.get("record"),
        _ => None,
    };
    inner?.as_object()
}

/// Pictures and videos of the hydrated embed view (the record's own embed holds blob refs,
/// not URLs). Alt `""` means none. The view's `aspectRatio` stands in for the size: clients
/// fill it with the pixel size of what they uploaded.
fn media_of(embed: Option<&Value>) -> Vec<Media> {
    let Some(embed) = embed else {
        return Vec::new();
    };
    let embed = match str_of(embed.get("$type")) {
        Some("app.bsky.embed.recordWithMedia#view") => match embed.get("media") {
            Some(media) => media,
            None => return Vec::new(),
        },
        _ => embed,
    };
    let size = |item: &Value, key: &str| {
        let n = item.get("aspectRatio")?.get(key)?.as_u64()?;
        u32::try_from(n).ok()
    };
    let media = |item: &Value, url: Option<&str>, kind: &str, preview: Option<&str>| {
        let url = url?;
        Some(Media {
            url: url.to_owned(),
            kind: kind.to_owned(),
            alt: owned(item.get("alt")),
            width: size(item, "width"),
            height: size(item, "height"),
            preview: preview.filter(|p| *p != url).map(str::to_owned),
        })
    };
    match str_of(embed.get("$type")) {
        Some("app.bsky.embed.images#view") => embed
            .get("images")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|image| {
                let url = str_of(image.get("fullsize")).or_else(|| str_of(image.get("thumb")));
                media(image, url, "image", None)
            })
            .collect(),
        Some("app.bsky.embed.video#view") => {
            let thumbnail = str_of(embed.get("thumbnail"));
            let url = str_of(embed.get("playlist")).or(thumbnail);
            media(embed, url, "video", thumbnail).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// The non-empty string at `v`, owned.
fn owned(v: Option<&Value>) -> Option<String> {
    str_of(v).map(str::to_owned)
}

mod richtext;
#[cfg(test)]
mod tests;

use richtext::*;
