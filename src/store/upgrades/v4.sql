-- Version 3 -> 4: where live collection left off (per source URL and tag), and where each
-- live-collected post can be fetched again to pick up edits and deletions.
CREATE TABLE cursors (
    url               TEXT NOT NULL,           -- the source URL as the user gave it
    tag               TEXT NOT NULL,
    newest_id         TEXT,                    -- Mastodon API: newest status id seen (since_id)
    newest_published  TEXT,                    -- newest post time seen
    resume_url        TEXT,                    -- next page of a run that did not finish
    pending_newest_id TEXT,                    -- that run's newest id, saved once it finishes
    last_run_at       TEXT NOT NULL,
    PRIMARY KEY (url, tag)
) WITHOUT ROWID;

CREATE TABLE fetched_posts (
    post_uri    TEXT PRIMARY KEY,
    fetch_url   TEXT NOT NULL,                 -- Mastodon API status URL, or the AS2 object id
    format      TEXT NOT NULL,                 -- the format it answers in
    fetched_at  TEXT NOT NULL,
    context_at  TEXT                           -- when its conversation was last fetched
) WITHOUT ROWID;

-- Boosts known only by the boosted post's author and the start of its text (a Twitter
-- archive's retweets), until a collected post matches them.
CREATE TABLE text_boosts (
    uri            TEXT PRIMARY KEY,           -- the boost's own id
    booster_uri    TEXT NOT NULL,
    created_at     TEXT,
    author_handle  TEXT NOT NULL,
    text_start     TEXT NOT NULL,
    source_id      INTEGER REFERENCES sources(id)
) WITHOUT ROWID;
