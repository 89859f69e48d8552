//! The view model of a story page: what templates receive, with every URL checked and content
//! sanitised, so a template cannot leak or break what it never receives.
//!
//! Threads deeper than [`MAX_NESTING`] are shown flattened below that depth, each flattened reply
//! naming the post it answers. Deep indentation is unreadable on a phone, and it keeps the
//! nesting the template engine has to walk small however deep a conversation goes.
//!
//! A tag with curated stories (Storify) is shown in each curator's order: their notes, and each
//! curated post with its replies nested under it. Posts no curated story shows (context from
//! other sources, replies to nothing curated) follow as threads, as on any other page. Every
//! post is shown exactly once: a curated post is cut out of the thread it belongs to, a post
//! curated twice is shown where it comes first, and an entry naming a post that is not in the
//! story (deleted since, say) is left out ([`curated_entries`]).
//!
//! # What templates may mark safe
//! Only HTML built here: content and earlier versions' content passed through
//! [`sanitize_html`], and display names escaped here; both then get the post's custom emoji
//! (see [`emojify_html`]), which adds nothing but `<img class="emoji">` elements built from a
//! checked shortcode and a [`safe_url`]; curators' intros and notes passed through
//! [`sanitize_html`] again. Everything else reaches the template as text.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::model::Poll;
pub use crate::sanitize::escape_html;
use crate::sanitize::{safe_url, sanitize_html};
use crate::store::{
    StoredCuration, StoredMedia, StoredPost, StoredRevision, participant_count, threads_of,
};
use crate::thread::Forest;

mod emoji;
mod views;

pub use emoji::{emojify_html, usable_emojis};
pub use views::*;

/// Indentation levels shown before replies are flattened.
pub const MAX_NESTING: usize = 5;

/// How much of a quoted post's text the quote block shows, in characters.
pub const QUOTE_EXCERPT_CHARS: usize = 200;

/// An entry of a curated story that a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    /// The post at this index of the story's posts.
    Post(usize),
    /// A note, as stored.
    Note(&'a str),
}

/// The entries of `curation` that a page shows, in order: a post that is not among `posts`
/// (whose indices by URI `by_uri` gives) or that `shown` already holds is left out; each post
/// taken is added to `shown`. Notes are all kept.
pub fn curated_entries<'a>(
    curation: &'a StoredCuration,
    by_uri: &HashMap<&str, usize>,
    shown: &mut HashSet<usize>,
) -> Vec<Entry<'a>> {
    curation
        .entries
        .iter()
        .filter_map(|(post, note)| match (post, note) {
            (Some(uri), _) => {
                let &i = by_uri.get(uri.as_str())?;
                shown.insert(i).then_some(Entry::Post(i))
            }
            (None, Some(html)) => Some(Entry::Note(html)),
            (None, None) => None,
        })
        .collect()
}

/// What building a post's view needs to know about the whole story.
struct Ctx<'a> {
    posts: &'a [StoredPost],
    forest: &'a Forest,
    by_uri: HashMap<&'a str, usize>,
    now: DateTime<Utc>,
}

/// Builds the view of a story from its stored posts and the curated stories of its tag.
pub fn build_story(
    tag: &str,
    title: &str,
    posts: &[StoredPost],
    curations: &[StoredCuration],
) -> StoryView {
    let forest = threads_of(posts);
    let now = Utc::now();
    let ctx = Ctx {
        posts,
        forest: &forest,
        by_uri: posts
            .iter()
            .enumerate()
            .map(|(i, p)| (p.uri.as_str(), i))
            .collect(),
        now,
    };
    let mut curated = HashSet::new();
    let entries: Vec<Vec<Entry<'_>>> = curations
        .iter()
        .map(|c| curated_entries(c, &ctx.by_uri, &mut curated))
        .collect();
    let curations = curations
        .iter()
        .zip(entries)
        .map(|(c, entries)| CurationView {
            anchor: format!("s-{}", anchor_of(&c.url)),
            title: c.title.clone(),
            intro_html: Some(sanitize_html(&c.intro_html)).filter(|h| !h.trim().is_empty()),
            curator: c.curator_name.clone().filter(|n| !n.trim().is_empty()),
            published: c.published_at.as_ref().map(time_view),
            link: safe_url(&c.url),
            entries: entries
                .into_iter()
                .map(|e| match e {
                    Entry::Post(i) => EntryView {
                        note_html: None,
                        post: Some(build_thread(&ctx, i, &curated)),
                    },
                    Entry::Note(html) => EntryView {
                        note_html: Some(sanitize_html(html)),
                        post: None,
                    },
                })
                .collect(),
        })
        .collect();
    let threads = forest
        .roots
        .iter()
        .filter(|root| !curated.contains(*root))
        .map(|&root| build_thread(&ctx, root, &curated))
        .collect();
    StoryView {
        tag: tag.to_string(),
        title: title.to_string(),
        post_count: posts.len(),
        participant_count: participant_count(posts),
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
        generated: time_view(&now),
        curations,
        threads,
    }
}

