use chrono::{DateTime, Utc};

use super::*;
use crate::store::{StoredCuration, StoredCurator, StoredNote, StoredPost, StoredSource};

fn t(minute: u32) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-08-20T10:{minute:02}:00Z"))
        .expect("time")
        .with_timezone(&Utc)
}

fn stored(uri: &str, parent: Option<&str>, minute: u32) -> StoredPost {
    StoredPost {
        uri: uri.to_owned(),
        url: Some(format!("https://s.example/@a/{uri}")),
        author_uri: format!("https://s.example/users/{uri}"),
        author_handle: format!("@{uri}@s.example"),
        author_name: format!("Name {uri}"),
        author_avatar: Some("javascript:alert(1)".into()),
        created_at: t(minute),
        edited_at: None,
        content_html: format!("<p onclick=\"x\">text {uri}</p>"),
        text: format!("text {uri}"),
        language: Some("en\"><script>".into()),
        in_reply_to: parent.map(str::to_owned),
        reply_to_unknown: false,
        sensitive: false,
        spoiler_text: None,
        tagged: true,
        media: Vec::new(),
        boosts: 1,
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        revisions: Vec::new(),
        replies_total: None,
        author_noindex: false,
    }
}

fn note(id: i64, uri: &str, after: bool) -> StoredNote {
    StoredNote {
        id,
        post_uri: uri.into(),
        after,
        markdown: format!("note {id}"),
        html: format!("<p>note {id}</p><script>x</script>"),
    }
}

fn assemble_with(posts: Vec<StoredPost>, curator: StoredCurator, order: Order) -> Story {
    let input = Input {
        posts,
        curator,
        ..Input::default()
    };
    let options = Options {
        order,
        display_tag: "Care".into(),
        ..Options::default()
    };
    assemble("care", input, &options)
}

/// A thread drawn as `uri(child child)`.
fn shape(story: &Story, node: usize) -> String {
    let kids: Vec<String> = story.forest.children[node]
        .iter()
        .map(|&k| shape(story, k))
        .collect();
    let me = match story.posts[node].left_out {
        Some(_) => format!("[{}]", story.posts[node].uri),
        None => story.posts[node].uri.clone(),
    };
    if kids.is_empty() {
        me
    } else {
        format!("{me}({})", kids.join(" "))
    }
}

fn shapes(story: &Story) -> Vec<String> {
    story
        .forest
        .roots
        .iter()
        .map(|&r| shape(story, r))
        .collect()
}

#[test]
fn posts_arrive_checked_whatever_the_archive_holds() {
    let story = assemble_with(
        vec![stored("a", None, 0)],
        StoredCurator::default(),
        Order::Threads,
    );
    let p = &story.posts[0];
    assert_eq!(p.content_html, "<p>text a</p>");
    assert_eq!(p.author.avatar, None, "a javascript: avatar is dropped");
    assert_eq!(p.language, None, "a language that is not a tag is dropped");
    assert_eq!(story.title, "#Care");
    assert_eq!(story.overview.post_count, 1);
    assert_eq!(story.overview.boost_count, 1);
}

#[test]
fn hiding_keeps_a_stub_only_where_replies_remain() {
    // a ← b ← c; a ← d; e alone. Hide b (c stays: stub), d (leaf: gone), e (root leaf: gone).
    let posts = vec![
        stored("a", None, 0),
        stored("b", Some("a"), 1),
        stored("c", Some("b"), 2),
        stored("d", Some("a"), 3),
        stored("e", None, 4),
    ];
    let curator = StoredCurator {
        hidden: vec!["b".into(), "d".into(), "e".into()],
        ..StoredCurator::default()
    };
    let story = assemble_with(posts.clone(), curator.clone(), Order::Threads);
    assert_eq!(shapes(&story), ["a([b](c))"]);
    let stub = story.posts.iter().find(|p| p.uri == "b").expect("stub");
    assert_eq!(stub.left_out, Some(LeftOut::Curator));
    assert!(stub.text.is_empty() && stub.author.handle.is_empty() && stub.url.is_none());
    assert_eq!(
        (story.overview.post_count, story.overview.hidden_count),
        (2, 3)
    );
    assert_eq!(story.overview.participant_count, 2);
    // Hiding the stub's only reply too removes the stub.
    let mut all = curator;
    all.hidden.push("c".into());
    let story = assemble_with(posts, all, Order::Threads);
    assert_eq!(shapes(&story), ["a"]);
}

#[test]
fn time_order_is_flat_and_keeps_reply_links() {
    let posts = vec![
        stored("c", Some("a"), 2),
        stored("a", None, 0),
        stored("b", Some("a"), 1),
    ];
    let story = assemble_with(posts, StoredCurator::default(), Order::Time);
    assert_eq!(shapes(&story), ["a", "b", "c"]);
    assert_eq!(story.posts[2].in_reply_to.as_deref(), Some("a"));
    assert_eq!(story.overview.thread_count, 3);
}

