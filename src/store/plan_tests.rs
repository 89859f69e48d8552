//! The collect path's statements, checked against SQLite's query planner and the full-text
//! index against a rebuilt one (see: issue 10).

use super::*;
use crate::model::{Author, Deletion, Post};

/// The tables of the archive (not staging, not common table expressions).
fn real_tables(conn: &Connection) -> Vec<String> {
    conn.prepare("SELECT name FROM main.sqlite_schema WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The `detail` lines of `EXPLAIN QUERY PLAN sql`, its parameters unbound.
fn plan(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
    let mut rows = stmt.raw_query();
    let mut lines = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        lines.push(row.get::<_, String>(3).unwrap());
    }
    lines
}

/// The table each `SCAN` line of `lines` reads (`SCAN t`, `SCAN t USING … INDEX i`).
fn scans(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("SCAN "))
        .filter(|l| *l != "CONSTANT ROW")
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
        .collect()
}

/// See: issue 10. Every statement the collect path runs per post, per staged row, per batch
/// or per reply finds its rows through an index: none scans a table of the archive, or a
/// staging table, so a collect into a grown archive costs the same per post as into a new
/// one. Statements that run once per source or run may scan the staging tables, which they
/// read once from end to end (that is their job), but no table of the archive.
#[test]
fn collect_queries_use_indexes() {
    let store = Store::open_in_memory().unwrap();
    let conn = store.connection();
    staging::create_for_test(conn).unwrap();
    conn.execute_batch(events::CREATE_NEW_LOCAL_IDS).unwrap();
    let tables = real_tables(conn);
    assert!(tables.contains(&"posts".to_string()), "{tables:?}");
    // What the writer runs per post; the staging side's per-row statements come before it.
    let per_post = || {
        write::PER_POST_QUERIES
            .iter()
            .chain(records::PER_ROW_QUERIES)
            .chain(events::PER_ITEM_QUERIES)
            .chain(fts::PER_POST_QUERIES)
            .chain(replies::PER_POST_QUERIES)
    };
    for sql in staging::PER_ROW_QUERIES.iter().chain(per_post()) {
        let lines = plan(conn, sql);
        assert!(
            scans(&lines).is_empty(),
            "a per-post statement scans a table:\n{sql}\n{lines:#?}"
        );
    }
    // Nor while a source is written with the index of posts' parents set aside
    // (`deferred_indexes.rs`): no statement run per post needs it, nor, by a writer without
    // foreign keys, the indexes of `records` and `passed`.
    let setup = conn.unchecked_transaction().unwrap();
    let without_cascades = deferred_indexes::DEFERRED_WITHOUT_CASCADES;
    for name in deferred_indexes::DEFERRED.iter().chain(without_cascades) {
        setup.execute_batch(&format!("DROP INDEX {name}")).unwrap();
    }
    for sql in per_post() {
        let lines = plan(&setup, sql);
        assert!(
            scans(&lines).is_empty(),
            "a per-post statement needs an index set aside:\n{sql}\n{lines:#?}"
        );
    }
    drop(setup);
    // Once per run or source. `staged` and `staged_consent` are the run's staging tables,
    // iterated once; CTE names (`other`, `reach`) are the recursion's own working sets.
    // `text_boosts` is the waiting list those statements exist to read, read once and only
    // when it is not empty.
    let once = staging::ONCE_QUERIES
        .iter()
        .chain(events::PER_SOURCE_QUERIES)
        .chain(fts::PER_SOURCE_QUERIES);
    for sql in once {
        let lines = plan(conn, sql);
        for table in scans(&lines) {
            assert!(
                !tables.contains(&table) || table == "text_boosts",
                "a per-source statement scans `{table}`, a table of the archive:\n{sql}\n{lines:#?}"
            );
        }
    }
    // The end of the membership walk recurses once per post it reaches: a scan of `staged`
    // there would make a collect quadratic in its posts.
    let walk = plan(conn, staging::walk::SQL_FINISH);
    let step = walk
        .iter()
        .position(|l| l == "RECURSIVE STEP")
        .expect("the walk recurses");
    assert_eq!(
        scans(&walk[step..]),
        ["r", "r", "reach"],
        "the walk's step scans more than its working set:\n{walk:#?}"
    );
    // Its rings are walked in key order: each statement reads the ring (or the posts it led
    // to) from end to end and probes the staging indexes in that order, never scanning them.
    for sql in [
        staging::walk::SQL_STEP,
        staging::walk::SQL_RING,
        staging::walk::SQL_SELECT_REACHED,
    ] {
        let lines = plan(conn, sql);
        let scanned = scans(&lines);
        assert!(
            scanned
                .iter()
                .all(|t| t.starts_with("walk_") || t == "r" || t == "n" || t == "w"),
            "a step of the walk scans a staging table:\n{sql}\n{lines:#?}"
        );
    }
    // Probes that stop at the first row: whether any tombstone or waiting text boost exists.
    for (sql, table) in [
        (write::SQL_ANY_TOMBSTONE, "tombstones"),
        (events::SQL_ANY_TEXT_BOOST, "text_boosts"),
    ] {
        assert_eq!(scans(&plan(conn, sql)), [table], "{sql}");
    }
    // Whether anyone refuses, once per source: `author_consent` holds only authors who opted
    // out of something (a profile with no signal is never inserted), and the probe stops at
    // the first refusal.
    assert_eq!(
        scans(&plan(conn, staging::SQL_ANY_REFUSAL)),
        ["staged_consent", "main.author_consent"],
    );
}

