//! Expectations are written by hand from the input files, feed-rs style.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::*;
use crate::model::{
    Author, Boost, CustomEmoji, Deletion, Item, Media, Poll, PollOption, Post, Skip, SkipReason,
};
use crate::sources::test_util::{self, posts};
use crate::sources::{Parsed, ProblemKind, Warning};

/// A real sample from `../shared/corpus/activitypub/`, read in place.
fn corpus(name: &str) -> Option<Value> {
    test_util::corpus_json(&format!("activitypub/{name}"))
}

/// One of our quirk fixtures, `fixtures/activitypub/quirks/<name>.json`.
fn quirk(name: &str) -> Value {
    test_util::fixture_json(&format!("activitypub/quirks/{name}.json"))
}

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn parse(doc: &Value) -> Parsed {
    test_util::parse_as::<ActivityPub>(doc)
}

/// The only item, which must be a post, with no warnings.
fn only_post(doc: &Value) -> Post {
    test_util::sole_post(&parse(doc)).clone()
}

/// An author known only by URI.
fn by_uri(uri: &str, handle: &str) -> Author {
    Author {
        uri: uri.into(),
        handle: handle.into(),
        ..Author::default()
    }
}

/// A public post with only the required fields; tests fill in the rest with `..`.
fn post(uri: &str, author: Author, created: &str, html: &str, text: &str, doc: &Value) -> Post {
    Post {
        uri: uri.into(),
        url: None,
        author,
        created_at: t(created),
        edited_at: None,
        content_html: html.into(),
        text: text.into(),
        language: None,
        in_reply_to: None,
        in_reply_to_local: None,
        local_id: None,
        conversation: None,
        sensitive: false,
        spoiler_text: None,
        tags: vec![],
        has_structured_tags: false,
        media: vec![],
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        source_json: serde_json::to_string(doc).unwrap(),
        reply_count: crate::model::ReplyCount::Absent,
    }
}

fn skipped(uri: &str, reason: SkipReason) -> Item {
    Item::Skipped(Skip {
        uri: Some(uri.into()),
        reason,
    })
}

fn mira() -> Author {
    by_uri("https://gts.example/users/mira", "@mira@gts.example")
}

fn ana() -> Author {
    by_uri("https://a.example/users/ana", "@ana@a.example")
}

// ---- the shared corpus -------------------------------------------------------------------

#[test]
fn corpus_friendica_prefers_content_over_content_map() {
    let Some(doc) = corpus("friendica-note-hashtags-contentmap.json") else {
        return;
    };
    let got = only_post(&doc);
    assert_eq!(
        got.uri,
        "https://nerdica.net/objects/a85d7459-7262-66e9-f901-f05552414769"
    );
    assert_eq!(
        got.author,
        by_uri("https://nerdica.net/profile/liwott", "@liwott@nerdica.net")
    );
    assert_eq!(got.created_at, t("2022-04-25T18:35:37Z"));
    assert_eq!(got.edited_at, None);
    assert_eq!(
        got.in_reply_to.as_deref(),
        Some("https://lemmy.ml/comment/167904")
    );
    assert_eq!(
        got.conversation.as_deref(),
        Some("https://lemmy.ml/post/243881#context")
    );
    assert_eq!(
        got.url.as_deref(),
        Some("https://nerdica.net/display/a85d7459-7262-66e9-f901-f05552414769")
    );
    assert_eq!(got.tags, ["friendica", "lemmy"]);
    assert!(got.has_structured_tags);
    assert_eq!(got.spoiler_text, None, "summary is \"\"");
    assert_eq!(got.language.as_deref(), Some("en"));
    assert!(got.media.is_empty());
    // `content` says "canquote-share", `contentMap.en` "can quote-share".
    assert!(
        got.text
            .starts_with("Note that on #Friendica we canquote-share"),
        "{}",
        got.text
    );
    assert!(!got.content_html.contains("<h3"), "{}", got.content_html);
}

