//! One story from every format at once (`fixtures/mixed/`, see `generate.py` there): a Twitter
//! archive (folder and `.zip`), twarc 2 and twarc 1 JSON Lines, Bluesky and Mastodon. The same
//! tweets arrive through several formats and must each be one post.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::support::{Archive, fixture, nodes, shape};

const TAG: &str = "DearMentalHealthProfessionals";

fn key(uri: &str) -> String {
    let keys = [
        ("https://twitter.com/i/web/status/364000000000000001", "T1"),
        ("https://twitter.com/i/web/status/364000000000000002", "T2"),
        ("https://twitter.com/i/web/status/364000000000000003", "T3"),
        ("https://twitter.com/i/web/status/364000000000000005", "T5"),
        (
            "at://did:plc:mixedriverbanks00000000a/app.bsky.feed.post/3mixb1",
            "B1",
        ),
        (
            "at://did:plc:mixedlaylanour000000000b/app.bsky.feed.post/3mixb2",
            "B2",
        ),
        (
            "https://care.example/users/ruth/statuses/110900000000000001",
            "M1",
        ),
    ];
    keys.iter()
        .find(|(u, _)| *u == uri)
        .map_or_else(|| format!("?{uri}"), |(_, k)| k.to_string())
}

/// The archive folder packed as the `.zip` Twitter hands out.
fn zipped_archive(dir: &Path) -> PathBuf {
    let path = dir.join("twitter-archive.zip");
    let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for name in ["data/manifest.js", "data/tweets.js"] {
        zip.start_file(name, options).unwrap();
        zip.write_all(&std::fs::read(fixture("mixed/archive").join(name)).unwrap())
            .unwrap();
    }
    zip.finish().unwrap();
    path
}

