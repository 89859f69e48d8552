//! Storify tests. Every expectation is written by hand from the input it names: the two real
//! stories in `../shared/corpus/storify/` (read in place), the invented story in
//! `fixtures/storify/`, and small inline documents.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::*;
use crate::sources::{Format, Parsed, detect};

/// A real story from the shared corpus, or `None` when the corpus is not beside the project.
fn corpus(name: &str) -> Option<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.is_dir() {
        println!("skipped: ../shared/corpus not present");
        return None;
    }
    let path = dir.join("storify").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}")))
}

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/storify")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

fn parse(doc: &Value) -> Parsed {
    let mut parsed = Parsed::default();
    Storify::parse(doc, &mut parsed).expect("a Storify story");
    parsed
}

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test timestamp")
        .with_timezone(&Utc)
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

/// What each item is, in order: `story`, `post`, `entry` (a curated post) or `note`.
fn kinds(parsed: &Parsed) -> Vec<&'static str> {
    parsed
        .items
        .iter()
        .map(|item| match item {
            Item::Story(_) => "story",
            Item::Post(_) => "post",
            Item::Curated(Curated::Post { .. }) => "entry",
            Item::Curated(Curated::Note { .. }) => "note",
            _ => "other",
        })
        .collect()
}

fn story(parsed: &Parsed) -> &StoryInfo {
    match parsed.items.first() {
        Some(Item::Story(info)) => info,
        other => panic!("expected the story first, got {other:?}"),
    }
}

fn posts(parsed: &Parsed) -> Vec<&Post> {
    parsed
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Post(post) => Some(&**post),
            _ => None,
        })
        .collect()
}

fn notes(parsed: &Parsed) -> Vec<&str> {
    parsed
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Curated(Curated::Note { html }) => Some(html.as_str()),
            _ => None,
        })
        .collect()
}

/// Each post is followed by its entry, and nothing else names a post.
fn assert_posts_then_entries(parsed: &Parsed) {
    for (i, item) in parsed.items.iter().enumerate() {
        if let Item::Post(post) = item {
            assert_eq!(
                parsed.items.get(i + 1),
                Some(&Item::Curated(Curated::Post {
                    uri: post.uri.clone()
                })),
                "post {} is not followed by its entry",
                post.uri
            );
        }
    }
}

#[test]
fn sniffs_the_envelope_and_a_bare_story_only() {
    let bare =
        json!({"sid": "1", "title": "t", "permalink": "https://storify.com/a/b", "elements": []});
    assert!(Storify::sniff(&json!({"content": bare, "code": 200})));
    assert!(Storify::sniff(&bare));
    assert_eq!(detect(&bare), Some(Format::Storify));
    assert_eq!(Format::Storify.name(), "storify");
    // Not a story: no `elements`, no `sid`, an error response, a Mastodon status.
    assert!(!Storify::sniff(&json!({"content": {"sid": "1"}})));
    assert!(!Storify::sniff(&json!({"content": {"elements": []}})));
    assert!(!Storify::sniff(
        &json!({"error": {"message": "Story not found"}, "code": 404})
    ));
    assert!(!Storify::sniff(
        &json!({"id": "1", "uri": "https://m.example/s/1", "content": "<p>x</p>"})
    ));
    assert!(!Storify::sniff(&json!([])));
}

#[test]
fn an_error_response_is_a_format_error_that_says_so() {
    let mut parsed = Parsed::default();
    let doc = json!({"error": {"message": "Story not found"}, "code": 404});
    let err = Storify::parse(&doc, &mut parsed).expect_err("not a story");
    assert_eq!(err.pointer, "/error");
    assert_eq!(
        err.message,
        "this is a Storify error response, not a story: Story not found"
    );
    let err = Storify::parse(&json!([1]), &mut parsed).expect_err("not a story");
    assert!(err.message.ends_with("found an array"), "{}", err.message);
    assert!(parsed.items.is_empty());
}

