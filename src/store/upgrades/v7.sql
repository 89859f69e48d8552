-- Version 6 -> 7: consent. What authors' profiles say about being archived, takedowns that
-- stay down (kept only as hashes), posts not stored because their author said no, and a
-- curator's own content warnings.
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

ALTER TABLE sources ADD COLUMN skipped_consent INTEGER NOT NULL DEFAULT 0;

CREATE TABLE curator_warnings (
    tag         TEXT NOT NULL,
    post_uri    TEXT NOT NULL,                 -- the post, and the replies shown under it
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tag, post_uri)
) WITHOUT ROWID;
