//! Parser tests. Every expectation is written by hand from the input file it names: real
//! captures in `../shared/corpus/mastodon-api/` (read in place) and one-quirk fixtures in
//! `fixtures/mastodon-api/quirks/` (invented people on `.example` hosts).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::*;
use crate::sources::test_util::{self, posts, some, time};
use crate::sources::{Parsed, ProblemKind, Warning};

/// A real sample from `../shared/corpus/mastodon-api/`, read in place.
fn corpus(name: &str) -> Option<Value> {
    test_util::corpus_json(&format!("mastodon-api/{name}"))
}

fn quirk(name: &str) -> Value {
    test_util::fixture_json(&format!("mastodon-api/quirks/{name}"))
}

fn parse(doc: &Value) -> Parsed {
    test_util::parse_as::<MastodonApi>(doc)
}

fn parse_err(doc: &Value) -> FormatError {
    test_util::refused_as::<MastodonApi>(doc)
}

fn only_post(parsed: &Parsed) -> &Post {
    test_util::sole_post(parsed)
}

fn local(server: &str, id: &str) -> Option<LocalId> {
    Some(LocalId {
        server: server.to_owned(),
        id: id.to_owned(),
    })
}

/// A post with only its identity set; tests fill in the rest with `..`.
fn post(uri: &str, author: Author, created_at: &str) -> Post {
    Post {
        uri: uri.to_owned(),
        url: None,
        author,
        created_at: time(created_at),
        edited_at: None,
        content_html: String::new(),
        text: String::new(),
        language: None,
        in_reply_to: None,
        in_reply_to_local: None,
        local_id: None,
        conversation: None,
        sensitive: false,
        spoiler_text: None,
        tags: Vec::new(),
        has_structured_tags: false,
        media: Vec::new(),
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        source_json: String::new(),
        reply_count: crate::model::ReplyCount::Absent,
    }
}

/// The Mastodon.py test account that wrote most corpus statuses.
fn john() -> Author {
    Author {
        uri: "http://localhost:3000/ap/users/117020565966271181".to_owned(),
        handle: "@mastodonpy_test@localhost:3000".to_owned(),
        name: "John Lennon".to_owned(),
        url: some("http://localhost:3000/@mastodonpy_test"),
        avatar: some(
            "http://localhost:3000/system/accounts/avatars/117/020/565/966/271/181/original/5784df1febb9890a.jpg",
        ),
        consent: test_util::profile_says_nothing(),
    }
}

fn mika() -> Author {
    Author {
        uri: "https://quay.example/users/mika".to_owned(),
        handle: "@mika@quay.example".to_owned(),
        name: "Mika".to_owned(),
        url: some("https://quay.example/@mika"),
        avatar: None,
        ..Default::default()
    }
}

// ---------------------------------------------------------------- real corpus

#[test]
fn corpus_tag_timeline_is_one_public_post() {
    let Some(doc) = corpus("tag-timeline-hoot.json") else {
        return;
    };
    assert!(MastodonApi::sniff(&doc));
    let parsed = parse(&doc);
    let author = Author {
        uri: "http://localhost:3000/ap/users/117020566092212359".to_owned(),
        handle: "@mastodonpy_test_2@localhost:3000".to_owned(),
        name: String::new(),
        url: some("http://localhost:3000/@mastodonpy_test_2"),
        avatar: some("http://localhost:3000/avatars/original/missing.png"),
        consent: test_util::profile_says_nothing(),
    };
    let uri = "http://localhost:3000/ap/users/117020566092212359/statuses/117020593741189701";
    let want = Post {
        url: some("http://localhost:3000/@mastodonpy_test_2/117020593741189701"),
        content_html: "<p><a href=\"http://localhost:3000/tags/hoot\" class=\"mention hashtag\" \
                       rel=\"nofollow noopener ugc\">#<span>hoot</span></a> (hashtag toot)</p>"
            .to_owned(),
        text: "#hoot (hashtag toot)".to_owned(),
        language: some("ja"),
        local_id: local("localhost:3000", "117020593741189701"),
        tags: vec!["hoot".to_owned()],
        has_structured_tags: true,
        source_json: doc[0].to_string(),
        reply_count: crate::model::ReplyCount::Count(0),
        ..post(uri, author, "2026-08-01T13:55:55.867Z")
    };
    assert_eq!(only_post(&parsed), &want);
    let source: Value = serde_json::from_str(&want.source_json).expect("source_json is JSON");
    assert_eq!(source, doc[0]);
}

