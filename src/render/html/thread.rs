//! The markup of a thread's section and of each post in it, written in Rust rather than by the
//! template: the page of a large story is almost all posts, and a template engine interpreting
//! macros and looking up serialised fields for each of them took most of the render's time.
//! The markup is the one `templates/story.html` used to make, byte for byte.
//!
//! Every string from a [`PostView`] is written with [`Html::text`] (escaped) unless its view
//! says it is marked safe (sanitised by the story stage or built from escaped parts), which
//! [`Html::trusted`] writes as it is. Truth follows the template's: an empty string or list is
//! false.

use super::views::{MediaView, PollView, PostView, QuoteView, ThreadView, TimeView};
use crate::sanitize::push_escaped_html;

/// A page under construction.
struct Html<'a>(&'a mut String);

impl Html<'_> {
    /// Markup of tagstory's own.
    fn raw(&mut self, markup: &str) {
        self.0.push_str(markup);
    }

    /// Untrusted text, escaped.
    fn text(&mut self, text: &str) {
        push_escaped_html(self.0, text);
    }

    /// HTML its view marks safe.
    fn trusted(&mut self, html: &str) {
        self.0.push_str(html);
    }

    /// A time, as `<time datetime="ISO">human</time>`.
    fn time(&mut self, when: &TimeView) {
        self.raw("<time datetime=\"");
        self.text(&when.iso);
        self.raw("\">");
        self.text(&when.human);
        self.raw("</time>");
    }

    fn number(&mut self, n: impl std::fmt::Display) {
        use std::fmt::Write;
        let _ = write!(self.0, "{n}");
    }
}

/// A string the template would have found true: present and not empty.
fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// The section of `thread`, under a heading of level `heading` (`h2`, or `h3` below curated
/// stories), as one step of the page's loop over its threads.
pub(super) fn thread_section(thread: &ThreadView, heading: &str) -> String {
    let mut out = String::with_capacity(4096);
    let h = &mut Html(&mut out);
    let root = &thread.root;
    h.raw("\n<section class=\"thread\" id=\"");
    h.text(&thread.anchor);
    h.raw("\" aria-labelledby=\"");
    h.text(&thread.anchor);
    h.raw("-h\">\n<");
    h.raw(heading);
    h.raw(" id=\"");
    h.text(&thread.anchor);
    h.raw("-h\" class=\"thread-h\">");
    match root.left_out_text {
        Some(text) if root.left_out.is_some() => h.text(text),
        _ if root.left_out.is_some() => h.raw("None"),
        _ => h.trusted(&root.author_name_html),
    }
    h.raw(", ");
    h.time(&root.created);
    if thread.size > 1 {
        h.raw(" · ");
        h.number(thread.size);
        h.raw(" posts");
    }
    h.raw("</");
    h.raw(heading);
    h.raw(">\n");
    post(h, root);
    h.raw("\n</section>\n");
    out
}

/// The markup of `root` with everything shown under it (a curated entry's post).
pub(super) fn post_html(root: &PostView) -> String {
    let mut out = String::with_capacity(4096);
    post(&mut Html(&mut out), root);
    out
}

/// A post, its continuation and its replies. Threads are at most [`super::MAX_NESTING`] deep
/// as laid out, so recursion here stays shallow.
fn post(h: &mut Html<'_>, p: &PostView) {
    h.raw("\n");
    article(h, p);
    h.raw("\n");
    if let Some(next) = &p.continuation {
        post(h, next);
    }
    h.raw("\n");
    if !p.replies.is_empty() {
        h.raw("<ol class=\"replies\" aria-label=\"Replies to ");
        if p.left_out.is_some() {
            h.raw("a post left out");
        } else {
            h.text(&p.author_name);
        }
        h.raw("\">\n");
        for r in &p.replies {
            h.raw("<li>");
            post(h, r);
            h.raw("</li>\n");
        }
        h.raw("</ol>");
    }
    h.raw("\n");
}

fn note(h: &mut Html<'_>, html: &str) {
    h.raw("<aside class=\"note content\" dir=\"auto\"><p class=\"note-label\">Curator’s note</p>");
    h.trusted(html);
    h.raw("</aside>\n");
}

