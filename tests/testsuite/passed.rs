//! Records read whole whose posts stayed outside the story (issue 10): a later collect takes
//! their places in the reply graph from the archive (`passed`) instead of reading them again,
//! reads them again in full when one of them joins a story, and keeps nothing of them once
//! their author refuses, they are deleted, or anyone is forgotten.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{Archive, fixture};

const TAG: &str = "DearMentalHealthProfessionals";

/// An untagged status by `who` on care.example with id `id`, replying to local id `parent`.
fn status(who: &str, id: &str, parent: Option<&str>, words: &str) -> Value {
    let base = std::fs::read(fixture("mixed/mastodon-status.json")).unwrap();
    let mut s: Value = serde_json::from_slice(&base).unwrap();
    s["id"] = id.into();
    s["uri"] = format!("https://care.example/users/{who}/statuses/{id}").into();
    s["url"] = format!("https://care.example/@{who}/{id}").into();
    s["in_reply_to_id"] = parent.into();
    s["content"] = format!("<p>{words}</p>").into();
    s["tags"] = serde_json::json!([]);
    s["account"]["id"] = who.into();
    s["account"]["username"] = who.into();
    s["account"]["acct"] = who.into();
    s["account"]["uri"] = format!("https://care.example/users/{who}").into();
    s["account"]["url"] = format!("https://care.example/@{who}").into();
    s
}

fn tagged(mut status: Value) -> Value {
    let words = status["content"].as_str().unwrap().replace("</p>", "");
    status["content"] = format!("{words} #DearMentalHealthProfessionals</p>").into();
    status["tags"] = serde_json::json!([{"name": "dearmentalhealthprofessionals"}]);
    status
}

fn lines(archive: &Archive, name: &str, statuses: &[Value]) -> PathBuf {
    let text: Vec<String> = statuses.iter().map(Value::to_string).collect();
    archive.file(name, &(text.join("\n") + "\n"))
}

/// The line a run printed for the source `name`.
fn line_of(run: &crate::support::Run, name: &str) -> String {
    run.stderr
        .lines()
        .find(|l| l.contains(name) && l.contains("(mastodon-api): "))
        .unwrap_or_else(|| panic!("no line for {name} in:\n{}", run.stderr))
        .to_string()
}

fn known_in(line: &str) -> u64 {
    line.rsplit_once("; ")
        .map(|(_, last)| last)
        .filter(|last| last.contains("unchanged since an earlier collect"))
        .and_then(|last| last.split_whitespace().next())
        .map_or(0, |n| n.parse().unwrap())
}

/// A tagged thread, and an untagged post of Sam's outside it.
fn conversation() -> Vec<Value> {
    vec![
        tagged(status(
            "ruth",
            "120000000000000001",
            None,
            "Where do we start",
        )),
        status(
            "ruth",
            "120000000000000002",
            Some("120000000000000001"),
            "With listening",
        ),
        status("sam", "120000000000000003", None, "Waiting room, again"),
        tagged(status("ida", "120000000000000004", None, "Ten years on")),
    ]
}

const SAMS: &str = "https://care.example/users/sam/statuses/120000000000000003";

#[test]
fn a_post_left_outside_is_read_again_in_full_when_a_reply_brings_it_into_the_story() {
    let archive = Archive::new();
    let first = lines(&archive, "first.jsonl", &conversation());
    let run = archive.collect_ok(TAG, &[&first]);
    assert!(
        line_of(&run, "first.jsonl").contains(" 1 skipped as untagged"),
        "{}",
        run.stderr
    );
    let sams = format!("SELECT count(*) FROM posts WHERE uri = '{SAMS}'");
    assert_eq!(archive.count(&sams), 0);
    assert_eq!(
        archive.count(&format!("SELECT count(*) FROM passed WHERE uri = '{SAMS}'")),
        1
    );

    // A tagged answer to Sam's post, in another file of the next run.
    let answer = tagged(status(
        "ida",
        "120000000000000005",
        Some("120000000000000003"),
        "Same here",
    ));
    let second = lines(&archive, "second.jsonl", &[answer]);
    let run = archive.collect_ok(TAG, &[&first, &second]);
    let line = line_of(&run, "first.jsonl");
    // Sam's line is read again; the other three are taken from the archive.
    assert_eq!(known_in(&line), 3, "{line}");
    assert!(line.contains(": 1 new,"), "{line}");
    assert_eq!(
        archive.count(&format!(
            "SELECT count(*) FROM posts WHERE uri = '{SAMS}' AND text = 'Waiting room, again'"
        )),
        1
    );
    assert_eq!(archive.count("SELECT count(*) FROM passed"), 0);
    let story = archive.story_json(TAG).to_string();
    assert!(story.contains("Waiting room, again"), "{story}");

    // Remembered as archived now: nothing is read again.
    let run = archive.collect_ok(TAG, &[&first, &second]);
    let line = line_of(&run, "first.jsonl");
    assert_eq!(known_in(&line), 4, "{line}");
    assert!(line.contains(": 0 new, 0 updated,"), "{line}");
}

