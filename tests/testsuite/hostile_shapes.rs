//! Hostile shapes rather than hostile markup (see: issue 11): a 100 MB single line, times out
//! of range, 10,000 attachments on one post, one id with conflicting contents, reply cycles,
//! and a 100,000-deep reply chain rendered in every format. Each must end with a clear
//! outcome (collected, or refused with a message naming the input), in bounded memory, and
//! render in every format with every post once.

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

use crate::hostile_outputs::assert_every_output_clean;
use crate::support::{Archive, nodes};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A public, tagged Mastodon status `n` by one of a few accounts.
fn status(n: usize, content: &str) -> Value {
    json!({
        "id": format!("{n}"),
        "created_at": format!("2026-08-20T10:{:02}:{:02}.000Z", (n / 60) % 60, n % 60),
        "visibility": "public",
        "uri": format!("https://big.example/users/u{}/statuses/{n}", n % 5),
        "url": format!("https://big.example/@u{}/{n}", n % 5),
        "content": content,
        "account": {"id": format!("{}", n % 5), "username": format!("u{}", n % 5),
                    "acct": format!("u{}", n % 5), "display_name": "",
                    "uri": format!("https://big.example/users/u{}", n % 5),
                    "url": format!("https://big.example/@u{}", n % 5)},
        "tags": [{"name": "shapes"}],
        "media_attachments": [], "emojis": [], "mentions": [],
    })
}

