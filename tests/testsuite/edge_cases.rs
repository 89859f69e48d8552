//! Inputs built inside the tests: deep chains, cycles, hostile content, broken files.

use serde_json::{Value, json};

use crate::support::{Archive, json_depth, nodes};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn note(n: usize, parent: Option<usize>, tagged: bool) -> Value {
    let mut note = json!({
        "type": "Note",
        "id": format!("https://deep.example/notes/{n}"),
        "attributedTo": format!("https://deep.example/users/u{}", n % 7),
        "published": format!("2026-08-20T{:02}:{:02}:{:02}Z", (n / 3600) % 24, (n / 60) % 60, n % 60),
        "content": format!("<p>note {n}{}</p>", if tagged { " #Deep" } else { "" }),
        "to": [PUBLIC],
        "tag": if tagged { json!([{"type": "Hashtag", "name": "#Deep"}]) } else { json!([]) },
    });
    if let Some(p) = parent {
        note["inReplyTo"] = json!(format!("https://deep.example/notes/{p}"));
    }
    note
}

fn collection(items: Vec<Value>) -> String {
    let creates: Vec<Value> = items
        .into_iter()
        .map(|n| {
            json!({"type": "Create", "id": format!("{}/activity", n["id"].as_str().unwrap()),
                        "actor": n["attributedTo"], "to": [PUBLIC], "object": n})
        })
        .collect();
    json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollection",
           "totalItems": creates.len(), "orderedItems": creates})
    .to_string()
}

