//! Publishing without naming anyone: `render --anonymize`, and authors who opted out of
//! indexing shown under a pseudonym, left out (`--consent strict`) or named (`relaxed`).

use serde_json::Value;

use crate::support::{Archive, fixture, nodes};

const TAG: &str = "DearMentalHealthProfessionals";
const RUTH: &str = "https://care.example/users/ruth";

fn sample() -> Archive {
    let archive = Archive::new();
    let mut sources = crate::support::sample_sources();
    // The hostile post too: its author's markup-laden name must not survive either.
    sources.push(fixture("hostile/status-mallory.json"));
    let refs: Vec<&std::path::Path> = sources.iter().map(|p| p.as_path()).collect();
    archive.collect_ok(TAG, &refs);
    archive
}

/// Everything that names a participant: handles and their local parts, display names and
/// the capitalised words of them, profile URLs and actor URIs.
fn names(archive: &Archive) -> Vec<String> {
    let conn = rusqlite::Connection::open(&archive.db).expect("open");
    let mut stmt = conn
        .prepare("SELECT uri, handle, name, coalesce(url, '') FROM authors")
        .expect("authors");
    let rows: Vec<(String, String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("rows")
        .map(Result::unwrap)
        .collect();
    let mut out = Vec::new();
    for (uri, handle, name, url) in rows {
        out.push(uri);
        out.push(url);
        let local = handle
            .trim_start_matches('@')
            .split('@')
            .next()
            .unwrap_or("")
            .to_string();
        out.push(handle);
        out.push(format!("@{local}"));
        out.push(local);
        out.push(name.trim().to_string());
        for part in name.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-') {
            let capitalised = part.chars().next().is_some_and(|c| !c.is_lowercase());
            if capitalised && part.chars().filter(|c| c.is_alphabetic()).count() >= 3 {
                out.push(part.to_string());
            }
        }
    }
    out.retain(|n| n.chars().count() >= 3);
    out.sort();
    out.dedup();
    out
}

/// Whether `needle` stands in `text` as a whole word, ignoring ASCII case.
fn names_in(text: &str, needle: &str) -> bool {
    let hay = text.to_lowercase();
    let needle = needle.to_lowercase();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(i) = hay[from..].find(&needle) {
        let start = from + i;
        let end = start + needle.len();
        let before = hay[..start].chars().next_back().is_none_or(|c| !word(c));
        let after = hay[end..].chars().next().is_none_or(|c| !word(c));
        if before && after {
            return true;
        }
        from = start + needle.chars().next().map_or(1, char::len_utf8);
    }
    false
}