fn post(uri: &str, text: &str, created: &str) -> Post {
    let t = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    Post {
        uri: uri.into(),
        url: None,
        author: Author {
            uri: "https://a.example/users/ana".into(),
            handle: "@ana@a.example".into(),
            name: "Ana".into(),
            ..Default::default()
        },
        created_at: t(created),
        edited_at: None,
        content_html: format!("<p>{text}</p>"),
        text: text.into(),
        language: None,
        in_reply_to: None,
        in_reply_to_local: None,
        local_id: None,
        conversation: None,
        sensitive: false,
        spoiler_text: None,
        tags: vec!["care".into()],
        has_structured_tags: true,
        media: vec![],
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        source_json: "{}".into(),
        reply_count: crate::model::ReplyCount::Unread,
    }
}

/// Every `(term, column, rowid, offset)` the full-text index holds.
fn fts_instances(conn: &Connection) -> Vec<(String, String, i64, i64)> {
    conn.execute_batch(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, posts_fts, instance)",
    )
    .unwrap();
    conn.prepare("SELECT term, col, doc, offset FROM temp.fts_terms ORDER BY 1, 2, 3, 4")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// See: issue 10. New posts are indexed in bulk at commit, not by the insert trigger; the
/// index must be exactly what the triggers (or a rebuild) would have made, whatever happens
/// to the new rows before commit: edits, deletions, a deleted newest row whose id is reused.
#[test]
fn bulk_fts_is_exact() {
    let mut store = Store::open_in_memory().unwrap();
    // An archive with posts indexed the ordinary way (and one later deleted).
    {
        let mut w = store.begin_source("test", "mem", "care").unwrap();
        for i in 0..5 {
            let p = post(
                &format!("https://a.example/old/{i}"),
                &format!("old words {i} shared"),
                "2026-08-20T08:00:00Z",
            );
            w.upsert_post(&p, None, Reason::Tagged).unwrap();
        }
        w.commit(&SourceCounts::default()).unwrap();
    }
    let mut w = store.begin_source("test", "mem", "care").unwrap();
    for i in 0..20 {
        let p = post(
            &format!("https://a.example/new/{i}"),
            &format!("fresh text {i} shared"),
            "2026-08-21T08:00:00Z",
        );
        w.upsert_post(&p, None, Reason::Tagged).unwrap();
    }
    // A new post edited before commit, an old one edited, a new one and an old one deleted,
    // the newest deleted and its id given to the next post.
    let mut edited = post(
        "https://a.example/new/3",
        "edited fresher wording",
        "2026-08-21T08:00:00Z",
    );
    edited.edited_at = Some(chrono::Utc::now());
    w.upsert_post(&edited, None, Reason::Tagged).unwrap();
    let mut old = post(
        "https://a.example/old/1",
        "old rewritten entirely",
        "2026-08-20T08:00:00Z",
    );
    old.edited_at = Some(chrono::Utc::now());
    old.spoiler_text = Some("warning words".into());
    w.upsert_post(&old, None, Reason::Tagged).unwrap();
    for uri in [
        "https://a.example/new/5",
        "https://a.example/old/2",
        "https://a.example/new/19",
    ] {
        let d = Deletion {
            uri: uri.into(),
            deleted_at: None,
        };
        w.delete_post(&d).unwrap();
    }
    let p = post(
        "https://a.example/new/20",
        "reused rowid text",
        "2026-08-21T08:00:00Z",
    );
    w.upsert_post(&p, None, Reason::Tagged).unwrap();
    w.commit(&SourceCounts::default()).unwrap();

    let conn = store.connection();
    let bulk = fts_instances(conn);
    conn.execute_batch("INSERT INTO posts_fts(posts_fts, rank) VALUES ('integrity-check', 1)")
        .expect("the index matches the posts");
    conn.execute_batch("INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')")
        .unwrap();
    assert_eq!(bulk, fts_instances(conn));
    assert!(bulk.iter().any(|(term, ..)| term == "reused"));
    assert!(!bulk.iter().any(|(term, ..)| term == "regret"));
    // The trigger is back, exactly as the schema has it.
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'posts_fts_insert'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(SCHEMA.contains(&sql), "{sql}");
}

