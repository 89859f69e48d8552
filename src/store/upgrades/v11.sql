-- Version 10 -> 11: the records a collect read, by fingerprint, and the posts each made (issue
-- 10). A later collect that meets the same bytes again (same tagstory, same format) takes the
-- posts from here instead of parsing, sanitising and staging them anew: a second collect of a
-- large file was nearly as slow as the first. A record is remembered only when every post it
-- made is archived; when any of them is deleted (forgotten, refused, a tombstone) the whole
-- record is forgotten with it, so its other posts are read again in full.
CREATE TABLE records (
    hash       BLOB NOT NULL,                  -- 16 bytes: SHA-256 of tagstory's version, the
                                               --   format and the record's bytes, cut short
    post_id    INTEGER NOT NULL,
    text_tags  INTEGER NOT NULL DEFAULT 0 CHECK (text_tags IN (0, 1)),  -- its hashtags are
                                               --   words of its text (no structured tags)
    PRIMARY KEY (hash, post_id)
) WITHOUT ROWID;
CREATE INDEX records_post ON records(post_id);
CREATE TRIGGER records_post_delete AFTER DELETE ON posts BEGIN
    DELETE FROM records WHERE hash IN (SELECT hash FROM records WHERE post_id = old.id);
END;
