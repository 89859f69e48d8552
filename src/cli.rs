//! Command-line types: what the user can type, documented where `--help` shows it. Nothing
//! here executes anything; `cmd` turns these into work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "Exit status: 0 done; 1 failed (a source could not be read, or the \
    archive could not be written); 2 usage error; 3 done, but some records were skipped because \
    they could not be read.";

/// Keep public hashtag conversations: collect posts into a SQLite archive and render them as a
/// threaded story page.
#[derive(Debug, Parser)]
#[command(name = "tagstory", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A `--tag` value: refused (a usage error) when nothing of it is a hashtag.
fn tag_arg(value: &str) -> Result<String, String> {
    if crate::tag::normalize(value).is_empty() {
        return Err(format!(
            "`{value}` is not a hashtag: give its letters, digits or `_`, with or without `#`"
        ));
    }
    Ok(value.to_string())
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collect posts tagged TAG, and the replies around them, from files and live URLs.
    ///
    /// Files are detected by content: Mastodon API JSON (statuses, a status, a /context
    /// response), ActivityPub (notes, activities, outboxes such as a Mastodon account export's
    /// outbox.json, actors), a Twitter/X account archive (data/tweets.js, its folder or .zip),
    /// Twitter API v1.1 tweets and twarc 1 JSON Lines, twarc 2 JSON Lines, Bluesky
    /// app.bsky.feed responses and Storify stories. An http(s):// URL is fetched live: a
    /// Mastodon-compatible /tags/NAME page, or an ActivityPub actor, outbox, collection or post,
    /// with the conversations around tagged posts. Only public and unlisted posts are kept.
    /// Each source is written in one transaction: a source that fails adds nothing.
    Collect(CollectArgs),
    /// Render the story of TAG as a self-contained HTML page, JSON or Markdown.
    Render(RenderArgs),
    /// Set the title and introduction of the story of TAG, or show them.
    Story(StoryArgs),
    /// Add, list or remove a curator's note placed before or after a post, or a content
    /// warning the curator puts on a post and its replies (`--on POST --cw TEXT`).
    Note(NoteArgs),
    /// Leave posts out of the story (their replies stay, under a stub). Nothing is deleted.
    Hide(HideArgs),
    /// Put posts left out with `hide` back into the story.
    Unhide(HideArgs),
    /// Erase posts, or an author with all their posts, from the archive for good.
    ///
    /// Their content, earlier versions, media and archived files, raw JSON, full-text entries,
    /// story membership, curator's notes on them and boosts go, and their handle and name are
    /// replaced in other posts that mention them; the archive is then compacted so the bytes
    /// leave the file. Only hashes stay, which keep them out of every later collect.
    Forget(ForgetArgs),
    /// List the stories in the archive.
    List(ListArgs),
    /// Search the posts of a story (full-text).
    Search(SearchArgs),
    /// Fetch the avatars, attachments and custom emoji of the story of TAG into the archive.
    ///
    /// Only what the archive does not hold yet is fetched, with the same polite, bounded client
    /// as live collection; a second run with everything archived makes no request. Each file is
    /// checked by its bytes: pictures, video and sound are kept (each distinct file once), while
    /// SVG, HTML, JSON and files over their size limit are refused with a counted reason.
    Media(MediaArgs),
}

/// The archive option every command shares.
#[derive(Debug, Args)]
pub struct DbArg {
    /// The archive.
    #[arg(
        long,
        value_name = "PATH",
        env = "TAGSTORY_DB",
        default_value = "tagstory.db"
    )]
    pub db: PathBuf,
}

/// Arguments of `story`.
#[derive(Debug, Args)]
pub struct StoryArgs {
    /// The hashtag whose story to edit, with or without `#`.
    #[arg(long, value_name = "TAG", value_parser = tag_arg)]
    pub tag: String,
    /// The archive.
    #[command(flatten)]
    pub db: DbArg,
    /// The story's title (an empty title restores the default, `#TAG`).
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// The curator's introduction, in Markdown, from this file (`-`: standard input).
    #[arg(long, value_name = "FILE.md", conflicts_with = "clear_intro")]
    pub intro_file: Option<PathBuf>,
    /// Remove the introduction.
    #[arg(long)]
    pub clear_intro: bool,
}