#[test]
fn corpus_reply_with_quote_drops_the_fallback() {
    let Some(doc) = corpus("status-reply-with-quote.json") else {
        return;
    };
    assert!(MastodonApi::sniff(&doc));
    let parsed = parse(&doc);
    let uri = "http://localhost:3000/ap/users/117020565966271181/statuses/117020583142008690";
    let want = Post {
        url: some("http://localhost:3000/@mastodonpy_test/117020583142008690"),
        content_html:
            "<p><span class=\"h-card\"><a href=\"http://localhost:3000/@mastodonpy_test\" \
                       class=\"u-url mention\" rel=\"nofollow noopener ugc\">@<span>mastodonpy_test\
                       </span></a></span> yoooo check this out</p>"
                .to_owned(),
        text: "@mastodonpy_test yoooo check this out".to_owned(),
        language: some("en"),
        in_reply_to_local: local("localhost:3000", "117020583129611179"),
        local_id: local("localhost:3000", "117020583142008690"),
        sensitive: true,
        has_structured_tags: true,
        quote_of: some(
            "http://localhost:3000/ap/users/117020565966271181/statuses/117020583121982310",
        ),
        source_json: doc.to_string(),
        reply_count: crate::model::ReplyCount::Count(0),
        ..post(uri, john(), "2026-08-01T13:53:14.135Z")
    };
    assert_eq!(only_post(&parsed), &want);
}

#[test]
fn corpus_reblog_is_the_post_and_a_boost() {
    let Some(doc) = corpus("status-reblog.json") else {
        return;
    };
    let parsed = parse(&doc);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let post_uri = "http://localhost:3000/ap/users/117020565966271181/statuses/117020586019094258";
    let want_post = Post {
        url: some("http://localhost:3000/@mastodonpy_test/117020586019094258"),
        content_html: "<p>Toot!</p>".to_owned(),
        text: "Toot!".to_owned(),
        language: some("en"),
        local_id: local("localhost:3000", "117020586019094258"),
        sensitive: true,
        has_structured_tags: true,
        source_json: doc["reblog"].to_string(),
        reply_count: crate::model::ReplyCount::Count(0),
        ..post(post_uri, john(), "2026-08-01T13:53:58.036Z")
    };
    let want_boost = Boost {
        uri:
            "http://localhost:3000/ap/users/117020565966271181/statuses/117020586027094262/activity"
                .to_owned(),
        post_uri: post_uri.to_owned(),
        booster: "http://localhost:3000/ap/users/117020565966271181".to_owned(),
        created_at: Some(time("2026-08-01T13:53:58.160Z")),
    };
    assert_eq!(
        parsed.items,
        [Item::Post(Box::new(want_post)), Item::Boost(want_boost)]
    );
}

#[test]
fn corpus_media_alt_text_and_sensitive_without_cw() {
    let Some(doc) = corpus("status-media-alt-text.json") else {
        return;
    };
    let post = only_post(&parse(&doc)).clone();
    let files = "http://localhost:3000/system/media_attachments/files";
    assert_eq!(
        post.media,
        [
            Media {
                url: format!("{files}/117/020/576/646/493/592/original/963111bc1b0bd6b6.jpg"),
                kind: "image".to_owned(),
                alt: some("John Lennon doing a funny walk"),
                width: Some(600),
                height: Some(600),
                preview: None,
            },
            Media {
                url: format!("{files}/117/020/576/661/238/952/original/c71a1b53ce29a852.jpg"),
                kind: "image".to_owned(),
                alt: some("hololives #1 detective, watson ameliachan"),
                width: Some(400),
                height: Some(400),
                preview: None,
            },
        ]
    );
    assert!(post.sensitive);
    assert_eq!(post.spoiler_text, None);
    assert_eq!(post.text, "LOL check this out");
    assert_eq!(post.local_id, local("localhost:3000", "117020576664345360"));
}

