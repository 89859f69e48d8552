//! Curating a story as an educator would: title, intro, notes between posts, a post left out,
//! a timeline; then the page, the JSON and the Markdown; then list and search find it again.

use serde_json::Value;

use crate::support::{Archive, fixture, nodes};

const TAG: &str = "DearMentalHealthProfessionals";
const RUTH: &str = "https://care.example/users/ruth/statuses/117126794575873100";
const JUN: &str = "https://care.example/users/jun/statuses/117126855452429198";
const JUN_REPLY: &str = "https://care.example/users/ruth/statuses/117126908149792447";
const KWAME_3: &str = "https://mind.example/users/kwame/statuses/117127142440986221";

fn sample() -> Archive {
    let archive = Archive::new();
    collect_sample(&archive);
    archive
}

fn collect_sample(archive: &Archive) {
    let sources = crate::support::sample_sources();
    let refs: Vec<&std::path::Path> = sources.iter().map(|p| p.as_path()).collect();
    archive.collect_ok(TAG, &refs);
}

fn db(archive: &Archive) -> String {
    archive.db.to_string_lossy().into_owned()
}

fn ok(archive: &Archive, args: &[&str]) -> crate::support::Run {
    let run = archive.tagstory(args);
    assert_eq!(run.code, 0, "{args:?} failed:\n{}", run.stderr);
    run
}

/// The educator's lesson: a title, an intro, two notes, one post left out.
fn curate(archive: &Archive) {
    let db = db(archive);
    let intro = archive.file(
        "intro.md",
        "Read this as a **conversation**, not a survey.\n\n<script>alert(1)</script>[x](javascript:alert(2))\n",
    );
    let intro = intro.to_string_lossy().into_owned();
    ok(
        archive,
        &[
            "story",
            "--tag",
            TAG,
            "--db",
            &db,
            "--title",
            "Listening, 2026",
            "--intro-file",
            &intro,
        ],
    );
    let before = archive.file("before.md", "Notice who **answers** first.\n");
    let after = archive.file("after.md", "Ask the class: what *changed*?\n");
    // A permalink prefix names Ruth's opening post; a URI names Jun's reply.
    ok(
        archive,
        &[
            "note",
            "--tag",
            TAG,
            "--db",
            &db,
            "--before",
            "https://care.example/@ruth/11712679457",
            "--file",
            &before.to_string_lossy(),
        ],
    );
    ok(
        archive,
        &[
            "note",
            "--tag",
            TAG,
            "--db",
            &db,
            "--after",
            JUN,
            "--file",
            &after.to_string_lossy(),
        ],
    );
    ok(archive, &["hide", "--tag", TAG, "--db", &db, JUN_REPLY]);
}

fn find<'a>(story: &'a Value, uri: &str) -> Option<(&'a Value, usize)> {
    nodes(story).into_iter().find(|(n, _)| n["uri"] == uri)
}

