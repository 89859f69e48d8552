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
use serde::Serialize;

use crate::model::{CustomEmoji, Poll};
pub use crate::sanitize::escape_html;
use crate::sanitize::{safe_url, sanitize_html};
use crate::store::{
    StoredCuration, StoredMedia, StoredPost, StoredRevision, participant_count, threads_of,
};
use crate::thread::Forest;

/// Indentation levels shown before replies are flattened.
pub const MAX_NESTING: usize = 5;

/// How much of a quoted post's text the quote block shows, in characters.
pub const QUOTE_EXCERPT_CHARS: usize = 200;

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
    /// Curated stories filed under the tag, in the archive's order (oldest first).
    pub curations: Vec<CurationView>,
    /// Threads, oldest first: with curated stories, only of the posts none of them shows.
    pub threads: Vec<ThreadView>,
}

/// A curated story, in its curator's order.
#[derive(Debug, Serialize)]
pub struct CurationView {
    /// Fragment id of its section.
    pub anchor: String,
    /// Its title (text).
    pub title: String,
    /// Its intro, sanitised again; `None` when empty. Marked safe.
    pub intro_html: Option<String>,
    /// Who curated it (text).
    pub curator: Option<String>,
    /// When it was published.
    pub published: Option<TimeView>,
    /// Where it was published, if that is a safe absolute http(s) URL.
    pub link: Option<String>,
    /// Its notes and posts.
    pub entries: Vec<EntryView>,
}

/// One entry of a curated story: a note or a post (exactly one is set).
#[derive(Debug, Serialize)]
pub struct EntryView {
    /// The curator's words, sanitised again. Marked safe.
    pub note_html: Option<String>,
    /// A post, with the replies shown under it.
    pub post: Option<ThreadView>,
}

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
    /// Display name, falling back to the handle (text).
    pub author_name: String,
    /// The same, as HTML: escaped, with the post's custom emoji as images. Marked safe.
    pub author_name_html: String,
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
    /// Sanitised content with custom emoji as images. Marked safe.
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
    /// The post it quotes.
    pub quote: Option<QuoteView>,
    /// Its poll.
    pub poll: Option<PollView>,
    /// Earlier versions, oldest first.
    pub revisions: Vec<RevisionView>,
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

/// The post a post quotes.
#[derive(Debug, Serialize)]
pub struct QuoteView {
    /// Fragment id of the quoted post when it is on the page.
    pub anchor: Option<String>,
    /// Its author's name (or handle), when it is on the page.
    pub author: Option<String>,
    /// The start of its text, when it is on the page and has no content warning.
    pub excerpt: Option<String>,
    /// Its content warning, when it is on the page and has one (the text is then not shown).
    pub spoiler_text: Option<String>,
    /// Link to it elsewhere, when it is not on the page and its URI is a safe URL.
    pub link: Option<String>,
}

/// A poll.
#[derive(Debug, Serialize)]
pub struct PollView {
    /// The choices, in order.
    pub options: Vec<PollOptionView>,
    /// Several choices could be picked.
    pub multiple: bool,
    /// When voting ends or ended.
    pub closes: Option<TimeView>,
    /// Voting had ended when the page was made.
    pub closed: bool,
    /// People who voted, when known.
    pub voters: Option<u64>,
    /// Votes cast, when every option's count is known.
    pub votes: Option<u64>,
}

/// One choice of a poll.
#[derive(Debug, Serialize)]
pub struct PollOptionView {
    /// The choice (text).
    pub title: String,
    /// Votes for it, when known.
    pub votes: Option<u64>,
    /// Its share in whole percent (of voters for a multiple-choice poll, else of votes), when
    /// its votes are known.
    pub percent: Option<u64>,
}