#[test]
fn corpus_edit_history_is_refused() {
    let Some(doc) = corpus("status-edit-history.json") else {
        return;
    };
    assert!(MastodonApi::sniff(&doc));
    let err = parse_err(&doc);
    assert_eq!(err.pointer, "");
    assert!(err.message.contains("edit history"), "{}", err.message);
    assert!(
        err.message.contains("no post `id` or `uri`"),
        "{}",
        err.message
    );
}

#[test]
fn corpus_delete_response_is_a_deletion() {
    let Some(doc) = corpus("status-deleted-response.json") else {
        return;
    };
    assert!(MastodonApi::sniff(&doc));
    let parsed = parse(&doc);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let uri = "http://localhost:3000/ap/users/117020565966271181/statuses/117020606035908211";
    assert_eq!(
        parsed.items,
        [Item::Delete(Deletion {
            uri: uri.to_owned(),
            deleted_at: None
        })]
    );
}

// ---------------------------------------------------------------- quirks

#[test]
fn context_ids_belong_to_the_first_local_accounts_server() {
    let doc = quirk("context_resolves_local_ids.json");
    assert!(MastodonApi::sniff(&doc));
    let parsed = parse(&doc);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let got: Vec<_> = posts(&parsed)
        .iter()
        .map(|p| {
            let handle = p.author.handle.as_str();
            (
                p.uri.as_str(),
                handle,
                p.local_id.clone(),
                p.in_reply_to_local.clone(),
                p.in_reply_to.clone(),
            )
        })
        .collect();
    let rowan = "@rowan@birch.example";
    let q = "quay.example";
    assert_eq!(
        got,
        [
            (
                "https://birch.example/users/rowan/statuses/900",
                rowan,
                local(q, "110000000000000001"),
                None,
                None
            ),
            (
                "https://quay.example/users/mika/statuses/110000000000000002",
                "@mika@quay.example",
                local(q, "110000000000000002"),
                local(q, "110000000000000001"),
                None
            ),
            (
                "https://birch.example/users/rowan/statuses/901",
                rowan,
                local(q, "110000000000000003"),
                local(q, "110000000000000002"),
                None
            ),
        ]
    );
    assert_eq!(posts(&parsed)[0].tags, ["tidepools"]);
    assert_eq!(
        posts(&parsed)[0].author.avatar.as_deref(),
        Some("https://quay.example/cache/rowan.png")
    );
}

#[test]
fn private_direct_and_limited_are_skipped_not_posted() {
    let parsed = parse(&quirk("not_public_skipped.json"));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let skipped = |n: u32| {
        Item::Skipped(Skip {
            uri: Some(format!("https://quay.example/users/mika/statuses/{n}")),
            reason: SkipReason::NotPublic,
        })
    };
    assert_eq!(parsed.items, [skipped(201), skipped(202), skipped(203)]);
}

#[test]
fn unlisted_is_kept() {
    let doc = quirk("unlisted_kept.json");
    let want = Post {
        url: some("https://quay.example/@mika/301"),
        content_html: "<p>quiet public</p>".to_owned(),
        text: "quiet public".to_owned(),
        local_id: local("quay.example", "301"),
        has_structured_tags: true,
        source_json: doc[0].to_string(),
        ..post(
            "https://quay.example/users/mika/statuses/301",
            mika(),
            "2025-04-02T08:00:00Z",
        )
    };
    assert_eq!(only_post(&parse(&doc)), &want);
}

#[test]
fn numeric_ids_become_decimal_strings() {
    let post = only_post(&parse(&quirk("ids_as_json_numbers.json"))).clone();
    assert_eq!(post.local_id, local("quay.example", "109876543210987654"));
    assert_eq!(
        post.in_reply_to_local,
        local("quay.example", "109876543210987650")
    );
}

#[test]
fn missing_created_at_warns_and_keeps_the_rest() {
    let parsed = parse(&quirk("missing_created_at.json"));
    let uris: Vec<_> = posts(&parsed).iter().map(|p| p.uri.as_str()).collect();
    assert_eq!(
        uris,
        [
            "https://quay.example/users/mika/statuses/401",
            "https://quay.example/users/mika/statuses/403"
        ]
    );
    assert_eq!(
        parsed.warnings,
        [Warning {
            pointer: "/1".to_owned(),
            kind: ProblemKind::Missing,
            message: "status `https://quay.example/users/mika/statuses/402` has no `created_at`"
                .to_owned(),
        }]
    );
}