fn article(h: &mut Html<'_>, p: &PostView) {
    h.raw("\n");
    for n in &p.notes_before {
        note(h, n);
    }
    h.raw("\n");
    if p.left_out.is_some() {
        h.raw("<article class=\"post stub\" id=\"");
        h.text(&p.anchor);
        h.raw("\"><p class=\"no-text\">");
        match p.left_out_text {
            Some(text) => h.text(text),
            None => h.raw("None"),
        }
        h.raw(" (");
        h.time(&p.created);
        h.raw("). The replies to it are still shown.</p></article>\n");
    } else {
        shown_article(h, p);
    }
    for n in &p.notes_after {
        note(h, n);
    }
    h.raw("\n");
}

fn shown_article(h: &mut Html<'_>, p: &PostView) {
    h.raw("<article class=\"post");
    if !p.tagged {
        h.raw(" context");
    }
    if p.continues {
        h.raw(" continues");
    }
    h.raw("\" id=\"");
    h.text(&p.anchor);
    h.raw("\"");
    if let Some(lang) = given(&p.lang) {
        h.raw(" lang=\"");
        h.text(lang);
        h.raw("\"");
    }
    h.raw(">\n");
    if let Some(r) = &p.reply_to {
        h.raw("<p class=\"reply-to\">");
        match (given(&r.anchor), given(&r.handle), given(&r.link)) {
            (Some(anchor), Some(handle), _) => {
                h.raw("Replying to <a href=\"");
                h.text(anchor);
                h.raw("\">");
                h.text(handle);
                h.raw("</a>");
            }
            (Some(anchor), None, _) => {
                h.raw("Replying to <a href=\"");
                h.text(anchor);
                h.raw("\">a post left out of this story</a>");
            }
            (None, _, Some(link)) => {
                h.raw("Replying to <a href=\"");
                h.text(link);
                h.raw("\" rel=\"nofollow noopener ugc\">a post that is not in this archive</a>");
            }
            (None, _, None) => h.raw("Replying to a post that is not in this archive"),
        }
        h.raw("</p>");
    }
    h.raw("\n<div class=\"byline\">\n");
    if let Some(avatar) = given(&p.avatar) {
        h.raw("<img class=\"avatar\" src=\"");
        h.text(avatar);
        h.raw("\" alt=\"\" data-initial=\"");
        h.text(&p.initial);
        h.raw("\" width=\"40\" height=\"40\" loading=\"lazy\">");
    } else {
        h.raw("<span class=\"avatar\" aria-hidden=\"true\">");
        h.text(&p.initial);
        h.raw("</span>");
    }
    h.raw("\n<div class=\"who\">");
    if p.has_name {
        h.raw("<span class=\"name\" dir=\"auto\">");
        h.trusted(&p.author_name_html);
        h.raw("</span><span class=\"handle\">");
        h.text(&p.author_handle);
        h.raw("</span>");
    } else {
        h.raw("<span class=\"name\">");
        h.text(&p.author_handle);
        h.raw("</span>");
    }
    h.raw("</div>\n</div>\n");
    let spoiler = given(&p.spoiler_text);
    let curator_cw = given(&p.curator_cw);
    if spoiler.is_some() || curator_cw.is_some() {
        h.raw("<details class=\"cw screen-only\"><summary><span class=\"cw-kind\">Content warning:</span> ");
        if let Some(s) = spoiler {
            h.raw("<span dir=\"auto\">");
            h.text(s);
            h.raw("</span>");
        }
        if spoiler.is_some() && curator_cw.is_some() {
            h.raw("; ");
        }
        if let Some(cw) = curator_cw {
            h.raw("<span dir=\"auto\">");
            h.text(cw);
            h.raw("</span> <span class=\"cw-kind\">(added by the curator)</span>");
        }
        h.raw("</summary>\n");
        body(h, p, true);
        h.raw("</details>\n<div class=\"print-only\"><p class=\"cw-label\">Content warning: ");
        if let Some(s) = spoiler {
            h.text(s);
        }
        if spoiler.is_some() && curator_cw.is_some() {
            h.raw("; ");
        }
        if let Some(cw) = curator_cw {
            h.text(cw);
            h.raw(" (added by the curator)");
        }
        h.raw("</p>");
        body(h, p, false);
        h.raw("</div>\n");
    } else {
        body(h, p, true);
    }
    h.raw("\n<p class=\"meta\">");
    if let Some(link) = given(&p.link) {
        h.raw("<a class=\"original\" href=\"");
        h.text(link);
        h.raw("\" rel=\"nofollow noopener ugc\">");
        h.time(&p.created);
        h.raw("</a>");
    } else {
        h.time(&p.created);
    }
    h.raw("\n");
    if let Some(edited) = &p.edited {
        h.raw("<span>edited ");
        h.time(edited);
        h.raw("</span>");
    } else if !p.revisions.is_empty() {
        h.raw("<span>edited</span>");
    }
    h.raw("\n");
    if p.boosts != 0 {
        h.raw("<span>shared ");
        match p.boosts {
            1 => h.raw("once"),
            2 => h.raw("twice"),
            n => {
                h.number(n);
                h.raw(" times");
            }
        }
        h.raw("</span>");
    }
    h.raw("\n");
    if let Some(r) = &p.replies_missing {
        h.raw("<span>");
        h.number(r.archived);
        h.raw(" of ");
        h.number(r.total);
        h.raw(" replies archived</span>");
    }
    h.raw("\n");
    if !p.tagged {
        h.raw("<span class=\"badge\">reply without the hashtag</span>");
    }
    h.raw("\n<a class=\"permalink\" href=\"#");
    h.text(&p.anchor);
    h.raw("\" aria-label=\"Link to this post in the story\">#</a></p>\n");
    if !p.revisions.is_empty() {
        h.raw("<details class=\"revisions\"><summary>Earlier versions (");
        h.number(p.revisions.len());
        h.raw(")</summary>\n<ol class=\"revisions\">");
        for r in &p.revisions {
            h.raw("<li><p class=\"revision-time\">");
            h.time(&r.edited);
            h.raw("</p>\n");
            if let Some(s) = given(&r.spoiler_text) {
                h.raw("<p class=\"cw-label\">Content warning: <span dir=\"auto\">");
                h.text(s);
                h.raw("</span></p>");
            }
            h.raw("\n<div class=\"content\" dir=\"auto\">");
            h.trusted(&r.content_html);
            h.raw("</div></li>\n");
        }
        h.raw("</ol></details>");
    }
    h.raw("\n</article>\n");
}

