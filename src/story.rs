//! The view model of a story page: what templates receive, with every URL checked and content
//! sanitised, so a template cannot leak or break what it never receives.
//!
//! Threads deeper than [`MAX_NESTING`] are shown flattened below that depth, each flattened reply
//! naming the post it answers. Deep indentation is unreadable on a phone, and it keeps the
//! nesting the template engine has to walk small however deep a conversation goes.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::sanitize::{safe_url, sanitize_html};
use crate::store::{StoredMedia, StoredPost};
use crate::thread::{Forest, Link, build_threads};

/// Indentation levels shown before replies are flattened.
pub const MAX_NESTING: usize = 5;

/// A story ready to render.
#[derive(Debug, Serialize)]
pub struct StoryView {
    /// Normalised tag, without `#`.
    pub tag: String,
    /// Page title.
    pub title: String,
    /// Posts in the story, context included.
    pub post_count: usize,
    /// Distinct authors of those posts.
    pub participant_count: usize,
    /// Boosts of those posts.
    pub boost_count: u64,
    /// Earliest post.
    pub first: Option<TimeView>,
    /// Latest post.
    pub last: Option<TimeView>,
    /// When the page was made.
    pub generated: TimeView,
    /// Threads, oldest first.
    pub threads: Vec<ThreadView>,
}

/// A time in machine and human form.
#[derive(Debug, Clone, Serialize)]
pub struct TimeView {
    /// RFC 3339, UTC, for `<time datetime>`.
    pub iso: String,
    /// `20 Aug 2026, 08:00 UTC`.
    pub human: String,
    /// `20 Aug 2026`.
    pub date: String,
}

/// One thread.
#[derive(Debug, Serialize)]
pub struct ThreadView {
    /// Fragment id of the thread's section.
    pub anchor: String,
    /// Number of posts in it.
    pub size: usize,
    /// Its first post, with the replies nested inside.
    pub root: PostView,
}

/// One post, ready for a template.
#[derive(Debug, Serialize)]
pub struct PostView {
    /// Fragment id, derived from the URI so links survive re-rendering.
    pub anchor: String,
    /// Canonical URI (text only).
    pub uri: String,
    /// Link to the original, if it is a safe absolute http(s) URL.
    pub link: Option<String>,
    /// Display name, falling back to the handle.
    pub author_name: String,
    /// `@name@host`.
    pub author_handle: String,
    /// The author has a display name (else `author_name` is the handle).
    pub has_name: bool,
    /// Avatar URL, if safe.
    pub avatar: Option<String>,
    /// First letter of the name, for a placeholder avatar.
    pub initial: String,
    /// Publication time.
    pub created: TimeView,
    /// Time of the shown version, if edited.
    pub edited: Option<TimeView>,
    /// Sanitised content: the only value templates mark safe.
    pub content_html: String,
    /// Language, if it is a well-formed tag.
    pub lang: Option<String>,
    /// Carries the tag, rather than being context.
    pub tagged: bool,
    /// Media should be hidden behind a click.
    pub sensitive: bool,
    /// Content warning.
    pub spoiler_text: Option<String>,
    /// Attachments.
    pub media: Vec<MediaView>,
    /// Boosts counted.
    pub boosts: u64,
    /// What it replies to, when that needs saying (its parent is not shown just above it).
    pub reply_to: Option<ReplyToView>,
    /// Replies shown nested under it.
    pub replies: Vec<PostView>,
}

/// An attachment.
#[derive(Debug, Serialize)]
pub struct MediaView {
    /// File URL, if safe.
    pub url: Option<String>,
    /// Alt text.
    pub alt: Option<String>,
    /// `image`, `video`, `gifv`, `audio`, `unknown`.
    pub kind: String,
}

/// The post a reply answers.
#[derive(Debug, Serialize)]
pub struct ReplyToView {
    /// Fragment id of the parent when it is on the page.
    pub anchor: Option<String>,
    /// The parent's author, when it is on the page.
    pub handle: Option<String>,
    /// Link to the parent elsewhere, when it is not on the page.
    pub link: Option<String>,
}

/// Builds the view of a story from its stored posts.
pub fn build_story(tag: &str, title: &str, posts: &[StoredPost]) -> StoryView {
    let links: Vec<Link<'_>> = posts
        .iter()
        .map(|p| Link {
            uri: &p.uri,
            parent: p.in_reply_to.as_deref(),
            created_at: p.created_at,
        })
        .collect();
    let forest = build_threads(&links);
    let threads = forest
        .roots
        .iter()
        .map(|&root| build_thread(&forest, posts, root))
        .collect();
    let participants: HashSet<&str> = posts.iter().map(|p| p.author_uri.as_str()).collect();
    StoryView {
        tag: tag.to_string(),
        title: title.to_string(),
        post_count: posts.len(),
        participant_count: participants.len(),
        boost_count: posts.iter().map(|p| p.boosts).sum(),
        first: posts
            .iter()
            .map(|p| p.created_at)
            .min()
            .map(|t| time_view(&t)),
        last: posts
            .iter()
            .map(|p| p.created_at)
            .max()
            .map(|t| time_view(&t)),
        generated: time_view(&Utc::now()),
        threads,
    }
}

