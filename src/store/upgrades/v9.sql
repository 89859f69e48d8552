-- Version 8 -> 9: indexes for collecting into a grown archive (issue 10), so that no statement
-- of a collect reads a whole table. Replies still waiting for a parent named by a
-- server-local id, found by that id when a source says which post it is (only waiting replies
-- are in it); authors by handle without case, for boosts known by handle and text; and story
-- membership by post, which deleting a post (its foreign key cascade) looked up by scanning.
CREATE INDEX posts_waiting_parent ON posts(reply_to_local_id, reply_to_server)
    WHERE in_reply_to_uri IS NULL AND reply_to_local_id IS NOT NULL;
CREATE INDEX authors_handle ON authors(lower(handle));
CREATE INDEX story_posts_post ON story_posts(post_id);