fn assert_mixed_story(archive: &Archive) {
    let story = archive.story_json(TAG);
    let shapes: Vec<String> = story["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| shape(t, &key))
        .collect();
    assert_eq!(shapes, ["T1(T2(T3(T5)))", "B1(B2)", "M1"]);
    assert_eq!(story["post_count"], 7, "every post exactly once");
    assert_eq!(story["participant_count"], 6);
    let all = nodes(&story);
    let t1 = all
        .iter()
        .find(|(n, _)| key(n["uri"].as_str().unwrap()) == "T1")
        .unwrap()
        .0;
    assert_eq!(t1["author"]["handle"], "@ruthhallam");
    assert_eq!(t1["author"]["name"], "Ruth Hallam");
    assert_eq!(t1["boosts"], 1, "the retweet counts, it is not a copy");
    assert_eq!(
        t1["media"][0]["alt"], "A hospital wristband with a hand-written name: Ruth.",
        "the richer twarc copy wins"
    );
    assert_eq!(
        t1["url"],
        "https://twitter.com/ruthhallam/status/364000000000000001"
    );
    let t2 = all
        .iter()
        .find(|(n, _)| key(n["uri"].as_str().unwrap()) == "T2")
        .unwrap()
        .0;
    assert_eq!(
        t2["boosts"], 1,
        "the archive's `RT @jun_t: …` is found by its text"
    );
    assert_eq!(
        archive.count("SELECT count(*) FROM text_boosts"),
        0,
        "nothing left waiting"
    );
    let t5 = all
        .iter()
        .find(|(n, _)| key(n["uri"].as_str().unwrap()) == "T5")
        .unwrap()
        .0;
    assert_eq!(t5["tagged"], false, "an untagged reply is context");
    assert_eq!(
        archive.count("SELECT count(*) FROM authors WHERE handle = '@ruthhallam'"),
        1
    );
}

#[test]
fn a_mixed_collection_is_one_threaded_story_with_every_post_once() {
    let archive = Archive::new();
    let run = archive.collect_ok(
        TAG,
        &[
            &fixture("mixed/archive"),
            &fixture("mixed/twarc2-search.jsonl"),
            &fixture("mixed/twarc1-stream.jsonl"),
            &fixture("mixed/bluesky-search.json"),
            &fixture("mixed/mastodon-status.json"),
        ],
    );
    for format in [
        "(twitter-archive)",
        "(twarc2)",
        "(twitter-v1)",
        "(bluesky)",
        "(mastodon-api)",
    ] {
        assert!(
            run.stderr.contains(format),
            "{format} detected: {}",
            run.stderr
        );
    }
    assert_mixed_story(&archive);
    let html = archive.story_html(TAG);
    assert_eq!(html.matches("<article ").count(), 7);
}

#[test]
fn the_archive_zip_and_reverse_order_give_the_same_story() {
    let archive = Archive::new();
    let zip = zipped_archive(archive.dir.path());
    archive.collect_ok(
        TAG,
        &[
            &fixture("mixed/mastodon-status.json"),
            &fixture("mixed/bluesky-search.json"),
            &fixture("mixed/twarc1-stream.jsonl"),
            &fixture("mixed/twarc2-search.jsonl"),
            &zip,
        ],
    );
    assert_mixed_story(&archive);
    // Again, one source per run: the same rows, nothing new.
    for source in [fixture("mixed/twarc2-search.jsonl"), zip] {
        let run = archive.collect_ok(TAG, &[&source]);
        assert!(run.stderr.contains(": 0 new, 0 updated"), "{}", run.stderr);
    }
    assert_mixed_story(&archive);
}

#[test]
fn a_lone_tweets_js_finds_its_author_in_the_manifest_beside_it() {
    let archive = Archive::new();
    archive.collect_ok(TAG, &[&fixture("mixed/archive/data/tweets.js")]);
    let story = archive.story_json(TAG);
    let handles: Vec<&str> = nodes(&story)
        .iter()
        .map(|(n, _)| n["author"]["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles, ["@ruthhallam", "@ruthhallam"]);
}

/// See: issue 11. A bad entity (offsets outside the text or on other words) is left out while
/// its post is read and stored: a note, not a skipped record, so not exit status 3.
#[test]
fn twarc2_entity_problems_are_notes_and_the_post_is_stored() {
    let archive = Archive::new();
    let run = archive.collect("Fine", &[&fixture("twarc2/bad_entity_offsets.json")]);
    assert_eq!(run.code, 0, "nothing was skipped: {}", run.stderr);
    assert!(
        run.stderr.contains(
            "bad_entity_offsets.json` at /data/0/entities/hashtags/1: entity ignored: its \
             offsets 100..105 do not point at it in the text (54 characters), so its text stays \
             plain; the post is read all the same\n"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.matches("note: `").count(), 6, "{}", run.stderr);
    assert!(!run.stderr.contains("warning:"), "{}", run.stderr);
    assert!(!run.stderr.contains("record skipped"), "{}", run.stderr);
    assert!(
        run.stderr.contains("1 post read: 1 new,") && run.stderr.contains("; 0 errors"),
        "{}",
        run.stderr
    );
    let story = archive.story_json("Fine");
    assert_eq!(story["post_count"], 1);
    let post = &story["threads"][0];
    assert_eq!(
        post["uri"],
        "https://twitter.com/i/web/status/1700000000000000900"
    );
    assert_eq!(
        post["text"],
        "@mina_example short text #Fine https://bad.example/found"
    );
}

/// A skipped record and a bad entity in one page: the first is a warning (exit status 3), the
/// second a note, each named by its pointer.
#[test]
fn twarc2_skipped_records_and_entity_notes_are_told_apart() {
    let archive = Archive::new();
    let page = serde_json::json!({
        "data": [
            {"id": "1700000000000000901", "text": "#Fine and #Gone", "author_id": "2",
             "created_at": "2023-09-08T17:00:00.000Z",
             "entities": {"hashtags": [{"start": 0, "end": 5, "tag": "Fine"},
                                       {"start": 40, "end": 45, "tag": "Gone"}]}},
            {"id": "1700000000000000902", "text": "#Fine without a time", "author_id": "2"}
        ]
    });
    let file = archive.file("page.json", &serde_json::to_string_pretty(&page).unwrap());
    let run = archive.collect("Fine", &[&file]);
    assert_eq!(run.code, 3, "one record was skipped: {}", run.stderr);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:") || l.starts_with("note:"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(
        lines[0].starts_with("warning: `")
            && lines[0].ends_with(
                "page.json` at /data/1: tweet `1700000000000000902` has no `created_at`; \
                 record skipped"
            ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("note: `")
            && lines[1].contains("page.json` at /data/0/entities/hashtags/1: entity ignored: ")
            && lines[1].ends_with("; the post is read all the same"),
        "{}",
        lines[1]
    );
    assert!(
        run.stderr.contains("; 1 error from 1 source"),
        "{}",
        run.stderr
    );
    assert_eq!(archive.story_json("Fine")["post_count"], 1);
}

/// See: issue 11. A page's `errors[]` (a referenced tweet that is gone) leaves no tweet
/// unread: a note saying what could not be included, and exit status 0.
#[test]
fn twarc2_api_errors_are_notes_not_skipped_records() {
    let archive = Archive::new();
    let run = archive.collect("gone", &[&fixture("twarc2/errors_entry.json")]);
    assert_eq!(run.code, 0, "nothing was skipped: {}", run.stderr);
    assert!(
        run.stderr.contains(
            "errors_entry.json` at /errors/0: the API could not include an item (Not Found \
             Error: Could not find tweet with referenced_tweets.id: [1700000000000000999].); the \
             tweets referring to it are read without it"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("record skipped"), "{}", run.stderr);
    assert!(run.stderr.contains("; 0 errors"), "{}", run.stderr);
}

/// Bad entity indices in a v1.1 tweet and bad facet ranges in a Bluesky post are passed over
/// quietly (the text stays plain): no warning, no note, exit status 0, the post stored.
#[test]
fn bad_tweet_indices_and_bluesky_facets_skip_nothing() {
    for (tag, source, uri) in [
        (
            "Kelp",
            "twitter/v1-bad-indices.json",
            "https://twitter.com/i/web/status/",
        ),
        ("dawn", "bluesky/post-bad-facets.json", "at://"),
    ] {
        let archive = Archive::new();
        let run = archive.collect(tag, &[&fixture(source)]);
        assert_eq!(run.code, 0, "{source}: {}", run.stderr);
        assert!(
            !run.stderr.contains("warning:") && !run.stderr.contains("record skipped"),
            "{source}: {}",
            run.stderr
        );
        let story = archive.story_json(tag);
        assert_eq!(story["post_count"], 1, "{source}");
        assert!(
            story["threads"][0]["uri"]
                .as_str()
                .unwrap()
                .starts_with(uri),
            "{source}: {story}"
        );
    }
}

/// Notes are bounded like warnings: the first 200 are shown, then how many more there were.
#[test]
fn many_entity_notes_are_shown_up_to_a_bound() {
    let archive = Archive::new();
    let hashtags: Vec<serde_json::Value> = (0..205)
        .map(|i| serde_json::json!({"start": 100 + i, "end": 105 + i, "tag": "Fine"}))
        .collect();
    let page = serde_json::json!({"data": [{
        "id": "1700000000000000903", "text": "#Fine", "author_id": "2",
        "created_at": "2023-09-08T17:00:00.000Z", "entities": {"hashtags": hashtags}
    }]});
    let file = archive.file("many.json", &serde_json::to_string_pretty(&page).unwrap());
    let run = archive.collect("Fine", &[&file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.ends_with("; the post is read all the same"))
            .count(),
        200
    );
    assert!(
        run.stderr.contains("many.json`: 5 more like these\n"),
        "{}",
        run.stderr
    );
    assert_eq!(archive.story_json("Fine")["post_count"], 1);
}
