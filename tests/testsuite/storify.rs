//! Storify stories brought back, end to end: the invented story in `fixtures/storify/` with a
//! Twitter v1.1 file holding one of its tweets, and the real stories of `../shared/corpus`.

use std::collections::HashSet;
use std::path::Path;

use serde_json::{Value, json};

use crate::render::assert_contract;
use crate::support::{Archive, corpus, fixture, nodes};

const TAG: &str = "RiverDay";
const STORY: &str = "storify/story-river-day-page1.json";
const TWEETS: &str = "storify/twitter-v1-tweets.json";

fn status(id: &str) -> String {
    format!("https://twitter.com/i/web/status/{id}")
}

fn anchor(uri: &str) -> String {
    tagstory::render::html::anchor_of(uri)
}

fn both_archive() -> Archive {
    let archive = Archive::new();
    archive.collect_ok(TAG, &[&fixture(STORY), &fixture(TWEETS)]);
    archive
}

/// Each post URI of the JSON's threads, once per appearance.
fn thread_uris(story: &Value) -> Vec<String> {
    nodes(story)
        .into_iter()
        .map(|(n, _)| n["uri"].as_str().expect("uri").to_owned())
        .collect()
}

#[test]
fn a_tweet_from_storify_and_from_twitter_is_one_row_with_the_full_text() {
    // One run, and both orders over two runs.
    let one_run = both_archive();
    let story_first = Archive::new();
    story_first.collect_ok(TAG, &[&fixture(STORY)]);
    story_first.collect_ok(TAG, &[&fixture(TWEETS)]);
    let tweets_first = Archive::new();
    tweets_first.collect_ok(TAG, &[&fixture(TWEETS)]);
    tweets_first.collect_ok(TAG, &[&fixture(STORY)]);
    for archive in [&one_run, &story_first, &tweets_first] {
        let rows = archive.count(
            "SELECT count(*) FROM posts WHERE uri = 'https://twitter.com/i/web/status/7000000000000000001'",
        );
        assert_eq!(rows, 1);
        assert_eq!(archive.count("SELECT count(*) FROM posts"), 5);
        let story = archive.story_json(TAG);
        let mira = nodes(&story)
            .into_iter()
            .map(|(n, _)| n)
            .find(|n| n["uri"] == status("7000000000000000001"))
            .expect("Mira's tweet");
        assert_eq!(
            mira["text"],
            "Forty bags of litter before lunch! Thank you all #RiverDay"
        );
        assert_eq!(
            mira["author"],
            json!({"handle": "@mira_banks", "name": "Mira Banks"})
        );
        assert_eq!(
            mira["media"],
            json!([{"url": "https://pbs.twimg.example/media/bags.jpg",
                    "alt": "Forty full litter bags in a row on the grass",
                    "kind": "image", "preview_url": null}])
        );
        assert_eq!(mira["replies"][0]["uri"], status("7000000000000000010"));
        // And the curation still names it once.
        let curated: Vec<&Value> = story["curation"]
            .as_array()
            .expect("curation")
            .iter()
            .filter(|e| e["post"] == status("7000000000000000001"))
            .collect();
        assert_eq!(curated.len(), 1);
    }
}

