//! What each fuzz target does with one input, and the checks it makes, shared by the
//! `cargo fuzz` targets in `fuzz_targets/` and by the integration test that replays the
//! kept inputs of `tests/fuzz-regressions/<target>/` on every `cargo test` (that test
//! includes this file as a module, so it builds without libFuzzer or nightly).
//!
//! Every target asserts more than "never panics": sanitised HTML re-sanitises to itself and
//! holds nothing active, escaped Markdown text makes no link, image or HTML, and every page
//! rendered from a story (from arbitrary strings, or from whatever the collect path stored from
//! arbitrary bytes) passes [`audit`]: no script, no event handler, no non-http(s) URL.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tagstory::collect::{self, ReadOptions, SourceInput};
use tagstory::model::{CustomEmoji, Poll, PollOption};
use tagstory::render::{html, json, markdown};
use tagstory::sanitize::{markdown_to_html, sanitize_html};
use tagstory::sources::{self, Format, Parsed};
use tagstory::store::{
    Store, StoredCuration, StoredCurator, StoredMedia, StoredNote, StoredPost, StoredSource,
};
use tagstory::story::{self, ConsentMode, Input, Options, Order};

pub mod audit;

/// What a target does with one input.
pub type Target = fn(&[u8]);

/// Every target, by the name `cargo fuzz run` and `tests/fuzz-regressions/` use.
pub const TARGETS: &[(&str, Target)] = &[
    ("detect", detect),
    ("parse", parse),
    ("read", read),
    ("sanitize", sanitize),
    ("markdown", markdown),
    ("story", story),
];

/// `sources::detect` and every format's `sniff` on a JSON document.
pub fn detect(data: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let detected = sources::detect(&doc);
    let sniffed = Format::ALL.into_iter().find(|f| f.sniff(&doc));
    assert_eq!(detected, sniffed, "detect is the first format that sniffs");
}

/// One format's parser (chosen by the first byte) on a JSON document.
pub fn parse(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let Ok(doc) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let format = Format::ALL[usize::from(selector) % Format::ALL.len()];
    let mut parsed = Parsed::default();
    let _ = format.parse(&doc, &mut parsed);
}

/// The tag the `read` target collects.
const TAG: &str = "tag";
/// A Twitter archive's manifest, beside the fuzzed `tweets.js`.
const MANIFEST: &str = include_str!("../../../fixtures/twitter/archive/data/manifest.js");

/// The collect path on arbitrary bytes: the first byte chooses how they arrive (a file, JSON
/// Lines, an archive folder's `tweets.js`, inside a zip, as the zip itself, a lone `tweets.js`
/// with its manifest beside it; `--strict` on the high bit). Collecting must not fail for
/// anything but the input (the archive stays writable), and whatever it stored must render
/// in every format and pass the audit.
pub fn read(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let source = place_source(dir.path(), selector & 0x7f, body);
    let mut store = Store::open_in_memory().expect("archive");
    let options = ReadOptions {
        format: None,
        strict: selector & 0x80 != 0,
    };
    collect::collect(
        &mut store,
        TAG,
        &[SourceInput::File(source.clone())],
        options,
    )
    .expect("collect fails only a source, never the run");
    let posts = store.load_story(TAG).expect("what was stored reads back");
    // Collecting the same source again (its records now known to the archive, so taken from
    // it) changes nothing in the story.
    let uris = |posts: &[tagstory::store::StoredPost]| -> Vec<(String, Option<String>)> {
        posts
            .iter()
            .map(|p| (p.uri.clone(), p.in_reply_to.clone()))
            .collect()
    };
    collect::collect(&mut store, TAG, &[SourceInput::File(source)], options)
        .expect("collect fails only a source, never the run");
    let again = store.load_story(TAG).expect("what was stored reads back");
    assert_eq!(
        uris(&posts),
        uris(&again),
        "a second collect changed the story"
    );
    if posts.is_empty() {
        return;
    }
    let input = Input {
        posts,
        curations: store.load_curations(TAG).expect("curations read back"),
        curator: store.load_curator(TAG).expect("curator reads back"),
        sources: store.load_sources(TAG).expect("sources read back"),
        deleted: 0,
        not_stored_for_consent: 0,
        files: Default::default(),
    };
    let options = Options {
        display_tag: TAG.into(),
        now: chrono::DateTime::from_timestamp(1_800_000_000, 0),
        ..Options::default()
    };
    render_and_audit(&story::assemble(TAG, input, &options));
}

