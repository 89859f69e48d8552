//! The classic XSS families in every untrusted field, through every output (see: issue 11).
//!
//! Each test builds real input files (Mastodon API, ActivityStreams 2.0, Storify) whose every
//! field a stranger controls holds markup or URL payloads, collects them with the real binary,
//! adds a curator's title, introduction, notes and content warnings made of the same payloads,
//! and renders the story as HTML (threads and timeline), Markdown, JSON and JSON Lines. Every
//! output passes the audit the fuzz targets use (`tests/fuzz/src/audit.rs`): read as a
//! browser reads HTML, no script, event handler, non-http(s) URL, SVG or MathML, frame,
//! object, base, form or refresh; read as a Markdown viewer reads it, no HTML, image or
//! non-http(s) link; in JSON, every `url` http(s) or null. Each test also checks that the
//! fields reached the output (as text), so the audit cannot pass by showing nothing.

use std::path::Path;

use serde_json::{Value, json};

use crate::fuzz_regressions::targets::audit;
use crate::support::Archive;

const TAG: &str = "Hostile";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Markup for text and HTML fields: script, event handlers, dangerous URLs (entity-encoded,
/// mixed-case, with whitespace and controls), SVG and MathML, CSS, broken and nested markup,
/// `<base>`, `<meta refresh>`, `<form>`, frames and objects, Markdown links and images.
const MARKUP: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<a href=\"javascript:alert(1)\">js</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">mixed case</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">dec</a>",
    "<a href=\"&#x6A;avascript&colon;alert(1)\">hex</a>",
    "<a href=\" \tjava\tscript:alert(1)\">tab</a><a href=\"java&#x09;script:alert(1)\">tab2</a>",
    "<a href=\"&#1;javascript:alert(1)\">control</a>",
    "<a href=\"vbscript:msgbox(1)\">vb</a><a href=\"VBScript:msgbox(1)\">vb2</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a>",
    "<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>svg link</text></a></svg>",
    "<math><mi xlink:href=\"javascript:alert(1)\">math</mi></math>",
    "<math><maction actiontype=\"statusline\" xlink:href=\"javascript:alert(1)\">m</maction></math>",
    "<p style=\"background:url(javascript:alert(1))\">css url</p>",
    "<div style=\"width:expression(alert(1))\">css expression</div>",
    "<style>@import 'https://evil.example/x.css';body{background:url(javascript:alert(1))}</style>",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<p <a href=\"x\" onclick=alert(1)>broken</a>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script></title><script>alert(2)</script>",
    "<!--<script>alert(1)//--><![CDATA[<script>alert(1)</script>]]>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<b><i><a href=\"https://ok.example/\"><b onmouseover=alert(1)>nested</i></b>",
    "<base href=\"javascript:alert(1)//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<form action=\"javascript:alert(1)\"><input type=submit><button formaction=\"javascript:alert(1)\">go</button></form>",
    "<iframe src=\"javascript:alert(1)\"></iframe><iframe srcdoc=\"<script>alert(1)</script>\">",
    "<object data=\"javascript:alert(1)\"></object><embed src=\"javascript:alert(1)\">",
    "<template><script>alert(1)</script></template><video><source onerror=alert(1)></video>",
    "<isindex action=javascript:alert(1) type=image>",
    "[click](javascript:alert(1)) ![img](https://evil.example/t.png) <javascript:alert(1)>",
    "[a]\n\n[a]: javascript:alert(1)\n\n# heading\n\n    code\n\n> quote",
];

/// URLs for URL fields: every dangerous scheme in its disguises, attribute breakers, and URLs
/// that are not absolute http(s).
const URLS: &[&str] = &[
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\u{1}javascript:alert(1)",
    "&#106;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "javascript://https://ok.example/%0aalert(1)",
    "vbscript:msgbox(1)",
    "VBSCRIPT:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
    "https://ok.example/\"onmouseover=\"alert(1)",
    "https://ok.example/'><script>alert(1)</script>",
    "https://ok.example/?q=<script>alert(1)</script>",
    "//evil.example/x",
    "/relative/path",
    "file:///etc/passwd",
];

