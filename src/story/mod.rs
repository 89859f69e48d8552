//! The story stage: from the posts of a tag as the archive holds them, and the curator's
//! choices, to the one [`Story`] every output renders. Curation (title, intro, notes, posts
//! left out, order) is applied here, once, so HTML, JSON and Markdown cannot disagree.
//!
//! Every URL in a [`Story`] has passed [`safe_url`] and every HTML field [`sanitize_html`];
//! text fields are untrusted and each output escapes them for its own syntax.
//!
//! A post the curator hides leaves the story. If replies to it are still shown, a stub stands
//! in its place so they keep their thread; it carries the post's URI and time and nothing of
//! its content or author.
//!
//! Curated stories brought back from Storify keep their curator's order: each entry names a
//! post (shown at most once in the whole story; an entry naming a post that is not in the story,
//! deleted since, say, is left out) or holds a note.

mod clock;
mod consent;
mod model;
mod overview;
mod parallel;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

pub use clock::Clock;
pub use consent::ConsentMode;
pub use model::*;
pub use overview::{Bucket, Overview, Participant, Timeline, Unit};

use crate::sanitize::{safe_url, sanitize_html};
use crate::store::{
    StoredCuration, StoredCurator, StoredMedia, StoredPost, StoredRevision, StoredSource,
};
use crate::thread::{Forest, Link, build_threads};

/// What the archive holds for a story.
#[derive(Debug, Default)]
pub struct Input {
    /// Every post filed under the tag.
    pub posts: Vec<StoredPost>,
    /// Curated stories filed under the tag (Storify), oldest first.
    pub curations: Vec<StoredCuration>,
    /// The tagstory curator's title, intro, notes and hidden posts.
    pub curator: StoredCurator,
    /// Sources collected for the tag.
    pub sources: Vec<StoredSource>,
    /// Posts deleted by their authors, as the tag's sources reported.
    pub deleted: u64,
    /// Posts not stored because their author refuses archiving.
    pub not_stored_for_consent: u64,
    /// Files archived for the story's URLs (`tagstory media`), by URL as stored.
    pub files: HashMap<String, LocalFile>,
}

/// How to assemble a story.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Threads or a timeline.
    pub order: Order,
    /// The zone times are shown in.
    pub clock: Clock,
    /// A title that wins over the archived ones (`render --title`).
    pub title: Option<String>,
    /// The tag as the user wrote it, for the default title `#Tag`.
    pub display_tag: String,
    /// When the story is made (the page's date, whether a poll has closed).
    pub now: Option<DateTime<Utc>>,
    /// Authors who opted out of indexing: pseudonym, left out, or by name.
    pub consent: ConsentMode,
    /// Everyone under a pseudonym.
    pub anonymize: bool,
    /// Let search engines index the page.
    pub indexable: bool,
}

