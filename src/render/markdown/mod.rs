//! The story as Markdown: readable as plain text and in any Markdown viewer. Threads are
//! sections; replies are block quotes nested under the post they answer (flattened below
//! [`MAX_QUOTE_DEPTH`], each flattened reply naming the post it answers). Every untrusted text
//! is escaped ([`from_html::escape_text`]) and every link checked, so no post can inject a link,
//! an image or HTML.

pub mod from_html;

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use from_html::{escape_inline as esc, link, to_markdown};

use crate::story::{Clock, CurationEntry, Order, Post, Story};
use crate::words::{counted, plural, times};

/// Posts by URI, and how many replies in the story each has, counted once per render.
struct Lookup<'a> {
    by_uri: HashMap<&'a str, usize>,
    replies: HashMap<&'a str, usize>,
}

impl<'a> Lookup<'a> {
    fn of(story: &'a Story) -> Self {
        let mut lookup = Lookup {
            by_uri: HashMap::with_capacity(story.posts.len()),
            replies: HashMap::new(),
        };
        for (i, p) in story.posts.iter().enumerate() {
            lookup.by_uri.insert(p.uri.as_str(), i);
            if let Some(parent) = &p.in_reply_to {
                *lookup.replies.entry(parent.as_str()).or_default() += 1;
            }
        }
        lookup
    }

    fn get(&self, uri: &str) -> Option<&usize> {
        self.by_uri.get(uri)
    }
}

/// Block-quote levels before replies are flattened.
pub const MAX_QUOTE_DEPTH: usize = 5;

/// Renders `story` as a Markdown document.
pub fn render_story(story: &Story) -> String {
    let mut md = String::new();
    let kept: std::io::Result<()> = render(story, &mut md, &mut |_| Ok(()));
    debug_assert!(kept.is_ok(), "keeping the text in memory cannot fail");
    md
}

/// Writes `story` as a Markdown document to `out` as it is made, thread by thread, so a large
/// story is never held whole in memory.
pub fn write_story(out: &mut dyn std::io::Write, story: &Story) -> std::io::Result<()> {
    let mut md = String::new();
    render(story, &mut md, &mut |md| {
        out.write_all(md.as_bytes())?;
        md.clear();
        Ok(())
    })?;
    out.write_all(md.as_bytes())
}

/// Renders `story` into `md`, calling `flush` with it after each thread.
fn render(
    story: &Story,
    md: &mut String,
    flush: &mut dyn FnMut(&mut String) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let _ = writeln!(md, "# {}\n", esc(&one_line(&story.title)));
    if let Some(intro) = &story.intro_html {
        let _ = writeln!(md, "{}\n", to_markdown(intro));
    }
    overview(md, story);
    let by_uri = Lookup::of(story);
    let curations = story.shown_curations();
    let curated = story.curated_posts();
    for c in curations {
        let _ = writeln!(md, "## {}\n", esc(&one_line(&c.title)));
        if let (Some(intro), false) = (&c.intro_html, story.intro_html == c.intro_html) {
            let _ = writeln!(md, "{}\n", to_markdown(intro));
        }
        if let Some(name) = &c.curator {
            let _ = writeln!(md, "*Curated by {}*\n", esc(&one_line(name)));
        }
        for e in &c.entries {
            match e {
                CurationEntry::Post(i) => {
                    thread(md, story, &by_uri, *i, &curated);
                    flush(md)?;
                }
                CurationEntry::Note(html) => {
                    let _ = writeln!(md, "{}\n", to_markdown(html));
                }
                CurationEntry::CuratorNote(_) => {}
            }
        }
    }
    let roots = story.thread_roots(&curated);
    if !curations.is_empty() && !roots.is_empty() {
        md.push_str("## Also in this archive\n\n");
    }
    let level = if curations.is_empty() { "##" } else { "###" };
    for (n, &root) in roots.iter().enumerate() {
        let size = story.forest.preorder(root).count();
        let p = &story.posts[root];
        let who = if let Some(why) = p.left_out {
            why.describe().to_string()
        } else {
            esc(&one_line(p.author.shown_name()))
        };
        let _ = write!(
            md,
            "{level} {}. {who}, {}",
            n + 1,
            esc(&story.clock.human(&p.created_at))
        );
        if size > 1 {
            let _ = write!(md, " · {size} posts");
        }
        md.push_str("\n\n");
        thread(md, story, &by_uri, root, &curated);
        flush(md)?;
    }
    footer(md, story);
    Ok(())
}

