//! Reply counts of new posts (issue 10): worked out from each post's source JSON while it is
//! staged, they must be what the archive's reply-count triggers (schema v8) read from the same
//! stored JSON, in every format.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::collect::api_sources;
use crate::support::{Archive, fixture};

/// Every `(post_id, total)` of `post_replies`, in order.
fn reply_counts(conn: &rusqlite::Connection) -> Vec<(i64, i64)> {
    conn.prepare("SELECT post_id, total FROM post_replies ORDER BY post_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn reply_counts_of_every_format_are_what_the_triggers_read() {
    // The ActivityPub fixtures give no counts: a Note that does, as Mastodon writes them.
    let notes = Archive::new();
    let text = std::fs::read_to_string(fixture("consent/activitypub-note-before-refusal.json"))
        .unwrap()
        .replace(
            r#""inReplyTo": null,"#,
            r#""inReplyTo": null, "replies": {"type": "Collection", "totalItems": 4},"#,
        );
    let note = notes.file("note.json", &text);
    // Each in an archive of its own: a copy of a stored post (the Mastodon statuses of the
    // ActivityPub conversation) keeps the count stored first.
    let collects: Vec<(&str, Vec<PathBuf>)> = vec![
        ("CareConsent", vec![note]),
        ("DearMentalHealthProfessionals", api_sources()),
        (
            "DearMentalHealthProfessionals",
            vec![
                fixture("activitypub/conversation.json"),
                fixture("activitypub/export/outbox.json"),
            ],
        ),
        (
            "DearMentalHealthProfessionals",
            vec![
                fixture("mixed/twarc2-search.jsonl"),
                fixture("mixed/bluesky-search.json"),
            ],
        ),
        ("TidePools", vec![fixture("twitter/archive")]),
        (
            "RiverDay",
            vec![fixture("storify/story-river-day-page1.json")],
        ),
    ];
    let mut counted = BTreeSet::new();
    for (tag, sources) in &collects {
        let archive = Archive::new();
        let refs: Vec<&std::path::Path> = sources.iter().map(PathBuf::as_path).collect();
        archive.collect_ok(tag, &refs);
        let conn = rusqlite::Connection::open(&archive.db).unwrap();
        let collected = reply_counts(&conn);
        let mut formats = conn
            .prepare(
                "SELECT DISTINCT p.source_format FROM post_replies r
                 JOIN posts p ON p.id = r.post_id",
            )
            .unwrap();
        let formats = formats.query_map([], |r| r.get::<_, String>(0)).unwrap();
        counted.extend(formats.map(Result::unwrap));
        // What the update trigger, the insert trigger's twin, reads from the stored JSON.
        conn.execute_batch("DELETE FROM post_replies; UPDATE posts SET source_json = source_json")
            .unwrap();
        assert_eq!(collected, reply_counts(&conn), "{sources:?}");
    }
    // The Twitter and Storify fixtures carry no counts.
    assert_eq!(
        counted,
        BTreeSet::from([
            "activitypub".into(),
            "bluesky".into(),
            "mastodon-api".into()
        ])
    );
}
