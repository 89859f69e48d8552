-- Version 2 -> 3: curated stories (brought back from Storify) and their order.
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
