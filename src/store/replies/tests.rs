use proptest::prelude::*;
use rusqlite::Connection;
use serde_json::{Value, json};

use super::*;

/// What v8's reply-count trigger keeps for the source JSON `text`, asked of SQLite itself.
fn sqlite_count(conn: &Connection, text: &str) -> ReplyCount {
    let count: Option<i64> = conn
        .query_row(
            "SELECT t FROM (SELECT CASE WHEN json_valid(?1) THEN coalesce(
                 json_extract(?1, '$.replies_count'),
                 json_extract(?1, '$.replies.totalItems'),
                 json_extract(?1, '$.object.replies.totalItems'),
                 json_extract(?1, '$.public_metrics.reply_count'),
                 json_extract(?1, '$.reply_count'),
                 json_extract(?1, '$.replyCount'),
                 json_extract(?1, '$.post.replyCount')) END AS t)
             WHERE typeof(t) = 'integer' AND t >= 0",
            [text],
            |r| r.get(0),
        )
        .unwrap_or(None);
    count.map_or(ReplyCount::Absent, ReplyCount::Count)
}

/// `reply_count` agrees with the trigger, or leaves the JSON to it.
fn agrees(conn: &Connection, text: &str) -> Result<(), String> {
    let mine = reply_count(text);
    let theirs = sqlite_count(conn, text);
    if mine == theirs || mine == ReplyCount::Unread {
        Ok(())
    } else {
        Err(format!(
            "{mine:?} where the trigger keeps {theirs:?}: {text}"
        ))
    }
}

#[test]
fn counts_are_the_triggers() {
    let conn = Connection::open_in_memory().unwrap();
    for (text, want) in [
        (r#"{"replies_count": 3}"#, ReplyCount::Count(3)),
        (
            r#"{"public_metrics": {"reply_count": 0}}"#,
            ReplyCount::Count(0),
        ),
        (
            r#"{"replies_count": null, "replyCount": 9}"#,
            ReplyCount::Count(9),
        ),
        (
            r#"{"replies": "many", "object": {"replies": {"totalItems": 2}}}"#,
            ReplyCount::Count(2),
        ),
        (
            r#"{"replies_count": -1, "replyCount": 9}"#,
            ReplyCount::Absent,
        ),
        (r#"{"replies_count": "4"}"#, ReplyCount::Absent),
        (r#"{"replies_count": 4.0}"#, ReplyCount::Absent),
        (r#"{"replies_count": true}"#, ReplyCount::Count(1)),
        (r#"{"replies_count": -0}"#, ReplyCount::Count(0)),
        (
            r#"{"replies_count": 18446744073709551615}"#,
            ReplyCount::Absent,
        ),
        (r#"{"rep\u006cyCount": 5}"#, ReplyCount::Count(5)),
        (r#"{"post": [1], "replyCount": 6}"#, ReplyCount::Count(6)),
        ("{}", ReplyCount::Absent),
    ] {
        assert_eq!(reply_count(text), want, "{text}");
        assert_eq!(sqlite_count(&conn, text), want, "{text}");
    }
    // What only SQLite reads for sure: JSON that does not parse, a name given twice.
    for text in [
        "",
        "not json",
        "[1]",
        r#"{"replies_count": 1, "replies_count": 2}"#,
        r#"{"public_metrics": {"reply_count": 1, "reply_count": 2}}"#,
    ] {
        assert_eq!(reply_count(text), ReplyCount::Unread, "{text}");
    }
}

/// A value that may stand at one of the places: every kind of JSON, and numbers at the edges
/// of what SQLite reads as an integer.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..5).prop_map(|d| Value::from(u64::MAX - d)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        Just(json!(3.0)),
        Just(json!(-0.0)),
        "[0-9a-z]{0,3}".prop_map(Value::from),
        Just(json!([1])),
        Just(json!({"totalItems": 4, "reply_count": 5})),
    ]
}

/// A source JSON with some of the places filled, and some of their parents of another kind.
fn source() -> impl Strategy<Value = Value> {
    let keys = [
        "replies_count",
        "replies",
        "object",
        "public_metrics",
        "reply_count",
        "replyCount",
        "post",
    ];
    prop::collection::vec((0..keys.len(), leaf(), 0u8..3), 0..6).prop_map(move |fills| {
        let mut doc = json!({"id": "x", "text": "a \"quoted\" ✓"});
        for (k, leaf, depth) in fills {
            doc[keys[k]] = match (keys[k], depth) {
                ("replies", 1) => json!({"totalItems": leaf}),
                ("object", 1) => json!({"replies": {"totalItems": leaf}}),
                ("object", 2) => json!({"replies": leaf}),
                ("public_metrics", 1) => json!({"reply_count": leaf, "like_count": 2}),
                ("post", 1) => json!({"replyCount": leaf}),
                _ => leaf,
            };
        }
        doc
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Whatever the source JSON holds at the seven places, serialised as a source serialises
    /// it, the count is the trigger's, read from the text here or from the parsed JSON by a
    /// source.
    #[test]
    fn the_count_is_what_the_trigger_keeps(doc in source()) {
        let conn = Connection::open_in_memory().unwrap();
        let text = doc.to_string();
        prop_assert_ne!(reply_count(&text), ReplyCount::Unread, "{}", text);
        agrees(&conn, &text).map_err(TestCaseError::fail)?;
        // As a source works it out from the JSON it holds parsed.
        let parsed = reply_count_of(doc.as_object().unwrap());
        prop_assert_eq!(parsed, sqlite_count(&conn, &text), "{}", text);
    }

    /// Any text at all: the count is the trigger's, or left to it.
    #[test]
    fn any_text_is_counted_as_the_trigger_counts_or_left_to_it(text in r#"\{"(replies_count|replyCount|post)": ?(-?[0-9]{1,20}(\.[0-9])?|true|null|"1"|\{"replyCount": ?[0-9]\}|\[\])(, ?"replyCount": ?[0-9])?\}"#) {
        let conn = Connection::open_in_memory().unwrap();
        agrees(&conn, &text).map_err(TestCaseError::fail)?;
    }
}
