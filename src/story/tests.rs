use super::*;
use crate::model::CustomEmoji;

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
        author_uri: format!("{uri}/author"),
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

#[test]
fn curated_posts_follow_the_curator_and_every_post_shows_once() {
    // a ← b ← c, d ← e; f alone. The curator shows e, a note, c, a missing post, e again.
    let posts = [
        stored("a", None, 0),
        stored("b", Some("a"), 1),
        stored("c", Some("b"), 2),
        stored("d", Some("c"), 3),
        stored("e", None, 4),
        stored("f", None, 5),
    ];
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
    let view = build_story("t", "A story", &posts, std::slice::from_ref(&curation));
    let [c] = view.curations.as_slice() else {
        panic!("one curation");
    };
    assert_eq!(c.intro_html.as_deref(), Some("Intro"));
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
    let rest: Vec<String> = view.threads.iter().map(|t| uris(&t.root)).collect();
    assert_eq!(rest, ["a(b)", "f"]);
    // c replies to b, which is shown elsewhere: the page says so.
    let c_view = &c.entries[2].post.as_ref().expect("post").root;
    assert_eq!(
        c_view.reply_to.as_ref().and_then(|r| r.anchor.clone()),
        Some(anchor_of("b"))
    );
    let mut shown_posts = HashSet::new();
    let by_uri: HashMap<&str, usize> = posts
        .iter()
        .enumerate()
        .map(|(i, p)| (p.uri.as_str(), i))
        .collect();
    assert_eq!(
        curated_entries(&curation, &by_uri, &mut shown_posts),
        [
            Entry::Post(4),
            Entry::Note("<p onclick=\"x()\">Note</p>"),
            Entry::Post(2)
        ]
    );
    // Without curations the page is as before.
    let plain = build_story("t", "#t", &posts, &[]);
    assert!(plain.curations.is_empty());
    let all: Vec<String> = plain.threads.iter().map(|t| uris(&t.root)).collect();
    assert_eq!(all, ["a(b(c(d)))", "e", "f"]);
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
        shares(poll_view(&poll(false, Some(9), &[Some(2), Some(1)]), now)),
        [Some(67), Some(33)]
    );
    // Several: of voters, so shares may add up past 100.
    let view = poll_view(&poll(true, Some(4), &[Some(3), Some(4)]), now);
    assert_eq!((view.voters, view.votes), (Some(4), Some(7)));
    assert_eq!(shares(view), [Some(75), Some(100)]);
    // Unknown counts give no share; no votes at all give 0 %.
    assert_eq!(
        shares(poll_view(&poll(true, None, &[Some(3), None]), now)),
        [None, None]
    );
    assert_eq!(
        shares(poll_view(&poll(false, Some(0), &[Some(0), Some(0)]), now)),
        [Some(0), Some(0)]
    );
    assert_eq!(share(u64::MAX, u64::MAX), 100);
}