fn place_source(dir: &Path, how: u8, body: &[u8]) -> PathBuf {
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write input");
    };
    match how % 6 {
        0 => {
            write(&dir.join("source.json"), body);
            dir.join("source.json")
        }
        1 => {
            write(&dir.join("source.jsonl"), body);
            dir.join("source.jsonl")
        }
        2 => {
            write(&dir.join("archive/data/manifest.js"), MANIFEST.as_bytes());
            write(&dir.join("archive/data/tweets.js"), body);
            dir.join("archive")
        }
        3 => {
            let path = dir.join("archive.zip");
            let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("zip"));
            let options = zip::write::SimpleFileOptions::default();
            for (name, bytes) in [
                ("data/manifest.js", MANIFEST.as_bytes()),
                ("data/tweets.js", body),
            ] {
                zip.start_file(name, options).expect("zip entry");
                zip.write_all(bytes).expect("zip write");
            }
            zip.finish().expect("zip finish");
            path
        }
        4 => {
            write(&dir.join("archive.zip"), body);
            dir.join("archive.zip")
        }
        _ => {
            write(&dir.join("data/manifest.js"), MANIFEST.as_bytes());
            write(&dir.join("data/tweets.js"), body);
            dir.join("data/tweets.js")
        }
    }
}

/// The sanitiser: its output is a fixed point and holds nothing active.
pub fn sanitize(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let clean = sanitize_html(&input);
    assert_eq!(
        sanitize_html(&clean),
        clean,
        "sanitising twice changes nothing"
    );
    let problems = audit::html(&clean, false);
    assert!(problems.is_empty(), "{problems:?} in {clean:?}");
    // Curators' Markdown goes through the same allow-list.
    let from_markdown = markdown_to_html(&input);
    let problems = audit::html(&from_markdown, false);
    assert!(problems.is_empty(), "{problems:?} in {from_markdown:?}");
}

/// Markdown escaping: escaped text is only text, and sanitised HTML converted to Markdown
/// makes no HTML, no image and no link but http(s).
pub fn markdown(data: &[u8]) {
    use markdown::from_html::{escape_inline, escape_text, to_markdown};
    let input = String::from_utf8_lossy(data);
    for escaped in [escape_text(&input), format!("x {}", escape_inline(&input))] {
        let problems = audit::markdown_text_only(&escaped);
        assert!(problems.is_empty(), "{problems:?} in {escaped:?}");
    }
    let md = to_markdown(&sanitize_html(&input));
    let problems = audit::markdown(&md);
    assert!(problems.is_empty(), "{problems:?} in {md:?}");
}

/// A story built from arbitrary strings, rendered in every format.
pub fn story(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut fields = Fields(text.split('\u{1}'));
    let count = usize::from(flags % 4) + 1;
    let uris: Vec<String> = (0..count)
        .map(|i| format!("{}{i}", fields.next()))
        .collect();
    let mut posts: Vec<StoredPost> = (0..count)
        .map(|i| stored_post(&mut fields, &uris, i))
        .collect();
    posts[0].author_noindex = flags & 0x10 != 0;
    let curator = StoredCurator {
        title: fields.optional(),
        intro_markdown: None,
        intro_html: Some(markdown_to_html(&fields.next())),
        notes: vec![StoredNote {
            id: 1,
            post_uri: uris[0].clone(),
            after: flags & 0x20 != 0,
            markdown: String::new(),
            html: markdown_to_html(&fields.next()),
        }],
        hidden: if flags & 0x40 != 0 {
            vec![uris[count - 1].clone()]
        } else {
            Vec::new()
        },
        warnings: vec![(uris[0].clone(), fields.next())],
    };
    let curations = vec![StoredCuration {
        url: fields.next(),
        title: fields.next(),
        intro_html: fields.next(),
        curator_name: fields.optional(),
        published_at: None,
        entries: vec![(Some(uris[0].clone()), None), (None, Some(fields.next()))],
    }];
    let sources = vec![StoredSource {
        location: fields.next(),
        format: "mastodon-api".into(),
        collected_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time"),
    }];
    let input = Input {
        posts,
        curations,
        curator,
        sources,
        deleted: 1,
        not_stored_for_consent: 1,
        files: Default::default(),
    };
    let options = Options {
        order: if flags & 0x04 != 0 {
            Order::Time
        } else {
            Order::Threads
        },
        display_tag: fields.next(),
        title: fields.optional(),
        now: chrono::DateTime::from_timestamp(1_800_000_000, 0),
        consent: match flags >> 7 {
            0 => ConsentMode::Default,
            _ => ConsentMode::Strict,
        },
        anonymize: flags & 0x08 != 0,
        ..Options::default()
    };
    render_and_audit(&story::assemble(TAG, input, &options));
}