/// The post's text, poll, attachments and quote; `screen` for the copy shown on screen (the
/// one behind a content warning folds sensitive media).
fn body(h: &mut Html<'_>, p: &PostView, screen: bool) {
    h.raw("\n<div class=\"content\" dir=\"auto\">");
    h.trusted(&p.content_html);
    h.raw("</div>\n");
    if p.content_html.is_empty() && p.media.is_empty() && p.poll.is_none() && p.quote.is_none() {
        h.raw("<p class=\"no-text\">Text not available in this archive</p>\n");
    }
    if let Some(poll) = &p.poll {
        poll_markup(h, poll);
    }
    h.raw("\n");
    if !p.media.is_empty() {
        let fold = p.sensitive && given(&p.spoiler_text).is_none() && screen;
        if fold {
            h.raw("<details class=\"cw\"><summary>Sensitive media</summary>");
        }
        h.raw("\n");
        for m in &p.media {
            figure(h, m);
        }
        h.raw("\n");
        if fold {
            h.raw("</details>");
        }
    }
    h.raw("\n");
    if let Some(q) = &p.quote {
        quote(h, q);
    }
    h.raw("\n");
}

fn poll_markup(h: &mut Html<'_>, poll: &PollView) {
    h.raw("<div class=\"poll\">\n<ul class=\"poll-options\" aria-label=\"Poll");
    if poll.multiple {
        h.raw(", several choices allowed");
    }
    h.raw("\">\n");
    for o in &poll.options {
        h.raw("<li><div class=\"poll-row\"><span class=\"poll-title\" dir=\"auto\">");
        h.text(&o.title);
        h.raw("</span>\n<span class=\"poll-count\">");
        match o.votes {
            None => h.raw("votes not shown"),
            Some(votes) => {
                if let Some(percent) = o.percent {
                    h.number(percent);
                    h.raw("% · ");
                }
                h.number(votes);
                h.raw(if votes == 1 { " vote" } else { " votes" });
            }
        }
        h.raw("</span></div>\n");
        if let Some(percent) = o.percent {
            h.raw("<div class=\"poll-bar\" aria-hidden=\"true\"><span style=\"width: ");
            h.number(percent);
            h.raw("%\"></span></div>");
        }
        h.raw("</li>\n");
    }
    h.raw("</ul>\n");
    let counted = poll.voters.is_some() || poll.votes.is_some();
    if poll.multiple || counted || poll.closes.is_some() {
        h.raw("<p class=\"poll-meta\">");
        if poll.multiple {
            h.raw("Several choices allowed");
        }
        if counted {
            if poll.multiple {
                h.raw(" · ");
            }
            match (poll.voters, poll.votes) {
                (Some(voters), _) => {
                    h.number(voters);
                    h.raw(if voters == 1 {
                        " person voted"
                    } else {
                        " people voted"
                    });
                }
                (None, Some(votes)) => {
                    h.number(votes);
                    h.raw(if votes == 1 { " vote" } else { " votes" });
                }
                (None, None) => {}
            }
        }
        if let Some(closes) = &poll.closes {
            if poll.multiple || counted {
                h.raw(" · ");
            }
            h.raw(if poll.closed { "Closed" } else { "Closes" });
            h.raw(" ");
            h.time(closes);
        }
        h.raw("</p>");
    }
    h.raw("\n</div>");
}