/// A post read before outside the story is counted as it was the first time, and a refusal
/// recorded since counts it as refused: its author is remembered with its place.
#[test]
fn a_passed_post_is_counted_alike_and_its_authors_refusal_drops_it() {
    let archive = Archive::new();
    let mut all = conversation();
    all.push(status("sam", "120000000000000006", None, "Another day"));
    let file = lines(&archive, "first.jsonl", &all);
    archive.collect_ok(TAG, &[&file]);
    let again = line_of(&archive.collect_ok(TAG, &[&file]), "first.jsonl");
    assert_eq!(known_in(&again), 5, "{again}");
    assert!(again.contains(" 2 skipped as untagged"), "{again}");
    assert_eq!(archive.count("SELECT count(*) FROM passed"), 2);

    // Sam's profile, read with the same file, now refuses archiving.
    let mut refusal = status("sam", "120000000000000007", None, "Not for archives");
    refusal["account"]["note"] = "<p>#NoArchive</p>".into();
    let profile = lines(&archive, "profile.jsonl", &[refusal]);
    let run = archive.collect_ok(TAG, &[&file, &profile]);
    let line = line_of(&run, "first.jsonl");
    assert!(line.contains(" 0 skipped as untagged"), "{line}");
    assert!(line.contains(", 2 skipped: author asked not"), "{line}");
    assert_eq!(archive.count("SELECT count(*) FROM passed"), 0);
}

#[test]
fn a_deleted_or_forgotten_post_leaves_nothing_passed() {
    let archive = Archive::new();
    let file = lines(&archive, "first.jsonl", &conversation());
    archive.collect_ok(TAG, &[&file]);
    assert_eq!(archive.count("SELECT count(*) FROM passed"), 1);

    // Mastodon's `DELETE /api/v1/statuses/:id` answers with the status and its source text.
    let mut deleted = status("sam", "120000000000000003", None, "");
    deleted.as_object_mut().unwrap().remove("content");
    deleted["text"] = "Waiting room, again".into();
    let deletion = archive.file("deleted.json", &deleted.to_string());
    archive.collect_ok(TAG, &[&deletion]);
    assert_eq!(archive.count("SELECT count(*) FROM passed"), 0);

    // Read again (and passed again), then anyone forgotten drops every passed post.
    let other = Archive::new();
    let file = lines(&other, "first.jsonl", &conversation());
    other.collect_ok(TAG, &[&file]);
    assert_eq!(other.count("SELECT count(*) FROM passed"), 1);
    let db = other.db.to_string_lossy().into_owned();
    let ida = "https://care.example/users/ida/statuses/120000000000000004";
    let run = other.tagstory(&["forget", "--db", &db, "--post", ida]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(other.count("SELECT count(*) FROM passed"), 0);
    // And the next collect reads it whole again, to the same story.
    let line = line_of(&other.collect_ok(TAG, &[&file]), "first.jsonl");
    assert!(line.contains(" 1 skipped as untagged"), "{line}");
    assert_eq!(other.count("SELECT count(*) FROM passed"), 1);
}

/// Someone the archive knows only from posts a collect passed over (their author URI and
/// their posts' URIs) can be forgotten by that URI, as can one such post: nothing of them
/// stays, and a later reply that would bring their post into the story does not.
#[test]
fn a_person_known_only_from_passed_posts_can_be_forgotten() {
    let sam = "https://care.example/users/sam";
    let sams_post = "https://care.example/users/sam/statuses/120000000000000003";
    for (how, name) in [("--author", sam), ("--post", sams_post)] {
        let archive = Archive::new();
        let file = lines(&archive, "first.jsonl", &conversation());
        archive.collect_ok(TAG, &[&file]);
        assert_eq!(archive.count("SELECT count(*) FROM passed"), 1);
        assert_eq!(
            archive.count("SELECT count(*) FROM authors WHERE uri LIKE '%/sam'"),
            0
        );
        let db = archive.db.to_string_lossy().into_owned();
        let run = archive.tagstory(&["forget", "--db", &db, how, name]);
        assert_eq!(run.code, 0, "{how}: {}", run.stderr);
        assert!(run.stderr.contains("forgot "), "{}", run.stderr);
        assert_eq!(archive.count("SELECT count(*) FROM passed"), 0);

        let mut reply = tagged(status(
            "ida",
            "120000000000000005",
            Some("120000000000000003"),
            "Same here",
        ));
        reply["in_reply_to_account_id"] = "sam".into();
        let more = lines(&archive, "more.jsonl", &[conversation()[2].clone(), reply]);
        archive.collect_ok(TAG, &[&more]);
        assert_eq!(
            archive.count("SELECT count(*) FROM posts WHERE uri LIKE '%/sam/%'"),
            0,
            "{how}"
        );
        assert_eq!(
            archive.count("SELECT count(*) FROM posts WHERE uri LIKE '%/ida/%'"),
            2,
            "{how}"
        );
    }
}