/// Strings taken one after another from the input; `""` once it runs out.
struct Fields<'a>(std::str::Split<'a, char>);

impl Fields<'_> {
    fn next(&mut self) -> String {
        self.0.next().unwrap_or("").to_string()
    }

    fn optional(&mut self) -> Option<String> {
        Some(self.next()).filter(|s| !s.is_empty())
    }
}

fn stored_post(f: &mut Fields<'_>, uris: &[String], i: usize) -> StoredPost {
    // A parent named by a digit is another post of the story: threads, cycles, self-replies.
    let in_reply_to = f.optional().map(|p| match p.parse::<usize>() {
        Ok(n) if n < 10 => uris[n % uris.len()].clone(),
        _ => p,
    });
    let seconds = f.next().parse::<i64>().unwrap_or(1_700_000_000 + i as i64);
    let created_at = chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    StoredPost {
        uri: uris[i].clone(),
        url: f.optional(),
        author_uri: f.next(),
        author_handle: f.next(),
        author_name: f.next(),
        author_avatar: f.optional(),
        created_at,
        edited_at: f.optional().map(|_| created_at),
        content_html: f.next(),
        text: f.next(),
        language: f.optional(),
        in_reply_to,
        reply_to_unknown: false,
        sensitive: i % 2 == 1,
        spoiler_text: f.optional(),
        tagged: true,
        media: vec![StoredMedia {
            url: f.next(),
            kind: f.next(),
            alt: f.optional(),
            preview_url: f.optional(),
        }],
        boosts: 0,
        quote_of: f.optional(),
        poll: Some(Poll {
            options: vec![PollOption {
                title: f.next(),
                votes: Some(1),
            }],
            multiple: false,
            closes_at: None,
            voters: None,
        }),
        emojis: vec![CustomEmoji {
            shortcode: f.next(),
            url: f.next(),
        }],
        revisions: Vec::new(),
        replies_total: None,
        author_noindex: false,
    }
}

/// Renders `story` as HTML, JSON, JSON Lines and Markdown and checks each.
pub fn render_and_audit(story: &story::Story) {
    let shared = std::sync::Arc::new(story.clone());
    let page = html::render_story(&shared, &std::sync::Arc::new(html::MediaLinks::None))
        .expect("the page renders");
    let problems = audit::html(&page, true);
    assert!(problems.is_empty(), "{problems:?} in the page");
    let mut bytes = Vec::new();
    json::write_story(&mut bytes, story).expect("JSON renders");
    let doc: Value = serde_json::from_slice(&bytes).expect("JSON output parses");
    let problems = audit::json_urls(&doc);
    assert!(problems.is_empty(), "{problems:?} in the JSON");
    let mut bytes = Vec::new();
    json::write_lines(&mut bytes, story).expect("JSON Lines render");
    for line in String::from_utf8(bytes).expect("UTF-8").lines() {
        let doc: Value = serde_json::from_str(line).expect("each JSON line parses");
        let problems = audit::json_urls(&doc);
        assert!(problems.is_empty(), "{problems:?} in a JSON line");
    }
    let md = markdown::render_story(story);
    let problems = audit::markdown(&md);
    assert!(problems.is_empty(), "{problems:?} in the Markdown");
}
