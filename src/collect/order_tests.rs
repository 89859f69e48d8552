//! A large source written in URI order (`store/staging/order.rs`) leaves the archive as it
//! would be written in the source's own order: every table a collect writes, compared with
//! posts and authors named by URI instead of ids.

use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;

use super::{ReadOptions, SourceInput, collect};
use crate::store::{SourceOrder, Store};

const BY_URI: SourceOrder = SourceOrder::ByUri;
const AS_READ: SourceOrder = SourceOrder::AsRead;
/// What a collect chooses: by URI only when the source outgrows the page cache, which no test
/// source here does.
const DEFAULT: SourceOrder = SourceOrder::ByUriWhenLarge;

const TAG: &str = "dearmentalhealthprofessionals";

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// Columns that say when or by which run, not what.
const WHEN: &[&str] = &[
    "collected_at",
    "recorded_at",
    "added_at",
    "updated_at",
    "seen_at",
    "source_id",
];

/// The first column of `sql`'s rows, as text.
fn texts(conn: &rusqlite::Connection, sql: &str, params: impl rusqlite::Params) -> Vec<String> {
    conn.prepare(sql)
        .unwrap()
        .query_map(params, |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Every row of every table a collect writes, as text, with ids of posts and authors replaced
/// by their URIs; sorted.
fn dump(store: &Store) -> Vec<String> {
    let conn = store.connection();
    let tables = texts(
        conn,
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         AND name NOT LIKE 'posts_fts%' AND name <> 'sources' ORDER BY name",
        [],
    );
    let mut rows = Vec::new();
    for table in tables {
        let mut columns = texts(
            conn,
            &format!("SELECT name FROM pragma_table_info('{table}')"),
            [],
        );
        columns.retain(|c| !WHEN.contains(&c.as_str()));
        let select: Vec<String> = columns
            .iter()
            .map(|c| match (table.as_str(), c.as_str()) {
                ("posts", "id") => "uri".to_owned(),
                ("authors", "id") => "uri".to_owned(),
                (_, "post_id") => format!("(SELECT uri FROM posts WHERE id = t.{c})"),
                (_, "author_id") => format!("(SELECT uri FROM authors WHERE id = t.{c})"),
                _ => format!("t.\"{c}\""),
            })
            .collect();
        let sql = format!("SELECT {} FROM \"{table}\" t", select.join(", "));
        let mut stmt = conn.prepare(&sql).unwrap();
        let mut found = stmt.query([]).unwrap();
        while let Some(r) = found.next().unwrap() {
            let values: Vec<String> = (0..columns.len())
                .map(|i| match r.get_ref(i).unwrap() {
                    ValueRef::Null => "NULL".to_owned(),
                    ValueRef::Integer(n) => n.to_string(),
                    ValueRef::Real(x) => x.to_string(),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    ValueRef::Blob(b) => format!("{b:02x?}"),
                })
                .collect();
            rows.push(format!("{table}: {}", values.join(" | ")));
        }
    }
    // The full-text index itself, not the posts it points at.
    let words = "name OR believed OR carers OR knock OR side OR peer OR help";
    let mut found = texts(
        conn,
        "SELECT p.uri FROM posts_fts f JOIN posts p ON p.id = f.rowid WHERE posts_fts MATCH ?1",
        [words],
    );
    found.sort();
    rows.extend(found.into_iter().map(|uri| format!("posts_fts: {uri}")));
    rows.sort();
    rows
}

/// Asserts that `got` holds what `want` holds, row by row (the first row that differs, not
/// two whole archives, in the message). Returns `want`'s rows.
fn assert_same_archive(got: &Store, want: &Store, what: &str) -> Vec<String> {
    let (got, want) = (dump(got), dump(want));
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{what}");
    }
    assert_eq!(got.len(), want.len(), "{what}");
    want
}

/// The posts' URIs in the order they were stored.
fn stored_order(store: &Store) -> Vec<String> {
    texts(store.connection(), "SELECT uri FROM posts ORDER BY id", [])
}

/// Collects `files` in one run into a new archive, written in `order`.
fn collect_new(dir: &Path, name: &str, files: &[PathBuf], order: SourceOrder) -> Store {
    let mut store = Store::open(&dir.join(name)).unwrap();
    store.set_source_order(order);
    let inputs: Vec<SourceInput> = files.iter().cloned().map(SourceInput::File).collect();
    let reports = collect(&mut store, TAG, &inputs, ReadOptions::default()).unwrap();
    for report in &reports {
        assert!(report.error.is_none(), "{:?}", report.error);
    }
    store
}

/// Collects `files` in the default order (small, they are written as read, their local ids
/// set aside) into the new archive `name`, and asserts it holds what `as_read` holds, stored
/// in the same order.
fn assert_default_order_is_as_read(dir: &Path, name: &str, files: &[PathBuf], as_read: &Store) {
    let aside = collect_new(dir, name, files, DEFAULT);
    assert_eq!(stored_order(&aside), stored_order(as_read));
    assert_same_archive(&aside, as_read, &format!("{files:?}, local ids set aside"));
}

/// Collects `input` into new archives by URI, as read and in the default order, and asserts
/// that the first stored its posts in another order than the second, and that all three hold
/// the same. Returns the archive by URI.
fn collected_three_ways(dir: &Path, input: &Path) -> Store {
    let files = [input.to_path_buf()];
    let by_uri = collect_new(dir, "uri.db", &files, BY_URI);
    let as_read = collect_new(dir, "read.db", &files, AS_READ);
    assert_ne!(stored_order(&by_uri), stored_order(&as_read));
    assert_same_archive(&by_uri, &as_read, "by URI, as read");
    assert_default_order_is_as_read(dir, "aside.db", &files, &as_read);
    by_uri
}

/// See: issue 10.
#[test]
fn a_first_collect_written_by_uri_stores_what_the_sources_order_stores() {
    let groups: Vec<Vec<PathBuf>> = vec![
        // Replies name their parents by local ids across files; pages repeat posts.
        [
            "context-names.json",
            "timeline-page2.json",
            "context-carers.json",
            "timeline-page1.json",
            "context-first-appointment.json",
            "context-gp-selfthread.json",
            "context-knock-first.json",
            "context-peer-workers.json",
            "context-side-effects.json",
            "status-edited.json",
        ]
        .iter()
        .map(|f| fixture(&format!("mastodon-api/{f}")))
        .collect(),
        // Records of many posts (a page of tweets with its includes), boosts.
        vec![fixture("mixed/twarc2-search.jsonl")],
        vec![fixture("mixed/twarc1-stream.jsonl")],
        vec![fixture("mixed/mastodon-status.json")],
        // Retweets known only by text.
        vec![fixture("mixed/archive")],
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut reordered = 0;
    for (n, files) in groups.iter().enumerate() {
        let by_uri = collect_new(dir.path(), &format!("{n}-uri.db"), files, BY_URI);
        let as_read = collect_new(dir.path(), &format!("{n}-read.db"), files, AS_READ);
        let want = assert_same_archive(&by_uri, &as_read, &format!("{files:?}"));
        assert_default_order_is_as_read(dir.path(), &format!("{n}-aside.db"), files, &as_read);
        assert!(
            want.iter().any(|r| r.starts_with("story_posts: ")),
            "{files:?}"
        );
        let order = stored_order(&by_uri);
        if order != stored_order(&as_read) {
            // Written by URI: the first source's posts are stored in URI order.
            reordered += 1;
        }
    }
    // The two orders were compared, not the same order twice.
    assert!(
        reordered >= 3,
        "{reordered} of {} groups reordered",
        groups.len()
    );
}

/// See: issue 10. Which of an author's profiles is stored depends on the order of their posts
/// (the last one met): written by URI, the source's order still decides.
#[test]
fn an_author_met_with_several_profiles_is_stored_as_the_sources_order_leaves_them() {
    let path = fixture("mastodon-api/timeline-page1.json");
    let mut statuses: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    // Newest first, and each author's URIs grow with time: URI order is the reverse of the
    // source's for each author's posts, and each post now carries a profile of its own.
    for (n, status) in statuses.as_array_mut().unwrap().iter_mut().enumerate() {
        let account = &mut status["account"];
        let name = account["display_name"].as_str().unwrap().to_owned();
        account["display_name"] = format!("{name} ({n})").into();
        if n % 3 == 0 {
            account["avatar"] = "avatar.png".into();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("timeline.json");
    std::fs::write(&input, serde_json::to_vec(&statuses).unwrap()).unwrap();
    let by_uri = collected_three_ways(dir.path(), &input);
    // The last of Ruth's two posts in the source is the 14th status.
    let name: String = by_uri
        .connection()
        .query_row(
            "SELECT name FROM authors WHERE uri = 'https://care.example/users/ruth'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(name, "Dr Ruth Hallam (13)");
}

/// A Twitter v1.1 tweet by `user`, quoting `quoted` when given.
fn tweet(id: u64, user: &str, text: &str, quoted: Option<serde_json::Value>) -> serde_json::Value {
    let mut tweet = serde_json::json!({
        "id_str": id.to_string(),
        "created_at": format!("Tue Aug 20 09:{:02}:00 +0000 2013", id % 60),
        "full_text": text,
        "lang": "en",
        "user": {"id_str": format!("9{id}"), "screen_name": user, "name": user},
        "entities": {"hashtags": [], "urls": [], "user_mentions": []},
    });
    if text.starts_with('#') {
        tweet["entities"]["hashtags"] =
            serde_json::json!([{"text": &text[1..31], "indices": [0, 31]}]);
    }
    if let Some(quoted) = quoted {
        tweet["quoted_status_id_str"] = quoted["id_str"].clone();
        tweet["quoted_status"] = quoted;
    }
    tweet
}

/// See: issue 10. A line that quotes a tweet is a record of two posts; written by URI, what
/// became of both decides whether it is remembered, as in the source's order: kept (both in
/// the story), passed (both outside) or read again next time (one of each).
#[test]
fn records_of_several_posts_written_by_uri_are_remembered_as_in_the_sources_order() {
    let tagged = "#DearMentalHealthProfessionals listen to us";
    let lines = [
        // Both in the story.
        tweet(40, "zoe", tagged, Some(tweet(41, "amy", tagged, None))),
        // Only the quoting tweet: the record is read again next time.
        tweet(42, "yan", tagged, Some(tweet(43, "bea", "unrelated", None))),
        // Neither: passed.
        tweet(
            44,
            "xia",
            "elsewhere",
            Some(tweet(45, "cal", "unrelated", None)),
        ),
        tweet(46, "wes", tagged, None),
        tweet(47, "dee", "nothing to see", None),
    ];
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tweets.jsonl");
    let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
    std::fs::write(&input, text.join("\n") + "\n").unwrap();
    let by_uri = collected_three_ways(dir.path(), &input);
    // Posts per remembered record: the tagged tweet alone, the line quoting a tagged tweet.
    assert_eq!(posts_per_record(&by_uri, "records"), [1, 2]);
    // The line whose two posts both stayed outside, and the untagged tweet alone.
    assert_eq!(posts_per_record(&by_uri, "passed"), [1, 2]);
}

/// How many posts each record remembered in `table` holds, fewest first.
fn posts_per_record(store: &Store, table: &str) -> Vec<i64> {
    let sql = format!("SELECT count(*) FROM {table} GROUP BY hash ORDER BY count(*)");
    let conn = store.connection();
    let mut stmt = conn.prepare(&sql).unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// See: issue 10. Two posts claiming one local id (a server that reused an id, or two copies
/// that disagree): the first in the source keeps it, and a reply naming the id links to it,
/// whichever order the posts are written in.
#[test]
fn a_local_id_claimed_twice_goes_to_the_first_claim_in_the_source_either_way() {
    let path = fixture("mastodon-api/timeline-page1.json");
    let mut statuses: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let list = statuses.as_array_mut().unwrap();
    // Tomasz's post claims its id first; Jun's, later in the source and earlier by URI, too.
    let (first, later, reply) = (2, 7, 8);
    let id = list[first]["id"].clone();
    assert!(list[later]["uri"].as_str() < list[first]["uri"].as_str());
    list[later]["id"] = id.clone();
    list[reply]["in_reply_to_id"] = id;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("timeline.json");
    std::fs::write(&input, serde_json::to_vec(&statuses).unwrap()).unwrap();
    let by_uri = collected_three_ways(dir.path(), &input);
    let parent = texts(
        by_uri.connection(),
        "SELECT in_reply_to_uri FROM posts WHERE uri = ?1",
        [statuses[reply]["uri"].as_str().unwrap()],
    );
    assert_eq!(parent, [statuses[first]["uri"].as_str().unwrap()]);
}

/// See: issue 10. A second collect stages the posts of records it passed over before (outside
/// the story) from the archive, looked up in the order of their fingerprints, but in the order
/// of the file: of two such posts claiming one local id, the first in the source still keeps
/// it, and a reply that arrives later naming the id has it as its parent, as when every line is
/// read anew. (The replies stay outside the story too: a reply in it would select its parent,
/// whose record is then read again in full. Eight pairs: staged in the order of their
/// fingerprints, some reply would have the second claim as its parent but once in 256 runs.)
#[test]
fn posts_passed_over_keep_the_sources_order_of_their_local_id_claims() {
    let path = fixture("mastodon-api/timeline-page1.json");
    let statuses: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let status = |n: usize, id: &str, reply_to: Option<&str>| {
        let mut s = statuses[0].clone();
        s["id"] = id.into();
        s["uri"] = format!("https://care.example/users/ruth/statuses/9{n:05}").into();
        s["url"] = format!("https://care.example/@ruth/9{n:05}").into();
        s["in_reply_to_id"] = reply_to.map_or(serde_json::Value::Null, Into::into);
        s["content"] = format!("<p>Untagged {n}</p>").into();
        s["tags"] = serde_json::json!([]);
        s
    };
    let mut claims = Vec::new();
    let mut replies = Vec::new();
    for pair in 0..8 {
        let id = format!("4200{pair}");
        claims.push(status(2 * pair, &id, None));
        claims.push(status(2 * pair + 1, &id, None));
        replies.push(status(100 + pair, &format!("4300{pair}"), Some(&id)));
    }
    let lines = |list: &[serde_json::Value]| -> String {
        list.iter().map(|s| s.to_string() + "\n").collect()
    };
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("claims.jsonl");
    std::fs::write(&before, lines(&claims)).unwrap();
    let after = dir.path().join("claims-and-replies.jsonl");
    std::fs::write(&after, lines(&[claims.clone(), replies.clone()].concat())).unwrap();
    let passed = |store: &Store| {
        texts(
            store.connection(),
            "SELECT uri || ' ' || coalesce(parent, '') FROM passed ORDER BY uri",
            [],
        )
    };

    let mut seasoned = collect_new(
        dir.path(),
        "seasoned.db",
        std::slice::from_ref(&before),
        AS_READ,
    );
    assert_eq!(passed(&seasoned).len(), 16);
    let inputs = [SourceInput::File(after.clone())];
    let reports = collect(&mut seasoned, TAG, &inputs, ReadOptions::default()).unwrap();
    assert!(reports[0].error.is_none(), "{:?}", reports[0].error);
    assert_eq!(reports[0].known_records, 16);
    let fresh = collect_new(
        dir.path(),
        "fresh.db",
        std::slice::from_ref(&after),
        AS_READ,
    );
    let kept = passed(&seasoned);
    for (pair, reply) in replies.iter().enumerate() {
        let line = format!(
            "{} {}",
            reply["uri"].as_str().unwrap(),
            claims[2 * pair]["uri"].as_str().unwrap()
        );
        assert!(kept.contains(&line), "pair {pair}: {kept:?}");
    }
    assert_eq!(kept, passed(&fresh));
}
