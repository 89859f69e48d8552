//! Tweet-object tests. Every expectation is written by hand from the input: the one-quirk
//! fixtures in `fixtures/twitter/` (invented accounts) and small inline tweets.

use serde_json::{Value, json};

use super::*;
use crate::sources::test_util::{self, some, time};
use crate::sources::{Parsed, ProblemKind, Warning};

fn fixture(name: &str) -> Value {
    test_util::fixture_json(&format!("twitter/{name}"))
}

fn items_of(tweet: &Value, author: Option<&Author>) -> Parsed {
    let mut parsed = Parsed::default();
    tweet_items(tweet, author, "/t", &mut parsed);
    parsed
}

fn only_post(parsed: &Parsed) -> Post {
    test_util::sole_post(parsed).clone()
}

fn ana() -> Author {
    Author {
        uri: "https://twitter.com/i/user/2000000001".to_owned(),
        handle: "@ana_tide".to_owned(),
        name: "Ana Tide".to_owned(),
        url: some("https://twitter.com/ana_tide"),
        avatar: None,
        ..Default::default()
    }
}

/// A minimal tweet with this text and entities.
fn tweet(text: &str, entities: Value) -> Value {
    let mut tweet = json!({
        "id_str": "5000000000000000001",
        "created_at": "Wed Aug 27 13:08:45 +0000 2008",
        "full_text": text,
        "user": {"id_str": "2000000001", "screen_name": "ana_tide", "name": "Ana Tide"},
    });
    tweet["entities"] = entities;
    tweet
}

fn rendered(tweet: &Value) -> Rendered {
    Body::of(tweet.as_object().expect("object")).render()
}

const REL: &str = "rel=\"nofollow noopener ugc\"";

#[test]
fn emoji_and_cjk_before_a_link_use_code_point_indices() {
    let doc = fixture("v1-emoji-cjk-before-link.json");
    let post = only_post(&items_of(&doc, None));
    let want = Post {
        uri: "https://twitter.com/i/web/status/3000000000000000010".to_owned(),
        url: some("https://twitter.com/ana_tide/status/3000000000000000010"),
        author: Author {
            avatar: some("https://pbs.twimg.com/profile_images/1/ana_normal.jpg"),
            ..ana()
        },
        created_at: time("2018-03-10T14:03:15Z"),
        edited_at: None,
        content_html: format!(
            "<p>🙂🏽 東京 &amp; <a href=\"https://twitter.com/hashtag/%E6%97%85\" \
             class=\"mention hashtag\" {REL}>#旅</a> <a href=\"https://tide.example/pools?a=1&amp;b=2\" \
             {REL}>tide.example/pools?a=1…</a></p>"
        ),
        text: "🙂🏽 東京 & #旅 https://tide.example/pools?a=1&b=2".to_owned(),
        language: some("ja"),
        in_reply_to: None,
        in_reply_to_local: None,
        local_id: None,
        conversation: None,
        sensitive: false,
        spoiler_text: None,
        tags: vec!["旅".to_owned()],
        has_structured_tags: true,
        media: vec![Media {
            url: "https://pbs.twimg.com/media/TidePool1.jpg".to_owned(),
            kind: "image".to_owned(),
            alt: None,
            width: Some(1200),
            height: Some(900),
            preview: None,
        }],
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        source_json: doc.to_string(),
        reply_count: crate::model::ReplyCount::Absent,
    };
    assert_eq!(post, want);
    let source: Value = serde_json::from_str(&post.source_json).expect("JSON");
    assert_eq!(source, doc);
}

#[test]
fn escaped_text_is_unescaped_exactly_once() {
    let post = only_post(&items_of(&fixture("v1-escaped-text-once.json"), None));
    assert_eq!(post.text, "Fish &amp; chips <3 >_< AT&T #food&drink");
    assert_eq!(
        post.content_html,
        format!(
            "<p>Fish &amp;amp; chips &lt;3 &gt;_&lt; AT&amp;T <a href=\"https://twitter.com/hashtag/food\" \
             class=\"mention hashtag\" {REL}>#food</a>&amp;drink</p>"
        )
    );
    assert_eq!(post.tags, ["food"]);
}

