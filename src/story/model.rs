//! The story every output renders: posts already checked (safe URLs, sanitised HTML), placed in
//! reply trees or a timeline, with the curator's title, intro, notes and left-out posts, the
//! overview and the provenance. Outputs read only this.

use chrono::{DateTime, Utc};

use super::clock::Clock;
use crate::model::{CustomEmoji, Poll};
use crate::thread::Forest;

/// How posts are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Reply trees, threads in time order.
    #[default]
    Threads,
    /// One timeline: every shown post a root, in time order, none nested.
    Time,
}

impl Order {
    /// The name the CLI and the JSON use.
    pub fn name(self) -> &'static str {
        match self {
            Order::Threads => "threads",
            Order::Time => "time",
        }
    }
}

/// A story ready to render.
#[derive(Debug, Clone)]
pub struct Story {
    /// Normalised tag, without `#`.
    pub tag: String,
    /// Title (text).
    pub title: String,
    /// The curator's introduction, sanitised HTML; `None` when there is none.
    pub intro_html: Option<String>,
    /// Every node: shown posts and the stubs left where a left-out post had replies.
    pub posts: Vec<Post>,
    /// Reply trees over `posts` (in [`Order::Time`]: every shown post a root, no stubs).
    pub forest: Forest,
    /// The layout `forest` follows.
    pub order: Order,
    /// Curated stories brought back from Storify, in the archive's order.
    pub curations: Vec<Curation>,
    /// The curator's notes, in the order they were written.
    pub notes: Vec<Note>,
    /// Counts, dates, people.
    pub overview: super::Overview,
    /// Where the posts came from.
    pub sources: Vec<Source>,
    /// When the story was assembled.
    pub generated_at: DateTime<Utc>,
    /// The zone times are shown in.
    pub clock: Clock,
    /// What the story tells about how it was made and what it leaves out.
    pub datasheet: Datasheet,
    /// Everyone is shown under a pseudonym (`--anonymize`).
    pub anonymized: bool,
    /// Search engines may index the page (`--indexable`).
    pub indexable: bool,
    /// Files archived for the story's media, avatars and emoji, by their URL (as received and
    /// as checked).
    pub files: std::collections::HashMap<String, LocalFile>,
}

/// A file the archive holds for a URL (`tagstory media`), checked by its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// Lower-case hex SHA-256 of its bytes.
    pub sha256: String,
    /// Its type, as sniffed from the bytes.
    pub mime: String,
    /// Its length.
    pub size: u64,
}

impl LocalFile {
    /// Its file name: content-addressed, with the extension of its type.
    pub fn name(&self) -> String {
        let ext = match self.mime.as_str() {
            "image/jpeg" => "jpg",
            "image/png" => "png",
            "image/gif" => "gif",
            "image/webp" => "webp",
            "image/avif" => "avif",
            "image/bmp" => "bmp",
            "image/heic" => "heic",
            "image/heif" => "heif",
            "video/mp4" => "mp4",
            "video/webm" => "webm",
            "video/ogg" => "ogv",
            "video/quicktime" => "mov",
            "video/x-matroska" => "mkv",
            "audio/mpeg" => "mp3",
            "audio/ogg" => "ogg",
            "audio/flac" => "flac",
            "audio/wav" => "wav",
            "audio/aac" => "aac",
            "audio/mp4" => "m4a",
            _ => "bin",
        };
        format!("{}.{ext}", self.sha256)
    }

    /// Whether it is a picture (which a single page may embed).
    pub fn is_picture(&self) -> bool {
        self.mime.starts_with("image/")
    }
}

impl Story {
    /// The archived file of a URL the story shows, if any.
    pub fn file(&self, url: &str) -> Option<&LocalFile> {
        self.files.get(url)
    }

    /// Every archived file the page shows: shown posts' attachments (and their posters), their
    /// authors' avatars
    /// (none when everyone is anonymised) and their custom emoji.
    pub fn files_shown(&self) -> Vec<&LocalFile> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for p in self.posts.iter().filter(|p| p.left_out.is_none()) {
            let urls = p
                .media
                .iter()
                .flat_map(|m| [m.url.as_deref(), m.preview.as_deref()])
                .flatten()
                .chain(p.author.avatar.as_deref())
                .chain(p.emojis.iter().map(|e| e.url.as_str()));
            for url in urls {
                if let Some(f) = self.files.get(url)
                    && seen.insert(f.sha256.as_str())
                {
                    out.push(f);
                }
            }
        }
        out
    }
}