#[test]
fn remote_account_keeps_its_acct_and_leaves_the_server_unknown() {
    let doc = quirk("remote_account.json");
    let author = Author {
        uri: "https://birch.example/users/rowan".to_owned(),
        handle: "@rowan@birch.example".to_owned(),
        name: "Rowan Ash".to_owned(),
        url: some("https://birch.example/@rowan"),
        avatar: some("https://quay.example/cache/rowan.png"),
        ..Default::default()
    };
    let want = Post {
        url: some("https://birch.example/@rowan/77"),
        content_html: "<p>Guten Morgen</p>".to_owned(),
        text: "Guten Morgen".to_owned(),
        language: some("de"),
        // No local account in the document, so the issuing server cannot be told.
        in_reply_to_local: local("", "499"),
        local_id: local("", "501"),
        has_structured_tags: true,
        source_json: doc.to_string(),
        ..post(
            "https://birch.example/users/rowan/statuses/77",
            author,
            "2025-06-02T15:30:00.250Z",
        )
    };
    assert_eq!(only_post(&parse(&doc)), &want);
}

#[test]
fn empty_display_name_stays_empty() {
    let post = only_post(&parse(&quirk("empty_display_name.json"))).clone();
    assert_eq!(
        post.author,
        Author {
            uri: "https://quay.example/users/nobody".to_owned(),
            handle: "@nobody@quay.example".to_owned(),
            name: String::new(),
            url: some("https://quay.example/@nobody"),
            avatar: some("https://quay.example/avatars/original/missing.png"),
            ..Default::default()
        }
    );
}

#[test]
fn hostile_content_is_inert() {
    let post = only_post(&parse(&quirk("hostile_content.json"))).clone();
    for banned in [
        "<script",
        "alert(",
        "onerror",
        "onclick",
        "javascript:",
        "<img",
    ] {
        assert!(
            !post.content_html.contains(banned),
            "{banned:?} in {}",
            post.content_html
        );
    }
    assert!(
        post.content_html
            .contains("<a href=\"https://safe.example/\" rel=\"nofollow noopener ugc\">fine</a>"),
        "{}",
        post.content_html
    );
    assert_eq!(post.text, "Hello click fine");
}

#[test]
fn media_falls_back_to_remote_then_preview_url() {
    let post = only_post(&parse(&quirk("media_null_url.json"))).clone();
    assert_eq!(
        post.media,
        [
            Media {
                url: "https://birch.example/media/web.jpg".to_owned(),
                kind: "image".to_owned(),
                alt: some("A web in morning dew"),
                width: Some(1200),
                height: Some(800),
                preview: None,
            },
            Media {
                url: "https://quay.example/cache/clip_small.jpg".to_owned(),
                kind: "video".to_owned(),
                alt: None,
                width: None,
                height: None,
                preview: None,
            },
        ]
    );
    assert!(post.sensitive);
    assert_eq!(post.spoiler_text.as_deref(), Some("spiders"));
}

#[test]
fn a_video_or_sound_keeps_its_poster_and_a_picture_no_smaller_copy() {
    let post = only_post(&parse(&quirk("media_previews.json"))).clone();
    let got: Vec<(&str, &str, Option<&str>)> = post
        .media
        .iter()
        .map(|m| (m.kind.as_str(), m.url.as_str(), m.preview.as_deref()))
        .collect();
    let media = "https://birch.example/media/";
    assert_eq!(
        got,
        [
            (
                "video",
                &*format!("{media}estuary.mp4"),
                Some(&*format!("{media}estuary_poster.jpg"))
            ),
            (
                "gifv",
                &*format!("{media}gulls.mp4"),
                Some(&*format!("{media}gulls_poster.jpg"))
            ),
            (
                "audio",
                &*format!("{media}curlews.mp3"),
                Some(&*format!("{media}curlews_cover.png"))
            ),
            ("image", &*format!("{media}heron.jpg"), None),
            ("video", &*format!("{media}tide.mp4"), None),
        ]
    );
}