#[test]
fn corpus_test_story_broken_capture_youtube_and_flickr() {
    let Some(doc) = corpus("v1-story-test-story-page1.json") else {
        return;
    };
    assert_eq!(detect(&doc), Some(Format::Storify));
    let parsed = parse(&doc);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    // Three elements: a tweet (`link`), a YouTube `video`, a Flickr `image`.
    assert_eq!(kinds(&parsed), ["story", "post", "entry", "note", "note"]);
    assert_eq!(
        story(&parsed),
        &StoryInfo {
            url: "http://storify.com/rtejpar/test-story".to_owned(),
            title: "Test Story".to_owned(),
            intro_html: "Test Description".to_owned(),
            curator: Some(Author {
                uri: "http://storify.com/rtejpar".to_owned(),
                handle: "@rtejpar".to_owned(),
                name: "RT".to_owned(),
                url: some("http://storify.com/rtejpar"),
                avatar: some(
                    "http://pbs.twimg.com/profile_images/3492487927/2ee01cf324fc09fe70e943c55c57bfb0_reasonably_small.jpeg"
                ),
                ..Default::default()
            }),
            published_at: Some(time("2013-12-23T18:07:48.473Z")),
            positions: Some(0..20),
        }
    );
    // The broken capture (`rest_api_url` ends in `id=undefined`, title `Twitter / Twitter`):
    // the tweet is known by its permalink, its text is lost.
    let post = posts(&parsed)[0];
    assert_eq!(
        post.uri,
        "https://twitter.com/i/web/status/409875377482264577"
    );
    assert_eq!(
        post.url.as_deref(),
        Some("http://twitter.com/fmquaglia/status/409875377482264577")
    );
    assert_eq!(
        post.author,
        Author {
            uri: "https://twitter.com/i/user/167979837".to_owned(),
            handle: "@fmquaglia".to_owned(),
            name: "F M Quagliariello".to_owned(),
            url: some("https://twitter.com/fmquaglia"),
            avatar: some(
                "http://pbs.twimg.com/profile_images/3479798587/77eee325c18f974d3974032ad28504ef_normal.png"
            ),
            ..Default::default()
        }
    );
    assert_eq!(post.created_at, time("2013-12-09T02:41:19Z"));
    assert_eq!((post.text.as_str(), post.content_html.as_str()), ("", ""));
    assert!(post.media.is_empty() && post.tags.is_empty() && !post.has_structured_tags);
    // The YouTube video: its protocol-relative player `src` becomes https.
    assert_eq!(
        notes(&parsed)[0],
        "<blockquote><p><a href=\"http://youtube.com/watch?v=OPVWy1tFXuc\" rel=\"nofollow noopener ugc\">\
         <strong>The Hobbit: The Desolation of Smaug - HD Main Trailer - Official Warner Bros. UK</strong></a></p>\
         <p>\"The Hobbit:The Desolation of Smaug\" opens nationwide across the UK on 13th December 2013 \
         Facebook - http://bit.ly/Hobbit_UK Twitter - ht...</p>\
         <p><a href=\"https://www.youtube.com/embed/OPVWy1tFXuc?wmode=transparent&amp;showinfo=0\" \
         rel=\"nofollow noopener ugc\">Play the video</a></p>\
         <p>Video by warnerbrosuktrailers on YouTube</p></blockquote>"
    );
    // The Flickr photo, credited to a name that is not ASCII.
    assert_eq!(
        notes(&parsed)[1],
        "<blockquote><p><a href=\"http://www.flickr.com/photos/55421902@N00/419601171\" \
         rel=\"nofollow noopener ugc\"><strong>Apricot Flambee</strong></a></p>\
         <p><a href=\"http://farm1.static.flickr.com/160/419601171_fb5fa46ea6_z.jpg\" \
         rel=\"nofollow noopener ugc\">View the picture</a></p>\
         <p>Picture by Renée S. Suen on Flickr</p></blockquote>"
    );
    assert_eq!(
        page_positions(doc["content"].as_object().expect("story")),
        Some(0..20)
    );
}