impl Datasheet {
    /// The counts as every output lists them: `(count, what)`, the ones that are not zero
    /// (posts collected always), what said in the singular for one.
    pub fn rows(&self) -> Vec<(u64, &'static str)> {
        [
            (self.collected, "post collected", "posts collected"),
            (
                self.hidden,
                "left out by the curator",
                "left out by the curator",
            ),
            (
                self.deleted,
                "deleted by its author",
                "deleted by their authors",
            ),
            (
                self.anonymised,
                "author shown under a pseudonym",
                "authors shown under a pseudonym",
            ),
            (
                self.left_out_for_consent,
                "post left out for consent",
                "posts left out for consent",
            ),
            (
                self.not_stored_for_consent,
                "post never stored: its author refuses archiving",
                "posts never stored: their authors refuse archiving",
            ),
        ]
        .into_iter()
        .enumerate()
        .filter(|&(i, (n, _, _))| i == 0 || n > 0)
        .map(|(_, (n, one, many))| (n, if n == 1 { one } else { many }))
        .collect()
    }
}

/// Counts a datasheet gives, beside the sources.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Datasheet {
    /// Posts collected into the story (shown or not).
    pub collected: u64,
    /// Posts the curator left out.
    pub hidden: u64,
    /// Posts their authors deleted, as sources reported.
    pub deleted: u64,
    /// Authors shown under a pseudonym.
    pub anonymised: u64,
    /// Posts left out by `--consent strict`.
    pub left_out_for_consent: u64,
    /// Posts never stored because their author refuses archiving.
    pub not_stored_for_consent: u64,
}

impl Story {
    /// The curated stories a page shows: none in a timeline, which shows every post once, in
    /// time, rather than in a curator's order.
    pub fn shown_curations(&self) -> &[Curation] {
        match self.order {
            Order::Time => &[],
            Order::Threads => &self.curations,
        }
    }

    /// The posts the shown curated stories place (indices into `posts`).
    pub fn curated_posts(&self) -> std::collections::HashSet<usize> {
        self.shown_curations()
            .iter()
            .flat_map(|c| &c.entries)
            .filter_map(|e| match e {
                CurationEntry::Post(i) => Some(*i),
                _ => None,
            })
            .collect()
    }

    /// The first posts of the threads shown apart from the curated stories.
    pub fn thread_roots(&self, curated: &std::collections::HashSet<usize>) -> Vec<usize> {
        self.forest
            .roots
            .iter()
            .copied()
            .filter(|root| !curated.contains(root))
            .collect()
    }

    /// The posts that are shown (not stubs), as indices into `posts`.
    pub fn shown(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.posts.len()).filter(|&i| self.posts[i].left_out.is_none())
    }
}

/// Why a post is not shown, leaving a stub in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftOut {
    /// `tagstory hide`.
    Curator,
    /// Its author opted out of indexing and the curator asked for `--consent strict`.
    Consent,
}

impl LeftOut {
    /// The name the JSON uses.
    pub fn name(self) -> &'static str {
        match self {
            LeftOut::Curator => "curator",
            LeftOut::Consent => "consent",
        }
    }

    /// What a reader is told in its place.
    pub fn describe(self) -> &'static str {
        match self {
            LeftOut::Curator => "A post left out by the curator",
            LeftOut::Consent => "A post left out because its author asked not to be indexed",
        }
    }
}

/// Who wrote a post.
#[derive(Debug, Clone, PartialEq)]
pub struct Author {
    /// Canonical URI.
    pub uri: String,
    /// `@name@host` (`""` in a stub).
    pub handle: String,
    /// Display name, `""` when unknown.
    pub name: String,
    /// Avatar, if its URL is a safe absolute http(s) URL.
    pub avatar: Option<String>,
}

impl Author {
    /// The display name, or the handle when there is none.
    pub fn shown_name(&self) -> &str {
        let name = self.name.trim();
        if name.is_empty() { &self.handle } else { name }
    }
}

