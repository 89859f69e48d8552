-- tagstory archive schema: the current version, applied as a whole to a new archive.
--
-- PRAGMA user_version holds the version (see SCHEMA_VERSION in src/store/mod.rs). An archive
-- made by an older release is brought up to date by the upgrade steps in src/store/upgrades/,
-- which are only ever appended; a test upgrades a real version-1 archive and checks that it
-- ends up with exactly this schema. Columns added by an upgrade come last in their table here,
-- as ALTER TABLE puts them.
--
-- Times are stored as RFC 3339 UTC text with a `Z` and millisecond precision
-- (`2026-08-20T08:00:00.000Z`), so text order is time order.

-- Everyone whose posts are in the archive.
CREATE TABLE authors (
    id          INTEGER PRIMARY KEY,
    uri         TEXT NOT NULL UNIQUE,          -- ActivityPub actor id / Mastodon account uri
    handle      TEXT NOT NULL,                 -- @name@host
    name        TEXT NOT NULL DEFAULT '',      -- display name, '' when unknown
    url         TEXT,                          -- profile page
    avatar_url  TEXT,
    updated_at  TEXT NOT NULL
);
CREATE INDEX authors_handle ON authors(lower(handle));   -- boosts known by handle (v9)

-- One row per post, keyed by its canonical URI. Deleted posts are removed (see tombstones).
CREATE TABLE posts (
    id                INTEGER PRIMARY KEY,
    uri               TEXT NOT NULL UNIQUE,    -- ActivityPub id / Mastodon `uri`
    url               TEXT,                    -- human permalink
    author_id         INTEGER NOT NULL REFERENCES authors(id),
    created_at        TEXT NOT NULL,
    edited_at         TEXT,                    -- time of the version stored, when edited
    content_html      TEXT NOT NULL,           -- sanitised
    text              TEXT NOT NULL,           -- plain text of content_html
    language          TEXT,
    in_reply_to_uri   TEXT,                    -- parent, which may not be in the archive
    reply_to_server   TEXT,                    -- Mastodon API: parent's local id, kept until
    reply_to_local_id TEXT,                    --   a source maps it to a URI (see local_ids)
    conversation      TEXT,                    -- opaque thread key (AS2 conversation/context)
    sensitive         INTEGER NOT NULL DEFAULT 0 CHECK (sensitive IN (0, 1)),
    spoiler_text      TEXT,                    -- content warning, NULL when none
    source_format     TEXT NOT NULL,           -- format the stored version came from
    source_json       TEXT NOT NULL,           -- that version, as received
    collected_at      TEXT NOT NULL,
    quote_of_uri      TEXT                     -- the post this one quotes (v2)
);
CREATE INDEX posts_in_reply_to ON posts(in_reply_to_uri);
CREATE INDEX posts_author ON posts(author_id);
-- Replies waiting for a parent named by a local id, found when a source names it (v9).
CREATE INDEX posts_waiting_parent ON posts(reply_to_local_id, reply_to_server)
    WHERE in_reply_to_uri IS NULL AND reply_to_local_id IS NOT NULL;

-- Mastodon API ids are local to the server that issued them; replies name parents by them.
CREATE TABLE local_ids (
    server    TEXT NOT NULL,                   -- host, '' when unknown
    local_id  TEXT NOT NULL,
    post_uri  TEXT NOT NULL,
    PRIMARY KEY (server, local_id)
) WITHOUT ROWID;
CREATE INDEX local_ids_local_id ON local_ids(local_id);   -- (v5)

CREATE TABLE media (
    post_id     INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    url         TEXT NOT NULL,
    kind        TEXT NOT NULL,                 -- image, video, gifv, audio, unknown
    alt_text    TEXT,
    width       INTEGER,
    height      INTEGER,
    preview_url TEXT,                          -- poster or cover of a video or sound (v10)
    PRIMARY KEY (post_id, position)
) WITHOUT ROWID;

