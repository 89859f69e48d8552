-- Version 5 -> 6: archived media. The bytes of every avatar, attachment and custom emoji
-- fetched by `tagstory media`, stored once per content (keyed by their SHA-256), and what each
-- remote URL gave: its bytes, or why they could not be kept.
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
