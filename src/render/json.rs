//! The JSON form of a story: a stable contract read by outside tools and checks.
//!
//! ```text
//! {"tag": str, "title": str, "post_count": int, "participant_count": int,
//!  "intro_html": str|null, "curation": null|[Entry], "threads": [Node],
//!  "notes": [{"id": int, "after": str|null, "before": str|null, "html": str}],
//!  "order": "threads"|"time", "hidden_count": int, "anonymized": bool,
//!  "datasheet": {"sources": [{"name": str, "format": str, "collected_at": RFC 3339 str}],
//!                "counts": {"collected": int, "hidden": int, "deleted": int,
//!                           "anonymised": int, "left_out_for_consent": int,
//!                           "not_stored_for_consent": int},
//!                "statement": str}}
//! Entry = {"post": str} | {"note_html": str} | {"note": int, "note_html": str}
//! Node = {"uri": str, "url": str|null, "author": {"handle": str, "name": str},
//!         "created_at": RFC 3339 UTC str, "text": str, "tagged": bool, "in_reply_to": str|null,
//!         "sensitive": bool, "spoiler_text": str|null, "media": [Media],
//!         "boosts": int, "replies": [Node], "quote_of": str|null,
//!         "edited_at": RFC 3339 UTC str|null, "poll": Poll|null,
//!         "left_out": null|"curator"|"consent", "replies_total": int|null,
//!         "curator_cw": str|null}
//! Media = {"url": str|null, "alt": str|null, "kind": str, "preview_url": str|null}
//! Poll = {"options": [{"title": str, "votes": int|null}], "multiple": bool,
//!         "closes_at": RFC 3339 UTC str|null, "voters": int|null}
//! ```
//! `quote_of` is the URI of the quoted post (which may or may not be in the story), `edited_at`
//! the time of the version shown (null when never edited), `votes` null while a poll hides its
//! results, `voters` null when the source does not say. `url`, `media[].url` and
//! `media[].preview_url` are absolute http(s) URLs or null; `kind` is `image`, `video`,
//! `gifv`, `audio` or `unknown`, and `preview_url` the poster or cover of a video or sound.
//! `replies_total` is how many replies the source said the post had.
//! `curation` is null unless the tag holds curated stories (Storify); it then lists their
//! entries in the curators' order, story after story: a post by URI (always one of `threads`,
//! each at most once), a Storify note as sanitised HTML, or a tagstory note (`note` is its id)
//! placed before or after a curated post. `intro_html` is the curator's introduction (or the
//! first curated story's), sanitised, null when there is none.
//! Under a pseudonym (`--anonymize`, or an author who opted out of indexing) a post's `uri`
//! is an opaque `anon:post:N`, its `url` null, its author `{"handle": "", "name": "Participant
//! N"}`, and every `in_reply_to` and `quote_of` pointing at it says `anon:post:N` too; with
//! `--anonymize` a reference to a post outside the story is null. `curator_cw` is a content
//! warning the curator added (to this post or one it replies to). `datasheet` says where the
//! posts came from, what was left out and why, and how to ask for removal.
//! `notes` lists the curator's notes (`tagstory note`), each placed `after` or `before` a post
//! (the other null). A post the curator hid (`tagstory hide`) is not in `threads`, except as a
//! stub (`left_out`: "curator", no text, author or link) where replies to it are still shown;
//! stubs are not counted in `post_count`. In `"order": "time"` every post is a root with empty
//! `replies`, in `created_at` order, and keeps its `in_reply_to`.
//! Fields may be added, never renamed or dropped. Threads nest as deep as the conversation
//! does, so the writer walks the forest with an explicit stack rather than recursing.

use std::io::{self, Write};

use serde::Serialize;

use crate::story::{CurationEntry, Placement, Post, Story};

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
#[serde(untagged)]
enum Entry<'a> {
    Post { post: &'a str },
    Note { note_html: &'a str },
    CuratorNote { note: i64, note_html: &'a str },
}

#[derive(Serialize)]
struct Note<'a> {
    id: i64,
    after: Option<&'a str>,
    before: Option<&'a str>,
    html: &'a str,
}

#[derive(Serialize)]
struct Datasheet<'a> {
    sources: Vec<DatasheetSource<'a>>,
    counts: Counts,
    statement: String,
}

#[derive(Serialize)]
struct DatasheetSource<'a> {
    name: &'a str,
    format: &'a str,
    collected_at: String,
}

#[derive(Serialize)]
struct Counts {
    collected: u64,
    hidden: u64,
    deleted: u64,
    anonymised: u64,
    left_out_for_consent: u64,
    not_stored_for_consent: u64,
}