fn render(archive: &Archive, format: &str, extra: &[&str]) -> String {
    let mut args = vec!["--format", format, "--out", "-"];
    args.extend_from_slice(extra);
    let run = archive.render(TAG, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

#[test]
fn anonymized_outputs_name_nobody_in_any_byte() {
    let archive = sample();
    let names = names(&archive);
    assert!(names.len() > 50, "{names:?}");
    assert!(names.iter().any(|n| n == "Hallam") && names.iter().any(|n| n == "@ruth"));
    for format in ["html", "json", "markdown", "jsonl"] {
        let out = render(&archive, format, &["--anonymize"]);
        let leaks: Vec<&String> = names.iter().filter(|n| names_in(&out, n)).collect();
        assert!(leaks.is_empty(), "{format} names {leaks:?}");
        assert!(out.contains("Participant 1"), "{format}");
    }
    let html = render(&archive, "html", &["--anonymize"]);
    assert!(!html.contains("class=\"avatar\" src="), "no avatars");
    assert!(
        !html.contains("a class=\"original\""),
        "no links to the originals"
    );
    let story: Value = serde_json::from_str(&render(&archive, "json", &["--anonymize"])).unwrap();
    assert_eq!(story["anonymized"], true);
    assert_eq!(story["datasheet"]["counts"]["anonymised"], 14);
    for (node, _) in nodes(&story) {
        assert!(node["uri"].as_str().unwrap().starts_with("anon:post:"));
        assert_eq!(node["url"], Value::Null);
        assert_eq!(node["author"]["handle"], "");
        let parent = &node["in_reply_to"];
        assert!(parent.is_null() || parent.as_str().unwrap().starts_with("anon:post:"));
        for m in node["media"].as_array().unwrap() {
            assert_eq!(m["url"], Value::Null);
        }
    }
    let alts: Vec<&str> = nodes(&story)
        .into_iter()
        .flat_map(|(n, _)| n["media"].as_array().unwrap().iter())
        .filter_map(|m| m["alt"].as_str())
        .collect();
    assert!(
        alts.iter().any(|a| a.contains("whiteboard")),
        "media keep their alt text"
    );
    // Stable: the same pseudonyms and ids in a second render.
    assert_eq!(
        render(&archive, "json", &["--anonymize"]).replace(|c: char| c.is_ascii_digit(), ""),
        render(&archive, "json", &["--anonymize"]).replace(|c: char| c.is_ascii_digit(), "")
    );
    let a = render(&archive, "jsonl", &["--anonymize"]);
    assert_eq!(a, render(&archive, "jsonl", &["--anonymize"]));
}

/// Marks Ruth as having opted out of indexing, as a collected profile with `noindex` would.
fn ruth_opts_out(archive: &Archive) {
    let conn = rusqlite::Connection::open(&archive.db).expect("open");
    conn.execute(
        "INSERT INTO author_consent (author_uri, refuses, noindex, seen_at)
         VALUES (?1, 0, 1, '2026-12-01T00:00:00.000Z')",
        [RUTH],
    )
    .expect("consent row");
}

#[test]
fn an_author_who_opted_out_of_indexing_is_a_pseudonym_left_out_or_named() {
    let archive = sample();
    ruth_opts_out(&archive);
    let ruth_names = [
        "Ruth",
        "Hallam",
        "@ruth",
        "https://care.example/@ruth",
        RUTH,
    ];
    // Default: Ruth is a pseudonym everywhere, everyone else by name.
    for format in ["html", "json", "markdown"] {
        let out = render(&archive, format, &[]);
        for n in ruth_names {
            assert!(!names_in(&out, n), "{format} names {n}");
        }
        assert!(out.contains("Jun"), "{format}: others keep their names");
    }
    let run = archive.render(TAG, &["--format", "json", "--out", "story.json"]);
    assert!(
        run.stderr
            .contains("consent: 1 author shown under a pseudonym"),
        "{}",
        run.stderr
    );
    let story: Value = serde_json::from_str(&render(&archive, "json", &[])).unwrap();
    let jun = nodes(&story)
        .into_iter()
        .find(|(n, _)| n["uri"] == "https://care.example/users/jun/statuses/117126855452429198")
        .expect("jun's reply")
        .0;
    // Jun's reply points at Ruth's post by its pseudonymous id, and mentions her as such.
    assert!(
        jun["in_reply_to"]
            .as_str()
            .unwrap()
            .starts_with("anon:post:")
    );
    assert!(
        jun["text"].as_str().unwrap().starts_with("Participant "),
        "{}",
        jun["text"]
    );
    assert_eq!(story["post_count"], 48);

    // Strict: her posts leave; replies to them stay under a stub.
    let strict: Value =
        serde_json::from_str(&render(&archive, "json", &["--consent", "strict"])).unwrap();
    assert_eq!(strict["datasheet"]["counts"]["left_out_for_consent"], 6);
    assert_eq!(strict["post_count"], 42);
    let stubs: Vec<&Value> = nodes(&strict)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n["left_out"] == "consent")
        .collect();
    assert!(!stubs.is_empty());
    assert!(
        stubs
            .iter()
            .all(|s| s["text"] == "" && s["author"]["name"] == "")
    );
    let md = render(&archive, "markdown", &["--consent", "strict"]);
    assert!(!names_in(&md, "Hallam") && md.contains("asked not to be indexed"));

    // Relaxed: the curator has her permission.
    let relaxed = render(&archive, "html", &["--consent", "relaxed"]);
    assert!(relaxed.contains("Dr Ruth Hallam"));
}

#[test]
fn pages_ask_not_to_be_indexed_unless_told_and_carry_a_datasheet() {
    let archive = sample();
    let html = render(&archive, "html", &[]);
    assert!(html.contains("<meta name=\"robots\" content=\"noindex, noarchive\">"));
    assert!(html.contains("sensitive health information"));
    assert!(html.contains("tagstory forget"));
    let open = render(&archive, "html", &["--indexable"]);
    assert!(!open.contains("name=\"robots\""));
    let md = render(&archive, "markdown", &[]);
    assert!(md.contains("**About this archive:** This story may contain sensitive health"));
    assert!(md.contains("- 48 posts collected") && md.contains("- 1 deleted by its author"));
}

#[test]
fn a_curator_warning_folds_a_post_and_its_replies() {
    let archive = sample();
    let db = archive.db.to_string_lossy().into_owned();
    let run = archive.tagstory(&[
        "note",
        "--tag",
        TAG,
        "--db",
        &db,
        "--on",
        "https://care.example/users/jun/statuses/117126855452429198",
        "--cw",
        "names, misgendering",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let story: Value = serde_json::from_str(&render(&archive, "json", &[])).unwrap();
    let warned: Vec<&Value> = nodes(&story)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n["curator_cw"] == "names, misgendering")
        .collect();
    assert_eq!(warned.len(), 5, "the post and the four replies under it");
    let html = render(&archive, "html", &[]);
    assert_eq!(
        html.matches("(added by the curator)</span></summary>")
            .count(),
        5
    );
    let md = render(&archive, "markdown", &[]);
    assert!(md.contains("**Content warning (added by the curator): names, misgendering**"));
    // An empty warning removes it.
    let run = archive.tagstory(&[
        "note",
        "--tag",
        TAG,
        "--db",
        &db,
        "--on",
        "https://care.example/users/jun/statuses/117126855452429198",
        "--cw",
        "",
    ]);
    assert_eq!(run.code, 0);
    assert!(!render(&archive, "html", &[]).contains("added by the curator"));
}