#[test]
fn structured_tags_are_normalised_and_deduplicated() {
    let post = only_post(&parse(&quirk("tags_case_duplicates.json"))).clone();
    assert_eq!(post.tags, ["tidepools", "qualitatskatzen"]);
    assert!(post.has_structured_tags);
    assert!(post.media.is_empty());
}

#[test]
fn private_boost_of_public_post_keeps_the_post_only() {
    let parsed = parse(&quirk("boost_private_wrapper.json"));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let [Item::Post(post), skipped] = parsed.items.as_slice() else {
        panic!("expected a post and a skip, got {:?}", parsed.items);
    };
    assert_eq!(post.uri, "https://birch.example/users/rowan/statuses/95");
    assert_eq!(post.text, "boost me quietly");
    // The booster is local to quay.example, which therefore issued the ids.
    assert_eq!(post.local_id, local("quay.example", "1000"));
    assert_eq!(
        skipped,
        &Item::Skipped(Skip {
            uri: some("https://quay.example/users/mika/statuses/1001/activity"),
            reason: SkipReason::NotPublic,
        })
    );
}

#[test]
fn quote_fallback_stays_without_a_quote() {
    let post = only_post(&parse(&quirk("quote_inline_without_quote.json"))).clone();
    assert_eq!(
        post.text,
        "RE: https://birch.example/@rowan/95\n\ntyped by hand"
    );
}

#[test]
fn polls_keep_options_counts_and_closing_time() {
    let parsed = parse(&quirk("polls.json"));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let polls: Vec<Option<&Poll>> = posts(&parsed).iter().map(|p| p.poll.as_ref()).collect();
    let option = |title: &str, votes: Option<u64>| PollOption {
        title: title.to_owned(),
        votes,
    };
    assert_eq!(
        polls,
        [
            Some(&Poll {
                options: vec![
                    option("Tea", Some(7)),
                    option("Coffee <strong>black</strong>", Some(3))
                ],
                multiple: false,
                closes_at: Some(time("2026-03-02T09:00:00Z")),
                voters: Some(10),
            }),
            // Hidden totals: `votes_count` null (or missing), no `voters_count`, no end.
            Some(&Poll {
                options: vec![
                    option("Sleep", None),
                    option("A walk", None),
                    option("Talking it over", None)
                ],
                multiple: true,
                closes_at: None,
                voters: None,
            }),
        ]
    );
}

#[test]
fn emojis_of_the_status_then_the_account_each_shortcode_once() {
    let post = only_post(&parse(&quirk("emojis.json"))).clone();
    let emoji = |shortcode: &str, url: &str| CustomEmoji {
        shortcode: shortcode.to_owned(),
        url: url.to_owned(),
    };
    // Kept as given, hostile or not: the renderer decides what it shows.
    assert_eq!(
        post.emojis,
        [
            emoji("blobwave", "https://quay.example/emoji/blobwave.gif"),
            emoji("evil", "javascript:alert(1)"),
            emoji(
                "quo\"te",
                "https://quay.example/emoji/quote.png\" onerror=\"alert(3)"
            ),
            emoji("static", "https://quay.example/emoji/static.png"),
            emoji("blobcat", "https://quay.example/emoji/blobcat.gif"),
        ]
    );
    assert_eq!(post.author.name, "Kit :blobcat: <b>bold</b> :evil:");
}

#[test]
fn only_an_accepted_quote_with_its_status_names_the_quoted_uri() {
    let parsed = parse(&quirk("quote_states.json"));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let quotes: Vec<(&str, Option<&str>)> = posts(&parsed)
        .iter()
        .map(|p| (p.uri.rsplit('/').next().unwrap(), p.quote_of.as_deref()))
        .collect();
    assert_eq!(
        quotes,
        [
            ("2004", None),
            (
                "2005",
                Some("https://quay.example/users/rowan/statuses/2004")
            ),
            // A ShallowQuote's `quoted_status_id` is local: no URI.
            ("2006", None),
            ("2007", None),
            ("2008", None),
            ("2009", Some("https://far.example/users/wren/statuses/77")),
            // Kept as given; the page links only safe URLs.
            ("2010", Some("javascript:alert(4)")),
        ]
    );
    // The accepted quote's fallback paragraph is gone; the others had none.
    assert_eq!(posts(&parsed)[1].text, "This, a hundred times. #RichTest");
}

