use std::collections::HashMap;

use chrono::{DateTime, Utc};

use std::sync::Arc;

use super::page::{poll_view, share, thread_views};
use super::*;
use crate::model::{CustomEmoji, Poll};
use crate::sanitize::{escape_html, sanitize_html};
use crate::store::{StoredCuration, StoredCurator, StoredNote, StoredPost};
use crate::story::{Clock, Input, Options, Order, Story, assemble};

#[test]
fn template_compiles() {
    environment();
}

fn emoji(shortcode: &str, url: &str) -> CustomEmoji {
    CustomEmoji {
        shortcode: shortcode.into(),
        url: url.into(),
    }
}

const BLOB: &str = r#"<img class="emoji" src="https://e.example/blob.png" alt=":blob:" title=":blob:" width="20" height="20">"#;

#[test]
fn emoji_replace_text_only_never_tags_or_attributes() {
    let list = [emoji("blob", "https://e.example/blob.png")];
    let emojis = usable_emojis(&list);
    let html = sanitize_html(
        r#"<p title=":blob:">a :blob: b<a href="https://x.example/:blob:?a=1&amp;b=:blob:">:blob:</a>:blob::blob: :blob :blobx: x:blob:y</p>"#,
    );
    assert_eq!(
        emojify_html(&html, &emojis),
        format!(
            r#"<p title=":blob:">a {BLOB} b<a href="https://x.example/:blob:?a=1&amp;b=:blob:" rel="nofollow noopener ugc">{BLOB}</a>{BLOB}{BLOB} :blob :blobx: x{BLOB}y</p>"#
        )
    );
    // A `>` inside a quoted attribute value does not end the tag.
    assert_eq!(
        emojify_html(r#"<a href="https://x.example/a>:blob:">t</a>"#, &emojis),
        r#"<a href="https://x.example/a>:blob:">t</a>"#
    );
}

#[test]
fn hostile_shortcodes_and_urls_are_never_markup() {
    let list = [
        emoji("js", "javascript:alert(1)"),
        emoji("data", "data:image/png;base64,AAAA"),
        emoji("rel", "/emoji/rel.png"),
        emoji(r#"q"uote"#, "https://e.example/q.png"),
        emoji("a b", "https://e.example/ab.png"),
        emoji("<b>", "https://e.example/b.png"),
        emoji("", "https://e.example/empty.png"),
        emoji("amp", r#"https://e.example/a.png?x=1&y="><script>"#),
        emoji("blob", "https://e.example/blob.png"),
        emoji("blob", "https://evil.example/second.png"),
    ];
    let emojis = usable_emojis(&list);
    let mut codes: Vec<&str> = emojis.keys().copied().collect();
    codes.sort_unstable();
    assert_eq!(codes, ["amp", "blob"]);
    assert_eq!(emojis["blob"], "https://e.example/blob.png");
    let name = escape_html(r#":js: :data: :rel: :q"uote: :a b: :<b>: :: :amp: :blob:"#);
    let got = emojify_html(&name, &emojis);
    assert_eq!(
        got,
        format!(
            "{}<img class=\"emoji\" src=\"https://e.example/a.png?x=1&amp;y=%22%3E%3Cscript%3E\" \
             alt=\":amp:\" title=\":amp:\" width=\"20\" height=\"20\"> {BLOB}",
            escape_html(r#":js: :data: :rel: :q"uote: :a b: :<b>: :: "#)
        )
    );
    assert!(!got.contains("javascript:") && !got.contains("<script") && !got.contains("<b>"));
}

fn stored(uri: &str, parent: Option<&str>, minute: u32) -> StoredPost {
    StoredPost {
        uri: uri.to_owned(),
        url: None,
        author_uri: "https://s.example/users/a".to_owned(),
        author_handle: "@a".to_owned(),
        author_name: String::new(),
        author_avatar: None,
        created_at: DateTime::parse_from_rfc3339(&format!("2012-06-02T10:{minute:02}:00Z"))
            .expect("time")
            .with_timezone(&Utc),
        edited_at: None,
        content_html: String::new(),
        text: String::new(),
        language: None,
        in_reply_to: parent.map(str::to_owned),
        reply_to_unknown: false,
        sensitive: false,
        spoiler_text: None,
        tagged: true,
        media: Vec::new(),
        boosts: 0,
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        revisions: Vec::new(),
        replies_total: None,
        author_noindex: false,
    }
}

fn uris(post: &PostView) -> String {
    let replies: Vec<String> = post.replies.iter().map(uris).collect();
    if replies.is_empty() {
        post.uri.clone()
    } else {
        format!("{}({})", post.uri, replies.join(" "))
    }
}

/// A page's view, with its threads built (the page builds them as the template reaches them).
struct Page {
    view: PageView,
    threads: Vec<ThreadView>,
}

impl std::ops::Deref for Page {
    type Target = PageView;
    fn deref(&self) -> &PageView {
        &self.view
    }
}

fn built(story: Story) -> Page {
    let (story, media) = (Arc::new(story), Arc::new(MediaLinks::None));
    Page {
        view: page_view(&story, &media),
        threads: thread_views(&story, &media),
    }
}

fn page(posts: &[StoredPost], curations: &[StoredCuration], curator: StoredCurator) -> Page {
    page_with(posts, curations, curator, Order::Threads)
}

fn page_with(
    posts: &[StoredPost],
    curations: &[StoredCuration],
    curator: StoredCurator,
    order: Order,
) -> Page {
    let input = Input {
        posts: posts.to_vec(),
        curations: curations.to_vec(),
        curator,
        sources: Vec::new(),
        ..Input::default()
    };
    let options = Options {
        order,
        display_tag: "t".into(),
        ..Options::default()
    };
    built(assemble("t", input, &options))
}

fn shapes(view: &Page) -> Vec<String> {
    view.threads.iter().map(|t| uris(&t.root)).collect()
}

#[test]
fn curated_posts_follow_the_curator_and_every_post_shows_once() {
    // a ← b ← c, d ← e; f alone. The curator shows e, a note, c, a missing post, e again.
    let mut posts = [
        stored("a", None, 0),
        stored("b", Some("a"), 1),
        stored("c", Some("b"), 2),
        stored("d", Some("c"), 3),
        stored("e", None, 4),
        stored("f", None, 5),
    ];
    // Different authors, so no post continues another's block.
    for (i, p) in posts.iter_mut().enumerate() {
        p.author_uri = format!("https://s.example/users/{i}");
    }
    let entry =
        |post: Option<&str>, note: Option<&str>| (post.map(str::to_owned), note.map(str::to_owned));
    let curation = StoredCuration {
        url: "http://storify.com/nell_ward/a-story".to_owned(),
        title: "A story".to_owned(),
        intro_html: "<script>x</script>Intro".to_owned(),
        curator_name: Some("Nell Ward".to_owned()),
        published_at: None,
        entries: vec![
            entry(Some("e"), None),
            entry(None, Some("<p onclick=\"x()\">Note</p>")),
            entry(Some("c"), None),
            entry(Some("gone"), None),
            entry(Some("e"), None),
        ],
    };
    let view = page(
        &posts,
        std::slice::from_ref(&curation),
        StoredCurator::default(),
    );
    assert_eq!(view.title, "A story");
    let [c] = view.curations.as_slice() else {
        panic!("one curation");
    };
    assert_eq!(c.intro_html.as_deref(), Some("Intro"));
    assert_eq!(view.intro_html.as_deref(), Some("Intro"));
    assert_eq!(
        c.link.as_deref(),
        Some("http://storify.com/nell_ward/a-story")
    );
    let shown: Vec<String> = c
        .entries
        .iter()
        .map(|e| match (&e.note_html, &e.post) {
            (Some(html), None) => html.clone(),
            (None, Some(t)) => uris(&t.root),
            _ => panic!("an entry is a note or a post"),
        })
        .collect();
    // c keeps its reply d; the thread it came from is cut above it.
    assert_eq!(shown, ["e", "<p>Note</p>", "c(d)"]);
    assert_eq!(shapes(&view), ["a(b)", "f"]);
    // c replies to b, which is shown elsewhere: the page says so.
    let c_view = &c.entries[2].post.as_ref().expect("post").root;
    assert_eq!(
        c_view.reply_to.as_ref().and_then(|r| r.anchor.clone()),
        Some(format!("#{}", anchor_of("b")))
    );
    // Without curations the page is threads only.
    let plain = page(&posts, &[], StoredCurator::default());
    assert!(plain.curations.is_empty());
    assert_eq!(plain.title, "#t");
    assert_eq!(shapes(&plain), ["a(b(c(d)))", "e", "f"]);
}

#[test]
fn a_self_thread_reads_as_one_block_and_others_replies_nest() {
    // a1 ← a2 ← a3 by one author; b replies to a1, c to a2.
    let mut posts = vec![
        stored("a1", None, 0),
        stored("a2", Some("a1"), 1),
        stored("a3", Some("a2"), 2),
        stored("b", Some("a1"), 3),
        stored("c", Some("a2"), 4),
    ];
    for p in &mut posts[3..] {
        p.author_uri = format!("https://s.example/users/{}", p.uri);
    }
    let view = page(&posts, &[], StoredCurator::default());
    let root = &view.threads[0].root;
    let a2 = root.continuation.as_ref().expect("a2 continues a1");
    assert!(a2.continues && a2.reply_to.is_none());
    let a3 = a2.continuation.as_ref().expect("a3 continues a2");
    assert_eq!(a3.uri, "a3");
    assert_eq!(uris(root), "a1(b)");
    assert_eq!(uris(a2), "a2(c)");
    assert_eq!(view.threads[0].size, 5);
}

#[test]
fn hidden_posts_leave_and_their_replies_stay_under_a_stub() {
    let mut posts = vec![
        stored("a", None, 0),
        stored("b", Some("a"), 1),
        stored("c", Some("b"), 2),
        stored("d", None, 3),
    ];
    for (i, p) in posts.iter_mut().enumerate() {
        p.author_uri = format!("https://s.example/users/{i}");
        p.text = format!("text of {}", p.uri);
    }
    let curator = StoredCurator {
        hidden: vec!["b".into(), "d".into()],
        ..StoredCurator::default()
    };
    let view = page(&posts, &[], curator.clone());
    assert_eq!(shapes(&view), ["a(b(c))"]);
    let stub = &view.threads[0].root.replies[0];
    assert_eq!(stub.left_out, Some("curator"));
    assert!(stub.link.is_none() && stub.author_handle.is_empty() && stub.content_html.is_empty());
    assert_eq!((view.post_count, view.hidden_count), (2, 2));
    // A timeline has no stubs: the hidden posts are simply not in it.
    let time = page_with(&posts, &[], curator, Order::Time);
    assert_eq!(shapes(&time), ["a", "c"]);
    let c = &time.threads[1].root;
    assert_eq!(
        c.reply_to.as_ref().and_then(|r| r.anchor.clone()),
        None,
        "c's parent is not on the page"
    );
}

#[test]
fn notes_stand_before_and_after_their_posts() {
    let posts = vec![stored("a", None, 0), stored("b", None, 1)];
    let note = |id, uri: &str, after, md: &str| StoredNote {
        id,
        post_uri: uri.into(),
        after,
        markdown: md.into(),
        html: crate::sanitize::markdown_to_html(md),
    };
    let curator = StoredCurator {
        notes: vec![
            note(1, "b", false, "Before *b*"),
            note(2, "b", true, "After b <script>x</script>"),
            note(3, "gone", true, "Nowhere"),
        ],
        ..StoredCurator::default()
    };
    let view = page(&posts, &[], curator);
    let b = &view.threads[1].root;
    assert_eq!(b.notes_before, ["<p>Before <em>b</em></p>\n"]);
    assert_eq!(b.notes_after.len(), 1);
    assert!(
        !b.notes_after[0].contains("<script"),
        "{}",
        b.notes_after[0]
    );
    assert!(view.threads[0].root.notes_after.is_empty());
}

#[test]
fn times_show_in_the_chosen_zone() {
    let posts = vec![stored("a", None, 0)];
    let input = Input {
        posts,
        ..Input::default()
    };
    let options = Options {
        clock: Clock::named("America/New_York").unwrap(),
        ..Options::default()
    };
    let view = built(assemble("t", input, &options));
    assert_eq!(view.threads[0].root.created.human, "2 Jun 2012, 06:00 EDT");
    assert_eq!(view.threads[0].root.created.iso, "2012-06-02T10:00:00Z");
    assert_eq!(view.zone, "America/New_York");
}

#[test]
fn no_emoji_means_no_change() {
    let html = "<p>a :blob: b</p>";
    assert_eq!(emojify_html(html, &HashMap::new()), html);
}

#[test]
fn excerpt_cuts_at_a_word_and_marks_the_cut() {
    assert_eq!(excerpt("short\n\ntext", 200), "short text");
    let long = "word ".repeat(60);
    let got = excerpt(&long, 200);
    assert!(
        got.ends_with("word…") && got.chars().count() <= 201,
        "{got}"
    );
    assert_eq!(
        excerpt(&"x".repeat(300), 10),
        format!("{}…", "x".repeat(10))
    );
}

#[test]
fn poll_shares_follow_mastodon() {
    let clock = Clock::default();
    let poll = |multiple, voters, votes: &[Option<u64>]| Poll {
        options: votes
            .iter()
            .map(|&v| crate::model::PollOption {
                title: "o".into(),
                votes: v,
            })
            .collect(),
        multiple,
        closes_at: None,
        voters,
    };
    let shares =
        |view: PollView| -> Vec<Option<u64>> { view.options.iter().map(|o| o.percent).collect() };
    let now = Utc::now();
    // One choice: of votes.
    assert_eq!(
        shares(poll_view(
            &poll(false, Some(9), &[Some(2), Some(1)]),
            &clock,
            now
        )),
        [Some(67), Some(33)]
    );
    // Several: of voters, so shares may add up past 100.
    let view = poll_view(&poll(true, Some(4), &[Some(3), Some(4)]), &clock, now);
    assert_eq!((view.voters, view.votes), (Some(4), Some(7)));
    assert_eq!(shares(view), [Some(75), Some(100)]);
    // Unknown counts give no share; no votes at all give 0 %.
    assert_eq!(
        shares(poll_view(&poll(true, None, &[Some(3), None]), &clock, now)),
        [None, None]
    );
    assert_eq!(
        shares(poll_view(
            &poll(false, Some(0), &[Some(0), Some(0)]),
            &clock,
            now
        )),
        [Some(0), Some(0)]
    );
    assert_eq!(share(u64::MAX, u64::MAX), 100);
}