#[test]
fn corpus_austin_digest_notes_and_truncated_tweets() {
    let Some(doc) = corpus("v1-story-austin-startup-digest-page1.json") else {
        return;
    };
    let parsed = parse(&doc);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    // 20 elements: 5 `text`, 8 tweets as `image`, 7 as `link` (no `quote`, whatever
    // `stats.elements.quote` says).
    let k = kinds(&parsed);
    assert_eq!(k.len(), 1 + 5 + 2 * 15);
    assert_eq!(k.iter().filter(|k| **k == "note").count(), 5);
    assert_eq!(k.iter().filter(|k| **k == "post").count(), 15);
    assert_eq!(k.iter().filter(|k| **k == "entry").count(), 15);
    assert_eq!(&k[..6], ["story", "note", "note", "post", "entry", "note"]);
    assert_posts_then_entries(&parsed);
    let info = story(&parsed);
    assert_eq!(info.title, "Austin Startup Digest for December 9, 2014");
    assert_eq!(
        info.url,
        "http://storify.com/joshuabaer/austin-startup-digest-for-december-9-2014"
    );
    assert_eq!(
        info.curator.as_ref().map(|c| c.name.as_str()),
        Some("Joshua Baer")
    );
    assert_eq!(info.published_at, Some(time("2013-12-09T03:32:38.666Z")));
    let notes = notes(&parsed);
    // A heading of the editor becomes a bold paragraph; its escaped arrows stay text.
    assert_eq!(
        notes[0],
        "<p><strong><b>---&gt; CLICK \"NEXT PAGE\" AT THE BOTTOM FOR MORE &lt;---</b></strong></p>"
    );
    assert_eq!(
        notes[1],
        "<p><strong><b>YOU MAY HAVE MISSED</b></strong></p>"
    );
    assert!(notes[2].starts_with("The Longhorn Startup Demo Day was a huge success"));
    let posts = posts(&parsed);
    // An `image` tweet: the caption without `NicholleJ:` and ` ...`, the picture without alt.
    let nicholle = posts[0];
    assert_eq!(
        nicholle.uri,
        "https://twitter.com/i/web/status/407924506380861441"
    );
    assert_eq!(nicholle.author.uri, "https://twitter.com/i/user/208579692");
    assert_eq!(nicholle.author.handle, "@NicholleJ");
    assert_eq!(nicholle.author.name, "Nicholle Jaramillo");
    assert_eq!(nicholle.text, "It's the most wonderful ti");
    assert_eq!(nicholle.content_html, "<p>It's the most wonderful ti…</p>");
    assert_eq!(nicholle.created_at, time("2013-12-03T17:29:15Z"));
    assert_eq!(
        nicholle.media,
        [Media {
            url: "http://pbs.twimg.com/media/Bak9LVuCcAA1Dg9.jpg".to_owned(),
            kind: "image".to_owned(),
            alt: None,
            width: None,
            height: None,
            preview: None,
        }]
    );
    // A `link` tweet: only the oEmbed title is left.
    let bob = posts[1];
    assert_eq!(
        bob.uri,
        "https://twitter.com/i/web/status/408945067835944960"
    );
    assert_eq!(bob.text, "Some of ~1,000 Austin foun");
    assert!(bob.media.is_empty());
    // Two spaces before the ` ...`.
    let longhorn = posts
        .iter()
        .find(|p| p.author.handle == "@LonghornStartup")
        .expect("LonghornStartup's tweet");
    assert_eq!(longhorn.text, "Join the Longhorn Startup");
    // JoshuaBaer's tweets are one author, by id.
    let josh: Vec<_> = posts
        .iter()
        .filter(|p| p.author.handle == "@JoshuaBaer")
        .map(|p| p.author.uri.as_str())
        .collect();
    assert_eq!(josh, ["https://twitter.com/i/user/934681"; 5]);
}