fn markup(i: usize) -> &'static str {
    MARKUP[i % MARKUP.len()]
}

fn url(i: usize) -> &'static str {
    URLS[i % URLS.len()]
}

/// Enough posts for every payload of both lists to appear in every field.
fn post_count() -> usize {
    MARKUP.len().max(URLS.len())
}

/// A Mastodon status with a payload in every field a stranger controls.
fn mastodon_status(i: usize) -> Value {
    let (p, u) = (markup(i), url(i));
    let id = format!("9{i:05}");
    let kind = ["image", "video", "gifv", "audio", "unknown"][i % 5];
    json!({
        "id": id,
        "created_at": format!("2026-08-20T10:{:02}:00.000Z", i % 60),
        "in_reply_to_id": if i.is_multiple_of(3) { Value::Null } else { json!(format!("9{:05}", i - 1)) },
        "sensitive": true,
        "spoiler_text": p,
        "visibility": "public",
        "language": "en",
        "uri": format!("https://odd.example/users/m{i}/statuses/{id}"),
        "url": u,
        "content": format!("<p>{p} :e{i}: :{p}: #<span>Hostile</span></p>{p}"),
        "account": {
            "id": format!("{i}"),
            "username": p,
            "acct": format!("{p}@odd.example"),
            "display_name": format!("{p} :e{i}:"),
            "note": p,
            "url": u,
            "uri": format!("https://odd.example/users/m{i}"),
            "avatar": u,
            "avatar_static": u,
            "emojis": [{"shortcode": format!("e{i}"), "url": u, "static_url": u}],
        },
        "media_attachments": [
            {"id": format!("{i}1"), "type": kind,
             "url": u, "preview_url": u, "remote_url": u, "description": p},
            {"id": format!("{i}2"), "type": "image", "url": "https://ok.example/m.png",
             "preview_url": u, "description": p},
            // A poster is kept apart from its video: hostile on its own.
            {"id": format!("{i}3"), "type": "video", "url": "https://ok.example/m.mp4",
             "preview_url": u, "description": p},
        ],
        "mentions": [{"id": "1", "username": p, "acct": p, "url": u}],
        "tags": [{"name": "hostile", "url": u}],
        "emojis": [
            {"shortcode": format!("e{i}"), "url": u, "static_url": u},
            {"shortcode": p, "url": "https://ok.example/e.png", "static_url": u},
        ],
        "card": {"url": u, "title": p, "description": p, "image": u, "author_name": p},
        "poll": {
            "id": format!("{i}"), "expires_at": null, "expired": true, "multiple": false,
            "votes_count": 1, "voters_count": 1, "emojis": [],
            "options": [{"title": p, "votes_count": 1}, {"title": format!("ok {i}"), "votes_count": 0}],
        },
        "quote": if i % 3 == 2 {
            json!({"state": "accepted", "quoted_status": {
                "id": format!("8{i:05}"),
                "created_at": "2026-08-20T09:00:00.000Z",
                "visibility": "public",
                "uri": format!("https://odd.example/users/q{i}/statuses/8{i:05}"),
                "url": u,
                "content": format!("<p>quoted {p}</p>"),
                "spoiler_text": p,
                "account": {"id": "q", "username": p, "acct": p, "display_name": p,
                            "url": u, "uri": format!("https://odd.example/users/q{i}"), "avatar": u},
                "media_attachments": [], "tags": [], "emojis": [], "mentions": [],
            }})
        } else {
            Value::Null
        },
    })
}

