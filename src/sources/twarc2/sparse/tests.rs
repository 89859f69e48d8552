//! A page read sparsely must read exactly as the page read whole, whichever of its records
//! the archive holds: checked on every fixture page, the real captures beside the project, and
//! pages made odd on purpose.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use super::sparse_page;
use crate::sources::twarc2::Twarc2;
use crate::sources::{ItemSink, Parsed, Problem, SourceFormat};

/// A sink holding the records in `held`, as a collect's sink holds those the archive has.
#[derive(Default)]
struct Holding {
    held: BTreeSet<usize>,
    parsed: Parsed,
    records: Vec<Option<usize>>,
}

impl ItemSink for Holding {
    fn item(&mut self, item: crate::model::Item) {
        self.parsed.items.push(item);
    }
    fn warning(&mut self, pointer: String, problem: Problem) {
        self.parsed.warning(pointer, problem);
    }
    fn note(&mut self, pointer: String, problem: Problem) {
        self.parsed.note(pointer, problem);
    }
    fn record(&mut self, index: Option<usize>) -> bool {
        self.records.push(index);
        index.is_none_or(|i| !self.held.contains(&i))
    }
}

/// What reading `page` gives with `held` held: items, warnings, notes and records, as text.
fn read(page: &Value, held: &BTreeSet<usize>) -> String {
    let mut sink = Holding {
        held: held.clone(),
        ..Holding::default()
    };
    let result = Twarc2::parse(page, &mut sink);
    format!(
        "{result:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        sink.parsed.items, sink.parsed.warnings, sink.parsed.notes, sink.records
    )
}

/// How many records the page has (the reader numbers them).
fn records(page: &Value) -> usize {
    let mut sink = Holding::default();
    Twarc2::parse(page, &mut sink).unwrap();
    sink.records.iter().flatten().count()
}

/// Checks that `text`, read sparsely with each of `sets` held, reads as it does whole;
/// returns how many of the sets it could read sparsely.
fn same_either_way(text: &str, sets: &[BTreeSet<usize>]) -> usize {
    let whole: Value = serde_json::from_str(text).unwrap();
    let mut sparse = 0;
    for held in sets {
        let Some(page) = sparse_page(text, |i| held.contains(&i)) else {
            continue;
        };
        sparse += 1;
        assert_eq!(
            read(&page, held),
            read(&whole, held),
            "held {held:?} of {text}"
        );
        // What differs from the whole page is a tweet left as its id alone (held, or an
        // included copy of a `data` tweet, which is not read), and with every record held,
        // no tweet is parsed.
        let (sparse_tweets, whole_tweets) = (tweets(&page), tweets(&whole));
        assert_eq!(sparse_tweets.len(), whole_tweets.len());
        for (s, w) in sparse_tweets.iter().zip(&whole_tweets) {
            if s != w {
                let stub = w
                    .get("id")
                    .filter(|id| !id.is_null())
                    .map_or(json!({}), |id| json!({"id": id}));
                assert_eq!(**s, stub, "held {held:?} of {text}");
            }
        }
        if held.len() >= whole_tweets.len() {
            // Nor are the users, media and polls the page includes for them.
            let included = ["users", "media", "polls"]
                .into_iter()
                .flat_map(|name| page["includes"][name].as_array().into_iter().flatten());
            assert!(
                sparse_tweets
                    .into_iter()
                    .chain(included)
                    .all(|t| t.as_object().unwrap().len() <= 1),
                "everything held in {text}"
            );
        }
    }
    sparse
}

/// A page's tweets: included, then `data`.
fn tweets(page: &Value) -> Vec<&Value> {
    let included = page["includes"]["tweets"].as_array().into_iter().flatten();
    included
        .chain(page["data"].as_array().into_iter().flatten())
        .collect()
}

/// Every subset of `n` records when there are few, else each one alone, all but each one,
/// none, all, and every other.
fn held_sets(n: usize) -> Vec<BTreeSet<usize>> {
    if n <= 8 {
        return (0..1u32 << n)
            .map(|bits| (0..n).filter(|i| bits & (1 << i) != 0).collect())
            .collect();
    }
    let mut sets = vec![
        BTreeSet::new(),
        (0..n).collect(),
        (0..n).step_by(2).collect(),
    ];
    for i in 0..n {
        sets.push([i].into());
        sets.push((0..n).filter(|&j| j != i).collect());
    }
    sets
}

fn fixture_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/twarc2")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    // As a line of JSON Lines: the fixtures are pretty-printed.
    serde_json::from_str::<Value>(&text).unwrap().to_string()
}