#[test]
fn a_curated_lesson_reads_the_same_in_every_output() {
    let archive = sample();
    curate(&archive);
    let story = archive.story_json(TAG);
    assert_eq!(story["title"], "Listening, 2026");
    let intro = story["intro_html"].as_str().expect("intro");
    assert!(intro.contains("<strong>conversation</strong>"), "{intro}");
    // Raw HTML is dropped; Markdown that was inside it stays text, never a link.
    assert!(
        !intro.contains("<script") && !intro.contains("href=\"javascript"),
        "{intro}"
    );
    // The hidden post is a stub with nothing of its author or words; its reply stays under it.
    let (stub, depth) = find(&story, JUN_REPLY).expect("stub kept for its replies");
    assert_eq!(stub["left_out"], "curator");
    assert_eq!(
        (stub["text"].as_str(), stub["author"]["handle"].as_str()),
        (Some(""), Some(""))
    );
    assert_eq!(depth, 2);
    assert_eq!(stub["replies"].as_array().map(Vec::len), Some(1));
    assert_eq!(story["post_count"], 46);
    assert_eq!(story["hidden_count"], 1);
    // Notes: where they stand, and as sanitised HTML.
    let notes = story["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 2);
    assert_eq!(
        (notes[0]["before"].as_str(), notes[0]["after"].as_str()),
        (Some(RUTH), None)
    );
    assert_eq!(
        (notes[1]["after"].as_str(), notes[1]["before"].as_str()),
        (Some(JUN), None)
    );
    assert_eq!(
        notes[1]["html"],
        "<p>Ask the class: what <em>changed</em>?</p>\n"
    );

    // The page: the note stands just before Ruth's post, the other just after Jun's.
    let html = archive.story_html(TAG);
    assert!(html.contains("<h1 id=\"story-title\">Listening, 2026</h1>"));
    assert!(html.contains("<strong>conversation</strong>"));
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle} not on the page"))
    };
    let ruth = at(&format!(
        "id=\"{}\"",
        tagstory::render::html::anchor_of(RUTH)
    ));
    let jun = at(&format!(
        "id=\"{}\"",
        tagstory::render::html::anchor_of(JUN)
    ));
    let before = at("Notice who <strong>answers</strong> first.");
    let after = at("Ask the class: what <em>changed</em>?");
    assert!(
        before < ruth && ruth < jun && jun < after,
        "notes out of place"
    );
    assert!(html.contains("A post left out by the curator"));
    assert!(
        !html.contains("Thank you for telling me this"),
        "hidden text on the page"
    );
    assert!(
        html.contains("That genuinely made my morning"),
        "reply under the stub is kept"
    );

    // Markdown: the same lesson.
    let run = archive.render(TAG, &["--format", "markdown", "--out", "-"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let md = run.stdout;
    assert!(md.starts_with("# Listening, 2026\n"), "{md}");
    assert!(md.contains("Read this as a **conversation**, not a survey."));
    let before = md
        .find("**Curator’s note:** Notice who **answers** first.")
        .expect("note before");
    let ruth = md
        .find("**Dr Ruth Hallam** @ruth@care.example")
        .expect("ruth");
    assert!(before < ruth);
    assert!(md.contains("**Curator’s note:** Ask the class: what *changed*?"));
    assert!(md.contains("A post left out by the curator"));
    assert!(!md.contains("Thank you for telling me this"));
}

#[test]
fn curation_survives_collecting_again() {
    let archive = sample();
    curate(&archive);
    let before = archive.story_json(TAG);
    collect_sample(&archive);
    let after = archive.story_json(TAG);
    for key in ["title", "intro_html", "notes", "hidden_count", "post_count"] {
        assert_eq!(before[key], after[key], "{key} changed on re-collect");
    }
    assert_eq!(
        archive.count("SELECT count(*) FROM notes")
            + archive.count("SELECT count(*) FROM hidden_posts"),
        3
    );
}

#[test]
fn unknown_or_ambiguous_posts_change_nothing() {
    let archive = sample();
    let db = db(&archive);
    let note = archive.file("n.md", "a note");
    let note = note.to_string_lossy().into_owned();
    let census = |a: &Archive| {
        a.count("SELECT (SELECT count(*) FROM notes) * 1000 + (SELECT count(*) FROM hidden_posts)")
    };
    let run = archive.tagstory(&[
        "hide",
        "--tag",
        TAG,
        "--db",
        &db,
        JUN,
        "https://nowhere.example/1",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no post of #dearmentalhealthprofessionals is `https://nowhere.example/1`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was changed"));
    let run = archive.tagstory(&[
        "note",
        "--tag",
        TAG,
        "--db",
        &db,
        "--after",
        "https://care.example/",
        "--file",
        &note,
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("names more than one post"),
        "{}",
        run.stderr
    );
    assert_eq!(census(&archive), 0);
    // A note that does not exist cannot be removed; an empty tag is a usage error.
    let run = archive.tagstory(&["note", "--tag", TAG, "--db", &db, "--remove", "99"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("has no note 99"));
    let run = archive.tagstory(&["hide", "--tag", "", "--db", &db, JUN]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = archive.tagstory(&["render", "--tag", "#", "--db", &db]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn notes_list_remove_and_unhide() {
    let archive = sample();
    curate(&archive);
    let db = db(&archive);
    let run = ok(&archive, &["note", "--tag", TAG, "--db", &db, "--list"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert_eq!(
        lines[0],
        format!("1\tbefore {RUTH}\tNotice who **answers** first.")
    );
    assert!(lines[1].starts_with(&format!("2\tafter {JUN}\t")));
    ok(
        &archive,
        &["note", "--tag", TAG, "--db", &db, "--remove", "1"],
    );
    ok(&archive, &["unhide", "--tag", TAG, "--db", &db, JUN_REPLY]);
    let story = archive.story_json(TAG);
    assert_eq!(story["notes"].as_array().map(Vec::len), Some(1));
    assert_eq!(story["hidden_count"], 0);
    assert_eq!(
        find(&story, JUN_REPLY).expect("back").0["left_out"],
        Value::Null
    );
    let run = ok(
        &archive,
        &[
            "story",
            "--tag",
            TAG,
            "--db",
            &db,
            "--title",
            "",
            "--clear-intro",
        ],
    );
    assert!(
        run.stdout.contains("introduction: (none)"),
        "{}",
        run.stdout
    );
    let story = archive.story_json(TAG);
    assert_eq!(story["title"], format!("#{TAG}"));
    assert_eq!(story["intro_html"], Value::Null);
}

#[test]
fn time_order_is_one_flat_timeline() {
    let archive = sample();
    let run = archive.render(TAG, &["--format", "json", "--out", "-", "--order", "time"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let story: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(story["order"], "time");
    let roots = story["threads"].as_array().expect("threads");
    assert_eq!(roots.len(), 47);
    assert!(
        roots
            .iter()
            .all(|n| n["replies"].as_array().is_some_and(Vec::is_empty))
    );
    let times: Vec<&str> = roots
        .iter()
        .map(|n| n["created_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "not in time order");
    let kwame = roots
        .iter()
        .find(|n| n["uri"] == KWAME_3)
        .expect("kwame 3/3");
    assert_eq!(
        kwame["in_reply_to"],
        "https://mind.example/users/kwame/statuses/117127136673854724"
    );
    let html = archive
        .render(TAG, &["--out", "-", "--order", "time"])
        .stdout;
    assert_eq!(html.matches("<article class=\"post").count(), 47);
    assert!(!html.contains("<ol class=\"replies\""));
}

#[test]
fn list_and_search_find_the_story_again() {
    let archive = sample();
    curate(&archive);
    let db = db(&archive);
    let run = ok(&archive, &["list", "--db", &db]);
    assert!(
        run.stdout.contains("#dearmentalhealthprofessionals  “Listening, 2026”\n    47 posts, 13 participants, 2026-08-20 – 2026-08-21"),
        "{}",
        run.stdout
    );
    let run = ok(&archive, &["search", "--tag", TAG, "--db", &db, "letters"]);
    assert!(run.stdout.contains("[letters]"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("https://care.example/@jun/117126980412405735")
    );
    assert!(run.stderr.contains("match"), "{}", run.stderr);
    // Operators are words unless --fts is given; a phrase in FTS syntax works with it.
    let run = ok(
        &archive,
        &["search", "--tag", TAG, "--db", &db, "--fts", "\"old name\""],
    );
    assert!(
        run.stdout.contains("[old] [name]") || run.stdout.contains("[old name]"),
        "{}",
        run.stdout
    );
    let run = ok(
        &archive,
        &["search", "--tag", TAG, "--db", &db, "OR", "NOT"],
    );
    assert!(run.stdout.is_empty());
    // A tag the archive does not hold: the stories it does hold are named.
    let run = archive.tagstory(&["search", "--tag", "nosuchtag", "--db", &db, "x"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("it holds #dearmentalhealthprofessionals (47 posts)"),
        "{}",
        run.stderr
    );
    let run = archive.render("nosuchtag", &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("#dearmentalhealthprofessionals (47 posts)"),
        "{}",
        run.stderr
    );
}

#[test]
fn markdown_escapes_what_posts_say() {
    let archive = sample();
    // The hostile test post is not in the sample: collect it explicitly.
    let hostile = crate::collect::hostile_sources();
    let refs: Vec<&std::path::Path> = hostile.iter().map(|p| p.as_path()).collect();
    archive.collect_ok(TAG, &refs);
    assert_eq!(archive.story_json(TAG)["post_count"], 48);
    let run = archive.render(TAG, &["--format", "markdown", "--out", "-"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let md = run.stdout;
    let mut html = String::new();
    pulldown_cmark::html::push_html(
        &mut html,
        pulldown_cmark::Parser::new_ext(&md, pulldown_cmark::Options::all()),
    );
    // The hostile post (fixtures/hostile/, M1) and Mallory's name stay text: no script, image,
    // handler or js link.
    assert!(md.contains("Mallory"));
    assert!(md.contains("Testing whether this archive escapes things properly"));
    for bad in [
        "<script",
        "<img",
        "<iframe",
        "javascript:",
        "onerror",
        "<b>Mallory",
    ] {
        assert!(!html.contains(bad), "{bad} in the Markdown's HTML");
    }
    // Every link the Markdown makes is http(s).
    for (i, _) in html.match_indices("href=\"") {
        let rest = &html[i + 6..];
        assert!(
            rest.starts_with("https://") || rest.starts_with("http://"),
            "{}",
            &rest[..40.min(rest.len())]
        );
    }
    // Default file name.
    let run = archive.render(TAG, &["--format", "markdown"]);
    assert_eq!(run.code, 0);
    assert!(archive.dir.path().join(format!("{TAG}.md")).exists());
}

#[test]
fn a_version_4_archive_upgrades_without_loss() {
    let archive = Archive::new();
    std::fs::copy(fixture("archives/v4.db"), &archive.db).expect("copy fixture");
    let before: Vec<i64> = ["posts", "curation", "boosts", "tombstones", "sources"]
        .iter()
        .map(|t| archive.count(&format!("SELECT count(*) FROM {t}")))
        .collect();
    assert_eq!(before, [53, 9, 5, 1, 15]);
    let db = db(&archive);
    ok(
        &archive,
        &[
            "story",
            "--tag",
            "riverday",
            "--db",
            &db,
            "--title",
            "River Day, again",
        ],
    );
    assert_eq!(
        archive.count("PRAGMA user_version"),
        tagstory::store::SCHEMA_VERSION as i64
    );
    let after: Vec<i64> = ["posts", "curation", "boosts", "tombstones", "sources"]
        .iter()
        .map(|t| archive.count(&format!("SELECT count(*) FROM {t}")))
        .collect();
    assert_eq!(before, after);
    // The full-text index was rebuilt, not emptied.
    assert_eq!(
        archive.count("SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'letters'"),
        2
    );
    let story = archive.story_json("riverday");
    assert_eq!(story["title"], "River Day, again");
    assert!(story["curation"].as_array().is_some_and(|c| c.len() >= 5));
    assert_eq!(archive.story_json(TAG)["post_count"], 48);
}
