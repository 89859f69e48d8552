//! Rendering: the JSON contract's shape, the page's structure, outputs and their errors.

use serde_json::{Value, json};

use crate::support::{Archive, nodes};

/// Asserts that `story` has every field of the JSON contract, with the contract's types.
pub fn assert_contract(story: &Value) {
    let top = story.as_object().expect("object");
    for key in ["tag", "title"] {
        assert!(top[key].is_string(), "{key}");
    }
    for key in ["post_count", "participant_count"] {
        assert!(top[key].is_u64(), "{key}");
    }
    let all = nodes(story);
    assert_eq!(all.len() as u64, story["post_count"].as_u64().unwrap());
    for (node, _) in all {
        let is_str_or_null = |v: &Value| v.is_string() || v.is_null();
        assert!(node["uri"].is_string());
        assert!(is_str_or_null(&node["url"]));
        assert!(node["author"]["handle"].is_string() && node["author"]["name"].is_string());
        let created = node["created_at"].as_str().expect("created_at");
        assert!(created.ends_with('Z'), "UTC: {created}");
        chrono::DateTime::parse_from_rfc3339(created).expect("RFC 3339");
        assert!(node["text"].is_string());
        assert!(node["tagged"].is_boolean() && node["sensitive"].is_boolean());
        assert!(is_str_or_null(&node["in_reply_to"]) && is_str_or_null(&node["spoiler_text"]));
        for m in node["media"].as_array().expect("media") {
            assert!(is_str_or_null(&m["url"]) && is_str_or_null(&m["alt"]));
        }
        assert!(node["boosts"].is_u64());
        assert!(node["replies"].is_array());
    }
}

fn small_story(archive: &Archive) {
    let note = json!({
        "type": "Create", "id": "https://s.example/a/1", "actor": "https://s.example/users/kim",
        "object": {"type": "Note", "id": "https://s.example/notes/1", "attributedTo": "https://s.example/users/kim",
                   "published": "2026-08-20T10:00:00+02:00", "content": "<p>hello #Small</p>",
                   "tag": {"type": "Hashtag", "name": "#Small"}, "to": "as:Public"}
    });
    let file = archive.file("small.json", &note.to_string());
    archive.collect_ok("small", &[&file]);
}

#[test]
fn json_contract_on_a_small_story() {
    let archive = Archive::new();
    small_story(&archive);
    let mut story = archive.story_json("Small");
    assert_contract(&story);
    let datasheet = story
        .as_object_mut()
        .and_then(|s| s.remove("datasheet"))
        .expect("datasheet");
    assert_eq!(datasheet["sources"][0]["name"], "small.json");
    assert_eq!(datasheet["sources"][0]["format"], "activitypub");
    assert_eq!(
        datasheet["counts"],
        json!({"collected": 1, "hidden": 0, "deleted": 0, "anonymised": 0,
               "left_out_for_consent": 0, "not_stored_for_consent": 0})
    );
    assert!(
        datasheet["statement"]
            .as_str()
            .is_some_and(|s| s.contains("tagstory forget"))
    );
    assert_eq!(
        story,
        json!({"tag": "small", "title": "#Small", "post_count": 1, "participant_count": 1,
               "intro_html": null, "curation": null, "notes": [], "order": "threads",
               "hidden_count": 0, "anonymized": false, "threads": [{
            "uri": "https://s.example/notes/1", "url": null,
            "author": {"handle": "@kim@s.example", "name": ""},
            "created_at": "2026-08-20T08:00:00Z", "text": "hello #Small", "tagged": true,
            "in_reply_to": null, "sensitive": false, "spoiler_text": null, "media": [], "boosts": 0,
            "quote_of": null, "edited_at": null, "poll": null, "left_out": null,
            "replies_total": null, "curator_cw": null, "replies": []}]})
    );
}

