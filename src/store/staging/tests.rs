//! The staging encoding gives back every item as it was staged.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use super::{Bodies, GraphPlace, StagedItem, read_back};
use crate::model::{
    Author, Consent, CustomEmoji, Deletion, Item, LocalId, Media, Poll, PollOption, Post,
    ReplyCount, Skip, SkipReason, StoryInfo, TextBoost,
};
use crate::sources::test_util::fixture_files;
use crate::sources::{Parsed, detect};

fn round_trip(item: &Item) -> Item {
    let staged = StagedItem::new(item.clone(), GraphPlace::default()).expect("stages");
    let mut bodies = Bodies::new().unwrap();
    let place = bodies.append(&staged.parts()).unwrap();
    read_back(bodies.read(place).unwrap()).expect("reads back")
}

fn at(secs: i64, nanos: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, nanos).unwrap()
}

/// A post with every optional part present, and its bare twin.
fn full_post() -> Post {
    Post {
        uri: "https://a.example/users/ann/statuses/1".into(),
        url: Some("https://a.example/@ann/1".into()),
        author: Author {
            uri: "https://a.example/users/ann".into(),
            handle: "@ann@a.example".into(),
            name: "Ann \u{1F600} \"quoted\"".into(),
            url: Some("https://a.example/@ann".into()),
            avatar: Some("avatar.png".into()),
            consent: Consent {
                refuses: false,
                noindex: true,
                from_profile: true,
            },
        },
        created_at: at(1_376_000_000, 123_456_789),
        edited_at: Some(at(1_376_000_100, 0)),
        content_html: "<p>a &amp; b</p>".into(),
        text: "a & b\nc".into(),
        language: Some("en".into()),
        in_reply_to: Some("https://b.example/notes/9".into()),
        in_reply_to_local: Some(LocalId {
            server: "b.example".into(),
            id: "9".into(),
        }),
        local_id: Some(LocalId {
            server: "a.example".into(),
            id: "1".into(),
        }),
        conversation: Some("tag:a.example,2013:1".into()),
        sensitive: true,
        spoiler_text: Some("cw".into()),
        tags: vec!["dearmentalhealthprofessionals".into(), "ünïcode".into()],
        has_structured_tags: true,
        media: vec![
            Media {
                url: "https://a.example/v.mp4".into(),
                kind: "video".into(),
                alt: Some("a video".into()),
                width: Some(640),
                height: Some(480),
                preview: Some("https://a.example/v.jpg".into()),
            },
            Media {
                url: "https://a.example/p.png".into(),
                kind: "image".into(),
                alt: None,
                width: None,
                height: None,
                preview: None,
            },
        ],
        quote_of: Some("https://c.example/notes/3".into()),
        poll: Some(Poll {
            options: vec![
                PollOption {
                    title: "yes".into(),
                    votes: Some(3),
                },
                PollOption {
                    title: "no".into(),
                    votes: None,
                },
            ],
            multiple: true,
            closes_at: Some(at(-62_000_000_000, 1)),
            voters: Some(u64::MAX),
        }),
        emojis: vec![CustomEmoji {
            shortcode: "blobcat".into(),
            url: "https://a.example/e.png".into(),
        }],
        source_json: r#"{"id":"1","content":"<p>a &amp; b</p>"}"#.into(),
        reply_count: ReplyCount::Count(-0),
    }
}

fn bare_post() -> Post {
    Post {
        uri: String::new(),
        url: None,
        author: Author::default(),
        created_at: at(0, 0),
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
        reply_count: ReplyCount::Unread,
    }
}

#[test]
fn every_kind_of_item_reads_back_as_it_was_staged() {
    let mut items = Vec::new();
    for count in [ReplyCount::Unread, ReplyCount::Absent, ReplyCount::Count(7)] {
        items.push(Item::Post(Box::new(Post {
            reply_count: count,
            ..full_post()
        })));
        items.push(Item::Post(Box::new(Post {
            reply_count: count,
            ..bare_post()
        })));
    }
    items.extend([
        Item::Boost(crate::model::Boost {
            uri: "https://a.example/b/1".into(),
            post_uri: "https://b.example/notes/9".into(),
            booster: "https://a.example/users/ann".into(),
            created_at: None,
        }),
        Item::TextBoost(TextBoost {
            uri: "t".into(),
            booster: "b".into(),
            created_at: Some(at(253_402_300_799, 999_999_999)),
            author_handle: "@x".into(),
            text_start: "RT".into(),
        }),
        Item::Delete(Deletion {
            uri: "https://a.example/users/ann/statuses/2".into(),
            deleted_at: Some(at(1, 0)),
        }),
        Item::Actor(full_post().author),
        Item::Skipped(Skip {
            uri: None,
            reason: SkipReason::Forgotten,
        }),
        Item::Story(StoryInfo {
            url: "https://storify.com/x/y".into(),
            title: "A story".into(),
            intro_html: "<p>intro</p>".into(),
            curator: Some(Author::default()),
            published_at: None,
            positions: Some(3..9),
        }),
        Item::Curated(crate::model::Curated::Note {
            html: "<p>note</p>".into(),
        }),
    ]);
    for item in &items {
        assert_eq!(&round_trip(item), item);
    }
}

/// Every item the parsers make of the project's fixtures, of every format.
fn fixture_items() -> Vec<(String, String, Item)> {
    let mut items = Vec::new();
    for path in fixture_files() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        // A Twitter archive's `tweets.js` is an assignment to a JSON array.
        let text = match text.find(" = [") {
            Some(at) if path.extension().is_some_and(|e| e == "js") => &text[at + 3..],
            _ => text.as_str(),
        };
        let docs: Vec<Value> = match serde_json::from_str(text) {
            Ok(doc) => vec![doc],
            Err(_) => text
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect(),
        };
        for doc in docs {
            let Some(format) = detect(&doc) else {
                continue;
            };
            let mut parsed = Parsed::default();
            if format.parse(&doc, &mut parsed).is_ok() {
                let (format, name) = (format!("{format:?}"), path.display().to_string());
                items.extend((parsed.items.into_iter()).map(|i| (format.clone(), name.clone(), i)));
            }
        }
    }
    items
}

#[test]
fn every_fixture_item_reads_back_as_it_was_staged() {
    let items = fixture_items();
    let formats: std::collections::BTreeSet<&str> = items
        .iter()
        .filter(|(_, _, i)| matches!(i, Item::Post(_)))
        .map(|(format, _, _)| format.as_str())
        .collect();
    assert_eq!(formats.len(), 7, "posts read from {formats:?}");
    for (_, file, item) in &items {
        assert_eq!(&round_trip(item), item, "{file}");
    }
}