/// Arguments of `note`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["after", "before", "on", "list", "remove"])))]
pub struct NoteArgs {
    /// The hashtag of the story.
    #[arg(long, value_name = "TAG", value_parser = tag_arg)]
    pub tag: String,
    /// The archive.
    #[command(flatten)]
    pub db: DbArg,
    /// Place the note after this post (its URI, permalink, or a unique start of either).
    #[arg(long, value_name = "POST")]
    pub after: Option<String>,
    /// Place the note before this post.
    #[arg(long, value_name = "POST", conflicts_with = "after")]
    pub before: Option<String>,
    /// The post a content warning (`--cw`) is for.
    #[arg(long, value_name = "POST", requires = "cw", conflicts_with_all = ["after", "before"])]
    pub on: Option<String>,
    /// Instead of a note: a content warning on the post (and the replies shown under it),
    /// folded like an author's; an empty TEXT removes it.
    #[arg(long, value_name = "TEXT", conflicts_with = "file")]
    pub cw: Option<String>,
    /// The note, in Markdown, from this file (`-`: standard input).
    #[arg(long, value_name = "NOTE.md")]
    pub file: Option<PathBuf>,
    /// Print each note's id, position and first line, and the content warnings added.
    #[arg(long, conflicts_with_all = ["after", "before", "file", "remove", "cw"])]
    pub list: bool,
    /// Remove the note with this id.
    #[arg(long, value_name = "ID", conflicts_with_all = ["after", "before", "file", "cw"])]
    pub remove: Option<i64>,
}

/// Arguments of `hide` and `unhide`.
#[derive(Debug, Args)]
pub struct HideArgs {
    /// The hashtag of the story.
    #[arg(long, value_name = "TAG", value_parser = tag_arg)]
    pub tag: String,
    /// The archive.
    #[command(flatten)]
    pub db: DbArg,
    /// The posts: URIs, permalinks, or unique starts of either.
    #[arg(value_name = "POST", required = true)]
    pub posts: Vec<String>,
}

/// Arguments of `forget`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["post", "author"])))]
pub struct ForgetArgs {
    /// The archive.
    #[command(flatten)]
    pub db: DbArg,
    /// A post to forget: its URI, its permalink, or a unique start of either, in any story
    /// (repeat for several).
    #[arg(long, value_name = "POST", conflicts_with = "author")]
    pub post: Vec<String>,
    /// An author to forget with all their posts: their handle as the JSON output shows it
    /// (`@name@server`), their profile URL, or their URI (which finds, too, someone known only
    /// as the author of posts left outside every story).
    #[arg(long, value_name = "HANDLE")]
    pub author: Option<String>,
}

/// Arguments of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The archive.
    #[command(flatten)]
    pub db: DbArg,
}

/// Arguments of `search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The hashtag of the story to search.
    #[arg(long, value_name = "TAG", value_parser = tag_arg)]
    pub tag: String,
    /// The archive.
    #[command(flatten)]
    pub db: DbArg,
    /// Read QUERY as SQLite FTS5 syntax (`"exact phrase"`, `OR`, `NOT`, `prefix*`).
    #[arg(long)]
    pub fts: bool,
    /// Show at most N matches.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Words to find (every one must occur).
    #[arg(value_name = "QUERY", required = true)]
    pub query: Vec<String>,
}

