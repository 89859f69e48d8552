//! From a [`Story`] to the views the page template receives.
//!
//! Threads deeper than [`MAX_NESTING`] are shown flattened below that depth, each flattened reply
//! naming the post it answers. Deep indentation is unreadable on a phone, and it keeps the
//! nesting the template engine has to walk small however deep a conversation goes. An author's
//! reply to their own post, when it is the first reply, continues that post's block instead of
//! nesting under it, so a self-thread reads as one piece.
//!
//! With curated stories (Storify) each curated post is shown in its curator's order with its
//! replies nested under it; posts no curated story shows follow as threads. Every post is shown
//! exactly once: a curated post is cut out of the thread it belongs to.
//!
//! # What the template may mark safe
//! Only HTML the story stage sanitised (content, earlier versions, intros, notes) or built here
//! from escaped parts: display names escaped here, each then given the post's custom emoji (see
//! [`emojify_html`]), which adds nothing but `<img class="emoji">` elements built from a checked
//! shortcode and a safe URL; and the chart, built from numbers and escaped labels.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr};

use super::chart::chart;
use super::emoji::{emojify_html, usable_emojis};
use super::thread::{post_html, thread_section};
use super::views::*;
use crate::model::Poll;
use crate::sanitize::{escape_html, safe_url};
use crate::story::{Clock, CurationEntry, Revision, Story};

/// Indentation levels shown before replies are flattened.
pub const MAX_NESTING: usize = 5;

/// How much of a quoted post's text the quote block shows, in characters.
pub(super) const QUOTE_EXCERPT_CHARS: usize = 200;

/// Participants the overview names; the rest are counted.
pub(super) const PARTICIPANTS_LISTED: usize = 40;

/// What building a post's view needs to know about the whole story.
struct Ctx<'a> {
    story: &'a Story,
    media: &'a super::MediaLinks,
    layout: &'a Layout,
    by_uri: &'a foldhash::HashMap<String, usize>,
    replies_in_story: &'a [usize],
}

/// Lookups over a story's posts, made once per page.
struct Index {
    by_uri: foldhash::HashMap<String, usize>,
    /// Replies in the story to each post (by index into the story's posts).
    replies_in_story: Vec<usize>,
}

impl Index {
    fn of(story: &Story) -> Index {
        let by_uri: foldhash::HashMap<String, usize> = story
            .posts
            .iter()
            .enumerate()
            .map(|(i, p)| (p.uri.clone(), i))
            .collect();
        let mut replies_in_story = vec![0; story.posts.len()];
        for p in &story.posts {
            if let Some(&parent) = p.in_reply_to.as_ref().and_then(|uri| by_uri.get(uri)) {
                replies_in_story[parent] += 1;
            }
        }
        Index {
            by_uri,
            replies_in_story,
        }
    }
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Index({} posts)", self.by_uri.len())
    }
}

/// The page's threads, built one at a time as the template reaches them, so a large story is
/// never held as views all at once.
#[derive(Debug)]
struct LazyThreads {
    story: Arc<Story>,
    media: Arc<super::MediaLinks>,
    layout: Arc<Layout>,
    index: Arc<Index>,
    roots: Vec<usize>,
    curated: Arc<HashSet<usize>>,
    /// The level of each thread's heading: `h3` under curated stories, else `h2`.
    heading: &'static str,
}

impl LazyThreads {
    fn thread(&self, i: usize) -> ThreadView {
        let ctx = Ctx {
            story: &self.story,
            media: &self.media,
            layout: &self.layout,
            by_uri: &self.index.by_uri,
            replies_in_story: &self.index.replies_in_story,
        };
        build_thread(&ctx, self.roots[i], &self.curated)
    }
}

impl Object for LazyThreads {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Iterable
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Iter(Box::new(Sections::start(Arc::clone(self))))
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.roots.len())
    }

    fn is_true(self: &Arc<Self>) -> bool {
        !self.roots.is_empty()
    }
}