#[test]
fn corpus_lemmy_comment() {
    let Some(doc) = corpus("lemmy-comment-note.json") else {
        return;
    };
    let want = Post {
        edited_at: Some(t("2021-03-01T13:43:03.955787Z")),
        in_reply_to: Some("https://enterprise.lemmy.ml/post/55143".into()),
        conversation: Some("https://enterprise.lemmy.ml/comment/38741/context".into()),
        has_structured_tags: true,
        ..post(
            "https://enterprise.lemmy.ml/comment/38741",
            by_uri(
                "https://enterprise.lemmy.ml/u/picard",
                "@picard@enterprise.lemmy.ml",
            ),
            "2021-03-01T13:42:43.966208Z",
            "<p>first comment!</p>\n",
            "first comment!",
            &doc,
        )
    };
    assert_eq!(only_post(&doc), want);
}

#[test]
fn corpus_mastodon_announce_of_bare_uri_is_a_boost() {
    let Some(doc) = corpus("mastodon-announce-boost.json") else {
        return;
    };
    let parsed = parse(&doc);
    assert_eq!(parsed.warnings, vec![]);
    assert_eq!(
        parsed.items,
        vec![Item::Boost(Boost {
            uri: "http://mastodon.example.org/users/admin/statuses/99542391527669785/activity"
                .into(),
            post_uri: "http://mastodon.example.org/@admin/99541947525187367".into(),
            booster: "http://mastodon.example.org/users/admin".into(),
            created_at: Some(t("2018-02-17T19:39:15Z")),
        })]
    );
}

#[test]
fn corpus_mastodon_create_with_cw() {
    let Some(doc) = corpus("mastodon-create-note-cw-mention-replies.json") else {
        return;
    };
    let want = Post {
        url: Some("http://mastodon.example.org/@admin/99512778738411822".into()),
        conversation: Some(
            "tag:mastodon.example.org,2018-02-12:objectId=20:objectType=Conversation".into(),
        ),
        sensitive: true,
        spoiler_text: Some("cw".into()),
        has_structured_tags: true,
        ..post(
            "http://mastodon.example.org/users/admin/statuses/99512778738411822",
            by_uri(
                "http://mastodon.example.org/users/admin",
                "@admin@mastodon.example.org",
            ),
            "2018-02-12T14:08:20Z",
            "<p><span class=\"h-card\"><a href=\"http://localtesting.pleroma.lol/users/lain\" \
             class=\"u-url mention\" rel=\"nofollow noopener ugc\">@<span>lain</span></a></span></p>",
            "@lain",
            &doc["object"],
        )
    };
    // The embedded `replies` page lists URIs of replies: not walked, so no warnings either.
    assert_eq!(only_post(&doc), want);
}

#[test]
fn corpus_mastodon_delete_with_tombstone() {
    let Some(doc) = corpus("mastodon-delete-tombstone.json") else {
        return;
    };
    let parsed = parse(&doc);
    assert_eq!(parsed.warnings, vec![]);
    assert_eq!(
        parsed.items,
        vec![Item::Delete(Deletion {
            uri: "https://mastodon.madrid/users/felix/statuses/107773559874184870".into(),
            deleted_at: None,
        })]
    );
}

#[test]
fn corpus_mastodon_export_actor_keeps_relative_avatar() {
    let Some(doc) = corpus("mastodon-export-actor.json") else {
        return;
    };
    let parsed = parse(&doc);
    assert_eq!(parsed.warnings, vec![]);
    assert_eq!(
        parsed.items,
        vec![Item::Actor(Author {
            uri: "https://indieweb.social/users/dealingwith".into(),
            handle: "@dealingwith@indieweb.social".into(),
            name: "dealingwith".into(),
            url: Some("https://indieweb.social/@dealingwith".into()),
            avatar: Some("avatar.jpg".into()),
            consent: test_util::profile_says_nothing(),
        })]
    );
}