/// Arguments of `collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The hashtag, with or without `#`; matched case-insensitively, as Mastodon normalises it.
    #[arg(long, value_name = "TAG", value_parser = tag_arg)]
    pub tag: String,
    /// The archive to write (created if missing).
    #[arg(
        long,
        value_name = "PATH",
        env = "TAGSTORY_DB",
        default_value = "tagstory.db"
    )]
    pub db: PathBuf,
    /// Files to collect; `-` reads standard input; an `http(s)://` URL is fetched: a
    /// Mastodon-compatible `/tags/NAME` page, an ActivityPub actor, outbox, collection or post.
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<String>,
    /// Read every source as this format instead of detecting it.
    #[arg(long, value_enum, value_name = "NAME")]
    pub format: Option<InputFormat>,
    /// Fail a source on its first bad line or record instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// URL sources: take only the tagged posts, without the conversations around them.
    #[arg(long, help_heading = "Live collection (URL sources)")]
    pub no_context: bool,
    /// URL sources: how many replies down and parents up to follow from a tagged post.
    #[arg(long, value_name = "N", default_value_t = crate::collect::live::DEFAULT_MAX_DEPTH, help_heading = "Live collection (URL sources)")]
    pub max_depth: usize,
    /// URL sources: how many context documents (conversations, parents, reply pages) to fetch
    /// in one run.
    #[arg(long, value_name = "N", default_value_t = crate::collect::live::DEFAULT_MAX_CONTEXT, help_heading = "Live collection (URL sources)")]
    pub max_context: usize,
    /// URL sources: skip posts published before this date (`2026-08-20`) or RFC 3339 time.
    #[arg(long, value_name = "DATE", value_parser = crate::collect::live::parse_since, help_heading = "Live collection (URL sources)")]
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// URL sources: take at most N posts from each source URL.
    #[arg(long, value_name = "N", help_heading = "Live collection (URL sources)")]
    pub limit: Option<usize>,
    /// URL sources: how many of the story's newest live-collected posts to fetch again for
    /// edits and deletions (0: none).
    #[arg(long, value_name = "N", default_value_t = crate::collect::live::DEFAULT_REFRESH, help_heading = "Live collection (URL sources)")]
    pub refresh: usize,
    /// URL sources: bearer token for servers that need one (a Mastodon access token).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "TAGSTORY_TOKEN",
        hide_env_values = true,
        help_heading = "Live collection (URL sources)"
    )]
    pub token: Option<String>,
    /// URL sources: also fetch from private, loopback and link-local addresses.
    #[arg(long, help_heading = "Live collection (URL sources)")]
    pub allow_private_addresses: bool,
    /// URL sources: seconds one request may take, body included.
    #[arg(long, value_name = "SECS", default_value_t = crate::fetch::DEFAULT_TIMEOUT.as_secs_f64(), help_heading = "Live collection (URL sources)")]
    pub timeout: f64,
    /// URL sources: largest response accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::fetch::DEFAULT_MAX_RESPONSE_BYTES, help_heading = "Live collection (URL sources)")]
    pub max_response_bytes: u64,
    /// URL sources: redirects followed per request.
    #[arg(long, value_name = "N", default_value_t = crate::fetch::DEFAULT_MAX_REDIRECTS, help_heading = "Live collection (URL sources)")]
    pub max_redirects: usize,
    /// URL sources: pages read per paged source (timeline, outbox, replies).
    #[arg(long, value_name = "N", default_value_t = crate::fetch::DEFAULT_MAX_PAGES, help_heading = "Live collection (URL sources)")]
    pub max_pages: usize,
    /// URL sources: retries after a 5xx answer, a timeout or a network error.
    #[arg(long, value_name = "N", default_value_t = crate::fetch::DEFAULT_RETRIES, help_heading = "Live collection (URL sources)")]
    pub retries: u32,
    /// URL sources: longest wait, in seconds, honoured when a server asks to slow down.
    #[arg(long, value_name = "SECS", default_value_t = crate::fetch::DEFAULT_MAX_WAIT.as_secs(), help_heading = "Live collection (URL sources)")]
    pub max_wait: u64,
    /// After collecting, fetch the story's avatars, attachments and custom emoji into the
    /// archive, as `tagstory media` does, with the limits above (`--timeout`,
    /// `--max-response-bytes` for pictures, `--retries`, `--allow-private-addresses`…).
    #[arg(long, help_heading = "Media")]
    pub media: bool,
    /// With `--media`: largest video or sound file kept, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::media::DEFAULT_MAX_MEDIA_BYTES, help_heading = "Media")]
    pub max_media_bytes: u64,
    /// No progress bar or progress lines.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `media`.
#[derive(Debug, Args)]
pub struct MediaArgs {
    /// The hashtag whose story's media to fetch, with or without `#`.
    #[arg(long, value_name = "TAG", value_parser = tag_arg)]
    pub tag: String,
    /// The archive.
    #[command(flatten)]
    pub db: DbArg,
    /// The limits of fetching.
    #[command(flatten)]
    pub limits: MediaLimitArgs,
    /// No progress bar or progress lines.
    #[arg(long, short)]
    pub quiet: bool,
}

/// How media files are fetched: by `media`, and by `collect --media` (which shares the limits of
/// URL sources, so it has only the one of its own).
#[derive(Debug, Args)]
pub struct MediaLimitArgs {
    /// Also fetch from private, loopback and link-local addresses.
    #[arg(long)]
    pub allow_private_addresses: bool,
    /// Seconds one request may take, body included.
    #[arg(long, value_name = "SECS", default_value_t = crate::fetch::DEFAULT_TIMEOUT.as_secs_f64())]
    pub timeout: f64,
    /// Largest picture kept (avatar, emoji, image), in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::fetch::DEFAULT_MAX_RESPONSE_BYTES)]
    pub max_response_bytes: u64,
    /// Largest video or sound file kept, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::media::DEFAULT_MAX_MEDIA_BYTES)]
    pub max_media_bytes: u64,
    /// Redirects followed per request.
    #[arg(long, value_name = "N", default_value_t = crate::fetch::DEFAULT_MAX_REDIRECTS)]
    pub max_redirects: usize,
    /// Retries after a 5xx answer, a timeout or a network error.
    #[arg(long, value_name = "N", default_value_t = crate::fetch::DEFAULT_RETRIES)]
    pub retries: u32,
    /// Longest wait, in seconds, honoured when a server asks to slow down.
    #[arg(long, value_name = "SECS", default_value_t = crate::fetch::DEFAULT_MAX_WAIT.as_secs())]
    pub max_wait: u64,
}