/// Every `(post_id, total)` of `post_replies`.
fn reply_counts(conn: &Connection) -> Vec<(i64, i64)> {
    conn.prepare("SELECT post_id, total FROM post_replies ORDER BY post_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// See: issue 10. The reply counts of new posts are taken in bulk at commit, not by the
/// insert trigger; they must be what the triggers would have made, whatever happens to the
/// new rows before commit, and the trigger must be back as the schema has it.
#[test]
fn bulk_reply_counts_are_exact() {
    let mut store = Store::open_in_memory().unwrap();
    let counts = [
        r#"{"replies_count": 3}"#,
        r#"{"replies": {"totalItems": 7}}"#,
        r#"{"object": {"replies": {"totalItems": 2}}}"#,
        r#"{"public_metrics": {"reply_count": 0}}"#,
        r#"{"reply_count": -1}"#,
        r#"{"replyCount": "4"}"#,
        r#"{"post": {"replyCount": 9}}"#,
        "not json",
        "{}",
    ];
    let mut w = store.begin_source("test", "mem", "care").unwrap();
    for (i, json) in counts.iter().enumerate() {
        let mut p = post(
            &format!("https://a.example/new/{i}"),
            &format!("text {i}"),
            "2026-08-21T08:00:00Z",
        );
        p.source_json = (*json).into();
        w.upsert_post(&p, None, Reason::Tagged).unwrap();
    }
    // A new post edited before commit, one deleted.
    let mut edited = post("https://a.example/new/1", "edited", "2026-08-21T08:00:00Z");
    edited.edited_at = Some(chrono::Utc::now());
    edited.source_json = r#"{"replies_count": 11}"#.into();
    w.upsert_post(&edited, None, Reason::Tagged).unwrap();
    let d = Deletion {
        uri: "https://a.example/new/0".into(),
        deleted_at: None,
    };
    w.delete_post(&d).unwrap();
    w.commit(&SourceCounts::default()).unwrap();

    let conn = store.connection();
    let bulk = reply_counts(conn);
    assert_eq!(bulk.len(), 4, "{bulk:?}");
    assert!(bulk.iter().any(|&(_, total)| total == 11));
    // What the update trigger, which the bulk form mirrors, counts from the same JSON.
    conn.execute_batch("DELETE FROM post_replies; UPDATE posts SET source_json = source_json")
        .unwrap();
    assert_eq!(bulk, reply_counts(conn));
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'post_replies_insert'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(SCHEMA.contains(&sql), "{sql}");
    assert!(
        fts::V8.contains(&sql),
        "the trigger is v8's, which is set aside: {sql}"
    );
}

/// See: issue 10. Membership reads the staged posts through their indexes alone: a staged
/// row fetched from its table in an index's order is a random read, and a first collect made
/// one per staged post (more of them than any cache holds).
#[test]
fn membership_reads_staged_posts_through_covering_indexes() {
    let store = Store::open_in_memory().unwrap();
    let conn = store.connection();
    staging::create_for_test(conn).unwrap();
    for sql in staging::ONCE_QUERIES {
        for line in plan(conn, sql) {
            let staged_index = ["staged_uri", "staged_local", "staged_parent"]
                .iter()
                .any(|index| line.contains(&format!(" USING INDEX {index} ")));
            assert!(
                !staged_index,
                "membership reads staged rows from their table:\n{sql}\n{line}"
            );
        }
    }
}