#[test]
fn corpus_mastodon_export_outbox() {
    let Some(doc) = corpus("mastodon-export-outbox-trimmed.json") else {
        return;
    };
    // The file says `"orderedItems":[],"orderedItems":[…]`: the last one wins.
    assert_eq!(doc["orderedItems"].as_array().map(Vec::len), Some(21));
    let parsed = parse(&doc);
    assert_eq!(parsed.warnings, vec![]);
    assert_eq!(parsed.items.len(), 21);
    let posts = posts(&parsed);
    assert_eq!(posts.len(), 18, "every Create is public");
    let me = by_uri(
        "https://indieweb.social/users/dealingwith",
        "@dealingwith@indieweb.social",
    );
    assert!(posts.iter().all(|p| p.author == me));
    assert!(
        !parsed
            .items
            .iter()
            .any(|i| matches!(i, Item::Skipped(_) | Item::Delete(_)))
    );

    let status = |n: &str| format!("https://indieweb.social/users/dealingwith/statuses/{n}");
    let boost = |n: &str, object: &str, at: &str| {
        Item::Boost(Boost {
            uri: format!("{}/activity", status(n)),
            post_uri: object.into(),
            booster: "https://indieweb.social/users/dealingwith".into(),
            created_at: Some(t(at)),
        })
    };
    assert_eq!(
        parsed.items[5..8],
        [
            boost(
                "109449999597967268",
                "https://mastodon.social/users/s0mmer/statuses/109440048909776763",
                "2022-12-03T13:34:16Z"
            ),
            boost(
                "109479404138521059",
                "https://blackrock.city/users/spolsky/statuses/109479189891200543",
                "2022-12-08T18:12:14Z"
            ),
            boost(
                "109547951551819591",
                "https://mastodon.cloud/users/anildash/statuses/109547922136505289",
                "2022-12-20T20:44:44Z"
            ),
        ]
    );

    let find = |n: &str| {
        let uri = status(n);
        *posts.iter().find(|p| p.uri == uri).unwrap()
    };
    // The six-post self-thread.
    let thread = [
        "109965523804841935",
        "109965535953712681",
        "109965543795002758",
        "109965555253070797",
        "109965564297943916",
        "109965572531697357",
    ];
    assert_eq!(find(thread[0]).in_reply_to, None);
    for pair in thread.windows(2) {
        assert_eq!(
            find(pair[1]).in_reply_to,
            Some(status(pair[0])),
            "{}",
            pair[1]
        );
    }
    assert_eq!(
        find(thread[4]).media[0].alt.as_deref(),
        Some(
            "A diagram of \"Microsoft Teams Architecture\" that kind of speaks for itself. \
             It's hilariously complex."
        )
    );

    // The CW reply.
    let cw = find("109390360974197006");
    assert_eq!(
        cw.spoiler_text.as_deref(),
        Some("Personal website updates...")
    );
    assert!(cw.sensitive);
    assert_eq!(
        cw.in_reply_to.as_deref(),
        Some("https://indieweb.social/users/willd/statuses/109390196577782763")
    );
    assert_eq!(cw.created_at, t("2022-11-23T00:47:23Z"));

    // The edited post.
    let edited = find("109559452693184721");
    assert_eq!(edited.created_at, t("2022-12-22T21:29:38Z"));
    assert_eq!(edited.edited_at, Some(t("2022-12-22T21:30:04Z")));
    assert_eq!(posts.iter().filter(|p| p.edited_at.is_some()).count(), 1);

    // Hashtags and media with and without alt text.
    let cat = find("109333840388857217");
    assert_eq!(cat.tags, ["caterday"]);
    assert_eq!(
        cat.text,
        "\"#caterday is serious business on Mastodon. Send me a photo of Harley.\""
    );
    assert_eq!(cat.language.as_deref(), Some("en"));
    assert_eq!(
        cat.media,
        [Media {
            url: "/indiewebsocial/media_attachments/files/109/333/835/161/429/021/original/\
                  3381f6f615f26246.jpeg"
                .into(),
            kind: "image".into(),
            alt: Some("Picture of a white cat laying on a white couch".into()),
            width: Some(1440),
            height: Some(1081),
            preview: None,
        }]
    );
    assert_eq!(find("110052656419170276").tags, ["fediverse"]);
    let no_alt = find("109376719336938342");
    assert!(no_alt.sensitive);
    assert_eq!(no_alt.media.len(), 2);
    assert!(
        no_alt
            .media
            .iter()
            .all(|m| m.alt.is_none() && m.kind == "image")
    );
    // A reply with only an image: empty content.
    let image_only = find("110384223502976501");
    assert_eq!(
        (image_only.content_html.as_str(), image_only.text.as_str()),
        ("", "")
    );
    assert_eq!(image_only.in_reply_to, Some(status("110378439270985878")));
    assert_eq!(image_only.media.len(), 1);
}