#[test]
fn bad_indices_do_not_panic_and_links_are_found_by_their_tco_url() {
    let post = only_post(&items_of(&fixture("v1-bad-indices.json"), None));
    assert_eq!(post.text, "@ben hello #Kelp see https://kelp.example/");
    assert_eq!(
        post.content_html,
        format!(
            "<p>@ben hello #Kelp see <a href=\"https://kelp.example/\" {REL}>kelp.example</a></p>"
        )
    );
    // The hashtag entities are still structured data, whatever their indices.
    assert_eq!(post.tags, ["kelp"]);
    assert_eq!(post.media.len(), 1);
    assert_eq!(post.media[0].url, "https://pbs.twimg.com/media/Kelp.jpg");
}

#[test]
fn hostile_indices_of_every_shape_never_panic() {
    let shapes = [
        json!([0, 1000]),
        json!([5, 2]),
        json!([3, 3]),
        json!(["-1", "4"]),
        json!([-1, 4]),
        json!([1.5, 4]),
        json!([]),
        json!(null),
        json!([u64::MAX, u64::MAX]),
        json!([2, 6]),
    ];
    let text = "a😀 &amp; b#c @d https://t.co/x";
    for indices in shapes {
        let entities = json!({
            "hashtags": [{"text": "c", "indices": indices}],
            "user_mentions": [{"screen_name": "d", "indices": indices}],
            "urls": [{"url": "https://t.co/x", "expanded_url": "https://x.example/", "indices": indices}],
            "media": [{"url": "https://t.co/x", "indices": indices, "type": "photo"}],
        });
        let doc = tweet(text, entities);
        let mut with_range = doc.clone();
        with_range["display_text_range"] = indices.clone();
        for doc in [doc, with_range] {
            let parsed = items_of(&doc, None);
            assert!(
                parsed.warnings.is_empty(),
                "{indices}: {:?}",
                parsed.warnings
            );
            assert_eq!(parsed.items.len(), 1, "{indices}");
        }
    }
}

#[test]
fn display_text_range_hides_the_reply_prefix_and_the_media_link() {
    let text = "@ana @ben thanks! https://t.co/MmMmMmMmMm";
    let mut doc = tweet(
        text,
        json!({
            "user_mentions": [
                {"screen_name": "ana", "indices": [0, 4]},
                {"screen_name": "ben", "indices": [5, 9]}
            ],
            "media": [{"url": "https://t.co/MmMmMmMmMm", "indices": [18, 41], "type": "photo",
                       "media_url_https": "https://pbs.twimg.com/media/m.jpg"}]
        }),
    );
    doc["display_text_range"] = json!([10, 17]);
    assert_eq!(
        rendered(&doc),
        Rendered {
            html: "<p>thanks!</p>".to_owned(),
            text: "thanks!".to_owned()
        }
    );
    // Without the range, the mentions are shown (and linked); the media link still goes.
    doc.as_object_mut().map(|t| t.remove("display_text_range"));
    assert_eq!(
        rendered(&doc),
        Rendered {
            html: format!(
                "<p><a href=\"https://twitter.com/ana\" class=\"mention\" {REL}>@ana</a> \
                 <a href=\"https://twitter.com/ben\" class=\"mention\" {REL}>@ben</a> thanks!</p>"
            ),
            text: "@ana @ben thanks!".to_owned()
        }
    );
}

#[test]
fn newlines_become_br_and_html_in_text_stays_text() {
    let doc = tweet("line one\n<b>two</b> &lt;i&gt;\n\nend", json!({}));
    assert_eq!(
        rendered(&doc),
        Rendered {
            html: "<p>line one<br>&lt;b&gt;two&lt;/b&gt; &lt;i&gt;<br><br>end</p>".to_owned(),
            text: "line one\n<b>two</b> <i>\n\nend".to_owned()
        }
    );
}