#[test]
fn notes_attach_to_shown_posts_and_enter_curated_order() {
    let posts = vec![
        stored("a", None, 0),
        stored("b", None, 1),
        stored("h", None, 2),
    ];
    let curator = StoredCurator {
        notes: vec![note(1, "b", true), note(2, "b", false), note(3, "h", true)],
        hidden: vec!["h".into()],
        title: Some("Lesson".into()),
        intro_html: Some("<p>Intro</p><img src=x onerror=y>".into()),
        ..StoredCurator::default()
    };
    let curation = StoredCuration {
        url: "https://storify.com/x/y".into(),
        title: "Storify title".into(),
        intro_html: "<p>Storify intro</p>".into(),
        curator_name: None,
        published_at: None,
        entries: vec![
            (Some("b".into()), None),
            (None, Some("<p>text block</p>".into())),
        ],
    };
    let input = Input {
        posts,
        curations: vec![curation],
        curator,
        sources: Vec::new(),
        ..Input::default()
    };
    let story = assemble("care", input, &Options::default());
    assert_eq!(
        story.title, "Lesson",
        "the curator's title wins over Storify's"
    );
    assert_eq!(story.intro_html.as_deref(), Some("<p>Intro</p>"));
    let b = story.posts.iter().position(|p| p.uri == "b").unwrap();
    assert_eq!(story.posts[b].notes_after, [0]);
    assert_eq!(story.posts[b].notes_before, [1]);
    assert_eq!(story.notes[0].html, "<p>note 1</p>");
    assert_eq!(
        story.notes[2].post, None,
        "a note at a hidden post has no place"
    );
    assert_eq!(
        story.curations[0].entries,
        [
            CurationEntry::CuratorNote(1),
            CurationEntry::Post(b),
            CurationEntry::CuratorNote(0),
            CurationEntry::Note("<p>text block</p>".into())
        ]
    );
}

#[test]
fn sources_name_files_not_paths_and_keep_their_latest_collection() {
    let at = |m| t(m);
    let source = |location: &str, minute| StoredSource {
        location: location.into(),
        format: "mastodon-api".into(),
        collected_at: at(minute),
    };
    let input = Input {
        posts: vec![stored("a", None, 0)],
        sources: vec![
            // As the store lists them: in the order they were collected.
            source("/home/curator/private/timeline.json", 1),
            source("https://s.example/tags/care", 3),
            source("-", 4),
            source("/home/curator/private/timeline.json", 5),
        ],
        ..Input::default()
    };
    let story = assemble("care", input, &Options::default());
    let names: Vec<(&str, DateTime<Utc>)> = story
        .sources
        .iter()
        .map(|s| (s.name.as_str(), s.collected_at))
        .collect();
    assert_eq!(
        names,
        [
            ("https://s.example/tags/care", at(3)),
            ("standard input", at(4)),
            ("timeline.json", at(5))
        ]
    );
}

/// Found by the `story` fuzz target: a Storify note whose HTML sanitises to nothing (an archive
/// made under an older, looser policy) became an entry with an empty note, which the page
/// read as a post entry without a post: render failed with "undefined value".
#[test]
fn a_storify_note_that_sanitises_to_nothing_is_left_out_and_the_page_renders() {
    let curation = StoredCuration {
        url: "https://storify.com/x/y".into(),
        title: "Storify title".into(),
        intro_html: String::new(),
        curator_name: None,
        published_at: None,
        entries: vec![
            (None, Some("<script>alert(1)</script>".into())),
            (Some("a".into()), None),
            (None, Some(String::new())),
        ],
    };
    let input = Input {
        posts: vec![stored("a", None, 1)],
        curations: vec![curation],
        ..Input::default()
    };
    let story = assemble("care", input, &Options::default());
    assert_eq!(story.curations[0].entries, [CurationEntry::Post(0)]);
    let media = std::sync::Arc::new(crate::render::html::MediaLinks::None);
    crate::render::html::render_story(&std::sync::Arc::new(story), &media)
        .expect("the page renders");
}

/// A large story stored in no particular order comes out in time order, every post checked,
/// hidden posts left out or stubbed.
#[test]
fn a_large_scrambled_story_comes_out_in_time_order() {
    let n = 12_305;
    let uri = |i: usize| format!("p{i:05}");
    // Stored in a scrambled order (7919 is prime to n); every tenth post answers the one before.
    let posts: Vec<StoredPost> = (0..n)
        .map(|k| (k * 7919) % n)
        .map(|i| {
            let parent = (i % 10 == 9).then(|| uri(i - 1));
            let mut p = stored(&uri(i), parent.as_deref(), 0);
            p.created_at = t(0) + chrono::TimeDelta::seconds(i64::try_from(i).expect("small"));
            p
        })
        .collect();
    // p00009 is a reply with no replies (it leaves); p00018 has one (it leaves a stub).
    let curator = StoredCurator {
        hidden: vec![uri(9), uri(18)],
        ..StoredCurator::default()
    };
    let story = assemble_with(posts, curator, Order::Threads);
    let expected: Vec<String> = (0..n).filter(|&i| i != 9).map(uri).collect();
    let got: Vec<&str> = story.posts.iter().map(|p| p.uri.as_str()).collect();
    assert_eq!(got, expected);
    for p in &story.posts {
        if p.uri == uri(18) {
            assert_eq!(p.left_out, Some(LeftOut::Curator));
            assert!(p.content_html.is_empty());
        } else {
            assert_eq!(p.content_html, format!("<p>text {}</p>", p.uri));
            assert_eq!(p.author.avatar, None);
        }
    }
}
