//! Reading sources as streams: JSON arrays in chunks, JSON Lines line by line, positions in
//! every warning, `--strict` and `--format`. (Memory figures: `tests/bench/stream_memory.py`.)

use std::io::Write;

use serde_json::{Value, json};

use crate::support::Archive;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn create(n: usize) -> Value {
    json!({"type": "Create", "id": format!("https://s.example/a/{n}"), "actor": "https://s.example/users/s",
           "object": {"type": "Note", "id": format!("https://s.example/notes/{n}"),
                      "attributedTo": "https://s.example/users/s",
                      "published": format!("2026-08-20T10:{:02}:{:02}Z", n / 60 % 60, n % 60),
                      "content": format!("<p>note {n} #Stream</p>"), "to": [PUBLIC],
                      "tag": [{"type": "Hashtag", "name": "#Stream"}]}})
}

fn status(n: usize) -> Value {
    json!({"id": format!("{n}"), "uri": format!("https://m.example/users/m/statuses/{n}"),
           "created_at": format!("2026-08-20T10:{:02}:{:02}.000Z", n / 60 % 60, n % 60),
           "visibility": "public", "content": format!("<p>status {n} #Stream</p>"),
           "account": {"id": "1", "username": "m", "acct": "m", "display_name": "M",
                       "url": "https://m.example/@m", "uri": "https://m.example/users/m"},
           "tags": [{"name": "stream", "url": "https://m.example/tags/stream"}],
           "media_attachments": [], "mentions": [], "emojis": []})
}