/// An ActivityPub Create of a Note (every fifth a Question) with a payload in every field.
fn as2_create(i: usize) -> Value {
    let (p, u) = (markup(i), url(i));
    let id = format!("https://as.example/users/a{i}/statuses/{i}");
    let mut object = json!({
        "type": if i.is_multiple_of(5) { "Question" } else { "Note" },
        "id": id,
        "url": u,
        "published": format!("2026-08-21T10:{:02}:00Z", i % 60),
        "attributedTo": {
            "id": format!("https://as.example/users/a{i}"),
            "type": "Person",
            "preferredUsername": p,
            "name": format!("{p} :e{i}:"),
            "summary": p,
            "url": u,
            "icon": {"type": "Image", "mediaType": "image/png", "url": u},
            "tag": [{"type": "Emoji", "name": format!(":e{i}:"), "icon": {"type": "Image", "url": u}}],
        },
        "to": [PUBLIC],
        "summary": p,
        "sensitive": true,
        "content": format!("<p>{p} :e{i}: #Hostile</p>{p}"),
        "attachment": [
            {"type": "Document", "mediaType": "image/png", "url": u, "name": p},
            {"type": "Document", "mediaType": "video/mp4", "url": [{"type": "Link", "href": u}], "name": p},
        ],
        "tag": [
            {"type": "Hashtag", "name": "#Hostile", "href": u},
            {"type": "Emoji", "name": format!(":e{i}:"), "icon": {"type": "Image", "url": u}},
            {"type": "Emoji", "name": format!(":{p}:"), "icon": {"type": "Image", "url": "https://ok.example/e.png"}},
            {"type": "Mention", "name": p, "href": u},
        ],
        "quoteUrl": u,
    });
    if i.is_multiple_of(5) {
        object["oneOf"] = json!([
            {"type": "Note", "name": p, "replies": {"type": "Collection", "totalItems": 1}},
            {"type": "Note", "name": format!("ok {i}"), "replies": {"type": "Collection", "totalItems": 0}},
        ]);
    }
    if !i.is_multiple_of(4) {
        object["inReplyTo"] = json!(format!(
            "https://as.example/users/a{}/statuses/{}",
            i - 1,
            i - 1
        ));
    }
    json!({"type": "Create", "id": format!("{id}/activity"), "actor": object["attributedTo"]["id"],
           "to": [PUBLIC], "object": object})
}

/// A Storify story whose title, description, author, text notes, tweets, links, quotes,
/// images and videos all carry payloads.
fn storify_story() -> Value {
    let mut elements = Vec::new();
    for i in 0..post_count() {
        let (p, u) = (markup(i), url(i));
        let at = format!("2012-06-02T{:02}:{:02}:00.000Z", 10 + i / 60, i % 60);
        let attribution =
            json!({"name": p, "username": format!("u{i}"), "href": u, "thumbnail": u});
        elements.push(
            json!({"id": format!("n{i}"), "type": "text", "posted_at": at,
            "data": {"text": p}, "source": {"name": "storify"}, "attribution": attribution}),
        );
        elements.push(json!({"id": format!("q{i}"), "type": "quote",
            "permalink": format!("http://twitter.com/u{i}/status/70000000000000{i:05}"),
            "posted_at": at, "data": {"quote": {"text": format!("{p} #Hostile")}},
            "source": {"href": "http://twitter.com", "name": "twitter", "username": format!("u{i}")},
            "attribution": attribution}));
        let kind = ["link", "image", "video"][i % 3];
        elements.push(
            json!({"id": format!("c{i}"), "type": kind, "permalink": u, "posted_at": at,
            "data": {
                "link": {"title": p, "description": p, "thumbnail": u, "url": u},
                "image": {"src": u, "caption": p},
                "video": {"src": u, "title": p, "description": p, "thumbnail": u},
                "oembed": {"type": "rich", "html": p, "title": p, "url": u, "author_name": p},
            },
            "source": {"href": u, "name": p}, "attribution": attribution}),
        );
    }
    json!({"content": {
        "sid": "hostile00000000000000001",
        "title": format!("{} title", markup(0)),
        "description": markup(21),
        // A story without a usable http(s) permalink is refused; this one breaks out of quotes.
        "permalink": "https://storify.example/u/\"><script>alert(1)</script>",
        "thumbnail": url(1),
        "date": {"created": "2012-06-02T18:00:00.000Z", "published": "2012-06-03T08:30:00.000Z"},
        "author": {"username": markup(1), "name": markup(2), "avatar": url(2), "permalink": url(3)},
        "elements": elements,
    }})
}

fn write_json(archive: &Archive, name: &str, doc: &Value) -> std::path::PathBuf {
    archive.file(name, &doc.to_string())
}