/// An earlier version of an edited post.
#[derive(Debug, Serialize)]
pub struct RevisionView {
    /// When it was made.
    pub edited: TimeView,
    /// Its content warning.
    pub spoiler_text: Option<String>,
    /// Its content, sanitised again, with custom emoji. Marked safe.
    pub content_html: String,
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

/// The custom emoji a page may show, by shortcode: a shortcode of `[A-Za-z0-9_]+` only, and an
/// absolute http(s) URL ([`safe_url`]); the first of a shortcode wins. Values are the URLs,
/// normalised.
pub fn usable_emojis(emojis: &[CustomEmoji]) -> HashMap<&str, String> {
    let mut out = HashMap::new();
    for e in emojis {
        if !is_shortcode(&e.shortcode) || out.contains_key(e.shortcode.as_str()) {
            continue;
        }
        if let Some(url) = safe_url(&e.url) {
            out.insert(e.shortcode.as_str(), url);
        }
    }
    out
}

fn is_shortcode(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Replaces each `:shortcode:` of `emojis` (from [`usable_emojis`]) in the text of `html` by
/// its image. `html` must be serialised HTML as [`sanitize_html`] or [`escape_html`] write it
/// (`<` in text always escaped, attribute values quoted): only text between tags changes,
/// never a tag or an attribute.
pub fn emojify_html(html: &str, emojis: &HashMap<&str, String>) -> String {
    if emojis.is_empty() || !html.contains(':') {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        emojify_text(&mut out, &rest[..lt], emojis);
        let end = tag_end(&rest[lt..]).map_or(rest.len(), |e| lt + e);
        out.push_str(&rest[lt..end]);
        rest = &rest[end..];
    }
    emojify_text(&mut out, rest, emojis);
    out
}

/// The length of the tag at the start of `html` (which starts with `<`), up to and including
/// its `>`, skipping quoted attribute values; `None` if it never closes.
fn tag_end(html: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in html.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i + 1),
            (None, _) => {}
        }
    }
    None
}