/// The HTML of a page's threads, made on a thread of its own a few sections ahead of the
/// template that writes them out: building a thread's views and markup is as much work again
/// as writing the page, and the two need not wait for each other.
struct Sections {
    // minijinja asks that iterators be `Sync`; only the one writing the page takes from it.
    made: std::sync::Mutex<std::sync::mpsc::Receiver<String>>,
    maker: Option<std::thread::JoinHandle<()>>,
}

/// Sections made ahead of the one being written.
const SECTIONS_AHEAD: usize = 16;

impl Sections {
    fn start(threads: Arc<LazyThreads>) -> Sections {
        let (out, made) = std::sync::mpsc::sync_channel(SECTIONS_AHEAD);
        let maker = std::thread::spawn(move || {
            for i in 0..threads.roots.len() {
                let section = thread_section(&threads.thread(i), threads.heading);
                // The page was abandoned (a template error): nothing more is wanted.
                if out.send(section).is_err() {
                    break;
                }
            }
        });
        Sections {
            made: std::sync::Mutex::new(made),
            maker: Some(maker),
        }
    }
}

impl Iterator for Sections {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        let made = match self.made.get_mut() {
            Ok(made) => made.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        match made {
            Ok(section) => Some(Value::from_safe_string(section)),
            Err(_) => {
                // Every section was sent, or the maker panicked: then so does the page.
                if let Some(Err(panic)) = self.maker.take().map(std::thread::JoinHandle::join) {
                    std::panic::resume_unwind(panic);
                }
                None
            }
        }
    }
}

/// How a story is laid out over pages: one page, or (a story too large for one) an index and
/// thread pages, each thread whole on one of them.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The first posts of the threads on each thread page; empty for a single page.
    pub pages: Vec<Vec<usize>>,
    /// The thread page each post is on (by index into the story's posts).
    pub page_of: Vec<usize>,
    /// The page being made: `None` for the single page or the index.
    pub current: Option<usize>,
}

impl Layout {
    /// Threads grouped into pages of about `page_size` posts (a larger thread has a page of
    /// its own); a single page when the story fits one.
    pub fn split(story: &Story, roots: &[usize], page_size: usize) -> Layout {
        if story.overview.post_count <= page_size {
            return Layout::default();
        }
        let mut pages: Vec<Vec<usize>> = vec![Vec::new()];
        let mut page_of = vec![0; story.posts.len()];
        let mut filled = 0;
        for &root in roots {
            let members: Vec<usize> = story.forest.preorder(root).map(|(n, _)| n).collect();
            if filled > 0 && filled + members.len() > page_size {
                pages.push(Vec::new());
                filled = 0;
            }
            let page = pages.len() - 1;
            pages[page].push(root);
            filled += members.len();
            for n in members {
                page_of[n] = page;
            }
        }
        Layout {
            pages,
            page_of,
            current: None,
        }
    }

    /// The file of thread page `page`.
    pub fn file(page: usize) -> String {
        format!("threads-{}.html", page + 1)
    }

    fn is_split(&self) -> bool {
        !self.pages.is_empty()
    }

    /// The link to post `node` from the page being made.
    fn href(&self, node: usize, anchor: &str) -> String {
        match self.page_of.get(node) {
            Some(&page) if self.is_split() && self.current != Some(page) => {
                format!("{}#{anchor}", Layout::file(page))
            }
            _ => format!("#{anchor}"),
        }
    }
}

impl Ctx<'_> {
    /// Where the page finds the archived file of `url`, if it is archived and reachable.
    fn src(&self, url: Option<&str>) -> Option<String> {
        let file = self.story.file(url?)?;
        match self.media {
            super::MediaLinks::None => None,
            super::MediaLinks::Folder => Some(format!("media/{}", file.name())),
            super::MediaLinks::Embedded(uris) => uris.get(&file.sha256).cloned(),
        }
    }
}