/// Input formats, for `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Mastodon REST API JSON (statuses, a status, a /context response).
    MastodonApi,
    /// ActivityPub / ActivityStreams 2.0 (notes, activities, outboxes, actors).
    Activitypub,
    /// A Twitter/X account archive: data/tweets.js, the folder, or the .zip.
    TwitterArchive,
    /// Twitter API v1.1 tweets, or twarc 1 / streaming JSON Lines.
    TwitterV1,
    /// twarc 2 JSON Lines (Twitter API v2 pages or flattened tweets).
    Twarc2,
    /// Bluesky app.bsky.feed responses.
    Bluesky,
    /// A Storify story (API v1 JSON, one file per page).
    Storify,
}

impl InputFormat {
    /// The library's format.
    pub fn format(self) -> crate::sources::Format {
        use crate::sources::Format;
        match self {
            InputFormat::MastodonApi => Format::MastodonApi,
            InputFormat::Activitypub => Format::ActivityPub,
            InputFormat::TwitterArchive => Format::TwitterArchive,
            InputFormat::TwitterV1 => Format::TwitterV1,
            InputFormat::Twarc2 => Format::Twarc2,
            InputFormat::Bluesky => Format::Bluesky,
            InputFormat::Storify => Format::Storify,
        }
    }
}

/// Arguments of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The hashtag whose story to render, with or without `#`.
    #[arg(long, value_name = "TAG", value_parser = tag_arg)]
    pub tag: String,
    /// The archive to read.
    #[arg(
        long,
        value_name = "PATH",
        env = "TAGSTORY_DB",
        default_value = "tagstory.db"
    )]
    pub db: PathBuf,
    /// Where to write; `-` for standard output. A path ending in `/`, or an existing folder,
    /// gets a folder: `index.html`, `media/` (the archived files the page shows), `story.json`
    /// and `story.md`. Default: `<TAG>.html`, `<TAG>.json`, `<TAG>.md` or `<TAG>.jsonl`.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Html)]
    pub format: FormatArg,
    /// Title, for this render only. Default: the story's title (`tagstory story --title`),
    /// else `#TAG`.
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Threads (replies under their parents) or one timeline.
    #[arg(long, value_enum, default_value_t = OrderArg::Threads)]
    pub order: OrderArg,
    /// Show times in this IANA time zone (`Europe/London`); always labelled.
    #[arg(long, value_name = "ZONE", default_value = "UTC")]
    pub timezone: String,
    /// Authors who opted out of search-engine indexing: shown under a pseudonym (default),
    /// left out (strict), or by name (relaxed: you have their permission).
    #[arg(long, value_enum, default_value_t = ConsentArg::Default)]
    pub consent: ConsentArg,
    /// Show every participant under a pseudonym ("Participant 7"): no names, handles,
    /// avatars, profile links or links to the original posts.
    #[arg(long)]
    pub anonymize: bool,
    /// Let search engines index and archive the page (it asks them not to by default).
    #[arg(long)]
    pub indexable: bool,
    /// A single HTML page carries the archived pictures inside it when together they take at
    /// most this many bytes; past it, render to a folder (`--out DIR/`) to keep them.
    #[arg(long, value_name = "BYTES", default_value_t = 20_000_000)]
    pub embed_limit: u64,
    /// A folder render of a story with more posts than this is split into an index and thread
    /// pages of about this many posts each, every post on exactly one page.
    #[arg(long, value_name = "N", default_value_t = 5000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub page_size: usize,
}

/// What `render --consent` does with authors who opted out of indexing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConsentArg {
    /// Show them under a pseudonym.
    Default,
    /// Leave their posts out; replies stay, under a stub.
    Strict,
    /// Show them by name (the curator has their permission).
    Relaxed,
}

/// Layouts of `render --order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrderArg {
    /// Reply trees, threads in time order.
    Threads,
    /// Every post in time order, none nested.
    Time,
}

/// Output formats of `render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// A self-contained HTML page.
    Html,
    /// The stable JSON structure of the story.
    Json,
    /// Markdown, readable as plain text.
    Markdown,
    /// JSON Lines: one post per line with `in_reply_to`, `thread` and `depth`, nothing nested
    /// (for tools that cannot read deeply nested JSON).
    Jsonl,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
