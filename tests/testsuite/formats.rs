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