/// One post of the story (or a stub: see `left_out`).
#[derive(Debug, Clone)]
pub struct Post {
    /// Canonical URI.
    pub uri: String,
    /// Permalink, if it is a safe absolute http(s) URL.
    pub url: Option<String>,
    /// Its author.
    pub author: Author,
    /// First publication.
    pub created_at: DateTime<Utc>,
    /// Time of the version shown, if edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Content, sanitised.
    pub content_html: String,
    /// Plain text (untrusted: escape it wherever it goes).
    pub text: String,
    /// Declared language, if it is a well-formed tag.
    pub language: Option<String>,
    /// Parent URI, whether or not the parent is in the story.
    pub in_reply_to: Option<String>,
    /// A reply whose parent is known only by a server-local id no source mapped.
    pub reply_to_unknown: bool,
    /// Media hidden behind a warning.
    pub sensitive: bool,
    /// Content warning as received (may be blank).
    pub spoiler_text: Option<String>,
    /// Carries the tag (else it is a reply without the hashtag, kept for context).
    pub tagged: bool,
    /// Attachments.
    pub media: Vec<Media>,
    /// Times it was shared (boosted, reposted, retweeted).
    pub boosts: u64,
    /// URI of the post it quotes.
    pub quote_of: Option<String>,
    /// Its poll.
    pub poll: Option<Poll>,
    /// Custom emoji it uses, as received (check them before showing: see `usable_emojis`).
    pub emojis: Vec<CustomEmoji>,
    /// Earlier versions, oldest first.
    pub revisions: Vec<Revision>,
    /// How many replies its source said it had, when it said.
    pub replies_total: Option<u64>,
    /// Set when the post is left out and only a stub stands for it.
    pub left_out: Option<LeftOut>,
    /// A content warning the curator added to this post (or to a post it replies to, shown
    /// above it).
    pub curator_warning: Option<String>,
    /// The curator's notes shown just before it (indices into [`Story::notes`]).
    pub notes_before: Vec<usize>,
    /// The curator's notes shown just after it.
    pub notes_after: Vec<usize>,
}

impl Post {
    /// The content warning, when there is a non-blank one.
    pub fn content_warning(&self) -> Option<&str> {
        self.spoiler_text
            .as_deref()
            .filter(|s| !s.trim().is_empty())
    }
}

/// An attachment.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    /// File URL, if it is a safe absolute http(s) URL.
    pub url: Option<String>,
    /// Alt text as received.
    pub alt: Option<String>,
    /// `image`, `video`, `gifv`, `audio`, `unknown`.
    pub kind: String,
    /// The poster or cover picture of a video or sound, if it is a safe absolute http(s) URL.
    pub preview: Option<String>,
}

impl Media {
    /// The alt text, when there is a non-blank one.
    pub fn description(&self) -> Option<&str> {
        self.alt.as_deref().filter(|a| !a.trim().is_empty())
    }
}

/// An earlier version of an edited post.
#[derive(Debug, Clone)]
pub struct Revision {
    /// When it was made.
    pub edited_at: DateTime<Utc>,
    /// Its content, sanitised.
    pub content_html: String,
    /// Its content warning.
    pub spoiler_text: Option<String>,
}

/// A curated story brought back from Storify.
#[derive(Debug, Clone)]
pub struct Curation {
    /// Where it was published (text).
    pub url: String,
    /// Its title.
    pub title: String,
    /// Its intro, sanitised; `None` when empty.
    pub intro_html: Option<String>,
    /// Who curated it.
    pub curator: Option<String>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// `url`, if it is a safe absolute http(s) URL.
    pub link: Option<String>,
    /// Its entries in the curator's order; each post at most once in the whole story.
    pub entries: Vec<CurationEntry>,
}

/// One entry of a curated story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CurationEntry {
    /// A post (index into [`Story::posts`]).
    Post(usize),
    /// A Storify text block, sanitised.
    Note(String),
    /// A tagstory note placed at a curated post (index into [`Story::notes`]).
    CuratorNote(usize),
}

/// Where a note stands relative to its post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Just before the post.
    Before,
    /// Just after the post.
    After,
}

/// A curator's note.
#[derive(Debug, Clone)]
pub struct Note {
    /// Its id in the archive.
    pub id: i64,
    /// Before or after its post.
    pub placement: Placement,
    /// The post it is placed at (URI as stored).
    pub post_uri: String,
    /// Its text, rendered from Markdown and sanitised.
    pub html: String,
    /// The post it stands at in this story, when that post is shown.
    pub post: Option<usize>,
}

/// A source the story's posts came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// File name or URL (never a local directory path).
    pub name: String,
    /// Format name.
    pub format: String,
    /// Last time it was collected.
    pub collected_at: DateTime<Utc>,
}

impl Story {
    /// What every output says about the story's care: the content may be sensitive, how it was
    /// collected, and how to ask for removal.
    pub fn statement(&self) -> String {
        let mut s = String::from(
            "This story may contain sensitive health information about real people. It was \
             collected with tagstory from public posts only (followers-only and direct posts \
             are never stored), deletions by their authors are honoured, and posts whose \
             authors refuse archiving (#NoArchive, #NoBot) are never stored.",
        );
        if self.anonymized {
            s.push_str(" Every participant is shown under a pseudonym.");
        } else if self.datasheet.anonymised > 0 {
            s.push_str(
                " Authors who opted out of search-engine indexing are shown under a pseudonym.",
            );
        }
        s.push_str(
            " Anyone who wants a post or themselves removed can ask the curator, who removes \
             them for good with `tagstory forget`.",
        );
        s
    }
}