/// Builds the page view of `story`, its threads made as the template reaches them.
pub fn page_view(story: &Arc<Story>, media: &Arc<super::MediaLinks>) -> PageView {
    page_view_in(story, media, &Arc::new(Layout::default()))
}

/// The roots of the threads a page of `story` lists (all but the curated posts).
pub fn thread_roots(story: &Story) -> Vec<usize> {
    story.thread_roots(&story.curated_posts())
}

/// Builds the view of one page of `story` as `layout` lays it out: the single page, the
/// index (overview and contents, no threads), or a thread page (its threads only).
pub fn page_view_in(
    story: &Arc<Story>,
    media: &Arc<super::MediaLinks>,
    layout: &Arc<Layout>,
) -> PageView {
    let index = Arc::new(Index::of(story));
    let ctx = Ctx {
        story,
        media,
        layout,
        by_uri: &index.by_uri,
        replies_in_story: &index.replies_in_story,
    };
    let curated = story.curated_posts();
    // Thread pages of a split story carry only their threads; curated stories are on the index.
    let curations = if layout.current.is_some() {
        &[][..]
    } else {
        story.shown_curations()
    };
    let curation_views = curations
        .iter()
        .map(|c| CurationView {
            anchor: format!("s-{}", anchor_of(&c.url)),
            title: c.title.clone(),
            intro_html: c.intro_html.clone(),
            curator: c.curator.clone(),
            published: c.published_at.as_ref().map(|t| time_view(&story.clock, t)),
            link: c.link.clone(),
            entries: c
                .entries
                .iter()
                .filter_map(|e| match e {
                    CurationEntry::Post(i) => {
                        let thread = build_thread(&ctx, *i, &curated);
                        Some(EntryView {
                            note_html: None,
                            post_html: Some(post_html(&thread.root)),
                            post: Some(thread),
                        })
                    }
                    CurationEntry::Note(html) => Some(EntryView {
                        note_html: Some(html.clone()),
                        post_html: None,
                        post: None,
                    }),
                    // Shown with the post it stands at.
                    CurationEntry::CuratorNote(_) => None,
                })
                .collect(),
        })
        .collect::<Vec<_>>();
    let all_roots = story.thread_roots(&curated);
    let toc = all_roots
        .iter()
        .map(|&root| {
            let p = &story.posts[root];
            let anchor = format!("t-{}", anchor_of(&p.uri));
            TocView {
                href: if layout.is_split() {
                    format!("{}#{anchor}", Layout::file(layout.page_of[root]))
                } else {
                    format!("#{anchor}")
                },
                anchor,
                title: match p.left_out {
                    Some(why) => why.describe().to_string(),
                    None => p.author.shown_name().to_string(),
                },
                created: story.clock.human(&p.created_at),
                size: story.forest.preorder(root).count(),
            }
        })
        .collect();
    let roots = match layout.current {
        _ if !layout.is_split() => all_roots,
        None => Vec::new(),
        Some(page) => layout.pages[page].clone(),
    };
    let threads = Value::from_object(LazyThreads {
        story: Arc::clone(story),
        media: Arc::clone(media),
        layout: Arc::clone(layout),
        index: Arc::clone(&index),
        roots,
        curated: Arc::new(curated),
        heading: if curation_views.is_empty() {
            "h2"
        } else {
            "h3"
        },
    });
    let o = &story.overview;
    let clock = &story.clock;
    PageView {
        tag: story.tag.clone(),
        title: story.title.clone(),
        intro_html: story.intro_html.clone(),
        post_count: o.post_count,
        participant_count: o.participant_count,
        boost_count: o.boost_count,
        context_count: o.context_count,
        hidden_count: o.hidden_count,
        first: o.first.as_ref().map(|t| time_view(clock, t)),
        last: o.last.as_ref().map(|t| time_view(clock, t)),
        generated: time_view(clock, &story.generated_at),
        zone: clock.name().to_string(),
        chart_svg: chart(&o.timeline),
        chart_summary: super::chart::summary(&o.timeline, clock),
        chart_span: o
            .timeline
            .buckets
            .first()
            .zip(o.timeline.buckets.last())
            .map(|(a, b)| (a.label.clone(), b.label.clone())),
        participants: o
            .participants
            .iter()
            .take(PARTICIPANTS_LISTED)
            .map(|p| ParticipantView {
                name: p.name.clone(),
                handle: p.handle.clone(),
                posts: p.posts,
            })
            .collect(),
        participants_more: o.participants.len().saturating_sub(PARTICIPANTS_LISTED),
        order: story.order.name(),
        curations: curation_views,
        toc,
        threads,
        sources: story
            .sources
            .iter()
            .map(|s| SourceView {
                name: s.name.clone(),
                format: s.format.clone(),
                collected: time_view(clock, &s.collected_at),
            })
            .collect(),
        version: env!("CARGO_PKG_VERSION"),
        pages: layout.is_split().then(|| PagesView {
            current: layout.current.map(|p| p + 1),
            pages: layout
                .pages
                .iter()
                .enumerate()
                .map(|(i, roots)| {
                    let size = roots
                        .iter()
                        .map(|&r| story.forest.preorder(r).count())
                        .sum();
                    (Layout::file(i), size)
                })
                .collect(),
        }),
        indexable: story.indexable,
        anonymized: story.anonymized,
        statement: story.statement(),
        datasheet: story
            .datasheet
            .rows()
            .into_iter()
            .map(|(n, label)| (label.to_string(), n))
            .collect(),
    }
}