#[test]
fn a_link_without_expanded_url_shows_the_tco_link() {
    let doc = tweet(
        "old link http://t.co/abc",
        json!({"urls": [{"url": "http://t.co/abc", "expanded_url": null, "indices": [9, 24]}]}),
    );
    assert_eq!(
        rendered(&doc),
        Rendered {
            html: format!("<p>old link <a href=\"http://t.co/abc\" {REL}>http://t.co/abc</a></p>"),
            text: "old link http://t.co/abc".to_owned()
        }
    );
}

#[test]
fn a_javascript_expanded_url_is_not_a_link() {
    let doc = tweet(
        "see https://t.co/evil",
        json!({"urls": [{"url": "https://t.co/evil", "expanded_url": "javascript:alert(1)",
                         "display_url": "click me", "indices": [4, 21]}]}),
    );
    let out = rendered(&doc);
    assert_eq!(out.html, "<p>see click me</p>");
    assert!(!out.html.contains("javascript"), "{}", out.html);
}

#[test]
fn extended_tweet_gives_text_entities_and_range() {
    let doc = json!({
        "id_str": "5000000000000000002",
        "created_at": "Wed Aug 27 13:08:45 +0000 2008",
        "text": "short… https://t.co/trunc",
        "truncated": true,
        "display_text_range": [0, 6],
        "entities": {"hashtags": [], "urls": [{"url": "https://t.co/trunc",
            "expanded_url": "https://twitter.com/i/web/status/5000000000000000002", "indices": [7, 25]}]},
        "extended_tweet": {
            "full_text": "short and #Long text",
            "display_text_range": [0, 20],
            "entities": {"hashtags": [{"text": "Long", "indices": [10, 15]}, {"text": "LONG", "indices": [10, 15]}]}
        },
        "user": {"id_str": "2000000001", "screen_name": "ana_tide", "name": "Ana Tide"},
    });
    let post = only_post(&items_of(&doc, None));
    assert_eq!(post.text, "short and #Long text");
    assert_eq!(post.tags, ["long"]);
    // The truncated `text`'s link to the tweet itself is not a quote.
    assert_eq!(post.quote_of, None);
}

#[test]
fn retweet_is_the_original_and_a_boost_and_quotes_come_first() {
    let parsed = items_of(&fixture("v1-retweet-of-quote.json"), None);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let [Item::Post(quoted), Item::Post(original), Item::Boost(boost)] = parsed.items.as_slice()
    else {
        panic!(
            "expected quoted post, original post, boost: {:?}",
            parsed.items
        );
    };
    assert_eq!(
        quoted.uri,
        "https://twitter.com/i/web/status/3000000000000000001"
    );
    assert_eq!(quoted.author.handle, "@cara_reef");
    assert_eq!(quoted.text, "Tide pools are tiny oceans.");
    assert_eq!(
        original.uri,
        "https://twitter.com/i/web/status/3000000000000000002"
    );
    assert_eq!(original.author, ana());
    assert_eq!(original.text, "so true");
    assert_eq!(original.content_html, "<p>so true</p>");
    assert_eq!(
        original.quote_of.as_deref(),
        Some("https://twitter.com/i/web/status/3000000000000000001")
    );
    assert_eq!(
        boost,
        &Boost {
            uri: "https://twitter.com/i/web/status/3000000000000000003".to_owned(),
            post_uri: "https://twitter.com/i/web/status/3000000000000000002".to_owned(),
            booster: "https://twitter.com/i/user/2000000002".to_owned(),
            created_at: Some(time("2025-01-06T10:00:00Z")),
        }
    );
}

#[test]
fn protected_account_is_not_public() {
    let parsed = items_of(&fixture("v1-protected-account.json"), None);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(
        parsed.items,
        [Item::Skipped(Skip {
            uri: some("https://twitter.com/i/web/status/3000000000000000013"),
            reason: SkipReason::NotPublic,
        })]
    );
}

