-- Version 12 -> 13: what membership needs of each post a record made (its URI, its parent and
-- its hashtags) is kept with the record (issue 10). A later collect staged a record it met
-- again from `posts`, `post_tags` and `story_posts`, in the order of the file: once the
-- archive outgrew the page cache that was a page read per table per post (four per post for
-- 300,000 Mastodon statuses). Now it reads one row, here.
ALTER TABLE records ADD COLUMN uri TEXT NOT NULL DEFAULT '';
ALTER TABLE records ADD COLUMN parent TEXT;
ALTER TABLE records ADD COLUMN parent_server TEXT;
ALTER TABLE records ADD COLUMN parent_local TEXT;
ALTER TABLE records ADD COLUMN tags TEXT NOT NULL DEFAULT '';
-- A post tagged by the words of its text has its hashtags found by tagstory, not SQL: its
-- record is read anew once, by the next collect that meets it.
DELETE FROM records WHERE text_tags;
UPDATE records SET
    uri = (SELECT p.uri FROM posts p WHERE p.id = records.post_id),
    parent = (SELECT p.in_reply_to_uri FROM posts p WHERE p.id = records.post_id),
    parent_server = (SELECT p.reply_to_server FROM posts p WHERE p.id = records.post_id),
    parent_local = (SELECT p.reply_to_local_id FROM posts p WHERE p.id = records.post_id),
    tags = coalesce(
        (SELECT group_concat(t.tag, ' ') FROM post_tags t WHERE t.post_id = records.post_id), '');
-- A forgotten URI may be a parent kept here: the records are read anew, and scrubbed so.
CREATE TRIGGER records_forgotten AFTER INSERT ON forgotten BEGIN
    DELETE FROM records;
END;