#[test]
fn invented_story_in_order_with_hostile_bits_made_safe() {
    let parsed = parse(&fixture("story-river-day-page1.json"));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(
        kinds(&parsed),
        [
            "story", "note", "post", "entry", "note", "post", "entry", "post", "entry", "note",
            "note", "note", "note"
        ]
    );
    assert_posts_then_entries(&parsed);
    let info = story(&parsed);
    assert_eq!(
        info.intro_html,
        "How forty neighbours &amp; a heron spent a Saturday on the <b>Millbrook</b>."
    );
    assert_eq!(
        info.curator.as_ref().map(|c| c.handle.as_str()),
        Some("@nell_ward")
    );
    let posts = posts(&parsed);
    assert_eq!(
        posts[0].uri,
        "https://twitter.com/i/web/status/7000000000000000001"
    );
    assert_eq!(posts[0].text, "Forty bags of litter befo");
    assert_eq!(
        posts[0].author.avatar.as_deref(),
        Some("http://pbs.twimg.example/mira_normal.png")
    );
    assert_eq!(posts[1].text, "Found a shopping trolley, a bike wheel and");
    assert_eq!(posts[1].author.name, "Tomás W.");
    // A `quote` keeps the whole text, escaped once.
    assert_eq!(
        posts[2].text,
        "Lunch is <soup> & bread at the scout hut, all welcome"
    );
    assert_eq!(
        posts[2].content_html,
        "<p>Lunch is &lt;soup&gt; &amp; bread at the scout hut, all welcome</p>"
    );
    let notes = notes(&parsed);
    assert_eq!(
        notes[0],
        "<p><strong>Morning</strong></p><p>We met at the footbridge at nine. Map</p>"
    );
    assert_eq!(
        notes[1],
        "By noon the south bank was clear \u{2014} and then someone found the trolley."
    );
    // An article: its description is text, its `javascript:` thumbnail is dropped.
    assert_eq!(
        notes[2],
        "<blockquote><p><a href=\"https://gazette.example/2012/06/river-day\" rel=\"nofollow noopener ugc\">\
         <strong>Volunteers clear a mile of the Millbrook</strong></a></p>\
         <p>Neighbours &amp; the angling club &lt;i&gt;pulled&lt;/i&gt; 40 bags from the river.</p>\
         <p>Link by Millbrook Gazette on gazette.example</p></blockquote>"
    );
    // A protocol-relative picture becomes https.
    assert_eq!(
        notes[3],
        "<blockquote><p><a href=\"http://www.flickr.com/photos/heronwatch/555\" rel=\"nofollow noopener ugc\">\
         <strong>Grey heron at the weir</strong></a></p>\
         <p><a href=\"https://farm9.static.flickr.example/555_z.jpg\" rel=\"nofollow noopener ugc\">View the picture</a></p>\
         <p>Picture by Åsa Ørnberg on Flickr</p></blockquote>"
    );
    // A `javascript:` player is no link at all.
    assert_eq!(
        notes[4],
        "<blockquote><p><a href=\"http://youtube.com/watch?v=RiverDay01\" rel=\"nofollow noopener ugc\">\
         <strong>River Day in two minutes</strong></a></p><p>Time-lapse of the clean-up.</p>\
         <p>Video by millbrookfilms on YouTube</p></blockquote>"
    );
    assert_eq!(notes[5], "<p>Same time next year?</p>");
    for note in &notes {
        assert!(
            !note.contains("script") && !note.contains("javascript"),
            "{note}"
        );
    }
}

#[test]
fn page_positions_follow_page_and_per_page() {
    let page = |v: Value| page_positions(v.as_object().expect("object"));
    assert_eq!(page(json!({"page": 1, "per_page": 20})), Some(0..20));
    assert_eq!(page(json!({"page": 3, "per_page": 20})), Some(40..60));
    assert_eq!(page(json!({"page": "2", "per_page": "50"})), Some(50..100));
    // Not a page: the whole story.
    assert_eq!(page(json!({})), None);
    assert_eq!(page(json!({"page": 2})), None);
    assert_eq!(page(json!({"page": 0, "per_page": 20})), None);
    assert_eq!(page(json!({"page": 2, "per_page": 0})), None);
    assert_eq!(page(json!({"page": -1, "per_page": 20})), None);
    assert_eq!(page(json!({"page": u64::MAX, "per_page": 20})), None);
}

fn story_with(page: u64, elements: &Value) -> Value {
    json!({"content": {
        "sid": "s1", "title": "A story", "permalink": "http://storify.com/nell_ward/a-story",
        "author": {"username": "nell_ward"}, "page": page, "per_page": 2, "elements": elements
    }})
}