#[test]
fn numeric_ids_keep_every_digit_and_und_is_no_language() {
    let post = only_post(&items_of(&fixture("v1-numeric-ids-only.json"), None));
    assert_eq!(
        post.uri,
        "https://twitter.com/i/web/status/1234567890123456789"
    );
    assert_eq!(
        post.url.as_deref(),
        Some("https://twitter.com/dee_dune/status/1234567890123456789")
    );
    assert_eq!(
        post.in_reply_to.as_deref(),
        Some("https://twitter.com/i/web/status/1234567890123456700")
    );
    assert_eq!(post.author.uri, "https://twitter.com/i/user/2000000004");
    assert_eq!(post.language, None);
    assert_eq!(post.content_html, "<p>numbers only</p>");
}

#[test]
fn a_float_id_is_no_id() {
    let mut doc = tweet("x", json!({}));
    doc.as_object_mut().map(|t| t.remove("id_str"));
    doc["id"] = json!(1.2345678901234568e18);
    let parsed = items_of(&doc, None);
    assert!(parsed.items.is_empty());
    assert_eq!(
        parsed.warnings,
        [Warning {
            pointer: "/t".to_owned(),
            kind: ProblemKind::Missing,
            message: "tweet has no `id_str`".to_owned()
        }]
    );
}

#[test]
fn video_takes_the_best_mp4_and_gif_is_gifv() {
    let post = only_post(&items_of(&fixture("v1-video-variants-alt.json"), None));
    assert_eq!(
        post.media,
        [
            Media {
                url: "https://video.twimg.com/1/1280x720/wave.mp4".to_owned(),
                kind: "video".to_owned(),
                alt: some("A wave breaking on rocks"),
                width: Some(1280),
                height: Some(720),
                preview: Some("https://pbs.twimg.com/ext_tw_video_thumb/1/wave.jpg".to_owned()),
            },
            Media {
                url: "https://video.twimg.com/tweet_video/crab.mp4".to_owned(),
                kind: "gifv".to_owned(),
                alt: None,
                width: Some(480),
                height: Some(270),
                preview: Some("https://pbs.twimg.com/tweet_video_thumb/crab.jpg".to_owned()),
            },
        ]
    );
    assert!(post.sensitive);
    assert_eq!(post.content_html, "");
    assert_eq!(post.text, "");
    assert_eq!(post.language, some("zxx"));
}

#[test]
fn author_stands_in_only_for_a_missing_user() {
    let mut doc = tweet("hi", json!({}));
    let stranger = Author {
        uri: "https://twitter.com/i/user/9".to_owned(),
        handle: "@someone".to_owned(),
        ..Author::default()
    };
    assert_eq!(
        only_post(&items_of(&doc, Some(&stranger))).author.handle,
        "@ana_tide"
    );
    doc.as_object_mut().map(|t| t.remove("user"));
    let post = only_post(&items_of(&doc, Some(&ana())));
    assert_eq!(post.author, ana());
    assert_eq!(
        post.url.as_deref(),
        Some("https://twitter.com/ana_tide/status/5000000000000000001")
    );
    // An author without a profile URL gives no permalink.
    assert_eq!(only_post(&items_of(&doc, Some(&stranger))).url, None);
    let parsed = items_of(&doc, None);
    assert!(parsed.items.is_empty());
    assert_eq!(
        parsed.warnings[0].message,
        "tweet `5000000000000000001` has no `user`"
    );
}

