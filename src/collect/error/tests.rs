//! Each way a source fails is told apart by its kind and position, not by its wording.

use std::io::Write;

use super::{At, ReadError, ReadErrorKind};
use crate::collect::{ReadOptions, SourceInput, SourceReport, collect};
use crate::store::Store;

/// Collects `bytes` as a file named `name` into a new archive; returns the source's report and
/// the file's path as the report names it.
fn report_of(name: &str, bytes: &[u8], options: ReadOptions) -> (SourceReport, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let mut reports = collect(&mut store, "t", &[SourceInput::File(path.clone())], options)
        .expect("the archive itself is fine");
    (reports.remove(0), path.display().to_string())
}

/// Collects `bytes` as a file of its own and returns why it failed.
fn failure_of(bytes: &[u8], options: ReadOptions) -> ReadError {
    let (report, location) = report_of("source.json", bytes, options);
    let error = report.error.expect("the source fails");
    assert_eq!(error.location, location);
    error
}

fn fails(bytes: &[u8]) -> ReadError {
    failure_of(bytes, ReadOptions::default())
}

const STATUS: &str = r#"{"id": "1", "uri": "https://a.example/users/ana/statuses/1", "created_at": "2026-08-20T08:00:00Z", "visibility": "public", "content": "<p>hi #t</p>", "account": {"acct": "ana@a.example", "uri": "https://a.example/users/ana", "display_name": "Ana"}}"#;

#[test]
fn an_empty_file() {
    let e = fails(b"  \n\t ");
    assert!(matches!(e.kind, ReadErrorKind::Empty), "{e}");
    assert_eq!(e.at, At::Source);
}

#[test]
fn text_that_is_not_json() {
    let e = fails(b"id,text\n1,hello\n");
    assert!(matches!(e.kind, ReadErrorKind::NotJson), "{e}");
    assert_eq!(e.at, At::Line(1));
}

#[test]
fn broken_json_names_line_and_column() {
    let e = fails(b"[\n {\"id\": \"1\",\n  \"uri\": }\n]");
    assert!(matches!(e.kind, ReadErrorKind::InvalidJson(_)), "{e}");
    assert_eq!(e.at, At::LineColumn(3, 10));
}

#[test]
fn invalid_utf8_names_line_and_column() {
    let mut bytes = format!("{STATUS}\n").into_bytes();
    bytes.extend_from_slice(b"{\"id\": \"2\", \"content\": \"caf\xe9\"}\n");
    let e = fails(&bytes);
    assert!(matches!(e.kind, ReadErrorKind::InvalidUtf8), "{e}");
    assert_eq!(e.at, At::LineColumn(2, 28));
}

#[test]
fn a_document_of_no_known_format() {
    let e = fails(br#"{"hello": "world"}"#);
    assert!(matches!(e.kind, ReadErrorKind::UnknownFormat), "{e}");
}

#[test]
fn a_bad_line_fails_the_source_only_under_strict() {
    let bytes = format!("{STATUS}\nnot json at all\n");
    let strict = ReadOptions {
        strict: true,
        ..ReadOptions::default()
    };
    let e = failure_of(bytes.as_bytes(), strict);
    assert!(matches!(e.kind, ReadErrorKind::BadLineStrict(_)), "{e}");
    assert_eq!(e.at, At::Line(2));
}

#[test]
fn a_folder_that_is_not_a_twitter_archive() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let input = SourceInput::File(dir.path().to_path_buf());
    let mut reports = collect(&mut store, "t", &[input], ReadOptions::default()).unwrap();
    let e = reports.remove(0).error.expect("fails");
    assert!(matches!(e.kind, ReadErrorKind::NotTwitterArchive(_)), "{e}");
}

#[test]
fn a_missing_file() {
    let mut store = Store::open_in_memory().unwrap();
    let input = SourceInput::File("/nonexistent/tagstory/source.json".into());
    let mut reports = collect(&mut store, "t", &[input], ReadOptions::default()).unwrap();
    let e = reports.remove(0).error.expect("fails");
    match &e.kind {
        ReadErrorKind::Io(io) => assert_eq!(io.kind(), std::io::ErrorKind::NotFound),
        other => panic!("{other:?}"),
    }
}

/// A status whose content alone is `bytes` long.
fn huge_status(bytes: usize) -> String {
    STATUS.replace("<p>hi #t</p>", &format!("<p>{} #t</p>", "a".repeat(bytes)))
}

const OVER: usize = crate::collect::read::MAX_DOCUMENT + 1;

#[test]
fn one_document_too_large_is_refused_not_held() {
    let e = fails(huge_status(OVER).as_bytes());
    assert!(
        matches!(e.kind, ReadErrorKind::TooLarge { limit } if limit == OVER - 1),
        "{e}"
    );
    assert!(matches!(e.at, At::LineColumn(1, _)), "{:?}", e.at);
}