/// Builds one thread bottom-up (no recursion): each post goes under its display parent, which
/// is its real parent down to [`MAX_NESTING`] and the ancestor at that depth below it.
fn build_thread(forest: &Forest, posts: &[StoredPost], root: usize) -> ThreadView {
    let order: Vec<(usize, usize)> = forest.preorder(root).collect();
    let mut ancestors: Vec<usize> = Vec::new();
    let mut display_parent: HashMap<usize, usize> = HashMap::new();
    for &(node, depth) in &order {
        ancestors.truncate(depth);
        if let Some(&shown_under) = ancestors.get(depth.min(MAX_NESTING).wrapping_sub(1)) {
            display_parent.insert(node, shown_under);
        }
        ancestors.push(node);
    }
    let mut pending: HashMap<usize, Vec<PostView>> = HashMap::new();
    for &(node, _) in order.iter().rev() {
        let mut view = post_view(posts, forest, node, display_parent.get(&node).copied());
        if let Some(mut replies) = pending.remove(&node) {
            replies.reverse();
            view.replies = replies;
        }
        match display_parent.get(&node) {
            Some(&parent) => pending.entry(parent).or_default().push(view),
            None => {
                return ThreadView {
                    anchor: format!("t-{}", anchor_of(&posts[node].uri)),
                    size: order.len(),
                    root: view,
                };
            }
        }
    }
    unreachable!("a preorder always ends with its root when reversed")
}

fn post_view(
    posts: &[StoredPost],
    forest: &Forest,
    node: usize,
    shown_under: Option<usize>,
) -> PostView {
    let p = &posts[node];
    let real_parent = forest.parent[node];
    let reply_to = match (real_parent, shown_under) {
        (Some(parent), Some(shown)) if parent == shown => None,
        (Some(parent), _) => Some(ReplyToView {
            anchor: Some(anchor_of(&posts[parent].uri)),
            handle: Some(posts[parent].author_handle.clone()),
            link: None,
        }),
        (None, _) if p.in_reply_to.is_some() || p.reply_to_unknown => Some(ReplyToView {
            anchor: None,
            handle: None,
            link: p.in_reply_to.as_deref().and_then(safe_url),
        }),
        (None, _) => None,
    };
    let name = p.author_name.trim();
    let author_name = if name.is_empty() {
        p.author_handle.clone()
    } else {
        name.to_string()
    };
    PostView {
        anchor: anchor_of(&p.uri),
        uri: p.uri.clone(),
        link: p
            .url
            .as_deref()
            .and_then(safe_url)
            .or_else(|| safe_url(&p.uri)),
        initial: author_name
            .trim_start_matches('@')
            .chars()
            .next()
            .unwrap_or('?')
            .to_uppercase()
            .collect(),
        has_name: !name.is_empty(),
        author_name,
        author_handle: p.author_handle.clone(),
        avatar: p.author_avatar.as_deref().and_then(safe_url),
        created: time_view(&p.created_at),
        edited: p.edited_at.as_ref().map(time_view),
        content_html: sanitize_html(&p.content_html),
        lang: p
            .language
            .as_deref()
            .filter(|l| is_language_tag(l))
            .map(str::to_string),
        tagged: p.tagged,
        sensitive: p.sensitive,
        spoiler_text: p.spoiler_text.clone().filter(|s| !s.trim().is_empty()),
        media: p.media.iter().map(media_view).collect(),
        boosts: p.boosts,
        reply_to,
        replies: Vec::new(),
    }
}

fn media_view(m: &StoredMedia) -> MediaView {
    MediaView {
        url: safe_url(&m.url),
        alt: m.alt.clone().filter(|a| !a.trim().is_empty()),
        kind: m.kind.clone(),
    }
}

/// A time as the page shows it.
pub fn time_view(t: &DateTime<Utc>) -> TimeView {
    TimeView {
        iso: t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        human: t.format("%-d %b %Y, %H:%M UTC").to_string(),
        date: t.format("%-d %b %Y").to_string(),
    }
}

/// A stable fragment id for a post URI (FNV-1a, 64 bits): deterministic across renders and
/// free of characters that would need escaping.
pub fn anchor_of(uri: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in uri.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("p{hash:016x}")
}

/// BCP 47-shaped: letters, digits and hyphens, starting with a letter, at most 35 characters.
fn is_language_tag(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 35
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}