#[test]
fn edits_carry_their_edit_time() {
    let versions: Vec<Post> = ["edit_v1.json", "edit_v2.json", "edit_v3.json"]
        .into_iter()
        .map(|name| only_post(&parse(&quirk(name))).clone())
        .collect();
    let edited: Vec<Option<DateTime<Utc>>> = versions.iter().map(|p| p.edited_at).collect();
    assert_eq!(
        edited,
        [
            None,
            Some(time("2026-03-01T10:30:00Z")),
            Some(time("2026-03-01T11:00:00Z"))
        ]
    );
    assert_eq!(versions[1].text, "Second try, clearer. #RichTest");
    assert_eq!(versions[1].spoiler_text.as_deref(), Some("shift talk"));
}

#[test]
fn account_without_uri_is_known_by_its_url() {
    let post = only_post(&parse(&quirk("account_without_uri.json"))).clone();
    assert_eq!(post.author.uri, "https://quay.example/@old");
    assert_eq!(post.author.handle, "@old@quay.example");
    assert_eq!(post.author.name, "Old Timer");
}

// ---------------------------------------------------------------- small inline cases

fn status(id: &str) -> Value {
    json!({
        "id": id,
        "created_at": "2025-01-01T00:00:00Z",
        "uri": format!("https://quay.example/users/mika/statuses/{id}"),
        "content": format!("<p>{id}</p>"),
        "account": {"acct": "mika", "url": "https://quay.example/@mika"},
    })
}

#[test]
fn bad_records_warn_with_their_pointer() {
    let mut no_uri = status("2");
    no_uri.as_object_mut().map(|s| s.remove("uri"));
    let mut no_account = status("3");
    no_account.as_object_mut().map(|s| s.remove("account"));
    let mut bad_time = status("4");
    bad_time["created_at"] = json!("yesterday");
    let doc = json!({"ancestors": [status("1")], "descendants": [42, no_uri, no_account, bad_time, status("5")]});
    let parsed = parse(&doc);
    let pointers: Vec<_> = parsed.warnings.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/descendants/0",
            "/descendants/1",
            "/descendants/2",
            "/descendants/3"
        ]
    );
    assert_eq!(
        parsed.warnings[0].message,
        "expected a status object, found a number"
    );
    assert_eq!(parsed.warnings[1].message, "status has no `uri`");
    assert!(
        parsed.warnings[2].message.contains("no `account`"),
        "{:?}",
        parsed.warnings[2]
    );
    assert!(
        parsed.warnings[3].message.contains("`yesterday`"),
        "{:?}",
        parsed.warnings[3]
    );
    let ids: Vec<_> = posts(&parsed).iter().map(|p| p.text.as_str()).collect();
    assert_eq!(ids, ["1", "5"]);
}

#[test]
fn missing_visibility_counts_as_public_and_ids_stay_opaque() {
    let doc = json!([status("01FJC1MKPVX2VMWP2ST93Q90K7")]);
    let post = only_post(&parse(&doc)).clone();
    assert_eq!(
        post.local_id,
        local("quay.example", "01FJC1MKPVX2VMWP2ST93Q90K7")
    );
    assert!(!post.has_structured_tags);
}

#[test]
fn broken_boosted_status_warns_under_reblog() {
    let mut inner = status("9");
    inner.as_object_mut().map(|s| s.remove("created_at"));
    let mut wrapper = status("10");
    wrapper["reblog"] = inner;
    let parsed = parse(&json!([wrapper]));
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!(parsed.warnings[0].pointer, "/0/reblog");
    // The boost is an event in its own right, kept even though the post is not.
    assert_eq!(
        parsed.items,
        [Item::Boost(Boost {
            uri: "https://quay.example/users/mika/statuses/10".to_owned(),
            post_uri: "https://quay.example/users/mika/statuses/9".to_owned(),
            booster: "https://quay.example/@mika".to_owned(),
            created_at: Some(time("2025-01-01T00:00:00Z")),
        })]
    );
}

