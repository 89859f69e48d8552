//! The views the page template receives: plain data, every URL already checked and every HTML
//! field already sanitised (by the story stage) or built here from escaped parts.

use serde::Serialize;

/// A story ready for the page template.
#[derive(Debug, Serialize)]
pub struct PageView {
    /// Normalised tag, without `#`.
    pub tag: String,
    /// Page title.
    pub title: String,
    /// The curator's introduction (tagstory's, else the first Storify story's). Marked safe.
    pub intro_html: Option<String>,
    /// Posts shown.
    pub post_count: usize,
    /// Distinct authors of those posts.
    pub participant_count: usize,
    /// Times those posts were shared.
    pub boost_count: u64,
    /// Replies without the hashtag among them.
    pub context_count: usize,
    /// Posts the curator left out.
    pub hidden_count: usize,
    /// Earliest post.
    pub first: Option<TimeView>,
    /// Latest post.
    pub last: Option<TimeView>,
    /// When the page was made.
    pub generated: TimeView,
    /// The zone times are shown in (IANA name).
    pub zone: String,
    /// Posts over time, as an inline SVG built from numbers and escaped labels. Marked safe.
    pub chart_svg: Option<String>,
    /// A sentence describing the chart, for readers who cannot see it.
    pub chart_summary: String,
    /// The labels of the chart's first and last bars.
    pub chart_span: Option<(String, String)>,
    /// Who took part, most posts first.
    pub participants: Vec<ParticipantView>,
    /// More participants than the overview lists.
    pub participants_more: usize,
    /// `threads` or `time`.
    pub order: &'static str,
    /// Curated stories filed under the tag, in the archive's order (oldest first).
    pub curations: Vec<CurationView>,
    /// The threads' table of contents, in their order.
    pub toc: Vec<TocView>,
    /// Threads, oldest first (with curated stories, only of the posts none of them shows); in
    /// time order, one entry per post. A sequence of thread sections, each built as a
    /// [`ThreadView`] and written as HTML (marked safe) when the template reaches it.
    pub threads: minijinja::Value,
    /// Where the posts came from.
    pub sources: Vec<SourceView>,
    /// This tagstory's version.
    pub version: &'static str,
    /// For a story split over pages: the thread pages, and which one this is.
    pub pages: Option<PagesView>,
    /// Search engines may index the page.
    pub indexable: bool,
    /// Everyone is shown under a pseudonym.
    pub anonymized: bool,
    /// The datasheet's statement: sensitive content, how collected, how to ask for removal.
    pub statement: String,
    /// The datasheet's counts, as `(label, count)` for the ones that are not zero.
    pub datasheet: Vec<(String, u64)>,
}

/// The pages of a story too large for one.
#[derive(Debug, Serialize)]
pub struct PagesView {
    /// This page's number (1 for the first thread page), or `None` on the index.
    pub current: Option<usize>,
    /// Each thread page: its file and how many posts it holds.
    pub pages: Vec<(String, usize)>,
}

/// A thread in the table of contents.
#[derive(Debug, Serialize)]
pub struct TocView {
    /// Fragment id of the thread's section.
    pub anchor: String,
    /// The link to it: `#…`, or its thread page's file and `#…`.
    pub href: String,
    /// Its first post's author (text), or what stands for a post left out.
    pub title: String,
    /// When it started, as the page shows times.
    pub created: String,
    /// Posts in it.
    pub size: usize,
}

/// Someone who took part.
#[derive(Debug, Serialize)]
pub struct ParticipantView {
    /// Display name or handle (text).
    pub name: String,
    /// `@name@host` (text).
    pub handle: String,
    /// Posts of theirs shown.
    pub posts: usize,
}

/// A source of the story.
#[derive(Debug, Serialize)]
pub struct SourceView {
    /// File name or URL (text).
    pub name: String,
    /// Format name.
    pub format: String,
    /// When it was last collected.
    pub collected: TimeView,
}

/// A curated story, in its curator's order.
#[derive(Debug, Serialize)]
pub struct CurationView {
    /// Fragment id of its section.
    pub anchor: String,
    /// Its title (text).
    pub title: String,
    /// Its intro, sanitised; `None` when empty. Marked safe.
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
    /// The curator's words, sanitised. Marked safe.
    pub note_html: Option<String>,
    /// A post, with the replies shown under it.
    #[serde(skip)]
    pub post: Option<ThreadView>,
    /// The same as the page shows it (see `thread.rs`). Marked safe.
    pub post_html: Option<String>,
}

/// A time in machine and human form.
#[derive(Debug, Clone, Serialize)]
pub struct TimeView {
    /// RFC 3339, UTC, for `<time datetime>`.
    pub iso: String,
    /// `20 Aug 2026, 08:00 UTC`, in the story's zone, labelled.
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

/// One post (or the stub of a post left out), ready for a template.
#[derive(Debug, Serialize)]
pub struct PostView {
    /// Fragment id, derived from the URI so links survive re-rendering.
    pub anchor: String,
    /// Canonical URI (text only).
    pub uri: String,
    /// Why only a stub is shown (`curator`, `consent`); `None` for a post.
    pub left_out: Option<&'static str>,
    /// What a stub says in the post's place.
    pub left_out_text: Option<&'static str>,
    /// A content warning the curator added.
    pub curator_cw: Option<String>,
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
    /// Carries the tag, rather than being a reply without it.
    pub tagged: bool,
    /// Media should be hidden behind a click.
    pub sensitive: bool,
    /// Content warning.
    pub spoiler_text: Option<String>,
    /// Attachments.
    pub media: Vec<MediaView>,
    /// Times it was shared.
    pub boosts: u64,
    /// Replies in the story, and how many its source said it had, when that is more.
    pub replies_missing: Option<RepliesView>,
    /// What it replies to, when that needs saying (its parent is not shown just above it).
    pub reply_to: Option<ReplyToView>,
    /// The post it quotes.
    pub quote: Option<QuoteView>,
    /// Its poll.
    pub poll: Option<PollView>,
    /// Earlier versions, oldest first.
    pub revisions: Vec<RevisionView>,
    /// The curator's notes just before it (sanitised HTML, marked safe).
    pub notes_before: Vec<String>,
    /// The curator's notes just after it.
    pub notes_after: Vec<String>,
    /// The author's own next post in the thread, shown as part of the same block.
    pub continuation: Option<Box<PostView>>,
    /// This post continues its author's previous one.
    pub continues: bool,
    /// Replies shown nested under it.
    pub replies: Vec<PostView>,
}

/// "N of M replies archived".
#[derive(Debug, Serialize)]
pub struct RepliesView {
    /// Replies in the story.
    pub archived: usize,
    /// Replies the source counted.
    pub total: u64,
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
    /// The archived poster or cover picture of a video or sound.
    pub poster: Option<String>,
}

/// The post a reply answers.
#[derive(Debug, Serialize)]
pub struct ReplyToView {
    /// The link to the parent when it is in the story: `#…`, or its page's file and `#…`.
    pub anchor: Option<String>,
    /// The parent's author, when it is on the page (`None` for a stub).
    pub handle: Option<String>,
    /// Link to the parent elsewhere, when it is not on the page.
    pub link: Option<String>,
}

/// The post a post quotes.
#[derive(Debug, Serialize)]
pub struct QuoteView {
    /// The link to the quoted post when it is in the story (as [`ReplyToView::anchor`]).
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
    /// Its content, sanitised, with custom emoji. Marked safe.
    pub content_html: String,
}
