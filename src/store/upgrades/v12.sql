-- Version 11 -> 12: the records a collect read whole whose posts stayed outside the story it
-- was collecting (issue 10). A later collect that meets the same bytes stages each post's
-- place in the reply graph from here instead of parsing the record again: an untagged reply
-- outside every thread was read, parsed and sanitised anew by every collect of its file (a
-- sixth of the posts of the benchmark corpus). Nothing of these posts is archived; this is
-- what deciding membership needs, and when a later collect finds one of them in its story,
-- the record is read again in full. A refusal, a deletion or a forgetting drops the rows.
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