#[test]
fn default_output_file_and_title() {
    let archive = Archive::new();
    small_story(&archive);
    let run = archive.render("#Small", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page =
        std::fs::read_to_string(archive.dir.path().join("Small.html")).expect("Small.html written");
    assert!(page.contains("<title>#Small</title>"));
    let run = archive.render(
        "small",
        &["--format", "json", "--title", "Notes <from> a day"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(archive.dir.path().join("small.json"))
            .expect("small.json written"),
    )
    .unwrap();
    assert_eq!(json["title"], "Notes <from> a day");
    let run = archive.render(
        "small",
        &["--title", "Notes <from> a day", "--out", "t.html"],
    );
    assert_eq!(run.code, 0);
    let page = std::fs::read_to_string(archive.dir.path().join("t.html")).unwrap();
    assert!(page.contains("<h1 id=\"story-title\">Notes &lt;from&gt; a day</h1>"));
}

#[test]
fn rendering_what_is_not_there_is_a_clear_error() {
    let archive = Archive::new();
    let run = archive.render("small", &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no archive at `"), "{}", run.stderr);
    assert!(!archive.db.exists(), "rendering must not create an archive");
    small_story(&archive);
    let run = archive.render("other", &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("holds no story for #other"),
        "{}",
        run.stderr
    );
}

#[test]
fn page_is_self_contained_and_semantic() {
    let archive = Archive::new();
    small_story(&archive);
    let html = archive.story_html("small");
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(!html.contains("<script"));
    assert!(!html.contains("<link"), "no external stylesheet or font");
    assert!(
        !html.contains("@import") && !html.contains("url("),
        "CSS loads nothing"
    );
    assert_eq!(html.matches("<article ").count(), 1);
    assert!(html.contains("<time datetime=\"2026-08-20T08:00:00Z\">20 Aug 2026, 08:00 UTC</time>"));
    assert!(html.contains("<h1 id=\"story-title\">#small</h1>"));
    assert!(html.contains("<h2 id="));
}

#[test]
fn fixtures_render_with_every_field_of_the_contract() {
    let archive = Archive::new();
    let sources = crate::collect::all_fixture_sources();
    let refs: Vec<&std::path::Path> = sources.iter().map(|p| p.as_path()).collect();
    archive.collect_ok("DearMentalHealthProfessionals", &refs);
    assert_contract(&archive.story_json("DearMentalHealthProfessionals"));
}

#[test]
fn json_urls_are_http_or_null() {
    let archive = Archive::new();
    let note = json!({
        "type": "Create", "id": "https://s.example/a/9", "actor": "https://s.example/users/kim",
        "object": {"type": "Note", "id": "https://s.example/notes/9", "attributedTo": "https://s.example/users/kim",
                   "url": "javascript:alert(1)",
                   "published": "2026-08-20T10:00:00Z", "content": "<p>links #Small</p>",
                   "attachment": [
                       {"type": "Document", "mediaType": "image/png", "url": "data:image/png;base64,AAAA", "name": "a data URL"},
                       {"type": "Document", "mediaType": "image/png", "url": "vbscript:x", "name": "vb"},
                       {"type": "Document", "mediaType": "image/png", "url": "https://s.example/m/1.png", "name": "fine"}
                   ],
                   "tag": {"type": "Hashtag", "name": "#Small"}, "to": "as:Public"}
    });
    let file = archive.file("urls.json", &note.to_string());
    archive.collect_ok("small", &[&file]);
    let story = archive.story_json("small");
    let node = &story["threads"][0];
    assert_eq!(node["url"], Value::Null);
    let urls: Vec<&Value> = node["media"]
        .as_array()
        .expect("media")
        .iter()
        .map(|m| &m["url"])
        .collect();
    assert_eq!(
        urls,
        [
            &Value::Null,
            &Value::Null,
            &json!("https://s.example/m/1.png")
        ]
    );
    // The alt text stays even where the URL goes.
    assert_eq!(node["media"][0]["alt"], "a data URL");
}