/// Builds one thread bottom-up (no recursion): each post goes under its display parent, which
/// is its real parent down to [`MAX_NESTING`] and the ancestor at that depth below it. Posts of
/// `cut` below the root are shown elsewhere, and so are their replies.
fn build_thread(ctx: &Ctx<'_>, root: usize, cut: &HashSet<usize>) -> ThreadView {
    let (forest, posts) = (ctx.forest, ctx.posts);
    let order = shown_preorder(forest, root, cut);
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
        let mut view = post_view(ctx, node, display_parent.get(&node).copied());
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

/// The posts of the thread under `root` in preorder, with their depths, without the posts of
/// `cut` below the root and their replies.
fn shown_preorder(forest: &Forest, root: usize, cut: &HashSet<usize>) -> Vec<(usize, usize)> {
    let mut order = Vec::new();
    let mut stack = vec![(root, 0)];
    while let Some((node, depth)) = stack.pop() {
        order.push((node, depth));
        let kids = forest.children[node].iter().rev();
        stack.extend(kids.filter(|k| !cut.contains(*k)).map(|&k| (k, depth + 1)));
    }
    order
}

fn post_view(ctx: &Ctx<'_>, node: usize, shown_under: Option<usize>) -> PostView {
    let (posts, forest) = (ctx.posts, ctx.forest);
    let p = &posts[node];
    let emojis = usable_emojis(&p.emojis);
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
        author_name_html: emojify_html(&escape_html(&author_name), &emojis),
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
        content_html: emojify_html(&sanitize_html(&p.content_html), &emojis),
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
        quote: p.quote_of.as_deref().map(|uri| quote_view(ctx, uri)),
        poll: p.poll.as_ref().map(|poll| poll_view(poll, ctx.now)),
        revisions: p
            .revisions
            .iter()
            .map(|r| revision_view(r, &emojis))
            .collect(),
        replies: Vec::new(),
    }
}

fn quote_view(ctx: &Ctx<'_>, uri: &str) -> QuoteView {
    let Some(&i) = ctx.by_uri.get(uri) else {
        return QuoteView {
            anchor: None,
            author: None,
            excerpt: None,
            spoiler_text: None,
            link: safe_url(uri),
        };
    };
    let quoted = &ctx.posts[i];
    let name = quoted.author_name.trim();
    let spoiler_text = quoted.spoiler_text.clone().filter(|s| !s.trim().is_empty());
    QuoteView {
        anchor: Some(anchor_of(&quoted.uri)),
        author: Some(if name.is_empty() {
            quoted.author_handle.clone()
        } else {
            name.to_string()
        }),
        excerpt: spoiler_text
            .is_none()
            .then(|| excerpt(&quoted.text, QUOTE_EXCERPT_CHARS)),
        spoiler_text,
        link: None,
    }
}

/// The first `max` characters of `text` on one line, cut at a word boundary when there is one
/// in the second half, with `…` when anything was cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    let shortened = match cut.rfind(' ') {
        Some(space) if cut[..space].chars().count() > max / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", shortened.trim_end())
}

fn poll_view(poll: &Poll, now: DateTime<Utc>) -> PollView {
    let votes: Option<u64> = poll.options.iter().map(|o| o.votes).sum();
    // Mastodon's rule: a multiple-choice poll's shares are of voters, a single choice's of votes.
    let base = if poll.multiple {
        poll.voters.or(votes)
    } else {
        votes.or(poll.voters)
    };
    PollView {
        options: poll
            .options
            .iter()
            .map(|o| PollOptionView {
                title: o.title.clone(),
                votes: o.votes,
                percent: o.votes.zip(base).map(|(v, total)| share(v, total)),
            })
            .collect(),
        multiple: poll.multiple,
        closes: poll.closes_at.as_ref().map(time_view),
        closed: poll.closes_at.is_some_and(|t| t <= now),
        voters: poll.voters.or(votes.filter(|_| !poll.multiple)),
        votes,
    }
}

/// `part` of `total` in whole percent, rounded; 0 of nothing.
fn share(part: u64, total: u64) -> u64 {
    if total == 0 {
        return 0;
    }
    let (part, total) = (u128::from(part.min(total)), u128::from(total));
    u64::try_from((part * 100 + total / 2) / total).unwrap_or(100)
}

fn revision_view(r: &StoredRevision, emojis: &HashMap<&str, String>) -> RevisionView {
    RevisionView {
        edited: time_view(&r.edited_at),
        spoiler_text: r.spoiler_text.clone().filter(|s| !s.trim().is_empty()),
        content_html: emojify_html(&sanitize_html(&r.content_html), emojis),
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

#[cfg(test)]
mod tests;