#[test]
fn corpus_mastodon_note_with_alt_text() {
    let Some(doc) = corpus("mastodon-note-self-thread-alt-text.json") else {
        return;
    };
    let got = only_post(&doc);
    assert_eq!(
        got.uri,
        "https://floss.social/users/kde/statuses/113306831140126616"
    );
    assert_eq!(
        got.author,
        by_uri("https://floss.social/users/kde", "@kde@floss.social")
    );
    assert_eq!(got.created_at, t("2024-10-14T16:57:15Z"));
    assert_eq!(
        got.in_reply_to.as_deref(),
        Some("https://floss.social/users/kde/statuses/113306824627995724")
    );
    assert_eq!(got.spoiler_text, None);
    assert_eq!(got.language.as_deref(), Some("en"));
    assert_eq!((got.tags.len(), got.has_structured_tags), (0, true));
    assert_eq!(
        got.media,
        [Media {
            url: "https://cdn.masto.host/floss/media_attachments/files/113/306/826/682/985/891/\
                  original/c8d906a2f2ab2334.jpg"
                .into(),
            kind: "image".into(),
            alt: Some(
                "The KDE dragons Katie and Konqi stand on either side of a pot filling up with \
                 gold coins. Donate!"
                    .into()
            ),
            width: Some(1500),
            height: Some(1095),
            preview: None,
        }]
    );
    assert!(got.text.ends_with("[3/3]"), "{}", got.text);
}

#[test]
fn corpus_misskey_quote() {
    let Some(doc) = corpus("misskey-note-quote.json") else {
        return;
    };
    let got = only_post(&doc);
    assert_eq!(got.uri, "https://misskey.io/notes/934gok3482");
    assert_eq!(
        got.author,
        by_uri(
            "https://misskey.io/users/93492q0ip0",
            "@93492q0ip0@misskey.io"
        )
    );
    assert_eq!(got.created_at, t("2022-07-25T15:21:48.208Z"));
    assert_eq!(
        (got.in_reply_to.as_deref(), got.spoiler_text.as_deref()),
        (None, None)
    );
    assert_eq!((got.tags.len(), got.has_structured_tags), (0, true));
    assert_eq!(
        got.text,
        "i quompt u\n\nRE: https://example.com/objects/30c543fb-a165-40dd-87fd-4e249ec5a40b"
    );
    // `_misskey_quote` and `quoteUrl` agree here.
    assert_eq!(
        got.quote_of.as_deref(),
        Some("https://example.com/objects/43479e20-c0f8-4f49-bf7f-13fab8234924")
    );
    assert_eq!((got.poll, got.emojis.len()), (None, 0));
}

#[test]
fn question_one_of_is_a_single_choice_poll() {
    let got = only_post(&quirk("question_one_of"));
    assert_eq!(got.uri, "https://birch.example/users/rowan/statuses/300");
    assert_eq!(
        got.poll,
        Some(Poll {
            options: vec![
                PollOption {
                    title: "Just me".into(),
                    votes: Some(1)
                },
                PollOption {
                    title: "Me and a carer".into(),
                    votes: Some(5)
                },
            ],
            multiple: false,
            closes_at: Some(t("2026-03-02T12:00:00Z")),
            voters: Some(6),
        })
    );
    assert_eq!(
        got.emojis,
        [CustomEmoji {
            shortcode: "blob".into(),
            url: "https://birch.example/emoji/blob.png".into()
        }]
    );
    assert_eq!(got.tags, ["richtest"]);
}

#[test]
fn question_any_of_closed_is_a_multiple_choice_poll() {
    let got = only_post(&quirk("question_any_of_closed"));
    assert_eq!(
        got.poll,
        Some(Poll {
            options: vec![
                PollOption {
                    title: "Time to talk".into(),
                    votes: Some(4)
                },
                // No `replies`: votes unknown. The bare string is no option.
                PollOption {
                    title: "Being asked my name".into(),
                    votes: None
                },
            ],
            multiple: true,
            closes_at: Some(t("2026-03-01T18:10:00Z")),
            voters: None,
        })
    );
}

#[test]
fn a_note_has_no_poll_even_with_one_of() {
    let mut doc = quirk("question_any_of_closed");
    doc["type"] = json!("Note");
    assert_eq!(only_post(&doc).poll, None);
}

