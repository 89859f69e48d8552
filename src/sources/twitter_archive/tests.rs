//! Account-archive tests. Every expectation is written by hand from the input file it names:
//! the real `tweets.js` in `../shared/corpus/twitter/` (read in place) and the invented archive
//! in `fixtures/twitter/archive/` (also zipped here, at test time).

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use serde_json::json;

use super::*;
use crate::model::{Boost, Item, Media, Post, TextBoost};
use crate::sources::Parsed;
use crate::sources::test_util::{some, time};

fn corpus_file(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.is_dir() {
        println!("skipped: ../shared/corpus not present");
        return None;
    }
    Some(dir.join("twitter").join(name))
}

fn fixture_archive() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/twitter/archive")
}

fn status(id: &str) -> String {
    format!("https://twitter.com/i/web/status/{id}")
}

const REL: &str = "rel=\"nofollow noopener ugc\"";

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

fn post_with<'a>(parsed: &'a Parsed, id: &str) -> &'a Post {
    let uri = status(id);
    parsed
        .items
        .iter()
        .find_map(|item| match item {
            Item::Post(post) if post.uri == uri => Some(&**post),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no post {id} in {:#?}", parsed.items))
}

// ---------------------------------------------------------------- real corpus

#[test]
fn corpus_tweets_js() {
    let Some(path) = corpus_file("archive-data-tweets-part0-trimmed.js") else {
        return;
    };
    let bytes = std::fs::read(&path).expect("corpus file");
    let doc: Value =
        serde_json::from_slice(strip_js_prefix(&bytes).expect("has the YTD prefix")).expect("JSON");
    // The streaming reader gives the same document.
    let mut file = File::open(&path).expect("corpus file");
    assert_eq!(read_part(&mut file).expect("streams"), doc);
    assert!(TwitterArchive::sniff(&doc));

    let mut parsed = Parsed::default();
    TwitterArchive::parse(&doc, &mut parsed).expect("parses");
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.items.len(), 16);

    // Hashtag and emoji before a media link: the link goes, the photo is an attachment.
    let first = post_with(&parsed, "1588091220244369409");
    let want = Post {
        uri: status("1588091220244369409"),
        // The account is unknown, so there is no permalink.
        url: None,
        author: unknown_author(),
        created_at: time("2022-11-03T08:50:26Z"),
        edited_at: None,
        content_html: format!(
            "<p>Good morning <a href=\"https://twitter.com/hashtag/LeadDevBerlin\" \
             class=\"mention hashtag\" {REL}>#LeadDevBerlin</a> 👋</p>"
        ),
        text: "Good morning #LeadDevBerlin 👋".to_owned(),
        language: some("en"),
        in_reply_to: None,
        in_reply_to_local: None,
        local_id: None,
        conversation: None,
        sensitive: false,
        spoiler_text: None,
        tags: vec!["leaddevberlin".to_owned()],
        has_structured_tags: true,
        media: vec![Media {
            url: "https://pbs.twimg.com/media/FgoIitdWAAAL87b.jpg".to_owned(),
            kind: "image".to_owned(),
            alt: None,
            width: Some(2048),
            height: Some(1536),
            preview: None,
        }],
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        source_json: doc[0]["tweet"].to_string(),
        reply_count: crate::model::ReplyCount::Absent,
    };
    assert_eq!(first, &want);
    assert_eq!(first.author.uri, "https://twitter.com/i/user/unknown");

    // Skin-tone emoji before a media link, two hashtags.
    let jsconf = post_with(&parsed, "860906161490538496");
    assert_eq!(
        jsconf.text,
        "#jsconfeu close out of day 1 #keeptheinternetweird ✨👌🏼"
    );
    assert_eq!(jsconf.tags, ["jsconfeu", "keeptheinternetweird"]);
    assert!(
        jsconf.content_html.ends_with(&format!(
            "<a href=\"https://twitter.com/hashtag/keeptheinternetweird\" class=\"mention hashtag\" \
             {REL}>#keeptheinternetweird</a> ✨👌🏼</p>"
        )),
        "{}",
        jsconf.content_html
    );
    assert_eq!(
        jsconf.media[0].url,
        "https://pbs.twimg.com/media/C_KNlN4XcAEua4F.jpg"
    );

    // The 3-tweet self-thread.
    let root = post_with(&parsed, "745950862275641345");
    assert_eq!(root.in_reply_to, None);
    assert_eq!(
        root.text,
        "Had a fantastic time at the #pwadevsummit in Amsterdam. Big ups to @ChromiumDev for the \
         great event👌🏼"
    );
    let second = post_with(&parsed, "745951244032872448");
    assert_eq!(second.in_reply_to, some(&status("745950862275641345")));
    assert_eq!(
        second.text,
        "If you didn't had the chance to attend you should definetly check out the sessions 📺\n\
         https://www.youtube.com/playlist?list=PLNYkxOF6rcIAWWNR_Q6eLPhsyx6VvYjVb"
    );
    let third = post_with(&parsed, "745951701912424448");
    assert_eq!(third.in_reply_to, some(&status("745951244032872448")));
    assert_eq!(
        third.text,
        "Also take a look at the codelabs 💻  https://codelabs.developers.google.com/pwa-dev-summit"
    );

    // German umlauts; a reply to an account (no status id) is no reply link.
    let german = post_with(&parsed, "1381525267932401665");
    assert_eq!(
        german.text,
        "@cyberport_de Ich versuche seit 18. März vergeblich eine Retour abzuschließen. Anfragen \
         per E-Mail werden ignoriert. Über die Hotline heißt es bitte per E-Mail kontaktieren.  \
         Wie komme ich hier weiter?"
    );
    assert_eq!(german.language, some("de"));
    assert_eq!(german.in_reply_to, None);
    assert!(german.content_html.starts_with(&format!(
        "<p><a href=\"https://twitter.com/cyberport_de\" class=\"mention\" {REL}>@cyberport_de</a> \
         Ich versuche seit 18. März"
    )));

    // `&lt;…&gt;` unescaped once; in HTML it is escaped again, as text.
    let element = post_with(&parsed, "1244662305805275136");
    assert_eq!(
        element.text,
        "@SaraSoueidan @CtrlBlog I've created a <progressive-image> custom element. Might be \
         useful...\n\nhttps://github.com/andreruffert/progressive-image-element"
    );
    assert!(
        element
            .content_html
            .contains("I've created a &lt;progressive-image&gt; custom element."),
        "{}",
        element.content_html
    );
    assert_eq!(element.in_reply_to, some(&status("1244655210917777416")));

    // A 2011 tweet with a raw `&`, whose mention after it still lines up.
    let old = post_with(&parsed, "89251415612067840");
    assert_eq!(
        old.text,
        "@arndtnollau & @kahlillechelt das Ding ist online!"
    );
    assert_eq!(
        old.content_html,
        format!(
            "<p><a href=\"https://twitter.com/arndtnollau\" class=\"mention\" {REL}>@arndtnollau</a> \
             &amp; <a href=\"https://twitter.com/kahlillechelt\" class=\"mention\" {REL}>\
             @kahlillechelt</a> das Ding ist online!</p>"
        )
    );

    // A quote made only by a link to the status.
    let quote = post_with(&parsed, "1486721823299407877");
    assert_eq!(quote.quote_of, some(&status("1486023451584638980")));
    assert_eq!(
        quote.text,
        "tl;dr \n\nAdd rel=\"noopener\" to URLs with target=\"_blank\" \
         https://twitter.com/fabioberger123/status/1486023451584638980"
    );

    // A reply whose only text besides the mention is an emoji (and a photo).
    let eyes = post_with(&parsed, "1492187859322818562");
    assert_eq!(eyes.text, "@shadeed9 👀");
    assert_eq!(eyes.language, None);
    assert_eq!(eyes.in_reply_to, some(&status("1492180218991333383")));
    assert_eq!(
        post_with(&parsed, "1492180218991333383").text,
        "@shadeed9 Quite happy with this one 👌 Although using it with an M1 MBA…\n\n\
         https://www.dell.com/en-us/work/shop/ultrasharp-27-4k-usb-c-monitor-u2720q/apd/210-avjv/\
         monitors-monitor-accessories"
    );

    // An animated GIF and a video: the MP4s.
    let gif = post_with(&parsed, "827153311870619648");
    assert_eq!(gif.text, "https://github.com/bahmutov/game-of-github");
    assert_eq!(
        gif.media,
        [Media {
            url: "https://video.twimg.com/tweet_video/C3qjTsyXAAAfl6-.mp4".to_owned(),
            kind: "gifv".to_owned(),
            alt: None,
            width: Some(1516),
            height: Some(426),
            preview: Some("https://pbs.twimg.com/tweet_video_thumb/C3qjTsyXAAAfl6-.jpg".to_owned()),
        }]
    );
    let video = post_with(&parsed, "802141456697790464");
    assert_eq!(
        video.text,
        "Seems like the shadow is confusing the door. You should always have integration tests \
         😂#RubyDay2016"
    );
    assert_eq!(
        video.media,
        [Media {
            url: "https://video.twimg.com/ext_tw_video/802141281896034306/pu/vid/720x1280/\
                  q_Ow4OduUsGhIM1n.mp4"
                .to_owned(),
            kind: "video".to_owned(),
            alt: None,
            width: Some(720),
            height: Some(1280),
            preview: Some(
                "https://pbs.twimg.com/ext_tw_video_thumb/802141281896034306/pu/img/\
                 yiIyiheP4KFeqUVT.jpg"
                    .to_owned(),
            ),
        }]
    );

    // Retweets: the one with a media source names its tweet; the others name it by its
    // author and the start of its text (before the link and the truncation mark).
    let rt_items: Vec<&Item> = parsed
        .items
        .iter()
        .filter(|item| !matches!(item, Item::Post(_)))
        .collect();
    assert_eq!(
        rt_items,
        [
            &Item::TextBoost(TextBoost {
                uri: status("897444285276180480"),
                booster: "https://twitter.com/i/user/unknown".to_owned(),
                created_at: Some(time("2017-08-15T13:06:05Z")),
                author_handle: "@umaar".to_owned(),
                text_start: "Canary DevTools Update: top-level await is now supported 🎊 makes \
                             debugging & quick experimentations simpler, no need for an asyn"
                    .to_owned(),
            }),
            &Item::Boost(Boost {
                uri: status("895323661720109056"),
                post_uri: status("895272929587597312"),
                booster: "https://twitter.com/i/user/unknown".to_owned(),
                created_at: Some(time("2017-08-09T16:39:29Z")),
            }),
            &Item::TextBoost(TextBoost {
                uri: status("872550040186888195"),
                booster: "https://twitter.com/i/user/unknown".to_owned(),
                created_at: Some(time("2017-06-07T20:25:15Z")),
                author_handle: "@AngularCamp".to_owned(),
                text_start:
                    "Yay! The schedule and sessions are set ✨🚀 Check out what you'll get \
                             at @AngularCamp! #Angular #JavaScript"
                        .to_owned(),
            }),
        ]
    );

    // With the account known, posts get permalinks and the account as author.
    let andre = Author {
        uri: "https://twitter.com/i/user/unknown-id".to_owned(),
        handle: "@andreruffert".to_owned(),
        url: some("https://twitter.com/andreruffert"),
        ..Author::default()
    };
    let mut parsed = Parsed::default();
    parse_with_author(&doc, &andre, &mut parsed).expect("parses");
    let first = post_with(&parsed, "1588091220244369409");
    assert_eq!(first.author, andre);
    assert_eq!(
        first.url,
        some("https://twitter.com/andreruffert/status/1588091220244369409")
    );
}

// ---------------------------------------------------------------- the fixture archive

/// Reads every part of an archive into items, with the part names in order.
fn read_archive(path: &Path) -> (Option<Author>, Vec<String>, Parsed) {
    let mut names = Vec::new();
    let mut parsed = Parsed::default();
    let mut docs = Vec::new();
    let account = for_each_tweets_file(path, &mut |name, _account, reader| {
        names.push(name.to_owned());
        docs.push(read_part(reader)?);
        Ok(())
    })
    .expect("archive reads");
    let author = account.clone().unwrap_or_else(unknown_author);
    for doc in &docs {
        parse_with_author(doc, &author, &mut parsed).expect("part parses");
    }
    (account, names, parsed)
}

fn check_fixture_archive(path: &Path) {
    let (account, names, parsed) = read_archive(path);
    assert_eq!(account, Some(ana()));
    assert_eq!(names, ["data/tweets.js", "data/tweets-part1.js"]);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let want_root = Post {
        uri: status("4000000000000000001"),
        url: some("https://twitter.com/ana_tide/status/4000000000000000001"),
        author: ana(),
        created_at: time("2025-01-06T07:00:00Z"),
        edited_at: None,
        content_html: format!(
            "<p>Low tide walk, part 1 <a href=\"https://twitter.com/hashtag/TidePools\" \
             class=\"mention hashtag\" {REL}>#TidePools</a> 🦀</p>"
        ),
        text: "Low tide walk, part 1 #TidePools 🦀".to_owned(),
        language: some("en"),
        in_reply_to: None,
        in_reply_to_local: None,
        local_id: None,
        conversation: None,
        sensitive: false,
        spoiler_text: None,
        tags: vec!["tidepools".to_owned()],
        has_structured_tags: true,
        media: vec![Media {
            url: "https://pbs.twimg.com/media/LowTide1.jpg".to_owned(),
            kind: "image".to_owned(),
            alt: None,
            width: Some(2048),
            height: Some(1536),
            preview: None,
        }],
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        source_json: String::new(),
        reply_count: crate::model::ReplyCount::Absent,
    };
    let [
        Item::Post(second),
        Item::Post(root),
        Item::Post(third),
        Item::TextBoost(rt),
    ] = parsed.items.as_slice()
    else {
        panic!("unexpected items {:#?}", parsed.items);
    };
    let root_source: Value = serde_json::from_str(&root.source_json).expect("JSON");
    assert_eq!(root_source["id_str"], "4000000000000000001");
    assert_eq!(
        **root,
        Post {
            source_json: root.source_json.clone(),
            ..want_root
        }
    );
    assert_eq!(second.in_reply_to, some(&status("4000000000000000001")));
    assert_eq!(second.quote_of, some(&status("3000000000000000001")));
    assert_eq!(
        second.text,
        "part 2: anemones & crabs, as @cara_reef said \
         https://twitter.com/cara_reef/status/3000000000000000001"
    );
    assert_eq!(third.in_reply_to, some(&status("4000000000000000002")));
    assert_eq!(third.text, "part 3: home again. Grüße an alle!");
    assert_eq!(third.language, some("de"));
    assert_eq!(rt.uri, status("4000000000000000004"));
    assert_eq!(rt.author_handle, "@ben_kelp");
    assert_eq!(rt.text_start, "Kelp forests are");
}

#[test]
fn fixture_archive_folder() {
    check_fixture_archive(&fixture_archive());
}

/// Zips the fixture archive's `data/` files under `root` (`""` or `name/`).
fn zip_fixture(dir: &Path, root: &str) -> PathBuf {
    let path = dir.join(format!("archive{}.zip", root.len()));
    let mut zip = zip::ZipWriter::new(File::create(&path).expect("zip file"));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.add_directory(format!("{root}data/"), options)
        .expect("zip dir");
    for name in ["manifest.js", "tweets.js", "tweets-part1.js"] {
        let bytes = std::fs::read(fixture_archive().join("data").join(name)).expect("fixture");
        zip.start_file(format!("{root}data/{name}"), options)
            .expect("zip entry");
        zip.write_all(&bytes).expect("zip write");
    }
    zip.start_file(format!("{root}Your archive.html"), options)
        .expect("zip entry");
    zip.write_all(b"<html></html>").expect("zip write");
    zip.finish().expect("zip finish");
    path
}

#[test]
fn fixture_archive_zip() {
    let dir = tempfile::tempdir().expect("tempdir");
    check_fixture_archive(&zip_fixture(dir.path(), ""));
    check_fixture_archive(&zip_fixture(dir.path(), "twitter-2025-01-07-ana/"));
}

#[test]
fn without_a_manifest_parts_are_found_by_name_and_the_account_in_account_js() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let files = [
        ("tweets.js", "window.YTD.tweets.part0 = [ ]"),
        ("tweets-part10.js", "window.YTD.tweets.part10 = [10]"),
        ("tweets-part2.js", "window.YTD.tweets.part2 = [2];\n"),
        ("tweet.js", "[\"old\"]"),
        ("tweets-partX.js", "[\"not a part\"]"),
        ("like.js", "window.YTD.like.part0 = []"),
        (
            "account.js",
            "window.YTD.account.part0 = [ {\n  \"account\" : {\n    \"email\" : \
             \"ana@tide.example\",\n    \"username\" : \"ana_tide\",\n    \"accountId\" : \
             \"2000000001\",\n    \"accountDisplayName\" : \"Ana Tide\"\n  }\n} ]",
        ),
    ];
    for (name, text) in files {
        std::fs::write(data.join(name), text).expect("write");
    }
    let mut seen = Vec::new();
    let account = for_each_tweets_file(dir.path(), &mut |name, _account, reader| {
        let mut text = String::new();
        reader.read_to_string(&mut text)?;
        seen.push((name.to_owned(), text));
        Ok(())
    })
    .expect("reads");
    assert_eq!(account, Some(ana()));
    let want = [
        ("data/tweets.js", "[ ]"),
        ("data/tweets-part2.js", "[2]"),
        ("data/tweets-part10.js", "[10]"),
        ("data/tweet.js", "[\"old\"]"),
    ];
    let seen: Vec<(&str, &str)> = seen.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    assert_eq!(seen, want);
}

