//! Consent (issue 8): authors who refuse archiving are never stored, opt-outs of indexing are
//! recorded, and `tagstory forget` removes posts and people for good, from the file's bytes
//! and from every later collect. Fixtures: `fixtures/consent/` (see its README).

use std::path::{Path, PathBuf};

use crate::support::{Archive, fixture};

const TAG: &str = "CareConsent";

fn consent(name: &str) -> PathBuf {
    fixture(&format!("consent/{name}"))
}

/// The archive file's bytes, lower-cased, once no collect is open on it: there must be no
/// `-wal` beside it (the last connection checkpoints and removes it).
fn file_bytes(archive: &Archive) -> String {
    let wal = archive.db.with_extension("db-wal");
    assert!(!wal.exists(), "a -wal file remains beside the archive");
    let bytes = std::fs::read(&archive.db).expect("read archive");
    String::from_utf8_lossy(&bytes).to_lowercase()
}

fn rows_holding(archive: &Archive, word: &str) -> i64 {
    archive.count(&format!(
        "SELECT (SELECT count(*) FROM posts WHERE instr(content_html || text || source_json, '{word}'))
              + (SELECT count(*) FROM revisions WHERE instr(text, '{word}'))
              + (SELECT count(*) FROM media WHERE instr(coalesce(alt_text, ''), '{word}'))
              + (SELECT count(*) FROM posts_fts WHERE posts_fts MATCH '{word}')"
    ))
}

fn collect_profiles(archive: &Archive) -> String {
    let sources = [
        consent("mastodon-profiles.json"),
        consent("activitypub-profiles.json"),
        consent("bluesky-labelled-author.json"),
    ];
    let refs: Vec<&Path> = sources.iter().map(PathBuf::as_path).collect();
    archive.collect_ok(TAG, &refs).stderr
}

#[test]
fn posts_of_authors_who_refuse_are_never_stored_and_are_counted() {
    let archive = Archive::new();
    let stderr = collect_profiles(&archive);
    // Mastodon: #NoArchive in a bio (the post and the boosted copy of it), #nobot in a field.
    assert!(
        stderr.contains("3 skipped: author asked not to be archived"),
        "{stderr}"
    );
    // ActivityPub: #NoBot in an actor's summary (the post came before the actor), #NoArchive
    // in a PropertyValue.
    assert!(
        stderr.contains("2 skipped: author asked not to be archived"),
        "{stderr}"
    );
    // Bluesky: the !no-unauthenticated label.
    assert!(
        stderr.contains("1 skipped: author asked not to be archived"),
        "{stderr}"
    );
    assert!(stderr.contains("total for #careconsent"), "{stderr}");
    assert_eq!(archive.count("SELECT sum(skipped_consent) FROM sources"), 6);
    for secret in [
        "quinnsecretwords",
        "quinnalttext",
        "bramsecretwords",
        "ashsecretwords",
        "birchsecretwords",
        "hazelsecretwords",
    ] {
        assert_eq!(rows_holding(&archive, secret), 0, "{secret} is stored");
        assert!(
            !file_bytes(&archive).contains(secret),
            "{secret} in the file"
        );
    }
    for who in ["quinn", "bram", "ash", "birch", "hazel"] {
        assert_eq!(
            archive.count(&format!(
                "SELECT count(*) FROM authors WHERE handle LIKE '%{who}%'"
            )),
            0,
            "{who} has a profile row"
        );
    }
    // The boost of the refused post is not kept either.
    assert_eq!(archive.count("SELECT count(*) FROM boosts"), 0);
    // #NoBotanist is no refusal: Tansy's post is kept.
    assert!(rows_holding(&archive, "tansy") > 0);
}

#[test]
fn replies_to_a_refused_post_keep_their_place() {
    let archive = Archive::new();
    collect_profiles(&archive);
    let parent_of = |uri: &str| {
        let conn = rusqlite::Connection::open(&archive.db).unwrap();
        conn.query_row(
            "SELECT in_reply_to_uri FROM posts WHERE uri = ?1",
            [uri],
            |r| r.get::<_, String>(0),
        )
        .unwrap()
    };
    // An untagged reply, kept as context of the refused tagged post it answers.
    assert_eq!(
        parent_of("https://care.example/users/ruth/statuses/200003"),
        "https://care.example/users/quinn/statuses/200002"
    );
    assert_eq!(
        parent_of("https://fern.example/users/oak/statuses/304"),
        "https://fern.example/users/ash/statuses/301"
    );
    let story = archive.story_json(TAG);
    let text = story.to_string();
    assert!(text.contains("Thank you for saying this."), "{text}");
    assert!(!text.contains("QUINNSECRETWORDS"), "{text}");
}