#[test]
fn every_fixture_page_reads_the_same_sparse_or_whole() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/twarc2");
    let mut pages = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".json") {
            continue;
        }
        let text = fixture_text(&name);
        let whole: Value = serde_json::from_str(&text).unwrap();
        let n = records(&whole);
        if same_either_way(&text, &held_sets(n)) > 0 {
            pages += 1;
        }
    }
    // The one-quirk fixtures are mostly pages of one tweet, the mixed conversation's search
    // page holds three (pages with included tweets: `odd_pages_read_the_same_sparse_or_whole`
    // and the real captures).
    let search = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/mixed/twarc2-search.jsonl");
    for line in std::fs::read_to_string(search).unwrap().lines() {
        let whole: Value = serde_json::from_str(line).unwrap();
        let sets = held_sets(records(&whole));
        assert_eq!(same_either_way(line, &sets), sets.len(), "{line}");
        pages += 1;
    }
    assert!(pages >= 2, "only {pages} fixture pages were read sparsely");
}

#[test]
fn the_real_captures_read_the_same_sparse_or_whole() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/twitter");
    if !dir.is_dir() {
        println!("skipped: ../shared/corpus not present");
        return;
    }
    for name in [
        "twarc2-search-recent-page-brexit-trimmed.jsonl",
        "twarc2-tweet-lookup-reply-quote-edit.jsonl",
    ] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let whole: Value = serde_json::from_str(line).unwrap();
            let n = records(&whole);
            let sets = held_sets(n);
            let sparse = same_either_way(line, &sets);
            assert!(
                n < 2 || sparse == sets.len(),
                "{name}: {sparse} of {}",
                sets.len()
            );
        }
    }
}

/// A page whose includes repeat a `data` tweet, name members twice, and carry users, media,
/// polls and errors: the numbering and every member survive.
#[test]
fn odd_pages_read_the_same_sparse_or_whole() {
    let tweet = |id: &str, text: &str| json!({"id": id, "text": text, "author_id": "9", "created_at": "2023-01-01T00:00:00.000Z"});
    let page = json!({
        "data": [tweet("1", "first"), tweet("2", "#Tag second"), tweet("3", "third")],
        "includes": {
            "users": [{"id": "9", "username": "nine", "name": "Nine"}, {"username": "no id"}, {"id": 10}],
            "tweets": [tweet("2", "copy of second"), tweet("4", "parent"), json!({"text": "no id"})],
            "media": [{"media_key": "3_1", "type": "photo", "url": "https://pbs.example/1.jpg"}, {"type": "photo"}],
            "polls": [{"id": "5", "options": [{"position": 1, "label": "yes", "votes": 2}]}],
        },
        "errors": [{"title": "Not Found Error", "detail": "gone"}],
        "meta": {"result_count": 3},
    });
    let text = page.to_string();
    assert_eq!(same_either_way(&text, &held_sets(5)), 32);
    // A member named twice: the last counts, whole or sparse.
    let twice = text.replacen(
        "{\"data\":",
        "{\"data\":[{\"id\":\"7\",\"text\":\"gone\"}],\"data\":",
        1,
    );
    assert_eq!(same_either_way(&twice, &held_sets(5)), 32);
    let includes_twice = text.replacen(
        "{\"data\":",
        "{\"includes\":{\"tweets\":[{\"id\":\"8\"}],\"users\":[]},\"data\":",
        1,
    );
    assert_eq!(same_either_way(&includes_twice, &held_sets(5)), 32);
    // An id given as a number, and a tweet that is not an object.
    let numbers = json!({"data": [{"id": 5, "text": "five", "author_id": "9"}, tweet("6", "six")]});
    assert_eq!(same_either_way(&numbers.to_string(), &held_sets(2)), 4);
}

/// What is not a page of several tweets is parsed whole.
#[test]
fn other_documents_are_left_to_be_parsed_whole() {
    let one = json!({"data": [{"id": "1", "text": "only"}], "includes": {}});
    let odd = [
        one.to_string(),
        json!({"data": {"id": "1", "text": "lookup"}}).to_string(),
        json!({"id": "1", "text": "flattened", "author_id": "9", "author": {}}).to_string(),
        json!({"data": [{"id": "1"}, "not a tweet"]}).to_string(),
        json!({"data": [{"id": "1"}, {"id": "2"}], "includes": null}).to_string(),
        "[1, 2]".to_owned(),
        "{\"data\": [".to_owned(),
    ];
    for text in odd {
        assert!(sparse_page(&text, |_| true).is_none(), "{text}");
    }
    assert!(sparse_page(&fixture_text("flattened_line.json"), |_| true).is_none());
}