#[test]
fn json_has_the_intro_and_the_curation_in_order_and_every_post_once() {
    let archive = both_archive();
    let story = archive.story_json(TAG);
    assert_contract(&story);
    assert_eq!(story["title"], "River Day: clearing the Millbrook");
    assert_eq!(
        story["intro_html"],
        "How forty neighbours &amp; a heron spent a Saturday on the <b>Millbrook</b>."
    );
    let curation = story["curation"].as_array().expect("curation");
    let shape: Vec<String> = curation
        .iter()
        .map(|e| match (e.get("post"), e.get("note_html")) {
            (Some(Value::String(uri)), None) => uri.clone(),
            (None, Some(Value::String(html))) => format!("note:{}", &html[..html.len().min(30)]),
            _ => panic!("an entry is a post or a note: {e}"),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "note:<p><strong>Morning</strong></p".to_owned(),
            status("7000000000000000001"),
            "note:By noon the south bank was cle".to_owned(),
            status("7000000000000000005"),
            status("7000000000000000007"),
            "note:<blockquote><p><a href=\"https:".to_owned(),
            "note:<blockquote><p><a href=\"http:/".to_owned(),
            "note:<blockquote><p><a href=\"http:/".to_owned(),
            "note:<p>Same time next year?</p>".to_owned(),
        ]
    );
    let uris = thread_uris(&story);
    assert_eq!(uris.len(), 5);
    assert_eq!(uris.iter().collect::<HashSet<_>>().len(), 5, "{uris:?}");
    for entry in curation {
        if let Some(uri) = entry["post"].as_str() {
            assert!(uris.iter().any(|u| u == uri), "{uri} is not in threads");
        }
    }
    // Every post of a Storify story is in the story, tagged or not: Tomás's tweet has no tag.
    let tomas = nodes(&story)
        .into_iter()
        .map(|(n, _)| n)
        .find(|n| n["uri"] == status("7000000000000000005"))
        .expect("Tomás's tweet");
    assert_eq!(tomas["text"], "Found a shopping trolley, a bike wheel and");
    assert_eq!(tomas["tagged"], true);
}

#[test]
fn the_page_follows_the_curator_then_shows_the_rest() {
    let archive = both_archive();
    let html = archive.story_html(TAG);
    assert!(html.contains("<title>River Day: clearing the Millbrook</title>"));
    assert!(html.contains("<h1 id=\"story-title\">River Day: clearing the Millbrook</h1>"));
    assert!(html.contains(
        "<div class=\"intro\" dir=\"auto\">How forty neighbours &amp; a heron spent a Saturday on the <b>Millbrook</b>.</div>"
    ));
    assert!(html.contains("Curated by Nell Ward on <a href=\"http://storify.com/nell_ward/river-day-clearing-the-millbrook\""));
    assert!(html.contains("published <time datetime=\"2012-06-03T08:30:00Z\">3 Jun 2012</time>"));
    assert_eq!(
        html.matches("<aside class=\"note storify content\"")
            .count(),
        6
    );
    assert!(!html.contains("<script") && !html.contains("javascript:"));
    // The truncated tweet says it stops short.
    assert!(html.contains("Found a shopping trolley, a bike wheel and…"));
    // Curated order, then "Also in this archive" with the post nobody curated.
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle} not on the page"))
    };
    let order = [
        at("Morning"),
        at(&format!(
            "id=\"{}\"",
            anchor(&status("7000000000000000001"))
        )),
        at(&format!(
            "id=\"{}\"",
            anchor(&status("7000000000000000010"))
        )),
        at("By noon the south bank"),
        at(&format!(
            "id=\"{}\"",
            anchor(&status("7000000000000000005"))
        )),
        at(&format!(
            "id=\"{}\"",
            anchor(&status("7000000000000000007"))
        )),
        at("Volunteers clear a mile"),
        at("Grey heron at the weir"),
        at("River Day in two minutes"),
        at("Same time next year?"),
        at("<h2 id=\"also-h\">Also in this archive</h2>"),
        at(&format!(
            "id=\"{}\"",
            anchor(&status("7000000000000000020"))
        )),
    ];
    assert!(order.is_sorted(), "{order:?}");
    assert_eq!(html.matches("<article ").count(), 5);
    // The reply is nested under the curated tweet it answers.
    let reply_list = at("<ol class=\"replies\" aria-label=\"Replies to Mira Banks\">");
    assert!(order[1] < reply_list && reply_list < order[2]);
}

#[test]
fn collecting_the_story_again_changes_nothing() {
    let archive = both_archive();
    let before = archive.story_json(TAG);
    archive.collect_ok(TAG, &[&fixture(STORY)]);
    let after = archive.story_json(TAG);
    assert_eq!(before["curation"], after["curation"]);
    assert_eq!(thread_uris(&before), thread_uris(&after));
    assert_eq!(archive.count("SELECT count(*) FROM curation"), 9);
    assert_eq!(archive.count("SELECT count(*) FROM curated_stories"), 1);
}