/// Renders the story of `tag` in every format and audits each; returns the outputs, HTML
/// first, for the caller's own checks.
pub fn assert_every_output_clean(archive: &Archive, tag: &str) -> Vec<(String, String)> {
    let mut outputs = Vec::new();
    let formats: &[(&str, &[&str])] = &[
        ("html", &["--out", "-"]),
        ("html --order time", &["--order", "time", "--out", "-"]),
        ("html --anonymize", &["--anonymize", "--out", "-"]),
        ("markdown", &["--format", "markdown", "--out", "-"]),
        ("json", &["--format", "json", "--out", "-"]),
        ("jsonl", &["--format", "jsonl", "--out", "-"]),
    ];
    for (name, args) in formats {
        let run = archive.render(tag, args);
        assert_eq!(run.code, 0, "render {name}: {}", run.stderr);
        let problems = match *name {
            "markdown" => audit::markdown(&run.stdout),
            "json" => {
                let doc: Value = serde_json::from_str(&run.stdout).expect("valid JSON");
                audit::json_urls(&doc)
            }
            "jsonl" => run
                .stdout
                .lines()
                .flat_map(|line| {
                    let doc: Value = serde_json::from_str(line).expect("each line is JSON");
                    audit::json_urls(&doc)
                })
                .collect(),
            _ => audit::html(&run.stdout, true),
        };
        assert!(problems.is_empty(), "render {name}: {problems:#?}");
        outputs.push((name.to_string(), run.stdout));
    }
    outputs
}

/// The payloads reached the page as text: the escaped form of `needle` is in the HTML.
fn assert_shown_as_text(html: &str, needle: &str) {
    let escaped = tagstory::sanitize::escape_html(needle);
    let loose = escaped.replace("&#39;", "'").replace("&quot;", "\"");
    assert!(
        html.contains(&escaped) || html.contains(&loose),
        "{needle:?} is not shown as text"
    );
}

fn collect(archive: &Archive, sources: &[&Path]) {
    let run = archive.collect(TAG, sources);
    assert!(
        run.code == 0 || run.code == 3,
        "collect failed ({}):\n{}",
        run.code,
        run.stderr
    );
}

#[test]
fn payloads_in_every_mastodon_field_survive_in_no_output() {
    let archive = Archive::new();
    let statuses: Vec<Value> = (0..post_count()).map(mastodon_status).collect();
    let file = write_json(&archive, "statuses.json", &Value::Array(statuses));
    collect(&archive, &[&file]);
    // Every status (and every quoted one) is kept: the payloads are in the archive.
    let kept = archive.count("SELECT count(*) FROM story_posts");
    assert!(kept >= post_count() as i64, "only {kept} posts kept");
    let outputs = assert_every_output_clean(&archive, TAG);
    let html = &outputs[0].1;
    assert_shown_as_text(html, "<script>alert(1)</script>");
    assert_shown_as_text(html, "<img src=x onerror=alert(1)>");
    assert!(
        html.matches("<article").count() >= post_count(),
        "every post shown"
    );
}

#[test]
fn payloads_in_every_activitypub_field_survive_in_no_output() {
    let archive = Archive::new();
    let creates: Vec<Value> = (0..post_count()).map(as2_create).collect();
    let outbox = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "type": "OrderedCollection", "id": "https://as.example/outbox",
        "totalItems": creates.len(), "orderedItems": creates});
    let file = write_json(&archive, "outbox.json", &outbox);
    collect(&archive, &[&file]);
    let kept = archive.count("SELECT count(*) FROM story_posts");
    assert_eq!(kept, post_count() as i64);
    let outputs = assert_every_output_clean(&archive, TAG);
    assert_shown_as_text(&outputs[0].1, "<script>alert(1)</script>");
}

#[test]
fn payloads_in_every_storify_field_survive_in_no_output() {
    let archive = Archive::new();
    let file = write_json(&archive, "story.json", &storify_story());
    collect(&archive, &[&file]);
    let kept = archive.count("SELECT count(*) FROM story_posts");
    assert!(kept >= post_count() as i64, "only {kept} posts kept");
    let outputs = assert_every_output_clean(&archive, TAG);
    // The story's title (a payload) heads the page, as text.
    assert_shown_as_text(&outputs[0].1, "<script>alert(1)</script> title");
}