#[test]
fn archive_style_retweets_boost_the_media_source_or_name_the_post_by_its_text() {
    let mut plain = tweet("RT @ben_kelp: Kelp forests are …", json!({}));
    plain.as_object_mut().map(|t| t.remove("user"));
    let mut short = tweet("RT @ben_kelp: Kelp! https://t.co/x", json!({}));
    short.as_object_mut().map(|t| t.remove("user"));
    let mut with_media = plain.clone();
    with_media["id_str"] = json!("5000000000000000009");
    with_media["extended_entities"] = json!({"media": [{"url": "https://t.co/m", "type": "photo",
        "indices": ["40", "46"], "source_status_id_str": "6000000000000000001",
        "media_url_https": "https://pbs.twimg.com/media/k.jpg"}]});
    let parsed = items_of(&plain, Some(&ana()));
    assert_eq!(
        parsed.items,
        [Item::TextBoost(TextBoost {
            uri: "https://twitter.com/i/web/status/5000000000000000001".to_owned(),
            booster: "https://twitter.com/i/user/2000000001".to_owned(),
            created_at: Some(time("2008-08-27T13:08:45Z")),
            author_handle: "@ben_kelp".to_owned(),
            text_start: "Kelp forests are".to_owned(),
        })]
    );
    // Too little quoted text to tell the tweet: nothing to count.
    assert_eq!(
        items_of(&short, Some(&ana())).items,
        [Item::Skipped(Skip {
            uri: some("https://twitter.com/i/web/status/5000000000000000001"),
            reason: SkipReason::Unsupported,
        })]
    );
    let parsed = items_of(&with_media, Some(&ana()));
    assert_eq!(
        parsed.items,
        [Item::Boost(Boost {
            uri: "https://twitter.com/i/web/status/5000000000000000009".to_owned(),
            post_uri: "https://twitter.com/i/web/status/6000000000000000001".to_owned(),
            booster: "https://twitter.com/i/user/2000000001".to_owned(),
            created_at: Some(time("2008-08-27T13:08:45Z")),
        })]
    );
    // With a `user` (API data) an `RT @` text is a manual retweet: an ordinary post.
    let manual = tweet("RT @ben_kelp: Kelp forests are …", json!({}));
    assert_eq!(
        only_post(&items_of(&manual, None)).text,
        "RT @ben_kelp: Kelp forests are …"
    );
}

#[test]
fn deleted_at_makes_a_deletion() {
    let mut doc = tweet("gone", json!({}));
    doc["deleted_at"] = json!("Thu Aug 28 10:00:00 +0000 2008");
    assert_eq!(
        items_of(&doc, None).items,
        [Item::Delete(Deletion {
            uri: "https://twitter.com/i/web/status/5000000000000000001".to_owned(),
            deleted_at: Some(time("2008-08-28T10:00:00Z")),
        })]
    );
}

#[test]
fn bad_records_warn_with_their_pointer() {
    let mut no_time = tweet("x", json!({}));
    no_time.as_object_mut().map(|t| t.remove("created_at"));
    let mut bad_time = tweet("x", json!({}));
    bad_time["created_at"] = json!("yesterday");
    let mut bad_user = tweet("x", json!({}));
    bad_user["user"] = json!({"id_str": "7"});
    let mut bad_rt = tweet("x", json!({}));
    bad_rt["retweeted_status"] = json!("nope");
    let cases = [
        (
            json!(42),
            ProblemKind::Shape,
            "expected a tweet object, found a number",
        ),
        (
            no_time,
            ProblemKind::Missing,
            "tweet `5000000000000000001` has no `created_at`",
        ),
        (
            bad_time,
            ProblemKind::Unreadable,
            "tweet `5000000000000000001` has an unreadable `created_at` `yesterday`",
        ),
        (
            bad_user,
            ProblemKind::Missing,
            "tweet `5000000000000000001`: user `7` has no `screen_name`",
        ),
        (
            bad_rt,
            ProblemKind::Shape,
            "tweet `5000000000000000001`: `retweeted_status` must be a tweet, found a string",
        ),
    ];
    for (doc, kind, message) in cases {
        let parsed = items_of(&doc, None);
        assert!(parsed.items.is_empty(), "{:?}", parsed.items);
        assert_eq!(
            parsed.warnings,
            [Warning {
                pointer: "/t".to_owned(),
                kind,
                message: message.to_owned()
            }]
        );
    }
}

