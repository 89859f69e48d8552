use serde_json::json;

use super::*;
use crate::model::Consent;

fn forgotten_author() -> Forgotten {
    let mut f = Forgotten::default();
    f.insert(
        Kind::Author,
        hash(Kind::Author, "https://care.example/users/quill"),
    );
    f.insert(
        Kind::Author,
        hash(Kind::Author, "https://care.example/@quill"),
    );
    f.insert(Kind::Handle, hash(Kind::Handle, "@quill@care.example"));
    f.insert(Kind::Name, hash(Kind::Name, "Quillon Marsh 🌿"));
    f
}

fn reply(html: &str, text: &str, json: &serde_json::Value) -> Post {
    Post {
        uri: "https://care.example/users/ruth/statuses/2".into(),
        url: None,
        author: Author {
            uri: "https://care.example/users/ruth".into(),
            handle: "@ruth@care.example".into(),
            consent: Consent::default(),
            ..Author::default()
        },
        created_at: chrono::DateTime::UNIX_EPOCH,
        edited_at: None,
        content_html: html.into(),
        text: text.into(),
        language: None,
        in_reply_to: Some("https://care.example/users/quill/statuses/1".into()),
        in_reply_to_local: None,
        local_id: None,
        conversation: None,
        sensitive: false,
        spoiler_text: None,
        tags: Vec::new(),
        has_structured_tags: true,
        media: Vec::new(),
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        source_json: json.to_string(),
        reply_count: crate::model::ReplyCount::Unread,
    }
}

#[test]
fn hashes_ignore_case_a_leading_at_and_the_symbols_around_a_name() {
    assert_eq!(
        hash(Kind::Handle, "@Quill@Care.Example"),
        hash(Kind::Handle, "quill@care.example")
    );
    assert_eq!(
        hash(Kind::Post, "https://a.example/p/1/"),
        hash(Kind::Post, "HTTPS://A.EXAMPLE/P/1")
    );
    assert_eq!(
        hash(Kind::Name, "🌿 Quillon  Marsh!"),
        hash(Kind::Name, "quillon marsh")
    );
    assert_eq!(hash(Kind::Name, "x").len(), 64);
}

#[test]
fn whole_mentions_only_are_replaced() {
    let r = |h: &str, n: &str| replace_bounded(h, n, "@forgotten");
    assert_eq!(r("hi @quill.", "@quill").as_deref(), Some("hi @forgotten."));
    assert_eq!(
        r("hi @Quill, you", "@quill").as_deref(),
        Some("hi @forgotten, you")
    );
    assert_eq!(r("hi @quillon", "@quill"), None);
    assert_eq!(r("hi @quill@elsewhere.example", "@quill"), None);
    assert_eq!(r("hi @quill.example", "@quill"), None);
    assert_eq!(
        r("mail x@quill now", "@quill"),
        Some("mail x@forgotten now".into())
    );
    assert_eq!(
        replace_bounded("Samuel and Sam", "Sam", "[forgotten]").as_deref(),
        Some("Samuel and [forgotten]")
    );
}

#[test]
fn a_mention_of_a_forgotten_author_is_recognised_by_its_hashes_and_scrubbed() {
    let forgotten = forgotten_author();
    let mut post = reply(
        r#"<p><a href="https://care.example/@quill" class="u-url mention">@<span>quill</span></a> thank you, Quillon Marsh!</p>"#,
        "@quill thank you, Quillon Marsh!",
        &json!({
            "uri": "https://care.example/users/ruth/statuses/2",
            "content": "<p>@quill thank you, Quillon Marsh!</p>",
            "mentions": [{"id": "9", "username": "quill", "acct": "quill@care.example",
                          "url": "https://care.example/@quill"}],
            "in_reply_to_id": "1"
        }),
    );
    let scrubber = forgotten.recognise(&post);
    assert!(scrubber.scrub_post(&mut post));
    let all = format!(
        "{} {} {} {}",
        post.content_html,
        post.text,
        post.source_json,
        post.in_reply_to.as_deref().unwrap_or_default()
    )
    .to_lowercase();
    for gone in ["quill", "marsh"] {
        assert!(!all.contains(gone), "{gone} in {all}");
    }
    assert_eq!(post.text, "@forgotten thank you, [forgotten]!");
    assert!(post.in_reply_to.unwrap().starts_with("forgotten:"));
    let json: serde_json::Value = serde_json::from_str(&post.source_json).unwrap();
    assert_eq!(json["mentions"], json!(["forgotten"]));
}

#[test]
fn a_post_mentioning_nobody_forgotten_is_left_alone() {
    let forgotten = forgotten_author();
    let mut post = reply(
        "<p>@quillon hello Quill</p>",
        "@quillon hello Quill",
        &json!({"mentions": [{"acct": "quillon@care.example"}]}),
    );
    post.in_reply_to = None;
    assert!(forgotten.recognise(&post).is_empty());
    assert!(!Scrubber::new(&forgotten).scrub_post(&mut post));
}

#[test]
fn an_embedded_copy_of_a_forgotten_post_is_replaced_whole() {
    let mut forgotten = Forgotten::default();
    forgotten.insert(Kind::Post, hash(Kind::Post, "https://a.example/notes/7"));
    let mut scrubber = Scrubber::new(&forgotten);
    scrubber.add_post("https://a.example/notes/7");
    let json = json!({"id": "https://b.example/1", "quote": {"state": "accepted",
        "quoted_status": {"uri": "https://a.example/notes/7", "content": "secret words"}}});
    let out = scrubber.scrub_json(&json.to_string()).unwrap();
    assert!(!out.contains("secret"), "{out}");
    assert!(out.contains(r#""quoted_status":"forgotten""#), "{out}");
}

#[test]
fn author_uris_are_recognised_as_the_start_of_post_uris() {
    assert_eq!(
        url_prefixes("https://h.example/users/q/statuses/1"),
        [
            "https://h.example/users/q/statuses/1",
            "https://h.example/users/q/statuses",
            "https://h.example/users/q",
            "https://h.example/users",
        ]
    );
    assert_eq!(
        handle_of_url("https://h.example/@q").as_deref(),
        Some("@q@h.example")
    );
    assert_eq!(
        handle_of_url("https://twitter.com/q").as_deref(),
        Some("@q")
    );
}