#[derive(Serialize)]
struct Media<'a> {
    url: Option<&'a str>,
    alt: Option<&'a str>,
    kind: &'a str,
    preview_url: Option<&'a str>,
}

/// Writes `story` as JSON to `out`.
pub fn write_story(out: &mut (impl Write + ?Sized), story: &Story) -> io::Result<()> {
    let posts = &story.posts;
    let forest = &story.forest;
    let curation: Option<Vec<Entry<'_>>> = (!story.curations.is_empty()).then(|| {
        story
            .curations
            .iter()
            .flat_map(|c| &c.entries)
            .map(|e| match e {
                CurationEntry::Post(i) => Entry::Post {
                    post: &posts[*i].uri,
                },
                CurationEntry::Note(html) => Entry::Note { note_html: html },
                CurationEntry::CuratorNote(n) => Entry::CuratorNote {
                    note: story.notes[*n].id,
                    note_html: &story.notes[*n].html,
                },
            })
            .collect()
    });
    let notes: Vec<Note<'_>> = story
        .notes
        .iter()
        .map(|n| Note {
            id: n.id,
            after: (n.placement == Placement::After).then_some(n.post_uri.as_str()),
            before: (n.placement == Placement::Before).then_some(n.post_uri.as_str()),
            html: &n.html,
        })
        .collect();
    let d = &story.datasheet;
    let datasheet = Datasheet {
        sources: story
            .sources
            .iter()
            .map(|s| DatasheetSource {
                name: &s.name,
                format: &s.format,
                collected_at: time_text(&s.collected_at),
            })
            .collect(),
        counts: Counts {
            collected: d.collected,
            hidden: d.hidden,
            deleted: d.deleted,
            anonymised: d.anonymised,
            left_out_for_consent: d.left_out_for_consent,
            not_stored_for_consent: d.not_stored_for_consent,
        },
        statement: story.statement(),
    };
    write!(
        out,
        "{{\"tag\":{},\"title\":{},\"post_count\":{},\"participant_count\":{},\
         \"intro_html\":{},\"curation\":{},\"notes\":{},\"order\":{},\"hidden_count\":{},\
         \"anonymized\":{},\"datasheet\":{},\"threads\":[",
        json(&story.tag)?,
        json(&story.title)?,
        story.overview.post_count,
        story.overview.participant_count,
        json(&story.intro_html)?,
        json(&curation)?,
        json(&notes)?,
        json(story.order.name())?,
        story.overview.hidden_count,
        story.anonymized,
        json(&datasheet)?,
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
                out.write_all(b"{")?;
                write_node_fields(out, &posts[node])?;
                out.write_all(b",\"replies\":[")?;
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

/// Writes `story` as JSON Lines: one post per line, in the story's order (threads depth first,
/// or time), each a [`Node`](self) without `replies` plus `thread` (the index of its thread)
/// and `depth` (0 for a thread's first post). Nothing nests, however deep a conversation goes,
/// so any JSON reader can read it back.
pub fn write_lines(out: &mut (impl Write + ?Sized), story: &Story) -> io::Result<()> {
    for (thread, &root) in story.forest.roots.iter().enumerate() {
        for (node, depth) in story.forest.preorder(root) {
            out.write_all(b"{")?;
            write_node_fields(out, &story.posts[node])?;
            writeln!(out, ",\"thread\":{thread},\"depth\":{depth}}}")?;
        }
    }
    Ok(())
}

/// The fields of a node but `replies`, without braces; fields added to the contract later go
/// at the end.
fn write_node_fields(out: &mut (impl Write + ?Sized), p: &Post) -> io::Result<()> {
    let media: Vec<Media<'_>> = p
        .media
        .iter()
        .map(|m| Media {
            url: m.url.as_deref(),
            alt: m.alt.as_deref(),
            kind: &m.kind,
            preview_url: m.preview.as_deref(),
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
        "\"uri\":{},\"url\":{},\"author\":{},\"created_at\":{},\"text\":{},\"tagged\":{},\
         \"in_reply_to\":{},\"sensitive\":{},\"spoiler_text\":{},\"media\":{},\"boosts\":{},\
         \"quote_of\":{},\"edited_at\":{},\"poll\":{},\"left_out\":{},\"replies_total\":{},\
         \"curator_cw\":{}",
        json(&p.uri)?,
        json(&p.url)?,
        json(&Author {
            handle: &p.author.handle,
            name: &p.author.name
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
        json(&poll)?,
        json(&p.left_out.map(|l| l.name()))?,
        json(&p.replies_total)?,
        json(&p.curator_warning)?
    )
}

fn json<T: Serialize + ?Sized>(value: &T) -> io::Result<String> {
    serde_json::to_string(value).map_err(io::Error::other)
}