#[test]
fn a_bad_quoted_status_warns_at_its_own_pointer_and_keeps_the_quoting_tweet() {
    let mut doc = tweet("look", json!({}));
    doc["quoted_status_id_str"] = json!("5000000000000000000");
    doc["quoted_status"] = json!({"id_str": "5000000000000000000", "full_text": "q"});
    let parsed = items_of(&doc, None);
    assert_eq!(
        parsed.warnings,
        [Warning {
            pointer: "/t/quoted_status".to_owned(),
            kind: ProblemKind::Missing,
            message: "tweet `5000000000000000000` has no `user`".to_owned()
        }]
    );
    let [Item::Post(post)] = parsed.items.as_slice() else {
        panic!("{:?}", parsed.items)
    };
    assert_eq!(
        post.quote_of.as_deref(),
        Some("https://twitter.com/i/web/status/5000000000000000000")
    );
}

#[test]
fn status_links_are_recognised() {
    for (link, want) in [
        ("https://twitter.com/ana_tide/status/123", some("123")),
        (
            "https://mobile.twitter.com/ana_tide/status/123/",
            some("123"),
        ),
        ("http://www.twitter.com/ana_tide/statuses/123", some("123")),
        ("https://x.com/ana_tide/status/123?s=20", some("123")),
        ("https://twitter.com/ana_tide/status/123/photo/1", None),
        ("https://twitter.com/ana_tide/status/12a", None),
        ("https://twitter.example/ana_tide/status/123", None),
        ("https://twitter.com/ana_tide", None),
        ("not a url", None),
    ] {
        assert_eq!(status_link_id(link), want, "{link}");
    }
}

#[test]
fn unescape_handles_only_twitters_three_entities() {
    assert_eq!(
        unescape("&amp;amp; &lt;&gt; &quot; & &am"),
        "&amp; <> &quot; & &am"
    );
}

#[test]
fn a_misplaced_link_takes_the_first_free_occurrence_of_its_url() {
    let text = "https://t.co/a and again https://t.co/a";
    let doc = tweet(
        text,
        json!({"urls": [
            {"url": "https://t.co/a", "expanded_url": "https://one.example/", "indices": [0, 14]},
            {"url": "https://t.co/a", "expanded_url": "https://two.example/", "indices": [1, 15]}
        ]}),
    );
    assert_eq!(
        rendered(&doc).text,
        "https://one.example/ and again https://two.example/"
    );
}

#[test]
fn huge_entity_lists_stay_fast() {
    let text = "#a ".repeat(50_000);
    let hashtags: Vec<Value> = (0..50_000)
        .map(|i| json!({"text": format!("t{i}"), "indices": [i * 3, i * 3 + 2]}))
        .collect();
    let urls: Vec<Value> = (0..50_000)
        .map(|i| json!({"url": format!("https://t.co/{i}"), "indices": [0, 1]}))
        .collect();
    let doc = tweet(&text, json!({"hashtags": hashtags, "urls": urls}));
    let started = std::time::Instant::now();
    let post = only_post(&items_of(&doc, None));
    assert_eq!(post.tags.len(), 1000);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

proptest::proptest! {
    #[test]
    fn any_indices_on_any_text_never_panic(
        text in "[a-z #@&;🙂東\\n]{0,40}",
        a in 0u64..50, b in 0u64..50, c in 0u64..50, d in 0u64..50,
    ) {
        let entities = json!({
            "hashtags": [{"text": "a", "indices": [a, b]}],
            "user_mentions": [{"screen_name": "b", "indices": [c, d]}],
            "urls": [{"url": "#a", "expanded_url": "https://x.example/", "indices": [b, c]}],
            "media": [{"url": "@b", "indices": [d, a], "type": "photo"}],
        });
        let mut doc = tweet(&text, entities);
        doc["display_text_range"] = json!([a, d]);
        let parsed = items_of(&doc, None);
        proptest::prop_assert_eq!(parsed.items.len(), 1);
    }
}