#[test]
fn one_array_element_too_large_is_refused() {
    let array = format!("[{STATUS},\n{}]", huge_status(OVER));
    let e = fails(array.as_bytes());
    assert!(matches!(e.kind, ReadErrorKind::TooLarge { .. }), "{e}");
    assert!(matches!(e.at, At::LineColumn(2, _)), "{:?}", e.at);
}

#[test]
fn many_large_elements_are_read_a_few_at_a_time() {
    // Sixty elements of 1 MiB each: 60 MiB in all, far over the limit of one document, and
    // every one of them read.
    let elements: Vec<String> = (0..60)
        .map(|i| {
            huge_status(1 << 20)
                .replace("\"id\": \"1\"", &format!("\"id\": \"{i}\""))
                .replace("statuses/1", &format!("statuses/{i}"))
        })
        .collect();
    let array = format!("[{}]", elements.join(","));
    let (report, _) = report_of("large.json", array.as_bytes(), ReadOptions::default());
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.counts.posts_new, 60);
}

#[test]
fn a_json_lines_line_too_large_is_a_bad_line_or_under_strict_the_failure() {
    let lines = format!(
        "{STATUS}\n{}\n{}\n",
        huge_status(OVER),
        STATUS.replace("statuses/1", "statuses/2")
    );
    let (report, _) = report_of("lines.jsonl", lines.as_bytes(), ReadOptions::default());
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.counts.posts_new, 2, "the lines around it are read");
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(report.warnings[0].pointer, "line 2");

    let strict = ReadOptions {
        strict: true,
        ..ReadOptions::default()
    };
    let e = failure_of(lines.as_bytes(), strict);
    assert!(matches!(e.kind, ReadErrorKind::TooLarge { .. }), "{e}");
    assert_eq!(e.at, At::Line(2));
}

/// JSON Lines of `n` statuses, each its own post; a line of `bad` takes the place of each
/// line whose number (from 1) `is_bad` picks.
fn status_lines(n: usize, is_bad: impl Fn(usize) -> bool, bad: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for line in 1..=n {
        if is_bad(line) {
            bytes.extend_from_slice(bad);
        } else {
            bytes.extend_from_slice(
                STATUS
                    .replace("statuses/1", &format!("statuses/{line}"))
                    .as_bytes(),
            );
        }
        bytes.push(b'\n');
    }
    bytes
}

#[test]
fn many_lines_are_read_in_order_and_each_bad_one_is_named() {
    // Many more lines than one batch of staged rows.
    let bad = |line: usize| line > 1 && line.is_multiple_of(37);
    let bytes = status_lines(1_000, bad, b"{\"id\": ");
    let (report, _) = report_of("lines.jsonl", &bytes, ReadOptions::default());
    assert!(report.error.is_none(), "{:?}", report.error);
    let named: Vec<&str> = report.warnings.iter().map(|w| w.pointer.as_str()).collect();
    let expected: Vec<String> = (1..=1_000)
        .filter(|&l| bad(l))
        .map(|l| format!("line {l}"))
        .collect();
    assert_eq!(named, expected);
    assert_eq!(report.counts.posts_new, (1_000 - expected.len()) as u64);
}

#[test]
fn the_first_problem_in_line_order_is_the_one_that_fails_the_source() {
    // Line 50 cannot be read at all; under --strict, the bad line 20 before it fails first.
    let mut bytes = status_lines(49, |line| line == 20, b"not json");
    bytes.extend_from_slice(b"{\"content\": \"caf\xe9\"}\n");
    bytes.extend(status_lines(10, |_| false, b""));
    let strict = ReadOptions {
        strict: true,
        ..ReadOptions::default()
    };
    let e = failure_of(&bytes, strict);
    assert!(matches!(e.kind, ReadErrorKind::BadLineStrict(_)), "{e}");
    assert_eq!(e.at, At::Line(20));
    let e = fails(&bytes);
    assert!(matches!(e.kind, ReadErrorKind::InvalidUtf8), "{e}");
    assert_eq!(e.at, At::LineColumn(50, 17));
}

#[test]
fn broken_json_far_into_a_long_array_names_its_line_and_column() {
    // Many chunks into the array, the error still names where it is in the file.
    let mut text = String::from("[\n");
    for i in 1..=300 {
        let element = if i == 250 {
            r#"{"id": "250", "uri": }"#.to_string()
        } else {
            STATUS.replace("statuses/1", &format!("statuses/{i}"))
        };
        text.push_str(&element);
        text.push_str(if i < 300 { ",\n" } else { "\n]" });
    }
    let e = fails(text.as_bytes());
    assert!(matches!(e.kind, ReadErrorKind::InvalidJson(_)), "{e}");
    assert_eq!(e.at, At::LineColumn(251, 22));
}