/// Every thread of the page's view of `story`, built at once (for tests that want them as
/// values).
#[cfg(test)]
pub(super) fn thread_views(story: &Arc<Story>, media: &Arc<super::MediaLinks>) -> Vec<ThreadView> {
    let view = page_view(story, media);
    let Some(threads) = view.threads.downcast_object_ref::<LazyThreads>() else {
        return Vec::new();
    };
    (0..threads.roots.len())
        .map(|i| threads.thread(i))
        .collect()
}

/// A post's place in a thread as the page lays it out.
struct Placed {
    node: usize,
    depth: usize,
    continues: bool,
    /// Where its parent is in the thread's order; `None` for the thread's first post.
    parent: Option<usize>,
}

/// Builds one thread bottom-up (no recursion): each post goes under its display parent, which
/// is its real parent down to [`MAX_NESTING`] and the ancestor at that depth below it; a
/// self-reply that continues its parent goes into the parent's block. Posts of `cut` below the
/// root are shown elsewhere, and so are their replies. Posts are found by their place in the
/// thread's order rather than in maps, which a story of many small threads spent its time on.
fn build_thread(ctx: &Ctx<'_>, root: usize, cut: &HashSet<usize>) -> ThreadView {
    let posts = &ctx.story.posts;
    let order = shown_preorder(ctx.story, root, cut);
    // `up[i]`: the nearest of post i and its ancestors shallow enough to have replies nested
    // under it; `under[i]`: the post it is shown under (or continues), `None` for the root.
    let mut up: Vec<usize> = Vec::with_capacity(order.len());
    let mut under: Vec<Option<usize>> = Vec::with_capacity(order.len());
    for (i, placed) in order.iter().enumerate() {
        under.push(
            placed
                .parent
                .map(|parent| if placed.continues { parent } else { up[parent] }),
        );
        up.push(match placed.parent {
            Some(parent) if placed.depth >= MAX_NESTING => up[parent],
            _ => i,
        });
    }
    let mut pending: Vec<Vec<PostView>> =
        std::iter::repeat_with(Vec::new).take(order.len()).collect();
    let mut continuation: Vec<Option<Box<PostView>>> =
        std::iter::repeat_with(|| None).take(order.len()).collect();
    for (i, placed) in order.iter().enumerate().rev() {
        let shown_under = under[i];
        let mut view = post_view(ctx, placed.node, shown_under.map(|u| order[u].node));
        let mut replies = std::mem::take(&mut pending[i]);
        replies.reverse();
        view.replies = replies;
        view.continuation = continuation[i].take();
        match shown_under {
            Some(parent) if placed.continues => {
                view.continues = true;
                continuation[parent] = Some(Box::new(view));
            }
            Some(parent) => pending[parent].push(view),
            None => {
                return ThreadView {
                    anchor: format!("t-{}", anchor_of(&posts[placed.node].uri)),
                    size: order.len(),
                    root: view,
                };
            }
        }
    }
    unreachable!("a preorder always ends with its root when reversed")
}