#[test]
fn ten_thousand_deep_reply_chain_renders() {
    let archive = Archive::new();
    let chain: Vec<Value> = (0..10_000)
        .map(|n| note(n, n.checked_sub(1), n == 0))
        .collect();
    let file = archive.file("chain.json", &collection(chain));
    let run = archive.collect_ok("deep", &[&file]);
    assert!(
        run.stderr.contains("10000 posts read: 10000 new"),
        "{}",
        run.stderr
    );

    let json = archive.render("deep", &["--format", "json", "--out", "-"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_eq!(json.stdout.matches("\"uri\":").count(), 10_000);
    // threads array, then node object, replies array: two levels per post.
    assert!(
        json_depth(&json.stdout) >= 2 * 10_000,
        "replies must nest, not flatten"
    );

    let html = archive.story_html("deep");
    assert_eq!(html.matches("<article ").count(), 10_000);
    assert!(
        html.contains("Replying to <a href=\"#p"),
        "deep replies name their parent"
    );

    // JSON Lines: nothing nests, so a reader with the default recursion limit reads every line.
    let lines = archive.render("deep", &["--format", "jsonl", "--out", "-"]);
    assert_eq!(lines.code, 0, "{}", lines.stderr);
    let posts: Vec<Value> = lines
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is a JSON object"))
        .collect();
    assert_eq!(posts.len(), 10_000);
    assert!(lines.stdout.lines().all(|l| json_depth(l) <= 3));
    assert_eq!(posts[9_999]["depth"], 9_999);
    assert_eq!(posts[9_999]["in_reply_to"], posts[9_998]["uri"]);
    assert!(
        posts
            .iter()
            .all(|p| p["thread"] == 0 && p.get("replies").is_none())
    );

    // Markdown: block quotes stop deepening, each flattened reply names its parent.
    let md = archive.render("deep", &["--format", "markdown", "--out", "-"]);
    assert_eq!(md.code, 0, "{}", md.stderr);
    assert!(
        !md.stdout.contains("> > > > > > "),
        "quotes capped at five levels"
    );
    assert!(md.stdout.matches("Replying to").count() >= 9_990);
}

#[test]
fn reply_cycle_neither_crashes_nor_hangs() {
    let archive = Archive::new();
    // 0 -> 2 -> 1 -> 0: every post has a parent in the archive.
    let notes = vec![
        note(0, Some(2), true),
        note(1, Some(0), false),
        note(2, Some(1), false),
    ];
    let file = archive.file("cycle.json", &collection(notes));
    archive.collect_ok("deep", &[&file]);
    let story = archive.story_json("deep");
    let all = nodes(&story);
    assert_eq!(all.len(), 3, "each post exactly once");
    assert_eq!(story["threads"].as_array().unwrap().len(), 1);
    let order: Vec<(&str, usize)> = all
        .iter()
        .map(|(n, d)| (n["uri"].as_str().unwrap(), *d))
        .collect();
    assert_eq!(
        order,
        [
            ("https://deep.example/notes/0", 0),
            ("https://deep.example/notes/1", 1),
            ("https://deep.example/notes/2", 2)
        ]
    );
    assert_eq!(archive.story_html("deep").matches("<article ").count(), 3);
}

#[test]
fn syntax_error_names_file_line_and_column_and_stores_nothing() {
    let archive = Archive::new();
    let good = archive.file("good.json", &collection(vec![note(1, None, true)]));
    let bad = archive.file("bad.json", "[\n  {\"id\": \"1\",\n    \"uri\": oops}\n]");
    let run = archive.collect("deep", &[&bad, &good]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("bad.json`:3:12: invalid JSON"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("1 failed and added nothing"),
        "{}",
        run.stderr
    );
    assert_eq!(
        archive.count("SELECT count(*) FROM posts"),
        1,
        "the good source is still collected"
    );
    assert_eq!(archive.count("SELECT count(*) FROM sources"), 1);
}

/// Arrays and objects are split into their elements and members before serde_json parses
/// each (issue 10): a broken file is still reported where, and as, serde_json reads it whole.
#[test]
fn broken_documents_are_reported_where_serde_json_finds_the_fault() {
    let archive = Archive::new();
    let cases = [
        "{\"type\": \"OrderedCollection\",\n \"orderedItems\": [\n  {\"type\": \"Note\"} {\"x\": 1}]}",
        "{\"type\": \"OrderedCollection\",\n \"orderedItems\": [\n  {\"type\": \"Note\"},\n]}",
        "{\"a\": 1\n \"b\": 2}",
        "{\"a\"\n 1}",
        "{\"a\": 1,\n}",
        "{\"a\": {\"b\": [1,\n 2}}}",
        "{\"a\": \"x\n",
        "{\"a\":\n 1} x",
        "{1: 2}",
        "[{\"id\": 1},\n {\"id\": [}]",
        "[\n {\"id\": 1}\n {\"id\": 2}]",
    ];
    for (i, text) in cases.iter().enumerate() {
        let file = archive.file(&format!("broken{i}.json"), text);
        let run = archive.collect("deep", &[&file]);
        assert_eq!(run.code, 1, "{text:?}\n{}", run.stderr);
        let e = serde_json::from_str::<Value>(text).unwrap_err();
        let message = e.to_string();
        let message = &message[..message.rfind(" at line ").unwrap()];
        let expected = format!(
            "broken{i}.json`:{}:{}: invalid JSON: {message}",
            e.line(),
            e.column()
        );
        assert!(
            run.stderr.contains(&expected),
            "{text:?}: {expected}\n{}",
            run.stderr
        );
    }
}

#[test]
fn unrecognised_and_missing_files_are_clear_errors() {
    let archive = Archive::new();
    let other = archive.file("package.json", r#"{"name": "x", "version": "1.0.0"}"#);
    let missing = archive.dir.path().join("nope.json");
    let run = archive.collect("deep", &[&other, &missing]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("package.json`: unrecognised format; tagstory reads Mastodon API JSON"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("cannot read `") && run.stderr.contains("nope.json`"),
        "{}",
        run.stderr
    );
    assert_eq!(archive.count("SELECT count(*) FROM posts"), 0);
}

#[test]
fn garbage_bytes_never_panic() {
    let archive = Archive::new();
    for (i, junk) in [
        "",
        "\u{feff}",
        "nul\0l",
        "[[[[[[[[[[",
        "{\"type\":",
        "[1,2,3]",
        "{\"type\":\"Note\"}",
        "\"str\"",
        "null",
    ]
    .iter()
    .enumerate()
    {
        let file = archive.file(&format!("junk{i}.json"), junk);
        let run = archive.collect("deep", &[&file]);
        assert!(
            run.code == 1 || run.code == 3 || run.code == 0,
            "{junk:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{junk:?}: {}", run.stderr);
    }
}

#[test]
fn stdin_is_a_source() {
    let archive = Archive::new();
    let db = archive.db.to_string_lossy().into_owned();
    let out = assert_cmd::Command::cargo_bin("tagstory")
        .unwrap()
        .args(["collect", "--tag", "#DEEP", "--db", &db, "-"])
        .write_stdin(collection(vec![note(5, None, true)]))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        archive.count("SELECT count(*) FROM sources WHERE location = '-'"),
        1
    );
    assert_eq!(
        archive.count("SELECT count(*) FROM story_posts WHERE tag = 'deep'"),
        1
    );
}

#[test]
fn hostile_content_names_and_urls_are_neutralised() {
    let archive = Archive::new();
    let hostile = json!({
        "type": "Create", "id": "https://evil.example/a/1", "actor": "https://evil.example/users/x",
        "to": PUBLIC,
        "object": {
            "type": "Note", "id": "https://evil.example/notes/1", "published": "2026-08-20T10:00:00Z",
            "attributedTo": {"type": "Person", "id": "https://evil.example/users/x",
                             "preferredUsername": "x", "name": "<script>alert('name')</script>",
                             "icon": {"url": "javascript:alert('avatar')"}},
            "url": "javascript:alert('url')",
            "summary": "</summary><script>alert('cw')</script>",
            "content": "<p onmouseover=\"alert(1)\" style=\"color:red\">hi #Deep <script>alert(2)</script>\
                        <img src=x onerror=alert(3)><iframe src=\"https://evil.example\"></iframe>\
                        <a href=\"javascript:alert(4)\">j</a><a href=\"data:text/html,x\">d</a>\
                        <form><input></form><a href=\"https://ok.example/\">fine</a></p>",
            "tag": [{"type": "Hashtag", "name": "#Deep"}],
            "attachment": [{"type": "Document", "mediaType": "image/png", "url": "javascript:alert(5)",
                            "name": "\"><script>alert('alt')</script>"}],
            "to": [PUBLIC]
        }
    });
    let file = archive.file("hostile.json", &hostile.to_string());
    archive.collect_ok("deep", &[&file]);
    let html = archive.story_html("deep");
    assert_eq!(
        html.matches("<script").count(),
        0,
        "no script element may survive"
    );
    for banned in [
        "onmouseover",
        "onerror",
        "style=\"color",
        "<iframe",
        "javascript:",
        "data:text",
        "<form",
        "<input",
    ] {
        assert!(!html.contains(banned), "{banned} survived");
    }
    assert!(
        html.contains("&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;"),
        "name shown as text"
    );
    assert!(html.contains(r#"<a href="https://ok.example/" rel="nofollow noopener ugc">fine</a>"#));
    let md = archive.story_json("deep");
    // `<form>` closes the open paragraph, as it does in a browser.
    assert_eq!(md["threads"][0]["text"], "hi #Deep jd\n\nfine");
}

/// The hostile test post of `fixtures/hostile/` (README: M1), in either form alone and with the
/// whole sample: its markup, name and avatar never become markup, handlers or links on the page.
#[test]
fn the_hostile_fixture_post_stays_text_on_the_page() {
    let hostile = crate::collect::hostile_sources();
    let mut with_sample = crate::collect::all_fixture_sources();
    with_sample.extend(hostile.iter().cloned());
    for sources in [&hostile[..1], &hostile[1..], &with_sample[..]] {
        let archive = Archive::new();
        let refs: Vec<&std::path::Path> = sources.iter().map(|p| p.as_path()).collect();
        archive.collect_ok("DearMentalHealthProfessionals", &refs);
        let html = archive.story_html("DearMentalHealthProfessionals");
        let label = format!("{sources:?}");
        for banned in [
            "<script",
            "onerror",
            "javascript:",
            "<iframe",
            "style=\"color",
            "<b>Mallory",
            "src=\"x\"",
        ] {
            assert!(!html.contains(banned), "{banned} survived ({label})");
        }
        assert!(
            html.contains("<span class=\"name\" dir=\"auto\">&lt;b&gt;Mallory&lt;/b&gt; 🧪</span>"),
            "name shown as text ({label})"
        );
        // The `javascript:` avatar is not an image: the initial stands in for it.
        assert!(
            html.contains("<span class=\"avatar\" aria-hidden=\"true\">&lt;</span>"),
            "{label}"
        );
        assert!(
            html.contains("<p>If this line is red and huge, styles leaked.</p>"),
            "{label}"
        );
        assert!(html.contains("<p>click for nothing at all.</p>"), "{label}");
        assert!(html.contains(
            "href=\"https://odd.example/@mallory/117129310502928781\" rel=\"nofollow noopener ugc\""
        ));
    }
}

#[test]
fn without_structured_tags_the_text_decides_as_a_whole_word() {
    let archive = Archive::new();
    let bare = |n: usize, content: &str| {
        json!({"type": "Note", "id": format!("https://t.example/notes/{n}"),
               "attributedTo": "https://t.example/users/t", "published": "2026-08-20T10:00:00Z",
               "content": content, "to": PUBLIC})
    };
    let notes = vec![
        bare(1, "<p>ends with the tag #Deep.</p>"),
        bare(2, "<p>a longer word #DeepSea only</p>"),
        bare(3, "<p>a link https://t.example/#deep is no tag</p>"),
        bare(4, "<p>full width ＃ＤＥＥＰ counts</p>"),
    ];
    let file = archive.file("bare.json", &collection(notes));
    archive.collect_ok("deep", &[&file]);
    let story = archive.story_json("deep");
    let mut uris: Vec<&str> = nodes(&story)
        .iter()
        .map(|(n, _)| n["uri"].as_str().unwrap())
        .collect();
    uris.sort();
    assert_eq!(
        uris,
        ["https://t.example/notes/1", "https://t.example/notes/4"]
    );
}

#[test]
fn a_tag_that_matches_nothing_names_the_tags_that_are_there() {
    let archive = Archive::new();
    let run = archive.collect(
        "DearMentalHealthProfesionals",
        &[&crate::support::fixture("mastodon-api/timeline-page1.json")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "note: no post here carries #dearmentalhealthprofesionals; the most used tags here \
             are #dearmentalhealthprofessionals (20 posts)"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("1 boost, 0 deletions; 0 errors from 1 source\n")
    );
}

#[test]
fn csv_and_plain_text_are_called_not_json() {
    let archive = Archive::new();
    let csv = archive.file("posts.csv", "id,text\n1,hello #care\n");
    let text = archive.file("notes.txt", "my notes about #care\n");
    let run = archive.collect("care", &[&csv, &text]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr
            .matches("not JSON: the file starts with text")
            .count(),
        2,
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("JavaScript prefix"));
}
