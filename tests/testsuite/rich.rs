//! Quotes, polls, custom emoji and edit history, end to end: the quirk fixtures collected by the
//! real binary, then the JSON contract's new fields and the page that shows them.

use serde_json::{Value, json};

use crate::render::assert_contract;
use crate::support::{Archive, fixture, nodes};

const TAG: &str = "RichTest";

/// Every quirk fixture with a poll, emoji, quote or edit, in both formats; the edits in order.
fn rich_archive() -> Archive {
    let archive = Archive::new();
    let first: Vec<_> = [
        "mastodon-api/quirks/polls.json",
        "mastodon-api/quirks/emojis.json",
        "mastodon-api/quirks/quote_states.json",
        "mastodon-api/quirks/edit_v1.json",
        "activitypub/quirks/question_one_of.json",
        "activitypub/quirks/question_any_of_closed.json",
        "activitypub/quirks/emoji_tags.json",
        "activitypub/quirks/quote_keys.json",
        "activitypub/quirks/quote_misskey_only.json",
    ]
    .into_iter()
    .map(fixture)
    .collect();
    let first: Vec<&std::path::Path> = first.iter().map(|p| p.as_path()).collect();
    archive.collect_ok(TAG, &first);
    archive.collect_ok(TAG, &[&fixture("mastodon-api/quirks/edit_v2.json")]);
    archive.collect_ok(TAG, &[&fixture("mastodon-api/quirks/edit_v3.json")]);
    archive
}

/// The JSON node of the post whose URI ends with `suffix`.
fn node<'a>(story: &'a Value, suffix: &str) -> &'a Value {
    let found: Vec<&Value> = nodes(story)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n["uri"].as_str().unwrap().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "one node ending {suffix}");
    found[0]
}

/// The `<article>` of the post whose anchor is `anchor`, up to its closing tag.
fn article<'a>(html: &'a str, anchor: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{anchor}\""))
        .unwrap_or_else(|| panic!("no article {anchor}"));
    let end = start + html[start..].find("</article>").expect("closed");
    &html[start..end]
}

/// The page's anchor of a post URI (FNV-1a, as `src/story.rs` computes it).
fn anchor(uri: &str) -> String {
    tagstory::render::html::anchor_of(uri)
}

#[test]
fn json_carries_quotes_edits_and_polls() {
    let archive = rich_archive();
    let story = archive.story_json(TAG);
    assert_contract(&story);
    assert_eq!(story["post_count"], 16);
    for (n, _) in nodes(&story) {
        for key in ["quote_of", "edited_at", "poll"] {
            assert!(n.get(key).is_some(), "{key} missing in {}", n["uri"]);
        }
    }
    assert_eq!(
        node(&story, "/2001")["poll"],
        json!({"options": [{"title": "Tea", "votes": 7}, {"title": "Coffee <strong>black</strong>", "votes": 3}],
               "multiple": false, "closes_at": "2026-03-02T09:00:00Z", "voters": 10})
    );
    assert_eq!(
        node(&story, "/2002")["poll"],
        json!({"options": [{"title": "Sleep", "votes": null}, {"title": "A walk", "votes": null},
                           {"title": "Talking it over", "votes": null}],
               "multiple": true, "closes_at": null, "voters": null})
    );
    assert_eq!(
        node(&story, "/statuses/300")["poll"],
        json!({"options": [{"title": "Just me", "votes": 1}, {"title": "Me and a carer", "votes": 5}],
               "multiple": false, "closes_at": "2026-03-02T12:00:00Z", "voters": 6})
    );
    assert_eq!(node(&story, "/statuses/301")["poll"]["multiple"], true);
    assert_eq!(node(&story, "/2003")["poll"], Value::Null);

    let quoted = "https://quay.example/users/rowan/statuses/2004";
    assert_eq!(node(&story, "/2005")["quote_of"], quoted);
    assert_eq!(node(&story, "/statuses/303")["quote_of"], quoted);
    for shallow_or_not_accepted in ["/2006", "/2007", "/2008"] {
        assert_eq!(
            node(&story, shallow_or_not_accepted)["quote_of"],
            Value::Null
        );
    }
    assert_eq!(
        node(&story, "/statuses/304")["quote_of"],
        "https://misskey.example/notes/9"
    );

    let edited = node(&story, "/2011");
    assert_eq!(edited["edited_at"], "2026-03-01T11:00:00Z");
    assert_eq!(edited["text"], "Third and final try :blobwave:. #RichTest");
    assert_eq!(node(&story, "/2001")["edited_at"], Value::Null);
}