/// Assembles the story of `tag`.
pub fn assemble(tag: &str, input: Input, options: &Options) -> Story {
    let Input {
        posts,
        curations,
        curator,
        sources,
        deleted,
        not_stored_for_consent,
        files,
    } = input;
    let plan = consent::Plan::new(&posts, options.consent, options.anonymize);
    let hidden: HashSet<&str> = curator.hidden.iter().map(String::as_str).collect();
    let why = |p: &StoredPost| {
        if hidden.contains(p.uri.as_str()) {
            Some(LeftOut::Curator)
        } else if plan.left_out.contains(&p.author_uri) {
            Some(LeftOut::Consent)
        } else {
            None
        }
    };
    let left: Vec<Option<LeftOut>> = posts.iter().map(why).collect();
    let kept = kept_posts(&posts, &left, options.order);
    let hidden_count = posts
        .iter()
        .filter(|p| hidden.contains(p.uri.as_str()))
        .count();
    let left_out_for_consent = left
        .iter()
        .filter(|w| **w == Some(LeftOut::Consent))
        .count();
    let anonymised_authors: HashSet<&str> = posts
        .iter()
        .filter(|p| plan.anonymised.contains(&p.author_uri))
        .map(|p| p.author_uri.as_str())
        .collect();
    let datasheet = Datasheet {
        collected: posts.len() as u64,
        hidden: hidden_count as u64,
        deleted,
        anonymised: anonymised_authors.len() as u64,
        left_out_for_consent: left_out_for_consent as u64,
        not_stored_for_consent,
    };
    // The stored posts become the story's in time order, moved rather than copied: a large
    // story is held once. The sort moves small keys, not posts (a post is a large value).
    let mut keys: Vec<(DateTime<Utc>, &str, usize)> = posts
        .iter()
        .enumerate()
        .map(|(i, p)| (p.created_at, p.uri.as_str(), i))
        .collect();
    keys.sort_unstable();
    let order: Vec<usize> = keys.into_iter().map(|(_, _, i)| i).collect();
    let mut converted =
        parallel::map_in_order(posts, |avatars: &mut CheckedUrls, i, p| match kept[i] {
            Keep::No => None,
            Keep::Shown => Some(post_of(p, avatars)),
            Keep::Stub => Some(stub_of(&p, left[i].unwrap_or(LeftOut::Curator))),
        });
    let mut nodes: Vec<Post> = Vec::with_capacity(converted.len());
    for i in order {
        nodes.extend(converted[i].take());
    }
    drop(converted);
    let forest = match options.order {
        Order::Threads => forest_of(&nodes),
        Order::Time => Forest {
            roots: (0..nodes.len()).collect(),
            children: vec![Vec::new(); nodes.len()],
            parent: vec![None; nodes.len()],
        },
    };
    // Only notes, warnings and curated stories look posts up by URI; most stories have none.
    let curated_at_all =
        !(curator.notes.is_empty() && curator.warnings.is_empty() && curations.is_empty());
    let by_uri: HashMap<String, usize> = nodes
        .iter()
        .enumerate()
        .filter(|(_, p)| curated_at_all && p.left_out.is_none())
        .map(|(i, p)| (p.uri.clone(), i))
        .collect();
    let mut notes = place_notes(&curator, &by_uri, &mut nodes);
    warn(&curator.warnings, &by_uri, &mut nodes);
    let mut curations = curated(&curations, &by_uri, &nodes);
    if plan.active() {
        apply_plan(&plan, &mut nodes, &mut notes, &mut curations);
    }
    let overview = overview_of(&nodes, &forest, hidden_count, &options.clock);
    let title = options
        .title
        .clone()
        .or_else(|| curator.title.clone())
        .or_else(|| curations.first().map(|c| c.title.clone()))
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| format!("#{}", options.display_tag));
    let intro_html = curator
        .intro_html
        .as_deref()
        .map(sanitize_html)
        .filter(|h| !h.trim().is_empty())
        .or_else(|| curations.first().and_then(|c| c.intro_html.clone()))
        .map(|h| plan.html(&h));
    let mut sources = sources_of(sources);
    if plan.full {
        for s in &mut sources {
            s.name = anonymous_source(&s.name, &s.format);
        }
    }
    Story {
        tag: tag.to_string(),
        title: plan.text(&title),
        intro_html,
        posts: nodes,
        forest,
        order: options.order,
        curations,
        notes,
        overview,
        sources,
        generated_at: options.now.unwrap_or_else(Utc::now),
        clock: options.clock,
        datasheet,
        anonymized: options.anonymize,
        indexable: options.indexable,
        files: files_by_checked_url(files),
    }
}

/// Files by URL as stored and as the story shows it (checked and normalised), so a post's
/// `safe_url` finds its file.
fn files_by_checked_url(files: HashMap<String, LocalFile>) -> HashMap<String, LocalFile> {
    let mut out = HashMap::with_capacity(files.len() * 2);
    for (url, file) in files {
        if let Some(checked) = safe_url(&url) {
            out.insert(checked, file.clone());
        }
        out.insert(url, file);
    }
    out
}

