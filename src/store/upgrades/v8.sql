-- Version 7 -> 8: what rendering reads without touching a post's source JSON. A post's reply
-- count as its source reported it, kept by triggers when a post is stored; and the quotes,
-- indexed, since the quoted post's URI is stored after the source JSON.
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
INSERT INTO post_replies (post_id, total)
SELECT id, t FROM (SELECT id, CASE WHEN json_valid(source_json) THEN coalesce(
    json_extract(source_json, '$.replies_count'),
    json_extract(source_json, '$.replies.totalItems'),
    json_extract(source_json, '$.object.replies.totalItems'),
    json_extract(source_json, '$.public_metrics.reply_count'),
    json_extract(source_json, '$.reply_count'),
    json_extract(source_json, '$.replyCount'),
    json_extract(source_json, '$.post.replyCount')) END AS t FROM posts)
WHERE typeof(t) = 'integer' AND t >= 0;
CREATE INDEX posts_quote_of ON posts(id, quote_of_uri) WHERE quote_of_uri IS NOT NULL;