#[test]
fn page_shows_emoji_polls_quotes_and_earlier_versions() {
    let archive = rich_archive();
    // Emoji show as pictures once archived (`tagstory media`), inside the page.
    crate::support::archive_emoji(&archive);
    let html = archive.story_html(TAG);
    let png = "data:image/png;base64,";

    // Custom emoji in content and in the display name, only those the post lists.
    let kit = article(
        &html,
        &anchor("https://quay.example/users/kit/statuses/2003"),
    );
    assert!(
        kit.contains(&format!(r#"Morning <img class="emoji" src="{png}"#))
            && kit.contains(r#"alt=":blobwave:" title=":blobwave:" width="20" height="20"> and"#),
        "{kit}"
    );
    assert!(
        kit.contains(&format!(r#"<span class="name" dir="auto">Kit <img class="emoji" src="{png}"#))
            && kit.contains(r#"alt=":blobcat:" title=":blobcat:" width="20" height="20"> &lt;b&gt;bold&lt;/b&gt; :evil:</span>"#),
        "{kit}"
    );
    assert!(
        kit.contains(":missing:"),
        "an unlisted shortcode stays text"
    );
    assert!(
        kit.contains(r#"alt=":static:""#),
        "static_url when url is null"
    );
    // The link's href keeps its `:blobwave:`; only its text gets the image.
    assert!(
        kit.contains(r#"href="https://quay.example/:blobwave:""#),
        "{kit}"
    );
    let ap = article(
        &html,
        &anchor("https://birch.example/users/rowan/statuses/302"),
    );
    assert_eq!(ap.matches(r#"alt=":blob:""#).count(), 2, "{ap}");
    assert_eq!(ap.matches(r#"alt=":blob_cat:""#).count(), 1, "{ap}");
    assert!(ap.contains(":hostile: :spaced out:"), "{ap}");

    // Polls: counts and shares as text, a bar, voters and the closing time.
    let tea = article(
        &html,
        &anchor("https://quay.example/users/mika/statuses/2001"),
    );
    assert!(
        tea.contains(">Tea</span>") && tea.contains("70% · 7 votes"),
        "{tea}"
    );
    assert!(
        tea.contains("Coffee &lt;strong&gt;black&lt;/strong&gt;") && tea.contains("30% · 3 votes")
    );
    assert!(tea.contains(r#"<span style="width: 70%"></span>"#), "{tea}");
    assert!(tea.contains("10 people voted"), "{tea}");
    assert!(
        tea.contains(
            r#"Closed <time datetime="2026-03-02T09:00:00Z">2 Mar 2026, 09:00 UTC</time>"#
        ),
        "{tea}"
    );
    let hidden = article(
        &html,
        &anchor("https://quay.example/users/mika/statuses/2002"),
    );
    assert_eq!(hidden.matches("votes not shown").count(), 3, "{hidden}");
    assert!(hidden.contains("Several choices allowed") && !hidden.contains("poll-bar"));
    let question = article(
        &html,
        &anchor("https://birch.example/users/rowan/statuses/300"),
    );
    assert!(question.contains("83% · 5 votes") && question.contains("6 people voted"));

    // Quotes: an anchor when the quoted post is here (from either format), else a safe link.
    let quoted = anchor("https://quay.example/users/rowan/statuses/2004");
    for quoting in [
        "https://quay.example/users/mika/statuses/2005",
        "https://birch.example/users/rowan/statuses/303",
    ] {
        let a = article(&html, &anchor(quoting));
        assert!(
            a.contains(&format!(r##"Quoting <a href="#{quoted}">Rowan</a>"##)),
            "{a}"
        );
        assert!(a.contains("Being believed about side effects changed everything."));
    }
    let far = article(
        &html,
        &anchor("https://quay.example/users/mika/statuses/2009"),
    );
    assert!(far.contains(r#"Quoting <a href="https://far.example/users/wren/statuses/77" rel="nofollow noopener ugc">"#), "{far}");
    let hostile = article(
        &html,
        &anchor("https://quay.example/users/mika/statuses/2010"),
    );
    assert!(
        hostile.contains("Quoting a post that is not in this archive"),
        "{hostile}"
    );
    let shallow = article(
        &html,
        &anchor("https://quay.example/users/mika/statuses/2006"),
    );
    assert!(!shallow.contains("Quoting"), "{shallow}");

    // Edits: marked, with the earlier versions collapsed, oldest first, sanitised.
    let edited = article(
        &html,
        &anchor("https://quay.example/users/mika/statuses/2011"),
    );
    assert!(
        edited.contains(r#"edited <time datetime="2026-03-01T11:00:00Z">"#),
        "{edited}"
    );
    assert!(
        edited.contains("<summary>Earlier versions (2)</summary>"),
        "{edited}"
    );
    let (v1, v2) = (
        edited
            .find("First try at saying this.")
            .expect("first version listed"),
        edited
            .find("Second try, clearer.")
            .expect("second version listed"),
    );
    assert!(v1 < v2, "oldest first");
    assert!(edited.contains(r#"<time datetime="2026-03-01T10:30:00Z">"#));
    assert!(edited.contains("Content warning: <span dir=\"auto\">shift talk</span>"));
    assert!(edited.contains(r#"Third and final try <img class="emoji""#));
    let unedited = article(
        &html,
        &anchor("https://quay.example/users/mika/statuses/2001"),
    );
    assert!(!unedited.contains("Earlier versions") && !unedited.contains("edited"));
}

#[test]
fn hostile_emoji_never_become_markup() {
    let archive = rich_archive();
    let html = archive.story_html(TAG);
    for banned in [
        "javascript:",
        "onerror",
        "alert(",
        r#"alt=":evil:""#,
        r#"alt=":hostile:""#,
        "quo\"te:\"",
        r#"alt=":quo"#,
        "other.example/emoji/second.png",
        "<script",
        "<b>",
    ] {
        assert!(!html.contains(banned), "{banned:?} is on the page");
    }
    // Every emoji image on the page is one we built: class, safe src, checked shortcode.
    for img in html.split("<img ").skip(1) {
        let img = &img[..img.find('>').unwrap()];
        if !img.starts_with("class=\"emoji\"") {
            continue;
        }
        let src = img
            .split("src=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(src.starts_with("https://"), "{img}");
        let alt = img
            .split("alt=\":")
            .nth(1)
            .unwrap()
            .split(":\"")
            .next()
            .unwrap();
        assert!(
            alt.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "{img}"
        );
    }
}