/// The posts of the thread under `root` in preorder, with their display depths, without the
/// posts of `cut` below the root and their replies. A post's first reply by its own author
/// continues it at the same depth.
fn shown_preorder(story: &Story, root: usize, cut: &HashSet<usize>) -> Vec<Placed> {
    let posts = &story.posts;
    let mut order = Vec::new();
    let mut stack = vec![(root, 0, false, None)];
    while let Some((node, depth, continues, parent)) = stack.pop() {
        let at = order.len();
        order.push(Placed {
            node,
            depth,
            continues,
            parent,
        });
        let mut kids = story.forest.children[node]
            .iter()
            .copied()
            .filter(|k| !cut.contains(k))
            .peekable();
        let first = kids.peek().copied();
        let start = stack.len();
        for k in kids {
            let own = Some(k) == first
                && posts[node].left_out.is_none()
                && posts[k].left_out.is_none()
                && posts[k].author.uri == posts[node].author.uri;
            stack.push(if own {
                (k, depth, true, Some(at))
            } else {
                (k, depth + 1, false, Some(at))
            });
        }
        // Popped in the order they were listed.
        stack[start..].reverse();
    }
    order
}

fn post_view(ctx: &Ctx<'_>, node: usize, shown_under: Option<usize>) -> PostView {
    let story = ctx.story;
    let p = &story.posts[node];
    let clock = &story.clock;
    let emojis: HashMap<&str, String> = usable_emojis(&p.emojis)
        .into_iter()
        .filter_map(|(code, url)| Some((code, ctx.src(Some(&url))?)))
        .collect();
    let parent = p
        .in_reply_to
        .as_deref()
        .and_then(|uri| ctx.by_uri.get(uri))
        .copied();
    let reply_to = match (parent, shown_under) {
        (Some(parent), Some(shown)) if parent == shown => None,
        (Some(parent), _) => {
            let parent_post = &story.posts[parent];
            Some(ReplyToView {
                anchor: Some(ctx.layout.href(parent, &anchor_of(&parent_post.uri))),
                // A pseudonymous author has no handle: the pseudonym stands for it.
                handle: (parent_post.left_out.is_none()).then(|| {
                    if parent_post.author.handle.is_empty() {
                        parent_post.author.shown_name().to_string()
                    } else {
                        parent_post.author.handle.clone()
                    }
                }),
                link: None,
            })
        }
        (None, _) if p.in_reply_to.is_some() || p.reply_to_unknown => Some(ReplyToView {
            anchor: None,
            handle: None,
            link: p.in_reply_to.as_deref().and_then(safe_url),
        }),
        (None, _) => None,
    };
    let author_name = p.author.shown_name().to_string();
    let archived = ctx.replies_in_story[node];
    let notes = |list: &[usize]| -> Vec<String> {
        list.iter().map(|&n| story.notes[n].html.clone()).collect()
    };
    PostView {
        author_name_html: emojify_html(&escape_html(&author_name), &emojis),
        anchor: anchor_of(&p.uri),
        uri: p.uri.clone(),
        left_out: p.left_out.map(|l| l.name()),
        left_out_text: p.left_out.map(|l| l.describe()),
        curator_cw: p.curator_warning.clone(),
        link: if p.left_out.is_some() {
            None
        } else {
            p.url.clone().or_else(|| safe_url(&p.uri))
        },
        initial: author_name
            .trim_start_matches('@')
            .chars()
            .next()
            .unwrap_or('?')
            .to_uppercase()
            .collect(),
        has_name: !p.author.name.trim().is_empty(),
        author_name,
        author_handle: p.author.handle.clone(),
        avatar: ctx.src(p.author.avatar.as_deref()),
        created: time_view(clock, &p.created_at),
        edited: p.edited_at.as_ref().map(|t| time_view(clock, t)),
        content_html: emojify_html(&p.content_html, &emojis),
        lang: p.language.clone(),
        tagged: p.tagged,
        sensitive: p.sensitive,
        spoiler_text: p.content_warning().map(str::to_string),
        media: p
            .media
            .iter()
            .map(|m| MediaView {
                url: ctx.src(m.url.as_deref()),
                alt: m.description().map(str::to_string),
                kind: m.kind.clone(),
                poster: ctx.src(m.preview.as_deref()),
            })
            .collect(),
        boosts: p.boosts,
        replies_missing: p
            .replies_total
            .filter(|&total| total > archived as u64)
            .map(|total| RepliesView { archived, total }),
        reply_to,
        quote: p.quote_of.as_deref().map(|uri| quote_view(ctx, uri)),
        poll: p
            .poll
            .as_ref()
            .map(|poll| poll_view(poll, clock, story.generated_at)),
        revisions: p
            .revisions
            .iter()
            .map(|r| revision_view(r, clock, &emojis))
            .collect(),
        notes_before: notes(&p.notes_before),
        notes_after: notes(&p.notes_after),
        continuation: None,
        continues: false,
        replies: Vec::new(),
    }
}

