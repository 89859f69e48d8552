-- Version 4 -> 5: a curator's own story of a tag (title, introduction, notes between posts,
-- posts left out); the full-text index declared so Datasette recognises it; a lookup of
-- server-local ids by id alone that does not scan the table.
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
    post_uri    TEXT NOT NULL,                 -- by URI, so a re-collect never detaches it
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

CREATE INDEX local_ids_local_id ON local_ids(local_id);

DROP TRIGGER posts_fts_insert;
DROP TRIGGER posts_fts_delete;
DROP TRIGGER posts_fts_update;
DROP TABLE posts_fts;
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
INSERT INTO posts_fts(posts_fts) VALUES ('rebuild');