#[test]
fn what_profiles_say_is_recorded() {
    let archive = Archive::new();
    collect_profiles(&archive);
    let consent = |who: &str| {
        archive.count(&format!(
            "SELECT coalesce((SELECT refuses * 2 + noindex FROM author_consent
             WHERE author_uri LIKE '%/users/{who}' OR author_uri LIKE '%{who}%'), -1)"
        ))
    };
    // refuses * 2 + noindex; -1 when nothing was recorded.
    for who in ["quinn", "bram", "ash", "birch"] {
        assert_eq!(consent(who), 2, "{who}");
    }
    assert_eq!(consent("consentlabelled"), 2);
    for who in ["nell", "elm"] {
        assert_eq!(consent(who), 1, "{who}");
    }
    // Nothing is kept about authors whose profiles say nothing (indexable and discoverable
    // false are not opt-outs).
    for who in ["ruth", "tansy", "oak", "consentplain"] {
        assert_eq!(consent(who), -1, "{who}");
    }
    // Opted out of indexing: kept.
    assert!(rows_holding(&archive, "nell") > 0);
    assert!(rows_holding(&archive, "elm") > 0);
}

#[test]
fn a_refusal_seen_later_erases_what_was_archived() {
    let archive = Archive::new();
    let first = archive.collect_ok(TAG, &[&consent("activitypub-note-before-refusal.json")]);
    assert!(first.stderr.contains("1 new"), "{}", first.stderr);
    assert_eq!(rows_holding(&archive, "ashsecretwords"), 1);
    let second = archive.collect_ok(TAG, &[&consent("activitypub-profiles.json")]);
    assert!(
        second
            .stderr
            .contains("1 archived before erased: author now asks not to be archived"),
        "{}",
        second.stderr
    );
    assert_eq!(rows_holding(&archive, "ashsecretwords"), 0);
    assert_eq!(
        archive.count("SELECT count(*) FROM authors WHERE handle = '@ash@fern.example'"),
        0
    );
}

#[test]
fn a_refusal_recorded_earlier_holds_for_a_source_without_the_profile() {
    let archive = Archive::new();
    archive.collect_ok(TAG, &[&consent("activitypub-profiles.json")]);
    // Ash's Note alone: no actor in this source says anything, the archive remembers the no.
    let later = archive.collect_ok(TAG, &[&consent("activitypub-note-before-refusal.json")]);
    assert!(
        later
            .stderr
            .contains("1 skipped: author asked not to be archived"),
        "{}",
        later.stderr
    );
    assert_eq!(rows_holding(&archive, "ashsecretwords"), 0);
}

fn forget(archive: &Archive, what: &[&str]) -> crate::support::Run {
    let db = archive.db.to_string_lossy().into_owned();
    let mut args = vec!["forget", "--db", &db];
    args.extend_from_slice(what);
    archive.tagstory(&args)
}

