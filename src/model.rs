//! The normalised records every input format is turned into.
//!
//! Parsers (`sources::*`) produce [`Item`]s; the store keeps them; the renderer reads them back.
//! Nothing here knows about a particular platform: each field says where it comes from per
//! format, so a new parser knows what to fill in.
//!
//! The serde forms of these types are how the collector stages items between reading and
//! writing (`store::staging`), in a positional binary encoding: every field is written, none
//! skipped (`skip_serializing_if` would make the bytes unreadable), and nothing else reads them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One thing a source says: a post, a boost of a post, a deletion, an actor's profile, or a
/// record we deliberately did not keep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Item {
    /// A post (or a newer version of one).
    Post(Box<Post>),
    /// A boost / reblog / Announce of a post; never stored as a second copy of the post.
    Boost(Boost),
    /// A boost that names its post only by author and text: a Twitter archive's retweet, whose
    /// `RT @name: …` text is all that is left of the retweeted tweet. It counts once the post is
    /// found in the archive (now, or when a later collection brings it).
    TextBoost(TextBoost),
    /// The post with this URI was deleted by its author.
    Delete(Deletion),
    /// A profile (an ActivityPub actor document) naming and picturing an author.
    Actor(Author),
    /// A record that was read but must not be stored (not public, a kind we do not keep).
    Skipped(Skip),
    /// A curated story (a Storify story): its title and intro. Every post of the source that
    /// follows belongs to the story, tagged or not, in the order of the [`Item::Curated`]
    /// entries.
    Story(StoryInfo),
    /// The next entry of the curated story announced by the last [`Item::Story`].
    Curated(Curated),
}

/// A story as its curator published it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryInfo {
    /// Where the story was published (its permalink); identifies it across collections.
    pub url: String,
    /// Its title.
    pub title: String,
    /// Its description, as HTML passed through [`crate::sanitize::sanitize_html`].
    pub intro_html: String,
    /// Who curated it.
    pub curator: Option<Author>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// The curator's positions this document fills (a page of a story saved page by page);
    /// `None` for a whole story, whose entries replace all earlier ones.
    pub positions: Option<std::ops::Range<u64>>,
}

/// One entry of a curated story, in the curator's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Curated {
    /// A post (emitted as an [`Item::Post`] before this entry).
    Post {
        /// Its URI.
        uri: String,
    },
    /// The curator's own words between posts, as sanitised HTML.
    Note {
        /// The note, passed through [`crate::sanitize::sanitize_html`].
        html: String,
    },
}

/// A post, normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    /// Canonical, globally unique id. Mastodon API: `uri`; AS2: `id`.
    pub uri: String,
    /// Human permalink, when the source gives one. Mastodon API: `url`; AS2: `url` (first link).
    pub url: Option<String>,
    /// Who wrote it. Mastodon API: `account`; AS2: `attributedTo` (a URI, completed later by
    /// an actor document when one is collected).
    pub author: Author,
    /// When it was first published, in UTC. Mastodon API: `created_at`; AS2: `published`.
    pub created_at: DateTime<Utc>,
    /// When this version was made, if the post was edited. Mastodon API: `edited_at`; AS2:
    /// `updated`.
    pub edited_at: Option<DateTime<Utc>>,
    /// Content HTML, already passed through [`crate::sanitize::sanitize_html`].
    pub content_html: String,
    /// Plain text of the content, for search and the JSON output.
    pub text: String,
    /// Language tag, if declared. Mastodon API: `language`; AS2: the `contentMap` key.
    pub language: Option<String>,
    /// URI of the post this replies to, when the source names it by URI (AS2 `inReplyTo`).
    pub in_reply_to: Option<String>,
    /// Server-local id of the parent (Mastodon API `in_reply_to_id`), resolved to a URI by the
    /// collector through [`Post::local_id`]s of the same server.
    pub in_reply_to_local: Option<LocalId>,
    /// The server-local id of this post (Mastodon API `id`), so replies can find it.
    pub local_id: Option<LocalId>,
    /// Opaque thread key (AS2 `conversation` or `context`), compared for equality only.
    pub conversation: Option<String>,
    /// Media hidden behind a warning. Mastodon API / AS2: `sensitive`.
    pub sensitive: bool,
    /// Content-warning text, `None` when empty. Mastodon API: `spoiler_text`; AS2: `summary`.
    pub spoiler_text: Option<String>,
    /// Hashtags in normalised form ([`crate::tag::normalize`]), without `#`, deduplicated.
    pub tags: Vec<String>,
    /// Whether `tags` came from structured data (`tags[]`, AS2 `Hashtag`). When false, the
    /// collector looks for `#TAG` in the text instead.
    pub has_structured_tags: bool,
    /// Attachments, in source order.
    pub media: Vec<Media>,
    /// URI of the post this one quotes, if any. Mastodon API: `quote.quoted_status.uri`; AS2:
    /// `quote` / `quoteUri` / `quoteUrl` / `_misskey_quote`; Twitter: the quoted tweet's URI;
    /// Bluesky: the `app.bsky.embed.record` URI.
    pub quote_of: Option<String>,
    /// A poll attached to the post. Mastodon API: `poll`; AS2: a `Question`'s `oneOf`/`anyOf`;
    /// twarc v2: `includes.polls`.
    pub poll: Option<Poll>,
    /// Custom emoji whose `:shortcode:` appears in the content. Mastodon API: `emojis`; AS2:
    /// `tag[]` of type `Emoji`.
    pub emojis: Vec<CustomEmoji>,
    /// The source JSON of this post, as received (for provenance and later re-parsing).
    pub source_json: String,
    /// The reply count `source_json` reports, as the archive's triggers read it, worked out
    /// by the source from the same JSON (`store::reply_count_of`).
    #[serde(default)]
    pub reply_count: ReplyCount,
}