fn overview(md: &mut String, story: &Story) {
    let o = &story.overview;
    let clock = &story.clock;
    let mut facts = vec![format!(
        "{} by {}",
        plural(o.post_count, "post"),
        plural(o.participant_count, "participant")
    )];
    if let (Some(first), Some(last)) = (o.first, o.last) {
        facts.push(if first == last {
            clock.human(&first)
        } else {
            format!("{} – {}", clock.human(&first), clock.human(&last))
        });
    }
    let _ = writeln!(md, "{}.\n", from_html::escape_text(&facts.join(", ")));
    let mut more = vec![plural(o.thread_count, "thread")];
    if o.boost_count > 0 {
        more.push(format!("shared {}", times(o.boost_count)));
    }
    if o.context_count > 0 {
        more.push(format!(
            "{} without the hashtag",
            counted(o.context_count, "reply", "replies")
        ));
    }
    if o.hidden_count > 0 {
        more.push(format!(
            "{} left out by the curator",
            plural(o.hidden_count, "post")
        ));
    }
    let _ = writeln!(
        md,
        "{}. Times are in {}.\n",
        from_html::escape_text(&more.join(" · ")),
        esc(clock.name())
    );
    if !o.participants.is_empty() {
        let people: Vec<String> = o
            .participants
            .iter()
            .map(|p| {
                let handle = if p.name == p.handle {
                    String::new()
                } else {
                    format!("{}, ", esc(&one_line(&p.handle)))
                };
                format!(
                    "{} ({handle}{})",
                    esc(&one_line(&p.name)),
                    plural(p.posts, "post")
                )
            })
            .collect();
        let _ = writeln!(md, "**Participants:** {}\n", people.join(", "));
    }
    md.push_str("---\n\n");
}

fn footer(md: &mut String, story: &Story) {
    md.push_str("---\n\n");
    if !story.sources.is_empty() {
        md.push_str("**Sources:**\n\n");
        for s in &story.sources {
            let name = if s.name.contains("://") {
                link(&esc(&s.name), &s.name)
            } else {
                esc(&s.name)
            };
            let _ = writeln!(
                md,
                "- {name} ({}), collected {}",
                esc(&s.format),
                esc(&story.clock.human(&s.collected_at))
            );
        }
        md.push('\n');
    }
    let _ = writeln!(md, "**About this archive:** {}\n", esc(&story.statement()));
    for (n, label) in story.datasheet.rows() {
        let _ = writeln!(md, "- {n} {label}");
    }
    md.push('\n');
    let _ = writeln!(
        md,
        "Archived with tagstory {} on {}. Each post links to its original, which may since have \
         changed or gone. Replies without the hashtag are kept because they answer tagged posts.",
        env!("CARGO_PKG_VERSION"),
        esc(&story.clock.date(&story.generated_at))
    );
}