-- A poll attached to a post, and its choices (v2).
CREATE TABLE polls (
    post_id     INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
    multiple    INTEGER NOT NULL DEFAULT 0 CHECK (multiple IN (0, 1)),
    closes_at   TEXT,
    voters      INTEGER
);

CREATE TABLE poll_options (
    post_id   INTEGER NOT NULL REFERENCES polls(post_id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    title     TEXT NOT NULL,
    votes     INTEGER,
    PRIMARY KEY (post_id, position)
) WITHOUT ROWID;

-- Custom emoji: the image standing for :shortcode: in a post's content (v2).
CREATE TABLE emojis (
    post_id    INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    shortcode  TEXT NOT NULL,
    url        TEXT NOT NULL,
    PRIMARY KEY (post_id, shortcode)
) WITHOUT ROWID;

-- Earlier versions of edited posts, when a source gives the history (v2).
CREATE TABLE revisions (
    post_id       INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    edited_at     TEXT NOT NULL,
    content_html  TEXT NOT NULL,
    text          TEXT NOT NULL,
    spoiler_text  TEXT,
    PRIMARY KEY (post_id, edited_at)
) WITHOUT ROWID;

-- Normalised hashtags (NFKC, lower case, Latin accents folded, no '#').
CREATE TABLE post_tags (
    post_id  INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (post_id, tag)
) WITHOUT ROWID;
CREATE INDEX post_tags_tag ON post_tags(tag);

-- Which posts make up the story of a tag, and why.
CREATE TABLE story_posts (
    tag       TEXT NOT NULL,
    post_id   INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    reason    TEXT NOT NULL CHECK (reason IN ('tagged', 'context')),
    added_at  TEXT NOT NULL,
    PRIMARY KEY (tag, post_id)
) WITHOUT ROWID;
CREATE INDEX story_posts_post ON story_posts(post_id);   -- deleting a post finds it (v9)

-- Boosts are events about a post, never copies of it. The boosted post may not be archived
-- (yet): collecting it later makes the boosts count.
CREATE TABLE boosts (
    uri          TEXT PRIMARY KEY,             -- the boost's own id
    post_uri     TEXT NOT NULL,
    booster_uri  TEXT NOT NULL,
    created_at   TEXT,
    source_id    INTEGER REFERENCES sources(id)
) WITHOUT ROWID;
CREATE INDEX boosts_post ON boosts(post_uri);

-- Posts their authors deleted: their content is gone, and an old copy must not bring them back.
CREATE TABLE tombstones (
    uri          TEXT PRIMARY KEY,
    deleted_at   TEXT,
    recorded_at  TEXT NOT NULL,
    source_id    INTEGER REFERENCES sources(id)
) WITHOUT ROWID;

-- Curated stories brought back from Storify: title, intro, and the curator's order of posts
-- and notes (v3).
CREATE TABLE curated_stories (
    tag           TEXT NOT NULL,
    url           TEXT NOT NULL,               -- the story's permalink
    title         TEXT NOT NULL,
    intro_html    TEXT NOT NULL,               -- sanitised
    curator_name  TEXT,
    published_at  TEXT,
    source_id     INTEGER REFERENCES sources(id),
    PRIMARY KEY (tag, url)
) WITHOUT ROWID;

CREATE TABLE curation (
    tag        TEXT NOT NULL,
    story_url  TEXT NOT NULL,
    position   INTEGER NOT NULL,
    post_uri   TEXT,                           -- a post, or
    note_html  TEXT,                           -- the curator's words (sanitised)
    PRIMARY KEY (tag, story_url, position),
    FOREIGN KEY (tag, story_url) REFERENCES curated_stories(tag, url) ON DELETE CASCADE,
    CHECK ((post_uri IS NULL) <> (note_html IS NULL))
) WITHOUT ROWID;

-- Every source collected: what, from where, when, and what it gave.
CREATE TABLE sources (
    id                INTEGER PRIMARY KEY,
    format            TEXT NOT NULL,
    location          TEXT NOT NULL,           -- path, '-' for stdin, or URL
    tag               TEXT NOT NULL,
    collected_at      TEXT NOT NULL,
    posts_seen        INTEGER NOT NULL,
    posts_new         INTEGER NOT NULL,
    posts_updated     INTEGER NOT NULL,
    boosts            INTEGER NOT NULL,
    deletions         INTEGER NOT NULL,
    skipped_untagged  INTEGER NOT NULL,
    skipped_private   INTEGER NOT NULL,
    errors            INTEGER NOT NULL,
    skipped_consent   INTEGER NOT NULL DEFAULT 0  -- posts whose author refuses archiving (v7)
);

-- Full-text search over post text and content warnings, kept in step by triggers. Declared
-- with content="posts" (double quotes, no spaces) because that is how Datasette finds it (v5).
CREATE VIRTUAL TABLE posts_fts USING fts5(
    text, spoiler_text, content="posts", content_rowid="id", tokenize="unicode61 remove_diacritics 2"
);
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts(rowid, text, spoiler_text) VALUES (new.id, new.text, new.spoiler_text);
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_fts(posts_fts, rowid, text, spoiler_text)
        VALUES ('delete', old.id, old.text, old.spoiler_text);
END;
CREATE TRIGGER posts_fts_update AFTER UPDATE OF text, spoiler_text ON posts BEGIN
    INSERT INTO posts_fts(posts_fts, rowid, text, spoiler_text)
        VALUES ('delete', old.id, old.text, old.spoiler_text);
    INSERT INTO posts_fts(rowid, text, spoiler_text) VALUES (new.id, new.text, new.spoiler_text);
END;

-- Where live collection left off (per source URL and tag), and where each live-collected
-- post can be fetched again to pick up edits and deletions (v4).
CREATE TABLE cursors (
    url               TEXT NOT NULL,           -- the source URL as the user gave it
    tag               TEXT NOT NULL,
    newest_id         TEXT,                    -- Mastodon API: newest status id seen (since_id)
    newest_published  TEXT,                    -- newest post time seen
    resume_url        TEXT,                    -- next page of a run that did not finish
    pending_newest_id TEXT,                    -- that run's newest id, saved once it finishes
    last_run_at       TEXT NOT NULL,
    PRIMARY KEY (url, tag)
) WITHOUT ROWID;

CREATE TABLE fetched_posts (
    post_uri    TEXT PRIMARY KEY,
    fetch_url   TEXT NOT NULL,                 -- Mastodon API status URL, or the AS2 object id
    format      TEXT NOT NULL,                 -- the format it answers in
    fetched_at  TEXT NOT NULL,
    context_at  TEXT                           -- when its conversation was last fetched
) WITHOUT ROWID;

-- Boosts known only by the boosted post's author and the start of its text (a Twitter
-- archive's retweets), until a collected post matches them.
CREATE TABLE text_boosts (
    uri            TEXT PRIMARY KEY,           -- the boost's own id
    booster_uri    TEXT NOT NULL,
    created_at     TEXT,
    author_handle  TEXT NOT NULL,
    text_start     TEXT NOT NULL,
    source_id      INTEGER REFERENCES sources(id)
) WITHOUT ROWID;

-- A curator's own story of a tag: its title and introduction, notes placed before or after
-- posts (kept by post URI, so a re-collect never detaches them), and posts left out (v5).
CREATE TABLE stories (
    tag         TEXT PRIMARY KEY,
    title       TEXT,                          -- NULL: the default title
    intro_md    TEXT,                          -- the curator's Markdown, as written
    intro_html  TEXT,                          -- rendered and sanitised
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE notes (
    id          INTEGER PRIMARY KEY,
    tag         TEXT NOT NULL,
    post_uri    TEXT NOT NULL,
    placement   TEXT NOT NULL CHECK (placement IN ('before', 'after')),
    body_md     TEXT NOT NULL,
    body_html   TEXT NOT NULL,                 -- rendered and sanitised
    created_at  TEXT NOT NULL
);
CREATE INDEX notes_tag ON notes(tag, post_uri);

CREATE TABLE hidden_posts (
    tag         TEXT NOT NULL,
    post_uri    TEXT NOT NULL,
    hidden_at   TEXT NOT NULL,
    PRIMARY KEY (tag, post_uri)
) WITHOUT ROWID;

-- Archived media (v6): the bytes of every avatar, attachment and custom emoji fetched by
-- `tagstory media`, stored once per content (keyed by their SHA-256), and what each remote URL
-- gave: its bytes, or why they could not be kept.
CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,              -- lower-case hex SHA-256 of `data`
    mime        TEXT NOT NULL,                 -- the type the bytes are (sniffed, not as served)
    size        INTEGER NOT NULL,              -- length(data)
    data        BLOB NOT NULL,
    stored_at   TEXT NOT NULL
);

CREATE TABLE media_files (
    url          TEXT PRIMARY KEY,             -- as the post or author names it
    sha256       TEXT REFERENCES blobs(sha256), -- its bytes, NULL while they could not be kept
    fetched_at   TEXT NOT NULL,                -- the last attempt
    failure      TEXT,                         -- why not kept: svg, html, json, not-media,
                                               --   too-large, refused, gone, http, network
    detail       TEXT,                         -- the failure, as reported
    failures     INTEGER NOT NULL DEFAULT 0,   -- failed attempts so far
    CHECK ((sha256 IS NULL) <> (failure IS NULL))
) WITHOUT ROWID;
CREATE INDEX media_files_sha256 ON media_files(sha256);

-- Consent (v7): what authors' profiles say about being archived (a refusal means none of their
-- posts is stored; an opt-out of indexing means a pseudonym unless the curator says otherwise),
-- takedowns that stay down (`tagstory forget`, kept only as SHA-256 hashes of the normalised
-- URI, handle or name, so nothing readable remains), and a curator's own content warnings.
CREATE TABLE author_consent (
    author_uri  TEXT PRIMARY KEY,
    refuses     INTEGER NOT NULL DEFAULT 0 CHECK (refuses IN (0, 1)),  -- #NoArchive, #NoBot...
    noindex     INTEGER NOT NULL DEFAULT 0 CHECK (noindex IN (0, 1)),  -- opted out of indexing
    seen_at     TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE forgotten (
    hash          TEXT PRIMARY KEY,            -- SHA-256 hex of the normalised URI or handle
    kind          TEXT NOT NULL CHECK (kind IN ('post', 'author', 'handle', 'name')),
    forgotten_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE curator_warnings (
    tag         TEXT NOT NULL,
    post_uri    TEXT NOT NULL,                 -- the post, and the replies shown under it
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tag, post_uri)
) WITHOUT ROWID;

-- What rendering reads without touching a post's source JSON (v8): the reply count its source
-- reported, kept by triggers, and the quotes, indexed (the quoted URI is stored after the JSON).
CREATE TABLE post_replies (
    post_id  INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
    total    INTEGER NOT NULL                  -- replies_count, replies.totalItems, reply_count…
);
CREATE TRIGGER post_replies_insert AFTER INSERT ON posts BEGIN
    INSERT OR REPLACE INTO post_replies (post_id, total)
    SELECT new.id, t FROM (SELECT CASE WHEN json_valid(new.source_json) THEN coalesce(
        json_extract(new.source_json, '$.replies_count'),
        json_extract(new.source_json, '$.replies.totalItems'),
        json_extract(new.source_json, '$.object.replies.totalItems'),
        json_extract(new.source_json, '$.public_metrics.reply_count'),
        json_extract(new.source_json, '$.reply_count'),
        json_extract(new.source_json, '$.replyCount'),
        json_extract(new.source_json, '$.post.replyCount')) END AS t)
    WHERE typeof(t) = 'integer' AND t >= 0;
END;
CREATE TRIGGER post_replies_update AFTER UPDATE OF source_json ON posts BEGIN
    DELETE FROM post_replies WHERE post_id = new.id;
    INSERT INTO post_replies (post_id, total)
    SELECT new.id, t FROM (SELECT CASE WHEN json_valid(new.source_json) THEN coalesce(
        json_extract(new.source_json, '$.replies_count'),
        json_extract(new.source_json, '$.replies.totalItems'),
        json_extract(new.source_json, '$.object.replies.totalItems'),
        json_extract(new.source_json, '$.public_metrics.reply_count'),
        json_extract(new.source_json, '$.reply_count'),
        json_extract(new.source_json, '$.replyCount'),
        json_extract(new.source_json, '$.post.replyCount')) END AS t)
    WHERE typeof(t) = 'integer' AND t >= 0;
END;
CREATE INDEX posts_quote_of ON posts(id, quote_of_uri) WHERE quote_of_uri IS NOT NULL;

-- The records a collect read, by fingerprint, and the posts each made: a later collect that
-- meets the same bytes takes the posts from here instead of reading them anew (v11).
CREATE TABLE records (
    hash       BLOB NOT NULL,                  -- 16 bytes: SHA-256 of tagstory's version, the
                                               --   format and the record's bytes, cut short
    post_id    INTEGER NOT NULL,
    text_tags  INTEGER NOT NULL DEFAULT 0 CHECK (text_tags IN (0, 1)),  -- its hashtags are
                                               --   words of its text (no structured tags)
    -- What membership needs of the post, as the record said it (v13):
    uri           TEXT NOT NULL DEFAULT '',
    parent        TEXT,                        -- its parent's URI, when known
    parent_server TEXT,                        -- its parent's server-local id, when it named
    parent_local  TEXT,                        --   the parent so
    tags          TEXT NOT NULL DEFAULT '',    -- its hashtags, normalised, space-separated
    PRIMARY KEY (hash, post_id)
) WITHOUT ROWID;
CREATE INDEX records_post ON records(post_id);
CREATE TRIGGER records_post_delete AFTER DELETE ON posts BEGIN
    DELETE FROM records WHERE hash IN (SELECT hash FROM records WHERE post_id = old.id);
END;
-- A forgotten URI may be a parent kept here: the records are read anew, and scrubbed so.
CREATE TRIGGER records_forgotten AFTER INSERT ON forgotten BEGIN
    DELETE FROM records;
END;

-- The records a collect read whole whose posts stayed outside its story: a later collect
-- stages their places in the reply graph from here instead of reading them anew (v12).
CREATE TABLE passed (
    hash          BLOB NOT NULL,               -- the record's fingerprint (as `records.hash`)
    uri           TEXT NOT NULL,               -- a post it made
    parent        TEXT,                        -- its parent's URI, when known
    parent_server TEXT,                        -- its parent's server-local id, when it named
    parent_local  TEXT,                        --   the parent so
    local_server  TEXT,                        -- its own server-local id
    local_id      TEXT,
    author_uri    TEXT NOT NULL,
    tags          TEXT NOT NULL,               -- its hashtags, normalised, space-separated
    PRIMARY KEY (hash, uri)
) WITHOUT ROWID;
CREATE INDEX passed_uri ON passed(uri);
CREATE INDEX passed_author ON passed(author_uri);
CREATE TRIGGER passed_tombstone AFTER INSERT ON tombstones BEGIN
    DELETE FROM passed WHERE uri = new.uri;
END;
CREATE TRIGGER passed_refusal AFTER INSERT ON author_consent WHEN new.refuses BEGIN
    DELETE FROM passed WHERE author_uri = new.author_uri;
END;
CREATE TRIGGER passed_refusal_later AFTER UPDATE OF refuses ON author_consent
WHEN new.refuses BEGIN
    DELETE FROM passed WHERE author_uri = new.author_uri;
END;
-- What is forgotten is named by a hash here; every place passed posts could hold it is dropped.
CREATE TRIGGER passed_forgotten AFTER INSERT ON forgotten BEGIN
    DELETE FROM passed;
END;
