-- Version 1 -> 2: quotes, polls, custom emoji and edit history.
ALTER TABLE posts ADD COLUMN quote_of_uri TEXT;

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

CREATE TABLE emojis (
    post_id    INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    shortcode  TEXT NOT NULL,
    url        TEXT NOT NULL,
    PRIMARY KEY (post_id, shortcode)
) WITHOUT ROWID;

CREATE TABLE revisions (
    post_id       INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    edited_at     TEXT NOT NULL,
    content_html  TEXT NOT NULL,
    text          TEXT NOT NULL,
    spoiler_text  TEXT,
    PRIMARY KEY (post_id, edited_at)
) WITHOUT ROWID;