#[test]
fn emoji_tags_become_custom_emoji() {
    let got = only_post(&quirk("emoji_tags"));
    let emoji = |shortcode: &str, url: &str| CustomEmoji {
        shortcode: shortcode.into(),
        url: url.into(),
    };
    // Names with or without colons, `icon` as an array, `url` as a Link; one per shortcode,
    // first wins; without an icon, nothing. Hostile values are kept for the renderer to judge.
    assert_eq!(
        got.emojis,
        [
            emoji("blob", "https://birch.example/emoji/blob.png"),
            emoji("blob_cat", "https://birch.example/emoji/blob_cat.png"),
            emoji("hostile", "javascript:alert(1)"),
            emoji("spaced out", "https://birch.example/emoji/spaced.png"),
        ]
    );
    assert_eq!(got.tags, ["richtest"]);
}

#[test]
fn quote_keys_in_mastodons_order() {
    assert_eq!(
        only_post(&quirk("quote_keys")).quote_of.as_deref(),
        Some("https://quay.example/users/rowan/statuses/2004")
    );
    // `quote: null` and an empty `quoteUri` are absent.
    assert_eq!(
        only_post(&quirk("quote_misskey_only")).quote_of.as_deref(),
        Some("https://misskey.example/notes/9")
    );
    let mut doc = quirk("quote_misskey_only");
    doc["quoteUrl"] = json!({"type": "Link", "href": "https://misskey.example/notes/8"});
    assert_eq!(
        only_post(&doc).quote_of.as_deref(),
        Some("https://misskey.example/notes/8")
    );
}

#[test]
fn corpus_pleroma_reply_with_context() {
    let Some(doc) = corpus("pleroma-create-reply-context.json") else {
        return;
    };
    let got = only_post(&doc);
    assert_eq!(
        got.uri,
        "https://p.helene.moe/objects/fd5910ac-d9dc-412e-8d1d-914b203296c4"
    );
    assert_eq!(
        got.author,
        by_uri("https://p.helene.moe/users/helene", "@helene@p.helene.moe")
    );
    assert_eq!(got.created_at, t("2022-08-02T13:46:58.403996Z"));
    assert_eq!(
        got.in_reply_to.as_deref(),
        Some("https://mk.absturztau.be/notes/93e7nm8wqg")
    );
    assert_eq!(
        got.conversation.as_deref(),
        Some("https://p.helene.moe/contexts/cc324643-5583-4c3f-91d2-c6ed37db159d")
    );
    assert_eq!((got.sensitive, got.spoiler_text.as_deref()), (false, None));
    assert_eq!(got.text, "@mametsuko meow");
    assert_eq!(
        got.source_json,
        serde_json::to_string(&doc["object"]).unwrap()
    );
}

// ---- quirks ------------------------------------------------------------------------------

#[test]
fn to_as_a_single_compact_public() {
    let doc = quirk("to_string_as_public");
    let want = post(
        "https://gts.example/users/mira/statuses/01HQ",
        mira(),
        "2024-03-01T09:00:00Z",
        "<p>single-valued to</p>",
        "single-valued to",
        &doc,
    );
    assert_eq!(only_post(&doc), want);
}

#[test]
fn public_alias_in_cc_is_unlisted_and_kept() {
    let doc = quirk("public_alias_in_cc");
    let want = post(
        "https://b.example/notes/7",
        by_uri("https://b.example/@ola", "@ola@b.example"),
        "2024-03-01T10:00:00Z",
        "<p>unlisted, compact alias</p>",
        "unlisted, compact alias",
        &doc,
    );
    assert_eq!(only_post(&doc), want);
}

#[test]
fn tag_as_a_single_object() {
    let doc = quirk("tag_single_object");
    let want = Post {
        tags: vec!["carework".into()],
        has_structured_tags: true,
        ..post(
            "https://gts.example/users/mira/statuses/01HR",
            mira(),
            "2024-03-02T09:00:00Z",
            "<p>hello #CareWork</p>",
            "hello #CareWork",
            &doc,
        )
    };
    assert_eq!(only_post(&doc), want);
}

#[test]
fn hashtag_without_name_is_read_from_href() {
    let got = only_post(&quirk("hashtag_without_name"));
    assert_eq!(got.tags, ["cafetalk", "mutualaid"]);
    assert_eq!(
        got.author,
        by_uri("https://s.example/users/ivo", "@ivo@s.example")
    );
}

