//! The JSON form of a story: a stable contract read by outside tools and checks.
//!
//! ```text
//! {"tag": str, "title": str, "post_count": int, "participant_count": int,
//!  "intro_html": str|null, "curation": null|[Entry], "threads": [Node]}
//! Entry = {"post": str} | {"note_html": str}
//! Node = {"uri": str, "url": str|null, "author": {"handle": str, "name": str},
//!         "created_at": RFC 3339 UTC str, "text": str, "tagged": bool, "in_reply_to": str|null,
//!         "sensitive": bool, "spoiler_text": str|null, "media": [{"url": str, "alt": str|null}],
//!         "boosts": int, "replies": [Node], "quote_of": str|null,
//!         "edited_at": RFC 3339 UTC str|null, "poll": Poll|null}
//! Poll = {"options": [{"title": str, "votes": int|null}], "multiple": bool,
//!         "closes_at": RFC 3339 UTC str|null, "voters": int|null}
//! ```
//! `quote_of` is the URI of the quoted post (which may or may not be in the story), `edited_at`
//! the time of the version shown (null when never edited), `votes` null while a poll hides its
//! results, `voters` null when the source does not say.
//! `curation` is null unless the tag holds curated stories (Storify); it then lists their
//! entries in the curators' order, story after story: a post by URI (always one of `threads`,
//! each at most once, as the page shows it: see [`crate::story::curated_entries`]) or a note as
//! sanitised HTML. `intro_html` is the first curated story's intro, sanitised, null when there
//! is none or it is empty. Every post is still in `threads`, exactly once.
//! Fields may be added, never renamed or dropped. Threads nest as deep as the conversation
//! does, so the writer walks the forest with an explicit stack rather than recursing.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};

use serde::Serialize;

use crate::sanitize::sanitize_html;
use crate::store::{StoredCuration, StoredPost, participant_count, threads_of};
use crate::story::{Entry, curated_entries};

#[derive(Serialize)]
struct Author<'a> {
    handle: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct Poll<'a> {
    options: Vec<PollOption<'a>>,
    multiple: bool,
    closes_at: Option<String>,
    voters: Option<u64>,
}

#[derive(Serialize)]
struct PollOption<'a> {
    title: &'a str,
    votes: Option<u64>,
}

/// One entry of `curation`.
#[derive(Serialize)]
enum CurationEntry<'a> {
    #[serde(rename = "post")]
    Post(&'a str),
    #[serde(rename = "note_html")]
    Note(String),
}

#[derive(Serialize)]
struct Media<'a> {
    url: &'a str,
    alt: Option<&'a str>,
}

/// Writes the story of `posts` as JSON to `out`.
pub fn write_story(
    out: &mut impl Write,
    tag: &str,
    title: &str,
    posts: &[StoredPost],
    curations: &[StoredCuration],
) -> io::Result<()> {
    let forest = threads_of(posts);
    let by_uri: HashMap<&str, usize> = posts
        .iter()
        .enumerate()
        .map(|(i, p)| (p.uri.as_str(), i))
        .collect();
    let mut shown = HashSet::new();
    let curation: Option<Vec<CurationEntry<'_>>> = (!curations.is_empty()).then(|| {
        curations
            .iter()
            .flat_map(|c| curated_entries(c, &by_uri, &mut shown))
            .map(|e| match e {
                Entry::Post(i) => CurationEntry::Post(&posts[i].uri),
                Entry::Note(html) => CurationEntry::Note(sanitize_html(html)),
            })
            .collect()
    });
    let intro_html = curations
        .first()
        .map(|c| sanitize_html(&c.intro_html))
        .filter(|h| !h.trim().is_empty());
    write!(
        out,
        "{{\"tag\":{},\"title\":{},\"post_count\":{},\"participant_count\":{},\
         \"intro_html\":{},\"curation\":{},\"threads\":[",
        json(tag)?,
        json(title)?,
        posts.len(),
        participant_count(posts),
        json(&intro_html)?,
        json(&curation)?
    )?;
    enum Step {
        Open(usize, bool),
        Close,
    }
    let mut stack: Vec<Step> = forest
        .roots
        .iter()
        .enumerate()
        .rev()
        .map(|(i, &r)| Step::Open(r, i == 0))
        .collect();
    while let Some(step) = stack.pop() {
        match step {
            Step::Close => out.write_all(b"]}")?,
            Step::Open(node, first) => {
                if !first {
                    out.write_all(b",")?;
                }
                write_node_head(out, &posts[node])?;
                stack.push(Step::Close);
                let kids = &forest.children[node];
                stack.extend(
                    kids.iter()
                        .enumerate()
                        .rev()
                        .map(|(i, &k)| Step::Open(k, i == 0)),
                );
            }
        }
    }
    out.write_all(b"]}\n")
}

/// A time as the contract writes it: RFC 3339, UTC, `Z`.
fn time_text(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Everything of a node up to and including `"replies":[`; the fields added to the contract
/// later come before `replies`, so the node still closes with `]}`.
fn write_node_head(out: &mut impl Write, p: &StoredPost) -> io::Result<()> {
    let media: Vec<Media<'_>> = p
        .media
        .iter()
        .map(|m| Media {
            url: &m.url,
            alt: m.alt.as_deref(),
        })
        .collect();
    let poll = p.poll.as_ref().map(|poll| Poll {
        options: poll
            .options
            .iter()
            .map(|o| PollOption {
                title: &o.title,
                votes: o.votes,
            })
            .collect(),
        multiple: poll.multiple,
        closes_at: poll.closes_at.as_ref().map(time_text),
        voters: poll.voters,
    });
    write!(
        out,
        "{{\"uri\":{},\"url\":{},\"author\":{},\"created_at\":{},\"text\":{},\"tagged\":{},\
         \"in_reply_to\":{},\"sensitive\":{},\"spoiler_text\":{},\"media\":{},\"boosts\":{},\
         \"quote_of\":{},\"edited_at\":{},\"poll\":{},\"replies\":[",
        json(&p.uri)?,
        json(&p.url)?,
        json(&Author {
            handle: &p.author_handle,
            name: &p.author_name
        })?,
        json(&time_text(&p.created_at))?,
        json(&p.text)?,
        p.tagged,
        json(&p.in_reply_to)?,
        p.sensitive,
        json(&p.spoiler_text)?,
        json(&media)?,
        p.boosts,
        json(&p.quote_of)?,
        json(&p.edited_at.as_ref().map(time_text))?,
        json(&poll)?
    )
}

fn json<T: Serialize + ?Sized>(value: &T) -> io::Result<String> {
    serde_json::to_string(value).map_err(io::Error::other)
}