#[test]
fn archives_without_tweets_or_with_bad_manifests_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ignore = |_: &str, _: Option<&Author>, _: &mut dyn Read| -> io::Result<()> { Ok(()) };
    let err = for_each_tweets_file(dir.path(), &mut ignore).expect_err("no tweets");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);

    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let manifest = |file: &str| {
        format!(
            "window.__THAR_CONFIG = {{\"dataTypes\": {{\"tweets\": {{\"files\": \
             [{{\"fileName\": \"{file}\"}}]}}}}}}"
        )
    };
    std::fs::write(data.join("manifest.js"), manifest("data/tweets-part9.js")).expect("write");
    let err = for_each_tweets_file(dir.path(), &mut ignore).expect_err("missing part");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(err.to_string().contains("data/tweets-part9.js"), "{err}");

    std::fs::write(data.join("manifest.js"), manifest("../outside.js")).expect("write");
    let err = for_each_tweets_file(dir.path(), &mut ignore).expect_err("unsafe path");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);

    let not_zip = dir.path().join("notes.txt");
    std::fs::write(&not_zip, "hello").expect("write");
    let err = for_each_tweets_file(&not_zip, &mut ignore).expect_err("not a zip");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}

// ---------------------------------------------------------------- prefix handling

#[test]
fn strip_js_prefix_cuts_the_assignment_and_the_trailing_semicolon() {
    let cases: [(&[u8], Option<&[u8]>); 7] = [
        (b"window.YTD.tweets.part0 = [1];\n", Some(b"[1]")),
        (b"window.YTD.tweets.part0 =[\n]\n\n", Some(b"[\n]")),
        (b"window.__THAR_CONFIG = {\"a\": 1}", Some(b"{\"a\": 1}")),
        (b"[1]", None),
        (b"{\"a\": \"=\"}", None),
        (b"x = ", None),
        (b"", None),
    ];
    for (input, want) in cases {
        assert_eq!(
            strip_js_prefix(input),
            want,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn streaming_prefix_removal_survives_any_chunk_size() {
    let cases = [
        (
            "window.YTD.tweets.part0 = [{\"a\": \"x; = y \"}] ;\n \n",
            "[{\"a\": \"x; = y \"}]",
        ),
        ("\u{feff}[1, 2];", "[1, 2]"),
        ("{\"b\": [\";\"]}", "{\"b\": [\";\"]}"),
        ("window.YTD.x.part0 = ", ""),
    ];
    for (input, want) in cases {
        for capacity in [1, 2, 3, 7, 64] {
            let inner = BufReader::with_capacity(capacity, input.as_bytes());
            let mut out = String::new();
            JsonPart::new(inner)
                .read_to_string(&mut out)
                .expect("reads");
            assert_eq!(out, want, "{input:?} in chunks of {capacity}");
        }
    }
    let endless_prefix = "x".repeat(MAX_PREFIX + 10);
    let mut out = String::new();
    let err = JsonPart::new(endless_prefix.as_bytes())
        .read_to_string(&mut out)
        .expect_err("refused");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}

#[test]
fn accounts_from_manifest_and_account_js() {
    let manifest = std::fs::read(fixture_archive().join("data/manifest.js")).expect("fixture");
    assert_eq!(account_from_manifest(&manifest), Some(ana()));
    assert_eq!(account_from_manifest(b"window.__THAR_CONFIG = {}"), None);
    assert_eq!(account_from_manifest(b"not json"), None);
    let account_js = br#"window.YTD.account.part0 = [{"account": {"accountId": "7", "username": "@eel", "accountDisplayName": ""}}]"#;
    assert_eq!(
        account_from_account_js(account_js),
        Some(Author {
            uri: "https://twitter.com/i/user/7".to_owned(),
            handle: "@eel".to_owned(),
            name: String::new(),
            url: some("https://twitter.com/eel"),
            avatar: None,
            ..Default::default()
        })
    );
}

#[test]
fn sniff_and_refusals() {
    assert!(TwitterArchive::sniff(&json!([{"tweet": {}}])));
    assert!(!TwitterArchive::sniff(&json!([])));
    assert!(!TwitterArchive::sniff(&json!([{"tweet": {}, "other": 1}])));
    assert!(!TwitterArchive::sniff(&json!({"tweet": {}})));
    assert!(!TwitterArchive::sniff(
        &json!([{"id_str": "1", "user": {}}])
    ));

    let mut parsed = Parsed::default();
    let err = TwitterArchive::parse(&json!({"tweet": {}}), &mut parsed).expect_err("refused");
    assert!(err.message.contains("found an object"), "{}", err.message);
    let err = TwitterArchive::parse(&json!([{"like": {}}]), &mut parsed).expect_err("refused");
    assert!(err.message.contains("found none"), "{}", err.message);

    let doc = json!([{"tweet": {"id_str": "1"}}, 5, {"like": {}}]);
    TwitterArchive::parse(&doc, &mut parsed).expect("parses");
    let got: Vec<(&str, &str)> = parsed
        .warnings
        .iter()
        .map(|w| (w.pointer.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("/0/tweet", "tweet `1` has no `created_at`"),
            ("/1", "expected a `{\"tweet\": …}` element, found a number"),
            (
                "/2",
                "expected a `{\"tweet\": …}` element, found an object without `tweet`"
            ),
        ]
    );
}