#[test]
fn followers_only_direct_and_unaddressed_posts_are_skipped() {
    for (name, uri) in [
        ("followers_only", "https://a.example/users/ana/statuses/5"),
        // The activity says Public, the Note does not: the Note decides.
        ("direct_message", "https://a.example/users/ana/statuses/6"),
        ("no_addressing", "https://a.example/users/ana/statuses/8"),
    ] {
        let parsed = parse(&quirk(name));
        assert_eq!(parsed.warnings, vec![], "{name}");
        assert_eq!(
            parsed.items,
            vec![skipped(uri, SkipReason::NotPublic)],
            "{name}"
        );
        assert!(!format!("{parsed:?}").contains("SECRET"), "{name}");
    }
}

#[test]
fn url_as_link_object_and_as_array() {
    let got = only_post(&quirk("url_link_object"));
    assert_eq!(got.url.as_deref(), Some("https://a.example/@ana/9"));
    let got = only_post(&quirk("url_array_of_links"));
    assert_eq!(got.url.as_deref(), Some("https://a.example/@ana/10"));
}

#[test]
fn alt_text_in_summary_gotosocial() {
    let doc = quirk("alt_in_summary_gotosocial");
    let want = Post {
        media: vec![Media {
            url: "https://gts.example/media/01HS.webp".into(),
            kind: "image".into(),
            alt: Some("A teapot on a windowsill".into()),
            width: None,
            height: None,
            preview: None,
        }],
        ..post(
            "https://gts.example/users/mira/statuses/01HS",
            mira(),
            "2024-03-05T09:00:00Z",
            "<p>a picture</p>",
            "a picture",
            &doc,
        )
    };
    assert_eq!(only_post(&doc), want);
}

#[test]
fn attachment_icon_is_the_poster_of_a_video_or_sound_only() {
    let doc = quirk("attachment_icon_poster");
    let post = only_post(&doc);
    let got: Vec<(&str, Option<&str>)> = post
        .media
        .iter()
        .map(|m| (m.kind.as_str(), m.preview.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "video",
                Some("https://birch.example/media/estuary_poster.jpg")
            ),
            (
                "audio",
                Some("https://birch.example/media/curlews_cover.png")
            ),
            ("image", None),
        ]
    );
}

#[test]
fn content_map_only() {
    let doc = quirk("content_map_only");
    let want = Post {
        language: Some("de".into()),
        ..post(
            "https://gts.example/users/mira/statuses/01HT",
            mira(),
            "2024-03-05T10:00:00Z",
            "<p>Guten Morgen</p>",
            "Guten Morgen",
            &doc,
        )
    };
    assert_eq!(only_post(&doc), want);
}

#[test]
fn update_is_an_edit_at_updated() {
    let doc = quirk("update_with_updated");
    let want = Post {
        edited_at: Some(t("2024-03-07T08:29:59Z")),
        ..post(
            "https://a.example/users/ana/statuses/11",
            ana(),
            "2024-03-06T09:00:00Z",
            "<p>fixed the typo</p>",
            "fixed the typo",
            &doc["object"],
        )
    };
    assert_eq!(only_post(&doc), want);
}

#[test]
fn deletes_of_bare_uri_tombstone_and_actor() {
    let items = |name| parse(&quirk(name)).items;
    assert_eq!(
        items("delete_bare_uri"),
        vec![Item::Delete(Deletion {
            uri: "https://gts.example/users/mira/statuses/01HU".into(),
            deleted_at: Some(t("2024-03-08T09:00:00Z")),
        })]
    );
    assert_eq!(
        items("delete_tombstone_deleted"),
        vec![Item::Delete(Deletion {
            uri: "https://a.example/users/ana/statuses/12".into(),
            deleted_at: Some(t("2024-03-08T10:00:00Z")),
        })]
    );
    assert_eq!(
        items("delete_actor"),
        vec![skipped(
            "https://a.example/users/gone#delete",
            SkipReason::Unsupported
        )]
    );
    // A Tombstone on its own, here in an embedded `first` page.
    assert_eq!(
        items("collection_first_embedded_page"),
        vec![Item::Delete(Deletion {
            uri: "https://gts.example/users/mira/statuses/01HA".into(),
            deleted_at: None,
        })]
    );
}