#[test]
fn a_title_given_on_the_command_line_still_wins() {
    let archive = both_archive();
    let run = archive.render(
        TAG,
        &["--title", "Our river", "--format", "json", "--out", "-"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let story: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(story["title"], "Our river");
}

#[test]
fn a_tag_without_curated_stories_has_null_curation() {
    let archive = Archive::new();
    archive.collect_ok(TAG, &[&fixture(TWEETS)]);
    let story = archive.story_json(TAG);
    assert_eq!(story["curation"], Value::Null);
    assert_eq!(story["intro_html"], Value::Null);
    assert_eq!(story["title"], "#RiverDay");
    let html = archive.story_html(TAG);
    assert!(!html.contains("Also in this archive") && !html.contains("class=\"note"));
}

#[test]
fn format_storify_refuses_what_is_not_a_story() {
    let archive = Archive::new();
    let run = archive.tagstory(&[
        "collect",
        "--tag",
        TAG,
        "--db",
        &archive.db.to_string_lossy(),
        "--format",
        "storify",
        &fixture(TWEETS).to_string_lossy(),
    ]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("expected a Storify story"),
        "{}",
        run.stderr
    );
}

#[test]
fn corpus_stories_come_back_in_their_curators_order() {
    let Some(dir) = corpus("storify") else {
        return;
    };
    let austin = dir.join("v1-story-austin-startup-digest-page1.json");
    let test = dir.join("v1-story-test-story-page1.json");
    let archive = Archive::new();
    let run = archive.collect_ok("storytest", &[Path::new(&austin), Path::new(&test)]);
    assert!(run.stderr.contains("(storify)"), "{}", run.stderr);
    let story = archive.story_json("storytest");
    assert_contract(&story);
    // The older story names the page.
    assert_eq!(story["title"], "Austin Startup Digest for December 9, 2014");
    assert_eq!(story["post_count"], 16);
    let curation = story["curation"].as_array().expect("curation");
    // 20 entries of the digest (5 notes, 15 tweets), then 3 of the test story (1 tweet, 2 cards).
    assert_eq!(curation.len(), 23);
    let posts = curation.iter().filter(|e| e.get("post").is_some()).count();
    assert_eq!(posts, 16);
    assert_eq!(curation[2]["post"], status("407924506380861441"));
    assert_eq!(curation[20]["post"], status("409875377482264577"));
    let html = archive.story_html("storytest");
    assert_eq!(html.matches("<article ").count(), 16);
    assert!(
        html.contains("<h2 id=\"s-"),
        "the second story has its own heading"
    );
    assert!(html.contains("Text not available in this archive"));
    assert!(!html.contains("Also in this archive"));
}

/// A story saved page by page: each page is its own file, and the pages may come in any order,
/// in one run or several.
#[test]
fn pages_collected_in_any_order_keep_the_curators_order() {
    let whole: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("storify/story-river-day-page1.json")).unwrap(),
    )
    .unwrap();
    let elements = whole["content"]["elements"].as_array().unwrap().clone();
    let per_page = elements.len().div_ceil(2);
    let page = |n: usize| {
        let mut doc = whole.clone();
        let content = doc["content"].as_object_mut().unwrap();
        content.insert("page".into(), json!(n));
        content.insert("per_page".into(), json!(per_page));
        let chunk: Vec<Value> = elements
            .iter()
            .skip((n - 1) * per_page)
            .take(per_page)
            .cloned()
            .collect();
        content.insert("elements".into(), Value::Array(chunk));
        doc.to_string()
    };
    let in_one = Archive::new();
    in_one.collect_ok(TAG, &[&fixture("storify/story-river-day-page1.json")]);
    let expected = in_one.story_json(TAG)["curation"].clone();
    assert_eq!(expected.as_array().unwrap().len(), 9);

    let paged = Archive::new();
    let (p1, p2) = (
        paged.file("page1.json", &page(1)),
        paged.file("page2.json", &page(2)),
    );
    paged.collect_ok(TAG, &[&p2]);
    paged.collect_ok(TAG, &[&p1]);
    assert_eq!(paged.story_json(TAG)["curation"], expected);
    // Collecting a page again replaces only that page's entries.
    paged.collect_ok(TAG, &[&p2]);
    assert_eq!(paged.story_json(TAG)["curation"], expected);
}