/// Pseudonyms, pseudonymous ids and scrubbed text wherever the plan says.
fn apply_plan(
    plan: &consent::Plan,
    nodes: &mut [Post],
    notes: &mut [Note],
    curations: &mut [Curation],
) {
    let in_story: foldhash::HashSet<String> = nodes.iter().map(|p| p.uri.clone()).collect();
    for p in nodes.iter_mut() {
        let anonymous =
            plan.anonymised.contains(&p.author.uri) || p.left_out == Some(LeftOut::Consent);
        if anonymous {
            if let Some((n, name)) = plan.pseudonyms.get(&p.author.uri) {
                p.author = Author {
                    uri: format!("anon:author:{n}"),
                    handle: String::new(),
                    name: if p.left_out.is_some() {
                        String::new()
                    } else {
                        name.clone()
                    },
                    avatar: None,
                };
            }
            p.url = None;
        }
        if plan.full {
            for m in &mut p.media {
                m.url = None;
                m.preview = None;
            }
        }
        p.uri = plan.post_uri(&p.uri);
        if let Some(parent) = p.in_reply_to.take() {
            p.in_reply_to = plan.reference(&parent, in_story.contains(&parent));
            p.reply_to_unknown |= p.in_reply_to.is_none();
        }
        if let Some(quoted) = p.quote_of.take() {
            p.quote_of = plan.reference(&quoted, in_story.contains(&quoted));
        }
        p.content_html = plan.html(&p.content_html);
        p.text = plan.text(&p.text);
        p.spoiler_text = p.spoiler_text.as_deref().map(|t| plan.text(t));
        for r in &mut p.revisions {
            r.content_html = plan.html(&r.content_html);
            r.spoiler_text = r.spoiler_text.as_deref().map(|t| plan.text(t));
        }
        for m in &mut p.media {
            m.alt = m.alt.as_deref().map(|a| plan.text(a));
        }
        if let Some(poll) = &mut p.poll {
            for o in &mut poll.options {
                o.title = plan.text(&o.title);
            }
        }
        p.curator_warning = p.curator_warning.as_deref().map(|w| plan.text(w));
    }
    for n in notes.iter_mut() {
        n.post_uri = plan.post_uri(&n.post_uri);
        n.html = plan.html(&n.html);
    }
    for c in curations.iter_mut() {
        c.title = plan.text(&c.title);
        c.intro_html = c.intro_html.as_deref().map(|h| plan.html(h));
        if plan.full {
            c.curator = None;
            c.link = None;
            c.url = String::new();
        }
        for e in &mut c.entries {
            if let CurationEntry::Note(html) = e {
                *html = plan.html(html);
            }
        }
    }
}

/// A source named without naming anyone: a URL's host, or the kind of file.
fn anonymous_source(name: &str, format: &str) -> String {
    match crate::urls::authority(name) {
        Some(host) if name.contains("://") => host,
        _ => format!("a {format} file"),
    }
}

/// The curator's content warnings: on the post, and on every reply shown under it.
fn warn(warnings: &[(String, String)], by_uri: &HashMap<String, usize>, nodes: &mut [Post]) {
    if warnings.is_empty() {
        return;
    }
    let forest = forest_of(nodes);
    for (uri, text) in warnings {
        let Some(&at) = by_uri.get(uri) else { continue };
        let under: Vec<usize> = forest.preorder(at).map(|(n, _)| n).collect();
        for n in under {
            let p = &mut nodes[n];
            p.curator_warning = Some(match p.curator_warning.take() {
                Some(above) if above != *text => format!("{above}; {text}"),
                _ => text.clone(),
            });
        }
    }
}

/// Whether a stored post is in the story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    Shown,
    Stub,
    No,
}

/// Hidden posts leave; one with replies still in the story leaves a stub (threads only).
fn kept_posts(posts: &[StoredPost], left: &[Option<LeftOut>], order: Order) -> Vec<Keep> {
    let is_hidden: Vec<bool> = left.iter().map(Option::is_some).collect();
    let mut keep: Vec<Keep> = is_hidden
        .iter()
        .map(|&h| if h { Keep::No } else { Keep::Shown })
        .collect();
    if order == Order::Time || !is_hidden.contains(&true) {
        return keep;
    }
    let forest = threads_of(posts);
    // Children before parents, so a stub knows whether anything under it is kept.
    let mut postorder = Vec::with_capacity(posts.len());
    for &root in &forest.roots {
        postorder.extend(forest.preorder(root).map(|(node, _)| node));
    }
    for &node in postorder.iter().rev() {
        if is_hidden[node] && forest.children[node].iter().any(|&c| keep[c] != Keep::No) {
            keep[node] = Keep::Stub;
        }
    }
    keep
}