/// Writes the thread under `root`, iteratively, replies as nested block quotes; curated posts
/// below the root are shown in their curated place instead.
fn thread(
    md: &mut String,
    story: &Story,
    by_uri: &Lookup<'_>,
    root: usize,
    curated: &HashSet<usize>,
) {
    let mut stack = vec![(root, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        let shown_depth = depth.min(MAX_QUOTE_DEPTH);
        let block = post_block(story, by_uri, node, depth != shown_depth || depth == 0);
        let prefix = "> ".repeat(shown_depth);
        for line in block.lines() {
            let start = md.len();
            md.push_str(&prefix);
            md.push_str(line);
            let end = start + md[start..].trim_end().len();
            md.truncate(end);
            md.push('\n');
        }
        md.push('\n');
        let kids = &story.forest.children[node];
        stack.extend(
            kids.iter()
                .rev()
                .filter(|k| !curated.contains(*k))
                .map(|&k| (k, depth + 1)),
        );
    }
}

/// One post: byline, notes, content warning, text, media, poll, quote, reply counts.
fn post_block(story: &Story, by_uri: &Lookup<'_>, node: usize, say_parent: bool) -> String {
    let p = &story.posts[node];
    let clock = &story.clock;
    let mut b = String::new();
    for &n in &p.notes_before {
        note(&mut b, &story.notes[n].html);
    }
    if let Some(why) = p.left_out {
        let _ = writeln!(
            b,
            "*{} ({}).*",
            why.describe(),
            esc(&clock.human(&p.created_at))
        );
    } else {
        byline(&mut b, p, clock);
        if say_parent || story.order == Order::Time {
            reply_line(&mut b, story, by_uri, p);
        }
        b.push('\n');
        let content = to_markdown(&p.content_html);
        if let Some(cw) = p.content_warning() {
            let _ = writeln!(b, "**Content warning: {}**\n", esc(&one_line(cw)));
        }
        if let Some(cw) = &p.curator_warning {
            let _ = writeln!(
                b,
                "**Content warning (added by the curator): {}**\n",
                esc(&one_line(cw))
            );
        }
        if !content.is_empty() {
            let _ = writeln!(b, "{content}\n");
        }
        extras(&mut b, story, by_uri, node);
    }
    for &n in &p.notes_after {
        note(&mut b, &story.notes[n].html);
    }
    b.trim_end().to_string()
}

fn byline(b: &mut String, p: &Post, clock: &Clock) {
    let name = esc(&one_line(p.author.shown_name()));
    let when = esc(&clock.human(&p.created_at));
    let when = match p.url.as_deref().or(Some(p.uri.as_str())) {
        Some(url) => link(&when, url),
        None => when,
    };
    let _ = write!(b, "**{name}**");
    if !p.author.name.trim().is_empty() {
        let _ = write!(b, " {}", esc(&one_line(&p.author.handle)));
    }
    let _ = write!(b, " · {when}");
    if let Some(t) = p.edited_at {
        let _ = write!(b, " · edited {}", esc(&clock.human(&t)));
    }
    if p.boosts > 0 {
        let _ = write!(b, " · shared {}", times(p.boosts));
    }
    if !p.tagged {
        b.push_str(" · reply without the hashtag");
    }
    b.push('\n');
}

fn reply_line(b: &mut String, story: &Story, by_uri: &Lookup<'_>, p: &Post) {
    let Some(parent) = &p.in_reply_to else {
        if p.reply_to_unknown {
            b.push_str("Replying to a post that is not in this archive\n");
        }
        return;
    };
    match by_uri.get(parent.as_str()).map(|&i| &story.posts[i]) {
        Some(q) if q.left_out.is_none() => {
            let _ = writeln!(b, "Replying to {}", esc(&one_line(&q.author.handle)));
        }
        Some(_) => b.push_str("Replying to a post left out of this story\n"),
        None => {
            let label = "a post that is not in this archive";
            let _ = writeln!(b, "Replying to {}", link(label, parent));
        }
    }
}

fn extras(b: &mut String, story: &Story, by_uri: &Lookup<'_>, node: usize) {
    let p = &story.posts[node];
    for m in &p.media {
        let kind = match m.kind.as_str() {
            "image" => "Image",
            "gifv" => "Animation",
            "video" => "Video",
            "audio" => "Audio",
            _ => "Attachment",
        };
        let alt = m
            .description()
            .map(|a| format!(": {}", esc(&one_line(a))))
            .unwrap_or_else(|| " (no description)".to_string());
        let file = m
            .url
            .as_deref()
            .map(|u| format!(" ({})", link("file", u)))
            .unwrap_or_default();
        let _ = writeln!(b, "*{kind}*{alt}{file}\n");
    }
    if let Some(poll) = &p.poll {
        b.push_str("*Poll:*\n\n");
        for o in &poll.options {
            let votes = o
                .votes
                .map_or("votes not shown".to_string(), |v| plural(v, "vote"));
            let _ = writeln!(b, "- {} — {votes}", esc(&one_line(&o.title)));
        }
        b.push('\n');
    }
    if let Some(q) = &p.quote_of {
        match by_uri.get(q.as_str()).map(|&i| &story.posts[i]) {
            Some(quoted) if quoted.left_out.is_none() => {
                let _ = writeln!(
                    b,
                    "*Quoting {}*\n",
                    esc(&one_line(quoted.author.shown_name()))
                );
            }
            _ => {
                let _ = writeln!(
                    b,
                    "*Quoting {}*\n",
                    link("a post that is not in this archive", q)
                );
            }
        }
    }
    if let Some(total) = p.replies_total {
        // Threads hold every reply in the story as a child; a timeline has to count them.
        let archived = match story.order {
            Order::Threads => story.forest.children[node].len() as u64,
            Order::Time => by_uri.replies.get(p.uri.as_str()).copied().unwrap_or(0) as u64,
        };
        if total > archived {
            let _ = writeln!(b, "*{archived} of {total} replies archived*\n");
        }
    }
}

fn note(b: &mut String, html: &str) {
    let text = to_markdown(html);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    let _ = writeln!(b, "**Curator’s note:** {first}");
    for line in lines {
        let _ = writeln!(b, "{line}");
    }
    b.push('\n');
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