/// A post's reply count as its source JSON reports it, taken as the archive's reply-count
/// triggers (schema v8) take it: the first of seven known places that holds anything, kept
/// when that is a whole number from 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyCount {
    /// Not worked out: read from the stored JSON when the post is stored.
    #[default]
    Unread,
    /// The JSON reports none (or nothing the triggers keep).
    Absent,
    /// The JSON reports this many.
    Count(i64),
}

/// A server-local post id: Mastodon API ids mean nothing outside the server that issued them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LocalId {
    /// Host of the server that issued the id (`""` when it cannot be told).
    pub server: String,
    /// The id itself: an opaque string, never parsed as a number.
    pub id: String,
}

/// An account, as seen in a post or an actor document.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Author {
    /// Canonical id. Mastodon API: `account.uri`, else `account.url`; AS2: actor `id`.
    pub uri: String,
    /// `@name@host`. Mastodon API: `@` + `acct` (+ `@host` of `account.url` for local accounts);
    /// AS2: `@preferredUsername@host`, or guessed from the actor URI's last path segment.
    pub handle: String,
    /// Display name; empty when unknown (the renderer then shows the handle).
    pub name: String,
    /// Profile page.
    pub url: Option<String>,
    /// Avatar image URL, as given (it may be relative in an account export).
    pub avatar: Option<String>,
    /// What the profile says about being archived.
    #[serde(default)]
    pub consent: Consent,
}

/// What an author's profile says about being archived and indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Consent {
    /// The profile refuses archiving: `#NoArchive` or `#NoBot` in the bio or a profile field,
    /// or (Bluesky) the `!no-unauthenticated` label. None of their posts is stored.
    #[serde(default)]
    pub refuses: bool,
    /// The author opted out of search-engine indexing (Mastodon `noindex`): their posts are
    /// kept but shown under a pseudonym unless the curator says otherwise.
    #[serde(default)]
    pub noindex: bool,
    /// The source showed the profile these flags were read from (a bio, profile fields or
    /// labels), so `false` means "the profile does not say so" rather than "unknown": a later
    /// profile without `#NoArchive` lifts an earlier refusal. False for an author known only by
    /// a reference (an AS2 `attributedTo` URI, a tweet without its user's description).
    #[serde(default)]
    pub from_profile: bool,
}

/// A picture, video or sound attached to a post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Media {
    /// Where the file is, as given (an export gives archive-relative paths).
    pub url: String,
    /// `image`, `video`, `gifv`, `audio` or `unknown`.
    pub kind: String,
    /// Alt text, `None` when absent or empty. Mastodon API: `description`; AS2: `name` or
    /// `summary`.
    pub alt: Option<String>,
    /// Pixel width, when known.
    pub width: Option<u32>,
    /// Pixel height, when known.
    pub height: Option<u32>,
    /// A still picture standing for a video or sound (its poster, thumbnail or cover), when the
    /// source names one other than `url`. Mastodon API: `preview_url`; AS2: `icon`; Twitter:
    /// `media_url_https` of a video; twarc 2: `preview_image_url`; Bluesky: `thumbnail`.
    #[serde(default)]
    pub preview: Option<String>,
}

/// A boost of a post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Boost {
    /// The boost's own id (Mastodon API wrapper `uri`; AS2 Announce `id`).
    pub uri: String,
    /// URI of the boosted post.
    pub post_uri: String,
    /// The booster's actor URI.
    pub booster: String,
    /// When the boost happened.
    pub created_at: Option<DateTime<Utc>>,
}

/// A boost known only by the boosted post's author and the start of its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextBoost {
    /// The boost's own id.
    pub uri: String,
    /// The booster's actor URI.
    pub booster: String,
    /// When the boost happened.
    pub created_at: Option<DateTime<Utc>>,
    /// The boosted post's author, as `@name` (compared without case).
    pub author_handle: String,
    /// The start of the boosted post's text, as the boost quotes it (before any link or
    /// truncation mark).
    pub text_start: String,
}

/// A deletion of a post by its author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deletion {
    /// URI of the deleted post.
    pub uri: String,
    /// When it was deleted, if the source says.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A record that was read and deliberately dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skip {
    /// The record's id, when it has one.
    pub uri: Option<String>,
    /// Why it was dropped.
    pub reason: SkipReason,
}

/// Why a record was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkipReason {
    /// Followers-only, direct or otherwise not addressed to the public.
    NotPublic,
    /// An activity or object type that carries no post (Like, Follow, ...).
    Unsupported,
    /// A post whose author's profile refuses archiving (`#NoArchive`, `#NoBot`...): decided
    /// by the collector, which stages this in place of the post.
    Consent,
    /// A post forgotten with `tagstory forget` (itself or its author): decided by the
    /// collector, which stages this in place of the post.
    Forgotten,
}

/// A poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Poll {
    /// The choices, in order.
    pub options: Vec<PollOption>,
    /// Whether several choices could be picked.
    pub multiple: bool,
    /// When voting ends or ended.
    pub closes_at: Option<DateTime<Utc>>,
    /// How many people voted, when known.
    pub voters: Option<u64>,
}

/// One choice of a poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollOption {
    /// The choice's text (plain).
    pub title: String,
    /// Votes for it, when known.
    pub votes: Option<u64>,
}

/// A custom emoji: an image standing for `:shortcode:` in text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomEmoji {
    /// The shortcode, without colons.
    pub shortcode: String,
    /// The image URL, as given.
    pub url: String,
}