#[test]
fn empty_array_is_an_empty_document() {
    let parsed = parse(&json!([]));
    assert!(parsed.items.is_empty() && parsed.warnings.is_empty());
}

#[test]
fn unacceptable_top_levels_fail_the_document() {
    assert_eq!(parse_err(&json!([1, 2, 3])).pointer, "");
    assert_eq!(
        parse_err(&json!({"ancestors": [], "descendants": "many"})).pointer,
        "/descendants"
    );
    assert_eq!(
        parse_err(&json!({"type": "Note", "id": "https://a.example/n/1"})).pointer,
        ""
    );
    assert_eq!(parse_err(&json!("hello")).pointer, "");
    assert_eq!(parse_err(&json!({"statuses": []})).pointer, "");
}

#[test]
fn sniff_accepts_mastodon_shapes_only() {
    for yes in [
        json!([]),
        json!([{"account": {}, "created_at": "2025-01-01T00:00:00Z"}]),
        json!([{"account": {}, "uri": "https://a.example/s/1"}]),
        json!({"ancestors": [], "descendants": []}),
        json!({"descendants": []}),
        json!({"account": {}, "uri": "https://a.example/s/1"}),
    ] {
        assert!(MastodonApi::sniff(&yes), "{yes}");
    }
    let note = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Note",
        "id": "https://a.example/notes/1",
        "attributedTo": "https://a.example/users/kim",
        "content": "<p>hi</p>",
    });
    for no in [
        note,
        json!({"type": "Create", "actor": "https://a.example/u", "object": {"type": "Note"}}),
        json!({"account": {}, "uri": "https://a.example/s/1", "type": "Note"}),
        json!([1, 2]),
        json!([{"id": "1"}]),
        json!({"descendants": "x"}),
        json!({"account": {}}),
        json!(null),
        json!("text"),
    ] {
        assert!(!MastodonApi::sniff(&no), "{no}");
    }
}

#[test]
fn quote_fallback_is_only_a_leading_quote_inline_paragraph() {
    assert_eq!(
        strip_quote_fallback("<p class=\"quote-inline\">RE: x</p><p>y</p>"),
        "<p>y</p>"
    );
    assert_eq!(
        strip_quote_fallback(" <p class=\"quote-inline\">RE: x</p>"),
        ""
    );
    assert_eq!(
        strip_quote_fallback("<p>y</p><p class=\"quote-inline\">RE</p>"),
        "<p>y</p><p class=\"quote-inline\">RE</p>"
    );
    assert_eq!(
        strip_quote_fallback("<p class=\"quote-inline\">RE: unclosed"),
        "<p class=\"quote-inline\">RE: unclosed"
    );
    assert_eq!(
        strip_quote_fallback("<pre class=\"quote-inline\">x</pre>"),
        "<pre class=\"quote-inline\">x</pre>"
    );
    assert_eq!(strip_quote_fallback("no tags"), "no tags");
    assert_eq!(strip_quote_fallback(""), "");
}

mod never_panics {
    use proptest::prelude::*;

    use super::*;

    /// Any JSON value, shallow enough to keep cases quick.
    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            ".{0,12}".prop_map(Value::from),
            "(https?://[a-z]{1,5}(:[0-9]{1,4})?/)?@?[a-z@]{0,6}".prop_map(Value::from),
            "<p class=\"quote-inline\">.{0,6}(</p>)?.{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(key(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Mostly the keys the parser reads, so the interesting paths are reached.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "id",
                "uri",
                "url",
                "created_at",
                "account",
                "acct",
                "content",
                "text",
                "reblog",
                "visibility",
                "tags",
                "name",
                "media_attachments",
                "meta",
                "original",
                "width",
                "quote",
                "in_reply_to_id",
                "ancestors",
                "descendants",
                "description",
            ])
            .prop_map(str::to_owned),
            "[a-z]{1,4}",
        ]
    }

    proptest! {
        #[test]
        fn parse_and_sniff_never_panic(doc in any_value()) {
            let _ = MastodonApi::sniff(&doc);
            let _ = MastodonApi::parse(&doc, &mut Parsed::default());
        }
    }
}