/// The reply forest of a story's stored posts (indices into `posts`).
pub fn threads_of(posts: &[StoredPost]) -> Forest {
    forest(posts.iter().map(|p| (&p.uri, &p.in_reply_to, p.created_at)))
}

fn forest_of(posts: &[Post]) -> Forest {
    forest(posts.iter().map(|p| (&p.uri, &p.in_reply_to, p.created_at)))
}

/// The reply forest of posts given as `(uri, parent, created_at)`.
fn forest<'a>(
    posts: impl Iterator<Item = (&'a String, &'a Option<String>, DateTime<Utc>)>,
) -> Forest {
    let links: Vec<Link<'_>> = posts
        .map(|(uri, parent, created_at)| Link {
            uri,
            parent: parent.as_deref(),
            created_at,
        })
        .collect();
    build_threads(&links)
}

/// How many people wrote a story's stored posts.
pub fn participant_count(posts: &[StoredPost]) -> usize {
    posts
        .iter()
        .map(|p| p.author_uri.as_str())
        .collect::<HashSet<_>>()
        .len()
}

/// [`safe_url`] of URLs seen before, remembered: an author's avatar is on each of their posts.
#[derive(Default)]
struct CheckedUrls(HashMap<String, Option<String>>);

impl CheckedUrls {
    fn check(&mut self, url: &str) -> Option<String> {
        if let Some(checked) = self.0.get(url) {
            return checked.clone();
        }
        let checked = safe_url(url);
        self.0.insert(url.to_owned(), checked.clone());
        checked
    }
}

fn post_of(p: StoredPost, avatars: &mut CheckedUrls) -> Post {
    let url = p.url.as_deref().and_then(safe_url);
    let avatar = p.author_avatar.as_deref().and_then(|a| avatars.check(a));
    let content_html = crate::sanitize::sanitize_html_owned(p.content_html);
    let media = p.media.iter().map(media_of).collect();
    let revisions = p.revisions.iter().map(revision_of).collect();
    Post {
        uri: p.uri,
        url,
        author: crate::story::Author {
            uri: p.author_uri,
            handle: p.author_handle,
            name: p.author_name,
            avatar,
        },
        created_at: p.created_at,
        edited_at: p.edited_at,
        content_html,
        text: p.text,
        language: p.language.filter(|l| is_language_tag(l)),
        in_reply_to: p.in_reply_to,
        reply_to_unknown: p.reply_to_unknown,
        sensitive: p.sensitive,
        spoiler_text: p.spoiler_text,
        tagged: p.tagged,
        media,
        boosts: p.boosts,
        quote_of: p.quote_of,
        poll: p.poll,
        emojis: p.emojis,
        revisions,
        replies_total: p.replies_total,
        left_out: None,
        curator_warning: None,
        notes_before: Vec::new(),
        notes_after: Vec::new(),
    }
}

/// A stub: where the post stood in its thread, and nothing of what it said or who said it.
fn stub_of(p: &StoredPost, why: LeftOut) -> Post {
    Post {
        uri: p.uri.clone(),
        url: None,
        author: crate::story::Author {
            uri: String::new(),
            handle: String::new(),
            name: String::new(),
            avatar: None,
        },
        created_at: p.created_at,
        edited_at: None,
        content_html: String::new(),
        text: String::new(),
        language: None,
        in_reply_to: p.in_reply_to.clone(),
        reply_to_unknown: p.reply_to_unknown,
        sensitive: false,
        spoiler_text: None,
        tagged: false,
        media: Vec::new(),
        boosts: 0,
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        revisions: Vec::new(),
        replies_total: None,
        left_out: Some(why),
        curator_warning: None,
        notes_before: Vec::new(),
        notes_after: Vec::new(),
    }
}

fn media_of(m: &StoredMedia) -> Media {
    Media {
        url: safe_url(&m.url),
        alt: m.alt.clone(),
        kind: m.kind.clone(),
        preview: m.preview_url.as_deref().and_then(safe_url),
    }
}

fn revision_of(r: &StoredRevision) -> Revision {
    Revision {
        edited_at: r.edited_at,
        content_html: sanitize_html(&r.content_html),
        spoiler_text: r.spoiler_text.clone(),
    }
}

