//! The views templates receive: plain data, every URL already checked and every HTML field
//! already sanitised by `story`.

use serde::Serialize;

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