/// Peak resident memory and exit status of `tagstory ARGS`, measured by the kernel through
/// Python's `getrusage`; `None` (after saying so) without `python3`.
fn measured(args: &[&str]) -> Option<(i32, u64, String)> {
    let bin = assert_cmd::cargo::cargo_bin("tagstory");
    let script = "import resource, subprocess, sys\n\
                  r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n\
                  sys.stderr.write(r.stderr.decode(errors='replace')[-4000:])\n\
                  print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)";
    let Ok(out) = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(bin)
        .args(args)
        .output()
    else {
        crate::support::skipped("python3 not present to measure memory");
        return None;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut fields = stdout.split_whitespace();
    let code = fields.next()?.parse().ok()?;
    let kib: u64 = fields.next()?.parse().ok()?;
    Some((
        code,
        kib * 1024,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// `measured` for `collect --tag TAG --db DB SOURCE`.
fn collect_measured(archive: &Archive, tag: &str, source: &Path) -> Option<(i32, u64, String)> {
    let db = archive.db.to_string_lossy().into_owned();
    let source = source.to_string_lossy().into_owned();
    measured(&["collect", "--tag", tag, "--db", &db, &source])
}

const MIB: u64 = 1 << 20;

/// A 100 MB file on one line, twice: a JSON array of statuses (streamed: memory stays far
/// below the file's size, every post kept) and one status whose content is 100 MB (refused
/// once it passes the limit of one document, never held whole).
#[test]
fn a_100_mb_single_line_is_read_in_bounded_memory_with_a_clear_outcome() {
    const SIZE: usize = 100 << 20;
    let archive = Archive::new();
    let path = archive.dir.path().join("one-line.json");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    out.write_all(b"[").expect("write");
    let (mut size, mut n) = (1, 0);
    // Posts of about 100 KB, so the 100 MB are a thousand posts rather than a hundred thousand.
    let words = "what helped was being asked ".repeat(3_600);
    while size < SIZE {
        let text = status(n, &format!("<p>{words} #shapes</p>")).to_string();
        if n > 0 {
            out.write_all(b",").expect("write");
        }
        out.write_all(text.as_bytes()).expect("write");
        size += text.len() + 1;
        n += 1;
    }
    out.write_all(b"]").expect("write");
    drop(out);
    let Some((code, peak, stderr)) = collect_measured(&archive, "shapes", &path) else {
        return;
    };
    eprintln!(
        "one-line array: {n} posts, {} MiB, peak {} MiB",
        size >> 20,
        peak / MIB
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(archive.count("SELECT count(*) FROM posts"), n as i64);
    // Chunks of 64 posts of 100 KB are held, a few at a time while parsing runs beside
    // writing, each in a few forms: bounded by the chunks, not by the file.
    assert!(
        peak < 512 * MIB,
        "peak {} MiB for a streamed array",
        peak / MIB
    );

    // One status, one line, 100 MB of content (a paragraph of markup repeated).
    let archive = Archive::new();
    let path = archive.dir.path().join("one-status.json");
    let chunk = "<p>a <b>b</b> <a href=\"https://ok.example/\">c</a></p>";
    let content = format!("{}<p>#shapes</p>", chunk.repeat(SIZE / chunk.len()));
    std::fs::write(&path, status(1, &content).to_string()).expect("write");
    drop(content);
    let Some((code, peak, stderr)) = collect_measured(&archive, "shapes", &path) else {
        return;
    };
    eprintln!("one 100 MB status: exit {code}, peak {} MiB", peak / MIB);
    // Refused once past the limit of one document, with where and why; never held whole.
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("one-status.json`:1:")
            && stderr.contains("one document is larger than 16 MiB"),
        "{stderr}"
    );
    assert_eq!(archive.count("SELECT count(*) FROM posts"), 0);
    assert!(
        peak < 160 * MIB,
        "peak {} MiB for one 100 MB document",
        peak / MIB
    );
}

/// Times no calendar can hold, or that are not times at all: each post is read with its time
/// or skipped with a warning that names it; nothing panics, and what is kept renders with
/// valid RFC 3339 times in every format.
#[test]
fn times_out_of_range_are_read_or_skipped_never_fatal() {
    let archive = Archive::new();
    let times = [
        json!("0000-01-01T00:00:00Z"),
        json!("-0001-01-01T00:00:00Z"),
        json!("99999-12-31T23:59:59Z"),
        json!("+275760-09-13T00:00:00Z"),
        json!("-271821-04-20T00:00:00Z"),
        json!("2026-13-45T99:99:99Z"),
        json!("1970-01-01T00:00:00Z"),
        json!("yesterday"),
        json!(""),
        json!(-1),
        json!(1e300),
        json!(253402300800_i64),
        json!(-62135596801_i64),
        json!(null),
        json!({"$date": 0}),
        json!(true),
    ];
    let statuses: Vec<Value> = times
        .iter()
        .enumerate()
        .map(|(n, t)| {
            let mut s = status(n, "<p>#shapes</p>");
            s["created_at"] = t.clone();
            s["edited_at"] = t.clone();
            s
        })
        .collect();
    let api = archive.file("times.json", &Value::Array(statuses).to_string());
    // The same times in ActivityPub and twarc (v1) shapes.
    let notes: Vec<Value> = times
        .iter()
        .enumerate()
        .map(|(n, t)| {
            json!({"type": "Note", "id": format!("https://ap.example/notes/{n}"),
                   "attributedTo": "https://ap.example/users/a", "to": [PUBLIC],
                   "published": t, "updated": t, "content": "<p>#shapes</p>",
                   "tag": [{"type": "Hashtag", "name": "#shapes"}]})
        })
        .collect();
    let ap = archive.file("times-ap.json", &Value::Array(notes).to_string());
    let tweets: String = times
        .iter()
        .enumerate()
        .map(|(n, t)| {
            let t = match t.as_str() {
                Some("99999-12-31T23:59:59Z") => json!("Fri Dec 31 23:59:59 +0000 99999"),
                Some("0000-01-01T00:00:00Z") => json!("Sat Jan 01 00:00:00 +0000 0000"),
                _ => t.clone(),
            };
            let tweet = json!({"id_str": format!("{}", 100 + n), "created_at": t,
                "text": "#shapes", "user": {"id_str": "9", "screen_name": "tw", "name": "tw"},
                "entities": {"hashtags": [{"text": "shapes", "indices": [0, 7]}]}});
            format!("{tweet}\n")
        })
        .collect();
    let v1 = archive.file("times.jsonl", &tweets);
    for source in [&api, &ap, &v1] {
        let run = archive.collect("shapes", &[source]);
        assert!(
            run.code == 0 || run.code == 3,
            "{}: {}",
            source.display(),
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    assert!(archive.count("SELECT count(*) FROM posts") > 0);
    assert_every_output_clean(&archive, "shapes");
    let story = archive.story_json("shapes");
    for (node, _) in nodes(&story) {
        for key in ["created_at", "edited_at"] {
            if let Some(t) = node[key].as_str() {
                assert!(
                    chrono::DateTime::parse_from_rfc3339(t).is_ok(),
                    "{key} {t:?} is not RFC 3339"
                );
            }
        }
    }
}

/// One post with 10,000 attachments is collected and rendered in every format, quickly.
#[test]
fn ten_thousand_attachments_on_one_post() {
    let archive = Archive::new();
    let mut s = status(1, "<p>#shapes</p>");
    s["media_attachments"] = (0..10_000)
        .map(|i| {
            json!({"id": format!("{i}"), "type": "image",
                   "url": format!("https://big.example/m/{i}.png"), "description": format!("alt {i}")})
        })
        .collect();
    let file = archive.file("many-media.json", &s.to_string());
    archive.collect_ok("shapes", &[&file]);
    let outputs = assert_every_output_clean(&archive, "shapes");
    let story = archive.story_json("shapes");
    let media = story["threads"][0]["media"].as_array().expect("media");
    assert_eq!(media.len(), 10_000);
    assert_eq!(media[9_999]["alt"], "alt 9999");
    assert!(outputs[0].1.contains("alt 9999"));
}

/// The same id twice in one source and across sources, with different contents: one post is
/// stored, and the same version wins whichever order the copies come in.
#[test]
fn one_id_with_conflicting_contents_is_stored_once_with_a_deterministic_winner() {
    let copy = |content: &str, edited: Option<&str>| {
        let mut s = status(7, &format!("<p>{content} #shapes</p>"));
        s["edited_at"] = json!(edited);
        s
    };
    let variants = [
        copy("first", None),
        copy("second", None),
        copy("edited later", Some("2026-08-21T10:00:00.000Z")),
        copy("edited earlier", Some("2026-08-20T12:00:00.000Z")),
    ];
    let mut stories = Vec::new();
    for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]] {
        // All four in one file, then each in a file of its own, in this order.
        for split in [false, true] {
            let archive = Archive::new();
            let docs: Vec<Value> = order.iter().map(|&i| variants[i].clone()).collect();
            if split {
                let files: Vec<_> = docs
                    .iter()
                    .enumerate()
                    .map(|(i, d)| archive.file(&format!("copy{i}.json"), &d.to_string()))
                    .collect();
                let paths: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
                archive.collect_ok("shapes", &paths);
            } else {
                let file = archive.file("copies.json", &Value::Array(docs).to_string());
                archive.collect_ok("shapes", &[&file]);
            }
            assert_eq!(archive.count("SELECT count(*) FROM posts"), 1);
            let story = archive.story_json("shapes");
            assert_eq!(nodes(&story).len(), 1);
            stories.push((order, split, story["threads"][0]["text"].clone()));
        }
    }
    let winner = &stories[0].2;
    assert_eq!(winner, "edited later #shapes", "the newest version wins");
    for (order, split, text) in &stories {
        assert_eq!(text, winner, "order {order:?}, split {split}");
    }
}

/// Reply cycles (a self-reply, two posts answering each other, a ring of three, and a chain
/// hanging off a ring) render in every format with every post exactly once.
#[test]
fn reply_cycles_render_every_post_once_in_every_format() {
    let archive = Archive::new();
    let parent_of = [
        (0, 0),
        (1, 2),
        (2, 1),
        (3, 5),
        (4, 3),
        (5, 4),
        (6, 5),
        (7, 6),
    ];
    let statuses: Vec<Value> = parent_of
        .iter()
        .map(|&(n, p)| {
            let mut s = status(n, "<p>#shapes</p>");
            s["in_reply_to_id"] = json!(format!("{p}"));
            s
        })
        .collect();
    let file = archive.file("cycles.json", &Value::Array(statuses).to_string());
    archive.collect_ok("shapes", &[&file]);
    let outputs = assert_every_output_clean(&archive, "shapes");
    let story = archive.story_json("shapes");
    let mut uris: Vec<&str> = nodes(&story)
        .iter()
        .map(|(n, _)| n["uri"].as_str().expect("uri"))
        .collect();
    uris.sort_unstable();
    uris.dedup();
    assert_eq!(uris.len(), parent_of.len());
    assert_eq!(outputs[0].1.matches("<article").count(), parent_of.len());
    let lines = &outputs.iter().find(|(f, _)| f == "jsonl").expect("jsonl").1;
    assert_eq!(lines.lines().count(), parent_of.len());
    let md = &outputs.iter().find(|(f, _)| f == "markdown").expect("md").1;
    for n in 0..parent_of.len() {
        assert_eq!(
            md.matches(&format!("/@u{}/{n}>", n % 5)).count(),
            1,
            "post {n}"
        );
    }
}

/// A reply chain 100,000 posts deep, collected, then rendered as HTML, JSON, Markdown and JSON
/// Lines: no stack overflow, every post once, and memory bounded (measured per render).
#[test]
fn a_hundred_thousand_deep_reply_chain_renders_in_every_format() {
    const DEPTH: usize = 100_000;
    let archive = Archive::new();
    let path = archive.dir.path().join("chain.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    for n in 0..DEPTH {
        let mut note = json!({"type": "Note", "id": format!("https://deep.example/n/{n}"),
            "attributedTo": format!("https://deep.example/users/u{}", n % 7), "to": [PUBLIC],
            "published": format!("2026-08-20T{:02}:{:02}:{:02}Z", (n / 3600) % 24, (n / 60) % 60, n % 60),
            "content": if n == 0 { "<p>#Deep</p>" } else { "<p>on</p>" }});
        if n == 0 {
            note["tag"] = json!([{"type": "Hashtag", "name": "#Deep"}]);
        } else {
            note["inReplyTo"] = json!(format!("https://deep.example/n/{}", n - 1));
        }
        writeln!(out, "{note}").expect("write");
    }
    drop(out);
    let Some((code, peak, stderr)) = collect_measured(&archive, "deep", &path) else {
        return;
    };
    assert_eq!(code, 0, "{stderr}");
    eprintln!("collect {DEPTH} deep: peak {} MiB", peak / MIB);
    assert_eq!(
        archive.count("SELECT count(*) FROM story_posts"),
        DEPTH as i64
    );
    let db = archive.db.to_string_lossy().into_owned();
    for format in ["html", "json", "markdown", "jsonl"] {
        let out = archive.dir.path().join(format!("deep.{format}"));
        let out_arg = out.to_string_lossy().into_owned();
        let args = [
            "render", "--tag", "deep", "--db", &db, "--format", format, "--out", &out_arg,
        ];
        let (code, peak, stderr) = measured(&args).expect("python3 was there a moment ago");
        assert_eq!(code, 0, "{format}: {stderr}");
        eprintln!("render {format}: peak {} MiB", peak / MIB);
        assert!(peak < 1024 * MIB, "{format}: peak {} MiB", peak / MIB);
        let text = std::fs::read_to_string(&out).expect("output");
        let count = match format {
            "html" => text.matches("<article").count(),
            "json" | "jsonl" => text.matches("\"uri\":").count(),
            _ => text.matches("https://deep.example/n/").count(),
        };
        assert!(count >= DEPTH, "{format}: {count} posts");
        if format == "jsonl" {
            let last: Value = serde_json::from_str(text.lines().last().expect("lines"))
                .expect("each line is JSON");
            assert_eq!(last["depth"], DEPTH - 1);
        }
    }
}