/// Pushes HTML text `text` to `out` with known shortcodes replaced by images.
fn emojify_text(out: &mut String, text: &str, emojis: &HashMap<&str, String>) {
    let mut rest = text;
    while let Some(colon) = rest.find(':') {
        out.push_str(&rest[..colon]);
        let after = &rest[colon + 1..];
        let len = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let known = (len > 0 && after[len..].starts_with(':'))
            .then(|| emojis.get(&after[..len]))
            .flatten();
        match known {
            Some(url) => {
                let code = escape_html(&after[..len]);
                out.push_str(&format!(
                    "<img class=\"emoji\" src=\"{}\" alt=\":{code}:\" title=\":{code}:\" \
                     width=\"20\" height=\"20\">",
                    escape_html(url)
                ));
                rest = &after[len + 1..];
            }
            None => {
                out.push(':');
                rest = after;
            }
        }
    }
    out.push_str(rest);
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
mod tests {
    use super::*;

    fn emoji(shortcode: &str, url: &str) -> CustomEmoji {
        CustomEmoji {
            shortcode: shortcode.into(),
            url: url.into(),
        }
    }

    const BLOB: &str = r#"<img class="emoji" src="https://e.example/blob.png" alt=":blob:" title=":blob:" width="20" height="20">"#;

    #[test]
    fn emoji_replace_text_only_never_tags_or_attributes() {
        let list = [emoji("blob", "https://e.example/blob.png")];
        let emojis = usable_emojis(&list);
        let html = sanitize_html(
            r#"<p title=":blob:">a :blob: b<a href="https://x.example/:blob:?a=1&amp;b=:blob:">:blob:</a>:blob::blob: :blob :blobx: x:blob:y</p>"#,
        );
        assert_eq!(
            emojify_html(&html, &emojis),
            format!(
                r#"<p title=":blob:">a {BLOB} b<a href="https://x.example/:blob:?a=1&amp;b=:blob:" rel="nofollow noopener ugc">{BLOB}</a>{BLOB}{BLOB} :blob :blobx: x{BLOB}y</p>"#
            )
        );
        // A `>` inside a quoted attribute value does not end the tag.
        assert_eq!(
            emojify_html(r#"<a href="https://x.example/a>:blob:">t</a>"#, &emojis),
            r#"<a href="https://x.example/a>:blob:">t</a>"#
        );
    }

    #[test]
    fn hostile_shortcodes_and_urls_are_never_markup() {
        let list = [
            emoji("js", "javascript:alert(1)"),
            emoji("data", "data:image/png;base64,AAAA"),
            emoji("rel", "/emoji/rel.png"),
            emoji(r#"q"uote"#, "https://e.example/q.png"),
            emoji("a b", "https://e.example/ab.png"),
            emoji("<b>", "https://e.example/b.png"),
            emoji("", "https://e.example/empty.png"),
            emoji("amp", r#"https://e.example/a.png?x=1&y="><script>"#),
            emoji("blob", "https://e.example/blob.png"),
            emoji("blob", "https://evil.example/second.png"),
        ];
        let emojis = usable_emojis(&list);
        let mut codes: Vec<&str> = emojis.keys().copied().collect();
        codes.sort_unstable();
        assert_eq!(codes, ["amp", "blob"]);
        assert_eq!(emojis["blob"], "https://e.example/blob.png");
        let name = escape_html(r#":js: :data: :rel: :q"uote: :a b: :<b>: :: :amp: :blob:"#);
        let got = emojify_html(&name, &emojis);
        assert_eq!(
            got,
            format!(
                "{}<img class=\"emoji\" src=\"https://e.example/a.png?x=1&amp;y=%22%3E%3Cscript%3E\" \
                 alt=\":amp:\" title=\":amp:\" width=\"20\" height=\"20\"> {BLOB}",
                escape_html(r#":js: :data: :rel: :q"uote: :a b: :<b>: :: "#)
            )
        );
        assert!(!got.contains("javascript:") && !got.contains("<script") && !got.contains("<b>"));
    }

    fn stored(uri: &str, parent: Option<&str>, minute: u32) -> StoredPost {
        StoredPost {
            uri: uri.to_owned(),
            url: None,
            author_uri: format!("{uri}/author"),
            author_handle: "@a".to_owned(),
            author_name: String::new(),
            author_avatar: None,
            created_at: DateTime::parse_from_rfc3339(&format!("2012-06-02T10:{minute:02}:00Z"))
                .expect("time")
                .with_timezone(&Utc),
            edited_at: None,
            content_html: String::new(),
            text: String::new(),
            language: None,
            in_reply_to: parent.map(str::to_owned),
            reply_to_unknown: false,
            sensitive: false,
            spoiler_text: None,
            tagged: true,
            media: Vec::new(),
            boosts: 0,
            quote_of: None,
            poll: None,
            emojis: Vec::new(),
            revisions: Vec::new(),
        }
    }

    fn uris(post: &PostView) -> String {
        let replies: Vec<String> = post.replies.iter().map(uris).collect();
        if replies.is_empty() {
            post.uri.clone()
        } else {
            format!("{}({})", post.uri, replies.join(" "))
        }
    }

    #[test]
    fn curated_posts_follow_the_curator_and_every_post_shows_once() {
        // a ← b ← c, d ← e; f alone. The curator shows e, a note, c, a missing post, e again.
        let posts = [
            stored("a", None, 0),
            stored("b", Some("a"), 1),
            stored("c", Some("b"), 2),
            stored("d", Some("c"), 3),
            stored("e", None, 4),
            stored("f", None, 5),
        ];
        let entry = |post: Option<&str>, note: Option<&str>| {
            (post.map(str::to_owned), note.map(str::to_owned))
        };
        let curation = StoredCuration {
            url: "http://storify.com/nell_ward/a-story".to_owned(),
            title: "A story".to_owned(),
            intro_html: "<script>x</script>Intro".to_owned(),
            curator_name: Some("Nell Ward".to_owned()),
            published_at: None,
            entries: vec![
                entry(Some("e"), None),
                entry(None, Some("<p onclick=\"x()\">Note</p>")),
                entry(Some("c"), None),
                entry(Some("gone"), None),
                entry(Some("e"), None),
            ],
        };
        let view = build_story("t", "A story", &posts, std::slice::from_ref(&curation));
        let [c] = view.curations.as_slice() else {
            panic!("one curation");
        };
        assert_eq!(c.intro_html.as_deref(), Some("Intro"));
        assert_eq!(
            c.link.as_deref(),
            Some("http://storify.com/nell_ward/a-story")
        );
        let shown: Vec<String> = c
            .entries
            .iter()
            .map(|e| match (&e.note_html, &e.post) {
                (Some(html), None) => html.clone(),
                (None, Some(t)) => uris(&t.root),
                _ => panic!("an entry is a note or a post"),
            })
            .collect();
        // c keeps its reply d; the thread it came from is cut above it.
        assert_eq!(shown, ["e", "<p>Note</p>", "c(d)"]);
        let rest: Vec<String> = view.threads.iter().map(|t| uris(&t.root)).collect();
        assert_eq!(rest, ["a(b)", "f"]);
        // c replies to b, which is shown elsewhere: the page says so.
        let c_view = &c.entries[2].post.as_ref().expect("post").root;
        assert_eq!(
            c_view.reply_to.as_ref().and_then(|r| r.anchor.clone()),
            Some(anchor_of("b"))
        );
        let mut shown_posts = HashSet::new();
        let by_uri: HashMap<&str, usize> = posts
            .iter()
            .enumerate()
            .map(|(i, p)| (p.uri.as_str(), i))
            .collect();
        assert_eq!(
            curated_entries(&curation, &by_uri, &mut shown_posts),
            [
                Entry::Post(4),
                Entry::Note("<p onclick=\"x()\">Note</p>"),
                Entry::Post(2)
            ]
        );
        // Without curations the page is as before.
        let plain = build_story("t", "#t", &posts, &[]);
        assert!(plain.curations.is_empty());
        let all: Vec<String> = plain.threads.iter().map(|t| uris(&t.root)).collect();
        assert_eq!(all, ["a(b(c(d)))", "e", "f"]);
    }

    #[test]
    fn no_emoji_means_no_change() {
        let html = "<p>a :blob: b</p>";
        assert_eq!(emojify_html(html, &HashMap::new()), html);
    }

    #[test]
    fn excerpt_cuts_at_a_word_and_marks_the_cut() {
        assert_eq!(excerpt("short\n\ntext", 200), "short text");
        let long = "word ".repeat(60);
        let got = excerpt(&long, 200);
        assert!(
            got.ends_with("word…") && got.chars().count() <= 201,
            "{got}"
        );
        assert_eq!(
            excerpt(&"x".repeat(300), 10),
            format!("{}…", "x".repeat(10))
        );
    }

    #[test]
    fn poll_shares_follow_mastodon() {
        let poll = |multiple, voters, votes: &[Option<u64>]| Poll {
            options: votes
                .iter()
                .map(|&v| crate::model::PollOption {
                    title: "o".into(),
                    votes: v,
                })
                .collect(),
            multiple,
            closes_at: None,
            voters,
        };
        let shares = |view: PollView| -> Vec<Option<u64>> {
            view.options.iter().map(|o| o.percent).collect()
        };
        let now = Utc::now();
        // One choice: of votes.
        assert_eq!(
            shares(poll_view(&poll(false, Some(9), &[Some(2), Some(1)]), now)),
            [Some(67), Some(33)]
        );
        // Several: of voters, so shares may add up past 100.
        let view = poll_view(&poll(true, Some(4), &[Some(3), Some(4)]), now);
        assert_eq!((view.voters, view.votes), (Some(4), Some(7)));
        assert_eq!(shares(view), [Some(75), Some(100)]);
        // Unknown counts give no share; no votes at all give 0 %.
        assert_eq!(
            shares(poll_view(&poll(true, None, &[Some(3), None]), now)),
            [None, None]
        );
        assert_eq!(
            shares(poll_view(&poll(false, Some(0), &[Some(0), Some(0)]), now)),
            [Some(0), Some(0)]
        );
        assert_eq!(share(u64::MAX, u64::MAX), 100);
    }
}