fn quote_view(ctx: &Ctx<'_>, uri: &str) -> QuoteView {
    let quoted = ctx
        .by_uri
        .get(uri)
        .map(|&i| (i, &ctx.story.posts[i]))
        .filter(|(_, q)| q.left_out.is_none());
    let Some((at, quoted)) = quoted else {
        return QuoteView {
            anchor: None,
            author: None,
            excerpt: None,
            spoiler_text: None,
            link: safe_url(uri),
        };
    };
    let spoiler_text = quoted.content_warning().map(str::to_string);
    QuoteView {
        anchor: Some(ctx.layout.href(at, &anchor_of(&quoted.uri))),
        author: Some(quoted.author.shown_name().to_string()),
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

pub(super) fn poll_view(poll: &Poll, clock: &Clock, now: DateTime<Utc>) -> PollView {
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
        closes: poll.closes_at.as_ref().map(|t| time_view(clock, t)),
        closed: poll.closes_at.is_some_and(|t| t <= now),
        voters: poll.voters.or(votes.filter(|_| !poll.multiple)),
        votes,
    }
}

/// `part` of `total` in whole percent, rounded; 0 of nothing.
pub(super) fn share(part: u64, total: u64) -> u64 {
    if total == 0 {
        return 0;
    }
    let (part, total) = (u128::from(part.min(total)), u128::from(total));
    u64::try_from((part * 100 + total / 2) / total).unwrap_or(100)
}

fn revision_view(r: &Revision, clock: &Clock, emojis: &HashMap<&str, String>) -> RevisionView {
    RevisionView {
        edited: time_view(clock, &r.edited_at),
        spoiler_text: r.spoiler_text.clone().filter(|s| !s.trim().is_empty()),
        content_html: emojify_html(&r.content_html, emojis),
    }
}

/// A time as the page shows it, in the story's zone.
pub(super) fn time_view(clock: &Clock, t: &DateTime<Utc>) -> TimeView {
    TimeView {
        iso: Clock::iso(t),
        human: clock.human(t),
        date: clock.date(t),
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