#[test]
fn a_long_array_is_read_in_chunks_with_exact_positions() {
    let archive = Archive::new();
    let mut statuses: Vec<Value> = (0..300).map(status).collect();
    statuses[150].as_object_mut().unwrap().remove("created_at");
    let file = archive.file("statuses.json", &Value::Array(statuses).to_string());
    let run = archive.collect("stream", &[&file]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("statuses.json` at /150: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("299 posts read: 299 new"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_array_of_activities_is_read_one_document_per_element() {
    let archive = Archive::new();
    let mut items: Vec<Value> = (0..100).map(create).collect();
    items[70]["object"]
        .as_object_mut()
        .unwrap()
        .remove("published");
    let file = archive.file("activities.json", &Value::Array(items).to_string());
    let run = archive.collect("stream", &[&file]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("activities.json` at /70"),
        "{}",
        run.stderr
    );
    assert_eq!(archive.count("SELECT count(*) FROM story_posts"), 99);
}

#[test]
fn a_bad_json_line_is_skipped_with_its_number_or_fails_under_strict() {
    let archive = Archive::new();
    let mut lines: Vec<String> = (0..10).map(|n| create(n).to_string()).collect();
    lines[6] = r#"{"type": "Create", "object": {"#.to_string();
    lines.insert(3, String::new()); // blank lines are skipped but counted: the bad one is line 8
    let file = archive.file("lines.jsonl", &(lines.join("\n") + "\n"));
    let run = archive.collect("stream", &[&file]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("lines.jsonl` at line 8: invalid JSON"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("9 posts read: 9 new"), "{}", run.stderr);

    let strict = Archive::new();
    let db = strict.db.to_string_lossy().into_owned();
    let path = file.to_string_lossy().into_owned();
    let run = strict.tagstory(&["collect", "--tag", "stream", "--db", &db, "--strict", &path]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("lines.jsonl`:8: invalid JSON"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("(--strict)"), "{}", run.stderr);
    assert_eq!(
        strict.count("SELECT count(*) FROM posts"),
        0,
        "a failed source adds nothing"
    );
}

#[test]
fn a_forced_format_is_used_and_named_when_it_does_not_fit() {
    let archive = Archive::new();
    let file = archive.file("note.json", &create(1).to_string());
    let db = archive.db.to_string_lossy().into_owned();
    let path = file.to_string_lossy().into_owned();
    let run = archive.tagstory(&[
        "collect",
        "--tag",
        "stream",
        "--db",
        &db,
        "--format",
        "mastodon-api",
        &path,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("not readable as mastodon-api"),
        "{}",
        run.stderr
    );
    let run = archive.tagstory(&[
        "collect",
        "--tag",
        "stream",
        "--db",
        &db,
        "--format",
        "activitypub",
        &path,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// A Bluesky thread nests one level per ancestor: far deeper than serde_json's default limit.
#[test]
fn a_thread_nested_hundreds_deep_is_read() {
    let did = "did:plc:deepthreadauthor000000000";
    let post = |n: usize| {
        let uri = format!("at://{did}/app.bsky.feed.post/p{n}");
        let mut record = json!({"$type": "app.bsky.feed.post", "text": format!("reply {n} #Deep"),
            "createdAt": format!("2025-03-05T{:02}:{:02}:00.000Z", n / 60 % 24, n % 60),
            "facets": [{"index": {"byteStart": format!("reply {n} ").len(), "byteEnd": format!("reply {n} #Deep").len()},
                        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Deep"}]}]});
        if n > 0 {
            let parent = format!("at://{did}/app.bsky.feed.post/p{}", n - 1);
            record["reply"] = json!({"root": {"uri": format!("at://{did}/app.bsky.feed.post/p0"), "cid": "c"},
                                     "parent": {"uri": parent, "cid": "c"}});
        }
        json!({"uri": uri, "cid": format!("c{n}"), "author": {"did": did, "handle": "deep.bsky.social"},
               "record": record, "indexedAt": "2025-03-05T10:05:00.900Z"})
    };
    let depth = 400;
    let mut thread = json!({"$type": "app.bsky.feed.defs#threadViewPost", "post": post(0)});
    for n in 1..depth {
        thread = json!({"$type": "app.bsky.feed.defs#threadViewPost", "post": post(n), "parent": thread});
    }
    let text = json!({ "thread": thread }).to_string();
    let archive = Archive::new();
    let file = archive.file("thread.json", &text);
    archive.collect_ok("deep", &[&file]);
    assert_eq!(
        archive.count("SELECT count(*) FROM story_posts"),
        depth as i64
    );
    assert_eq!(
        archive.count("SELECT count(*) FROM posts WHERE in_reply_to_uri IS NOT NULL"),
        depth as i64 - 1
    );
}

/// Peak resident memory, in bytes, of `tagstory ARGS` (measured by the kernel through Python's
/// `getrusage`), or `None` when `python3` is not installed.
fn peak_memory(args: &[&str]) -> Option<u64> {
    let bin = assert_cmd::cargo::cargo_bin("tagstory");
    let script = "import resource, subprocess, sys\n\
                  r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n\
                  sys.stderr.write(r.stderr.decode()[-2000:])\n\
                  print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(bin)
        .args(args)
        .output()
        .ok()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut fields = stdout.split_whitespace();
    assert_eq!(
        fields.next(),
        Some("0"),
        "collect failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fields.next()?.parse::<u64>().ok().map(|kib| kib * 1024)
}

/// A large generated input is collected without ever being held whole: peak memory stays well
/// below the size of the input, for JSON Lines, for one JSON array, and for one ActivityStreams
/// collection on one line (a Mastodon account export's `outbox.json`, whose items are streamed:
/// see issue 10, where a 250 MB outbox peaked at 1.38 GB).
#[test]
fn a_large_input_is_collected_in_less_memory_than_its_size() {
    // Large enough that what every collect holds whatever its input (the allocator's free
    // memory, elements parsed ahead on a second thread, the page cache) is a small part of
    // the bound: with mimalloc and parsing ahead a 40 MiB outbox peaked at 30-31 MiB, one
    // run in two over 3/4 of it; with glibc's allocator a 32 MiB outbox peaked at 22 MiB.
    // Held whole, the input would take several times its size.
    const TARGET: usize = 48 << 20;
    for framing in ["jsonl", "array", "outbox"] {
        let archive = Archive::new();
        let path = archive.dir.path().join(format!("large.{framing}"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let (mut size, mut n) = (0, 0);
        if framing == "array" {
            out.write_all(b"[").unwrap();
        }
        if framing == "outbox" {
            out.write_all(
                br#"{"@context": "https://www.w3.org/ns/activitystreams", "id": "outbox.json", "type": "OrderedCollection", "orderedItems": ["#,
            )
            .unwrap();
        }
        while size < TARGET {
            let mut line = create(n);
            line["object"]["content"] = json!(format!(
                "<p>{} #Stream</p>",
                "what helped was being asked ".repeat(12)
            ));
            let text = line.to_string();
            if framing == "array" && n > 0 {
                out.write_all(b",\n").unwrap();
            }
            if framing == "outbox" && n > 0 {
                out.write_all(b",").unwrap();
            }
            out.write_all(text.as_bytes()).unwrap();
            if framing == "jsonl" {
                out.write_all(b"\n").unwrap();
            }
            size += text.len() + 1;
            n += 1;
        }
        if framing == "array" {
            out.write_all(b"]").unwrap();
        }
        if framing == "outbox" {
            out.write_all(b"]}").unwrap();
        }
        drop(out);
        let db = archive.db.to_string_lossy().into_owned();
        let input = path.to_string_lossy().into_owned();
        let Some(peak) = peak_memory(&["collect", "--tag", "stream", "--db", &db, &input]) else {
            eprintln!("skipped: python3 not present to measure memory");
            return;
        };
        eprintln!(
            "{framing}: {n} posts, {} MiB input, peak {} MiB",
            size >> 20,
            peak >> 20
        );
        assert_eq!(archive.count("SELECT count(*) FROM story_posts"), n as i64);
        assert!(
            peak < (TARGET as u64) * 3 / 4,
            "{framing}: peak {peak} bytes for a {size}-byte input"
        );
    }
}