#[test]
fn announce_with_embedded_note_gives_post_then_boost() {
    let doc = quirk("announce_embedded_note");
    let ana = Author {
        name: "Ana Example".into(),
        url: Some("https://a.example/@ana".into()),
        avatar: Some("https://a.example/avatars/ana.png".into()),
        ..ana()
    };
    let parsed = parse(&doc);
    assert_eq!(parsed.warnings, vec![]);
    assert_eq!(
        parsed.items,
        vec![
            Item::Post(Box::new(post(
                "https://a.example/users/ana/statuses/13",
                ana,
                "2024-03-09T11:00:00Z",
                "<p>boosted with the post inside</p>",
                "boosted with the post inside",
                &doc["object"],
            ))),
            Item::Boost(Boost {
                uri: "https://b.example/activities/boost-1".into(),
                post_uri: "https://a.example/users/ana/statuses/13".into(),
                booster: "https://b.example/users/ola".into(),
                created_at: Some(t("2024-03-09T12:00:00Z")),
            }),
        ]
    );
}

#[test]
fn lemmy_announce_of_create_page_gives_the_page_with_its_title() {
    let doc = quirk("announce_relayed_create_page");
    let want = post(
        "https://l.example/post/31",
        by_uri("https://l.example/u/tomas", "@tomas@l.example"),
        "2024-03-10T09:00:00Z",
        "<p><strong>Seeds &amp; &lt;cuttings&gt;</strong></p><p>Swap on Sunday.</p>",
        "Seeds & <cuttings>\n\nSwap on Sunday.",
        &doc["object"]["object"],
    );
    // `summary` repeats the title on a Page: not a content warning. No Boost: it is a relay.
    assert_eq!(only_post(&doc), want);
}

#[test]
fn bare_string_item_in_collection_is_a_warning() {
    let parsed = parse(&quirk("collection_bare_string_item"));
    assert_eq!(
        parsed.warnings,
        vec![Warning {
            pointer: "/orderedItems/0".into(),
            kind: ProblemKind::Reference,
            message:
                "item is a bare reference to https://a.example/users/ana/statuses/14/activity; \
                      collect it live to fetch it"
                    .into(),
        }]
    );
    let uris: Vec<_> = posts(&parsed).iter().map(|p| p.uri.as_str()).collect();
    assert_eq!(uris, ["https://a.example/users/ana/statuses/15"]);
}

#[test]
fn create_of_bare_uri_is_a_warning() {
    let parsed = parse(&quirk("create_bare_object_uri"));
    assert_eq!(parsed.items, vec![]);
    assert_eq!(
        parsed.warnings,
        vec![Warning {
            pointer: "".into(),
            kind: ProblemKind::Reference,
            message: "`object` is a bare reference to https://a.example/users/ana/statuses/18; \
                      collect it live to fetch it"
                .into(),
        }]
    );
}

#[test]
fn note_missing_published_is_a_warning_and_the_rest_is_kept() {
    let parsed = parse(&quirk("note_missing_published"));
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!(parsed.warnings[0].pointer, "/orderedItems/0");
    assert!(
        parsed.warnings[0].message.contains("`published`"),
        "{:?}",
        parsed.warnings
    );
    let uris: Vec<_> = posts(&parsed).iter().map(|p| p.uri.as_str()).collect();
    assert_eq!(uris, ["https://a.example/users/ana/statuses/17"]);
}

#[test]
fn hostile_content_is_inert() {
    let got = only_post(&quirk("hostile_content"));
    for banned in [
        "<script",
        "alert(",
        "onerror",
        "onclick",
        "javascript:",
        "<img",
    ] {
        assert!(
            !got.content_html.contains(banned),
            "{banned} in {}",
            got.content_html
        );
    }
    // The `javascript:` link loses its target, and a link to nowhere becomes its text.
    assert_eq!(got.content_html, "<p>hi click</p>");
    assert_eq!(got.text, "hi click");
}

#[test]
fn unsupported_activities_are_skipped_quietly() {
    let parsed = parse(&quirk("unsupported_like_and_undo"));
    assert_eq!(parsed.warnings, vec![]);
    assert_eq!(
        parsed.items,
        vec![
            skipped("https://b.example/likes/1", SkipReason::Unsupported),
            skipped("https://b.example/undo/1", SkipReason::Unsupported),
            skipped("https://b.example/reacts/1", SkipReason::Unsupported),
        ]
    );
}