fn figure(h: &mut Html<'_>, m: &MediaView) {
    let alt = given(&m.alt);
    let poster = given(&m.poster);
    let aria_label = |h: &mut Html<'_>| {
        if let Some(alt) = alt {
            h.raw(" aria-label=\"");
            h.text(alt);
            h.raw("\"");
        }
    };
    let poster_attribute = |h: &mut Html<'_>| {
        if let Some(poster) = poster {
            h.raw(" poster=\"");
            h.text(poster);
            h.raw("\"");
        }
    };
    h.raw("<figure>\n");
    match (given(&m.url), m.kind.as_str()) {
        (Some(url), "image") => {
            h.raw("<img src=\"");
            h.text(url);
            h.raw("\" alt=\"");
            h.text(alt.unwrap_or(""));
            h.raw("\" loading=\"lazy\">\n");
        }
        (Some(url), "gifv") => {
            h.raw("<video src=\"");
            h.text(url);
            h.raw("\"");
            poster_attribute(h);
            h.raw(" autoplay loop muted playsinline");
            aria_label(h);
            h.raw("></video>\n");
        }
        (Some(url), "video") => {
            h.raw("<video src=\"");
            h.text(url);
            h.raw("\"");
            poster_attribute(h);
            h.raw(" controls preload=\"metadata\"");
            aria_label(h);
            h.raw("></video>\n");
        }
        (Some(url), "audio") => {
            if let Some(poster) = poster {
                h.raw("<img class=\"cover\" src=\"");
                h.text(poster);
                h.raw("\" alt=\"\" loading=\"lazy\">");
            }
            h.raw("<audio src=\"");
            h.text(url);
            h.raw("\" controls preload=\"metadata\"");
            aria_label(h);
            h.raw("></audio>\n");
        }
        (Some(url), _) => {
            h.raw("<a href=\"");
            h.text(url);
            h.raw("\">Attachment</a>\n");
        }
        (None, kind) => {
            if let Some(poster) = poster {
                h.raw("<img src=\"");
                h.text(poster);
                h.raw("\" alt=\"");
                h.text(alt.unwrap_or(""));
                h.raw("\" loading=\"lazy\">");
            }
            h.raw("<div class=\"missing-media\">");
            h.raw(match kind {
                "image" => "Picture",
                "video" | "gifv" => "Video",
                "audio" => "Sound",
                _ => "Attachment",
            });
            h.raw(" not archived");
            if alt.is_none() {
                h.raw(", and it has no description");
            }
            h.raw("</div>\n");
        }
    }
    if let Some(alt) = alt {
        h.raw("<figcaption dir=\"auto\"><span class=\"visually-hidden\">Description: </span>");
        h.text(alt);
        h.raw("</figcaption>");
    }
    h.raw("\n</figure>");
}

fn quote(h: &mut Html<'_>, q: &QuoteView) {
    h.raw("<div class=\"quote\">\n<p class=\"quote-label\">");
    if let Some(anchor) = given(&q.anchor) {
        h.raw("Quoting <a href=\"");
        h.text(anchor);
        h.raw("\">");
        match &q.author {
            Some(author) => h.text(author),
            None => h.raw("None"),
        }
        h.raw("</a>");
    } else if let Some(link) = given(&q.link) {
        h.raw("Quoting <a href=\"");
        h.text(link);
        h.raw("\" rel=\"nofollow noopener ugc\">a post that is not in this archive</a>");
    } else {
        h.raw("Quoting a post that is not in this archive");
    }
    h.raw("</p>\n");
    if let Some(excerpt) = given(&q.excerpt) {
        h.raw("<p class=\"quote-excerpt\" dir=\"auto\">");
        h.text(excerpt);
        h.raw("</p>");
    } else if let Some(spoiler) = given(&q.spoiler_text) {
        h.raw("<p class=\"quote-excerpt\">Content warning: <span dir=\"auto\">");
        h.text(spoiler);
        h.raw("</span></p>");
    }
    h.raw("\n</div>");
}