/// The curator's title, introduction, notes and content warnings are untrusted too (a
/// curator may paste from anywhere), as is `render --title`.
#[test]
fn payloads_from_the_curator_survive_in_no_output() {
    let archive = Archive::new();
    let statuses: Vec<Value> = (0..6).map(mastodon_status).collect();
    let file = write_json(&archive, "statuses.json", &Value::Array(statuses));
    collect(&archive, &[&file]);
    let db = archive.db.to_string_lossy().into_owned();
    let all = MARKUP.join("\n\n");
    let intro = archive.file("intro.md", &all);
    let intro = intro.to_string_lossy().into_owned();
    let title = MARKUP[..8].concat();
    let run = archive.tagstory(&[
        "story",
        "--tag",
        TAG,
        "--db",
        &db,
        "--title",
        &title,
        "--intro-file",
        &intro,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let first = "https://odd.example/users/m0/statuses/900000";
    let second = "https://odd.example/users/m1/statuses/900001";
    for (i, payload) in MARKUP.iter().enumerate() {
        let note = archive.file(&format!("note{i}.md"), payload);
        let note = note.to_string_lossy().into_owned();
        let place = if i % 2 == 0 { "--after" } else { "--before" };
        let post = if i % 3 == 0 { first } else { second };
        let run = archive.tagstory(&[
            "note", "--tag", TAG, "--db", &db, place, post, "--file", &note,
        ]);
        assert_eq!(run.code, 0, "note {i}: {}", run.stderr);
    }
    let cw = MARKUP[..4].concat();
    let run = archive.tagstory(&[
        "note", "--tag", TAG, "--db", &db, "--on", first, "--cw", &cw,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let outputs = assert_every_output_clean(&archive, TAG);
    let html = &outputs[0].1;
    assert_shown_as_text(html, &title);
    assert_shown_as_text(html, &cw);
    // `render --title` as well.
    let run = archive.render(TAG, &["--title", &all, "--out", "-"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let problems = audit::html(&run.stdout, true);
    assert!(problems.is_empty(), "{problems:#?}");
    let run = archive.render(
        TAG,
        &["--title", &all, "--format", "markdown", "--out", "-"],
    );
    let problems = audit::markdown(&run.stdout);
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The audit itself finds what it must: each family, planted in a page, is caught.
#[test]
fn the_audit_catches_every_family() {
    for (page, what) in [
        ("<p>x<script>alert(1)</script>", "script"),
        ("<p onclick=alert(1)>", "handler"),
        ("<a href=\" JaVa\tScRiPt:alert(1)\">", "js link"),
        ("<a href=\"&#106;avascript:alert(1)\">", "entity-encoded"),
        ("<img src=\"data:image/png;base64,AA\">", "data"),
        ("<a href=\"vbscript:x\">", "vbscript"),
        ("<svg><rect/></svg>", "svg"),
        ("<math></math>", "math"),
        ("<p style=\"x:expression(1)\">", "css"),
        ("<base href=\"https://a.example/\">", "base"),
        ("<meta http-equiv=Refresh content=0>", "refresh"),
        ("<form>", "form"),
        ("<iframe>", "iframe"),
        (
            "<svg class=\"chart\"><a href=\"https://a.example/\">x</a></svg>",
            "chart link",
        ),
    ] {
        assert!(!audit::html(page, true).is_empty(), "{what} not caught");
    }
    assert!(audit::html("<svg class=\"chart\"><rect/><title>t</title></svg>", true).is_empty());
    for md in [
        "[x](javascript:alert(1))",
        "<javascript:alert(1)>",
        "![x](https://a.example/i.png)",
        "<b>x</b>",
        "[a]\n\n[a]: data:text/html,x",
    ] {
        assert!(!audit::markdown(md).is_empty(), "{md:?} not caught");
    }
    assert!(audit::markdown("[x](<https://a.example/>)").is_empty());
    assert!(
        !audit::json_urls(&json!({"threads": [{"media": [{"url": "javascript:x"}]}]})).is_empty()
    );
}