#[test]
fn announce_not_addressed_to_public_is_skipped() {
    let doc = json!({
        "type": "Announce", "id": "https://b.example/boosts/2", "actor": "https://b.example/users/ola",
        "to": ["https://b.example/users/ola/followers"],
        "object": {"type": "Note", "id": "https://a.example/n/1", "attributedTo": "https://a.example/users/ana",
                   "published": "2024-01-01T00:00:00Z", "to": [PUBLIC], "content": "x"}
    });
    assert_eq!(
        parse(&doc).items,
        vec![skipped("https://b.example/boosts/2", SkipReason::NotPublic)]
    );
}

// ---- whole-document errors and hostile shapes --------------------------------------------

#[test]
fn unreadable_top_level_is_an_error() {
    let mut sink = Parsed::default();
    let err = ActivityPub::parse(
        &json!({"type": "OrderedCollection", "orderedItems": {}}),
        &mut sink,
    )
    .unwrap_err();
    assert_eq!(err.pointer, "/orderedItems");
    assert!(sink.items.is_empty());
    assert!(ActivityPub::parse(&json!([]), &mut sink).is_err());
    assert!(
        ActivityPub::parse(
            &json!({"@context": "https://www.w3.org/ns/activitystreams"}),
            &mut sink
        )
        .is_err()
    );
    // Below the top level, the same fault only costs that page.
    let nested = json!({"type": "OrderedCollection", "first": {"type": "OrderedCollectionPage", "items": "x"}});
    let parsed = parse(&nested);
    assert_eq!(parsed.warnings[0].pointer, "/first/items");
}

/// Drops a deep chain of `object`s one level at a time: dropping it whole would recurse.
fn dismantle(mut doc: Value) {
    while let Some(inner) = doc.as_object_mut().and_then(|m| m.remove("object")) {
        doc = inner;
    }
}

fn create_chain(levels: usize) -> Value {
    let mut doc = json!({"type": "Note", "id": "https://a.example/n/deep", "attributedTo": "https://a.example/u/a",
                         "published": "2024-01-01T00:00:00Z", "to": PUBLIC, "content": "deep"});
    for _ in 0..levels {
        // Not `json!`, which would serialise `doc` again (recursively) to embed it.
        let mut create = json!({"type": "Create", "to": PUBLIC});
        if let Some(map) = create.as_object_mut() {
            map.insert("object".into(), doc);
        }
        doc = create;
    }
    doc
}

#[test]
fn ten_thousand_levels_of_object_do_not_overflow() {
    let doc = create_chain(10_000);
    let mut sink = Parsed::default();
    let result = ActivityPub::parse(&doc, &mut sink);
    assert!(result.is_err());
    assert!(sink.items.is_empty());
    assert!(ActivityPub::sniff(&doc));
    dismantle(doc);
}

#[test]
fn embedding_is_followed_eight_levels_deep() {
    let parsed = parse(&create_chain(20));
    assert_eq!(parsed.items, vec![]);
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!(parsed.warnings[0].pointer, "/object".repeat(9));
    // Eight wrappers are fine: the post at the bottom is read.
    let parsed = parse(&create_chain(8));
    assert_eq!(posts(&parsed).len(), 1, "{:?}", parsed.warnings);
}

// ---- sniffing ----------------------------------------------------------------------------

#[test]
fn sniffs_activitystreams_documents() {
    for yes in [
        json!({"type": "Note"}),
        json!({"type": "OrderedCollection", "orderedItems": []}),
        json!({"type": ["Object", "Person"]}),
        json!({"type": "Undo"}),
        json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Event"}),
        json!({"@context": ["https://www.w3.org/ns/activitystreams", {"toot": "http://joinmastodon.org/ns#"}]}),
        quirk("to_string_as_public"),
    ] {
        assert!(ActivityPub::sniff(&yes), "{yes}");
    }
    for no in [
        json!([]),
        json!("Note"),
        json!({"id": "1", "uri": "https://a.example/users/ana/statuses/1", "content": "<p>x</p>", "account": {}}),
        json!({"ancestors": [], "descendants": []}),
        json!({"type": "image", "url": "https://a.example/x.png"}),
        json!({"type": "Event"}),
    ] {
        assert!(!ActivityPub::sniff(&no), "{no}");
    }
}