/// Notes in the order they were written, each attached to its post when the post is shown.
fn place_notes(
    curator: &StoredCurator,
    by_uri: &HashMap<String, usize>,
    nodes: &mut [Post],
) -> Vec<Note> {
    let mut notes = Vec::with_capacity(curator.notes.len());
    for (i, n) in curator.notes.iter().enumerate() {
        let placement = if n.after {
            Placement::After
        } else {
            Placement::Before
        };
        let post = by_uri.get(&n.post_uri).copied();
        if let Some(at) = post {
            match placement {
                Placement::Before => nodes[at].notes_before.push(i),
                Placement::After => nodes[at].notes_after.push(i),
            }
        }
        notes.push(Note {
            id: n.id,
            placement,
            post_uri: n.post_uri.clone(),
            html: sanitize_html(&n.html),
            post,
        });
    }
    notes
}

/// Storify stories with their entries resolved: each post at most once in the whole story,
/// posts not in the story (or left out) dropped, tagstory notes placed at curated posts.
fn curated(
    curations: &[StoredCuration],
    by_uri: &HashMap<String, usize>,
    nodes: &[Post],
) -> Vec<Curation> {
    let mut shown = HashSet::new();
    curations
        .iter()
        .map(|c| {
            let mut entries = Vec::new();
            for (post, note) in &c.entries {
                match (post, note) {
                    (Some(uri), _) => {
                        let Some(&i) = by_uri.get(uri) else { continue };
                        if !shown.insert(i) {
                            continue;
                        }
                        let node = &nodes[i];
                        entries.extend(
                            node.notes_before
                                .iter()
                                .map(|&n| CurationEntry::CuratorNote(n)),
                        );
                        entries.push(CurationEntry::Post(i));
                        entries.extend(
                            node.notes_after
                                .iter()
                                .map(|&n| CurationEntry::CuratorNote(n)),
                        );
                    }
                    // A note with nothing left once sanitised (an archive made under an
                    // older policy) is left out, not shown as an empty entry.
                    (None, Some(html)) => {
                        let html = sanitize_html(html);
                        if !html.trim().is_empty() {
                            entries.push(CurationEntry::Note(html));
                        }
                    }
                    (None, None) => {}
                }
            }
            Curation {
                url: c.url.clone(),
                title: c.title.clone(),
                intro_html: Some(sanitize_html(&c.intro_html)).filter(|h| !h.trim().is_empty()),
                curator: c.curator_name.clone().filter(|n| !n.trim().is_empty()),
                published_at: c.published_at,
                link: safe_url(&c.url),
                entries,
            }
        })
        .collect()
}

fn overview_of(nodes: &[Post], forest: &Forest, hidden_count: usize, clock: &Clock) -> Overview {
    let shown: Vec<&Post> = nodes.iter().filter(|p| p.left_out.is_none()).collect();
    let times: Vec<DateTime<Utc>> = shown.iter().map(|p| p.created_at).collect();
    let participants = overview::participants(&shown);
    Overview {
        post_count: shown.len(),
        participant_count: participants.len(),
        thread_count: forest.roots.len(),
        boost_count: shown.iter().map(|p| p.boosts).sum(),
        context_count: shown.iter().filter(|p| !p.tagged).count(),
        hidden_count,
        first: times.iter().min().copied(),
        last: times.iter().max().copied(),
        participants,
        timeline: overview::timeline(&times, clock),
    }
}

/// One line per source: file names only (a local path says nothing to a reader and may name
/// the curator's home directory), URLs whole; the latest collection of each.
fn sources_of(sources: Vec<StoredSource>) -> Vec<Source> {
    // The store lists collections in the order they were made; a source collected again
    // moves to its latest place. Times alone cannot order them: several small sources of one
    // run are written within the same millisecond.
    let mut list: Vec<Source> = Vec::new();
    for s in sources {
        let name = if s.location.contains("://") {
            s.location
        } else if s.location == "-" {
            "standard input".to_string()
        } else {
            std::path::Path::new(&s.location)
                .file_name()
                .map_or(s.location.clone(), |n| n.to_string_lossy().into_owned())
        };
        list.retain(|seen| (&seen.name, &seen.format) != (&name, &s.format));
        list.push(Source {
            name,
            format: s.format,
            collected_at: s.collected_at,
        });
    }
    list
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