#[test]
fn the_empty_page_that_ends_paging_adds_nothing() {
    assert!(parse(&story_with(4, &json!([]))).items.is_empty());
    // An empty first page is still the story.
    assert_eq!(kinds(&parse(&story_with(1, &json!([])))), ["story"]);
}

#[test]
fn bad_elements_are_warnings_at_their_pointer() {
    let text = |t: &str| json!({"type": "text", "data": {"text": t}});
    let parsed = parse(&story_with(
        1,
        &json!([
            "not an element",
            text("<script>only a script</script>"),
            {"type": "quote", "permalink": "http://twitter.com/mira_banks/status/71",
             "source": {"name": "twitter", "username": "mira_banks"}, "data": {"quote": {"text": "hi"}}},
            {"type": "other", "source": {"name": "somewhere"}},
            text("kept"),
        ]),
    ));
    assert_eq!(kinds(&parsed), ["story", "note"]);
    let warnings: Vec<(&str, &str)> = parsed
        .warnings
        .iter()
        .map(|w| (w.pointer.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [
            (
                "/content/elements",
                "the page holds 5 elements, more than its `per_page` of 2; the next page's entries may take the place of the last ones"
            ),
            (
                "/content/elements/0",
                "expected an element object, found a string"
            ),
            ("/content/elements/1", "text element has no text"),
            (
                "/content/elements/2",
                "tweet `71` has no readable `posted_at`"
            ),
            (
                "/content/elements/3",
                "`other` element has no title, link or picture to show"
            ),
        ]
    );
}

#[test]
fn a_bare_story_object_without_permalink_gets_one_from_author_and_slug() {
    let parsed = parse(&json!({
        "sid": "s2", "slug": "a-slug", "author": {"username": "nell_ward", "name": "Nell Ward"},
        "elements": [
            {"type": "link", "permalink": "http://twitter.com/nell_ward",
             "source": {"name": "twitter"}, "data": {"link": {"title": "Nell on Twitter"}}}
        ]
    }));
    let info = story(&parsed);
    assert_eq!(info.url, "https://storify.com/nell_ward/a-slug");
    assert_eq!(info.title, "a-slug");
    assert_eq!(info.published_at, None);
    // A Twitter link that is not a tweet is a card.
    assert_eq!(
        notes(&parsed),
        [
            "<blockquote><p><a href=\"http://twitter.com/nell_ward\" rel=\"nofollow noopener ugc\">\
          <strong>Nell on Twitter</strong></a></p><p>Link on Twitter</p></blockquote>"
        ]
    );
    let mut sink = Parsed::default();
    let err =
        Storify::parse(&json!({"sid": "s3", "elements": []}), &mut sink).expect_err("no permalink");
    assert_eq!(err.pointer, "/permalink");
}

#[test]
fn tweet_text_strips_only_storify_decoration() {
    let el = |data: Value| {
        data.as_object()
            .cloned()
            .map(|d| {
                let mut el = Object::new();
                el.insert("data".to_owned(), Value::Object(d));
                el
            })
            .expect("object")
    };
    // No `name:` after `Twitter / `: not a tweet's text.
    let broken = el(json!({"oembed": {"title": "Twitter / Twitter"}}));
    assert_eq!(tweet_text(&broken, "fmquaglia"), (String::new(), false));
    // A caption that does not start with the author's name is kept whole.
    let caption = el(json!({"image": {"caption": "Note: bring gloves"}}));
    assert_eq!(
        tweet_text(&caption, "mira_banks"),
        ("Note: bring gloves".to_owned(), false)
    );
    // The oEmbed title may name the author in another case.
    let title = el(json!({"oembed": {"title": "Twitter / Mira_Banks: Gloves at the hut ..."}}));
    assert_eq!(
        tweet_text(&title, "mira_banks"),
        ("Gloves at the hut".to_owned(), true)
    );
    // A text that was not cut keeps its own dots.
    let whole = el(json!({"image": {"caption": "mira_banks:Wait for it..."}}));
    assert_eq!(
        tweet_text(&whole, "mira_banks"),
        ("Wait for it...".to_owned(), false)
    );
}