#[test]
fn forget_post_leaves_no_byte_of_it_and_it_stays_out() {
    let archive = Archive::new();
    archive.collect_ok(TAG, &[&consent("mastodon-forget.json")]);
    assert!(file_bytes(&archive).contains("solforgetthispost"));
    let run = forget(&archive, &["--post", "https://care.example/@sol/400003"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("forgot 1 post: erased 1 post"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("compacted the archive so the bytes are gone"),
        "{}",
        run.stderr
    );
    assert!(!file_bytes(&archive).contains("solforgetthispost"));
    assert!(!file_bytes(&archive).contains("users/sol/statuses/400003"));
    // The reply stays, under a stub.
    assert_eq!(
        archive.count(
            "SELECT count(*) FROM posts WHERE uri = 'https://care.example/users/ruth/statuses/400004'
             AND in_reply_to_uri LIKE 'forgotten:%'"
        ),
        1
    );
    // Collected again, in both formats: still gone.
    archive.collect_ok(
        TAG,
        &[
            &consent("mastodon-forget.json"),
            &consent("activitypub-forget.json"),
        ],
    );
    assert_eq!(rows_holding(&archive, "solforgetthispost"), 0);
    assert!(!file_bytes(&archive).contains("solforgetthispost"));
    assert!(!file_bytes(&archive).contains("users/sol/statuses/400003"));
}

#[test]
fn forget_author_leaves_no_byte_of_them_even_after_collecting_again_in_another_format() {
    let archive = Archive::new();
    archive.collect_ok(TAG, &[&consent("mastodon-forget.json")]);
    assert!(file_bytes(&archive).contains("wren"));
    let run = forget(&archive, &["--author", "@wren@moor.example"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "forgot @wren@moor.example and all their posts: erased 1 post, 1 attachment, \
             1 author profile; removed them from 1 other post that named them"
        ),
        "{}",
        run.stderr
    );
    // Their handle, name, text and profile, in any case or form.
    for gone in ["wren", "alderly"] {
        assert!(!file_bytes(&archive).contains(gone), "{gone} in the file");
    }
    let forgotten = archive.count("SELECT count(*) FROM forgotten");
    assert!(forgotten >= 5, "{forgotten}");
    // The reply that mentioned them stays, scrubbed.
    let reply: String = rusqlite::Connection::open(&archive.db)
        .unwrap()
        .query_row(
            "SELECT text FROM posts WHERE uri = 'https://care.example/users/ruth/statuses/400002'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        reply,
        "@forgotten thank you, [forgotten], for this #CareConsent"
    );
    // The Mastodon API file and the same conversation as ActivityPub, collected again.
    let again = archive.collect_ok(
        TAG,
        &[
            &consent("activitypub-forget.json"),
            &consent("mastodon-forget.json"),
        ],
    );
    assert!(
        again
            .stderr
            .contains("skipped: author asked not to be archived"),
        "{}",
        again.stderr
    );
    for gone in ["wren", "alderly"] {
        assert!(
            !file_bytes(&archive).contains(gone),
            "{gone} back in the file"
        );
    }
    // The others are still there.
    assert!(rows_holding(&archive, "solforgetthispost") > 0);
}

/// The curator's own words name people too: a note, the introduction, the title and a content
/// warning written about the conversation, and someone's picture description. Forgetting an
/// author scrubs them there as in other people's posts.
#[test]
fn forget_author_scrubs_the_curator_s_words_and_other_people_s_descriptions() {
    let archive = Archive::new();
    archive.collect_ok(TAG, &[&consent("mastodon-forget.json")]);
    let db = archive.db.to_string_lossy().into_owned();
    let ruth = "https://care.example/users/ruth/statuses/400004";
    let note = archive.file(
        "note.md",
        "As @wren@moor.example (Wren Alderly) said: keep going.",
    );
    let intro = archive.file(
        "intro.md",
        "Started by **Wren Alderly**, see https://moor.example/@wren",
    );
    let note = note.to_string_lossy().into_owned();
    let intro = intro.to_string_lossy().into_owned();
    for args in [
        vec![
            "note", "--tag", TAG, "--db", &db, "--after", ruth, "--file", &note,
        ],
        vec![
            "note",
            "--tag",
            TAG,
            "--db",
            &db,
            "--on",
            ruth,
            "--cw",
            "Wren Alderly's stay",
        ],
        vec![
            "story",
            "--tag",
            TAG,
            "--db",
            &db,
            "--title",
            "With Wren Alderly",
            "--intro-file",
            &intro,
        ],
    ] {
        let run = archive.tagstory(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    }
    rusqlite::Connection::open(&archive.db)
        .unwrap()
        .execute(
            "INSERT INTO media (post_id, position, url, kind, alt_text)
             SELECT id, 0, 'https://care.example/card.png', 'image', 'A card from Wren Alderly'
             FROM posts WHERE uri = ?1",
            [ruth],
        )
        .unwrap();

    let run = forget(&archive, &["--author", "@wren@moor.example"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The note (Markdown and HTML), the warning, the title, the introduction (Markdown and
    // HTML) and the description.
    assert!(
        run.stderr.contains(
            "removed them from 1 other post and 7 curator's texts or descriptions that named them"
        ),
        "{}",
        run.stderr
    );
    for gone in ["wren", "alderly"] {
        assert!(!file_bytes(&archive).contains(gone), "{gone} in the file");
    }
    let story = archive.story_json(TAG);
    assert_eq!(story["title"], "With [forgotten]");
    let notes = story["notes"].to_string();
    assert!(
        notes.contains("As @forgotten ([forgotten]) said"),
        "{notes}"
    );
    assert!(
        story["intro_html"]
            .as_str()
            .unwrap()
            .contains("[forgotten]")
    );
}

#[test]
fn forgetting_what_the_archive_does_not_hold_is_an_error_that_changes_nothing() {
    let archive = Archive::new();
    archive.collect_ok(TAG, &[&consent("mastodon-forget.json")]);
    let before = std::fs::read(&archive.db).unwrap();
    for what in [
        ["--author", "@nobody@nowhere.example"],
        ["--post", "https://nowhere.example/1"],
    ] {
        let run = forget(&archive, &what);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    }
    let ambiguous = forget(&archive, &["--post", "https://care.example/users/"]);
    assert_eq!(ambiguous.code, 1);
    assert!(
        ambiguous.stderr.contains("more than one post"),
        "{}",
        ambiguous.stderr
    );
    assert_eq!(archive.count("SELECT count(*) FROM forgotten"), 0);
    assert_eq!(archive.count("SELECT count(*) FROM posts"), 4);
    assert_eq!(std::fs::read(&archive.db).unwrap(), before);
}

#[test]
fn the_render_honours_what_profiles_said() {
    let archive = Archive::new();
    collect_profiles(&archive);
    collect_profiles(&archive);
    let run = archive.render(TAG, &["--format", "json", "--out", "-"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let story: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let counts = &story["datasheet"]["counts"];
    // Counted once per source, however often it was collected.
    assert_eq!(counts["not_stored_for_consent"], 6, "{counts}");
    // Nell (Mastodon `noindex`) and Elm (an actor's `noindex`) are pseudonyms by default.
    assert_eq!(counts["anonymised"], 2, "{counts}");
    let page = archive.render(TAG, &["--out", "-"]).stdout;
    for name in ["Nell", "Elm"] {
        assert!(!page.contains(name), "{name} named on the page");
    }
    assert!(page.contains("Participant "));
    assert!(
        run.stderr
            .contains("consent: 2 authors shown under a pseudonym"),
        "{}",
        run.stderr
    );
    // The curator has their permission: by name.
    let relaxed = archive
        .render(TAG, &["--out", "-", "--consent", "relaxed"])
        .stdout;
    assert!(relaxed.contains("Nell") && relaxed.contains("Elm"));
}

/// A Storify story names people in the curator's own words. Forgetting one scrubs those words
/// in the archive, and collecting the story again brings none of it back.
#[test]
fn forget_author_reaches_a_storify_story_s_notes_now_and_when_collected_again() {
    let archive = Archive::new();
    let mut story: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("storify/story-river-day-page1.json")).unwrap(),
    )
    .unwrap();
    story["content"]["elements"][0]["data"]["text"] =
        "<p>Thanks to Mira Banks for the bags, and to @mira_banks for the photos</p>".into();
    let file = archive.file("river-day.json", &story.to_string());
    let tweets = fixture("storify/twitter-v1-tweets.json");
    archive.collect_ok("riverday", &[&file, &tweets]);
    assert!(file_bytes(&archive).contains("mira banks"));

    let run = forget(&archive, &["--author", "@mira_banks"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("1 curator's text or description"),
        "{}",
        run.stderr
    );
    assert!(
        !file_bytes(&archive).contains("mira"),
        "scrubbed in the archive"
    );

    archive.collect_ok("riverday", &[&file, &tweets]);
    assert!(
        !file_bytes(&archive).contains("mira"),
        "and not brought back"
    );
    let story = archive.story_json("riverday");
    let notes: Vec<&str> = story["curation"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["note_html"].as_str())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("Thanks to [forgotten] for the bags, and to @forgotten")),
        "{notes:?}"
    );
}

/// See: issue 10. A record read before is taken from the archive, and what this run's profiles
/// say still holds for its posts: here Ash's Notes, as JSON Lines (both lines remembered),
/// then the same lines beside the profile that now refuses.
#[test]
fn a_refusal_in_the_run_holds_for_a_post_taken_from_the_archive() {
    let archive = Archive::new();
    let note: serde_json::Value = serde_json::from_slice(
        &std::fs::read(consent("activitypub-note-before-refusal.json")).unwrap(),
    )
    .unwrap();
    let earlier = serde_json::to_string(&note)
        .unwrap()
        .replace("statuses/301", "statuses/300");
    let lines = archive.file(
        "ash.jsonl",
        &format!("{earlier}\n{}\n", serde_json::to_string(&note).unwrap()),
    );
    let first = archive.collect_ok(TAG, &[&lines]);
    assert!(first.stderr.contains("2 new"), "{}", first.stderr);
    let run = archive.collect_ok(TAG, &[&lines, &consent("activitypub-profiles.json")]);
    let ash = run
        .stderr
        .lines()
        .find(|l| l.contains("ash.jsonl"))
        .unwrap_or_else(|| panic!("no line for Ash's Notes:\n{}", run.stderr));
    assert!(
        ash.contains("2 records unchanged since an earlier collect, taken from the archive"),
        "{}",
        run.stderr
    );
    assert!(
        ash.contains("0 unchanged") && ash.contains("2 skipped: author asked not to be archived"),
        "{}",
        run.stderr
    );
    assert_eq!(rows_holding(&archive, "ashsecretwords"), 0);
}
