//! v1.1 / twarc 1 tests. Every expectation is written by hand from the input file it names:
//! real captures in `../shared/corpus/twitter/` (read in place) and one-quirk fixtures in
//! `fixtures/twitter/` (invented accounts).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::*;
use crate::model::{Author, Boost, Media, Post};
use crate::sources::Parsed;
use crate::sources::test_util::{self, posts, some, time};
use crate::sources::tweet_v1::{Body, Rendered};

fn fixture(name: &str) -> Value {
    test_util::fixture_json(&format!("twitter/{name}"))
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.is_dir() {
        println!("skipped: ../shared/corpus not present");
        return None;
    }
    Some(dir.join("twitter"))
}

/// A real sample from the shared corpus, or `None` when the corpus is not checked out beside
/// the project.
fn corpus(name: &str) -> Option<Value> {
    let path = corpus_dir()?.join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}")))
}

/// The lines of a JSONL corpus file, each parsed.
fn corpus_lines(name: &str) -> Option<Vec<Value>> {
    Some(test_util::json_lines(&corpus_dir()?.join(name)))
}

fn parse(doc: &Value) -> Parsed {
    assert!(TwitterV1::sniff(doc), "sniff: {doc}");
    let mut parsed = Parsed::default();
    TwitterV1::parse(doc, &mut parsed).expect("document parses");
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    parsed
}

fn status(id: &str) -> String {
    format!("https://twitter.com/i/web/status/{id}")
}

const REL: &str = "rel=\"nofollow noopener ugc\"";

// ---------------------------------------------------------------- real corpus

#[test]
fn corpus_rest_array_retweet_reply_and_quote() {
    let Some(doc) = corpus("v1.1-rest-extended-rt-reply-quote.json") else {
        return;
    };
    let parsed = parse(&doc);
    let [
        Item::Post(original),
        Item::Boost(boost),
        Item::Post(reply),
        Item::Post(quoted),
        Item::Post(quoting),
    ] = parsed.items.as_slice()
    else {
        panic!("unexpected items: {:#?}", parsed.items);
    };

    // 1. The retweet: the original post, then the boost; never the truncated `RT @…` text.
    let vox = "https://www.vox.com/energy-and-environment/2019/9/4/20829431/climate-change-carbon-\
               capture-utilization-sequestration-ccu-ccs?utm_campaign=drvox&utm_content=chorus\
               &utm_medium=social&utm_source=twitter";
    let want = Post {
        uri: status("1169242008432644097"),
        url: some("https://twitter.com/drvox/status/1169242008432644097"),
        author: Author {
            uri: "https://twitter.com/i/user/22737278".to_owned(),
            handle: "@drvox".to_owned(),
            name: "David Roberts".to_owned(),
            url: some("https://twitter.com/drvox"),
            avatar: some(
                "https://pbs.twimg.com/profile_images/551076081051004929/2i4QEfn-_normal.jpeg",
            ),
            ..Default::default()
        },
        created_at: time("2019-09-04T13:33:12Z"),
        edited_at: None,
        content_html: format!(
            "<p>My new post: an explainer on “carbon capture &amp; utilization” (CCU). CO2 \
             captured from waste gases or the ambient air can be used to make valuable products. \
             Could CCU help the carbon capture industry scale up? <a href=\"{}\" {REL}>\
             vox.com/energy-and-env…</a></p>",
            vox.replace('&', "&amp;")
        ),
        text: format!(
            "My new post: an explainer on “carbon capture & utilization” (CCU). CO2 captured from \
             waste gases or the ambient air can be used to make valuable products. Could CCU help \
             the carbon capture industry scale up? {vox}"
        ),
        language: some("en"),
        in_reply_to: None,
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
        source_json: doc[0]["retweeted_status"].to_string(),
        reply_count: crate::model::ReplyCount::Absent,
    };
    assert_eq!(**original, want);
    assert_eq!(
        boost,
        &Boost {
            uri: status("1169246717864136705"),
            post_uri: status("1169242008432644097"),
            booster: "https://twitter.com/i/user/12497".to_owned(),
            created_at: Some(time("2019-09-04T13:51:55Z")),
        }
    );

    // 2. The reply: its four leading @mentions are outside `display_text_range`.
    assert_eq!(reply.uri, status("1169196446043664385"));
    assert_eq!(reply.in_reply_to, some(&status("1169079390577319937")));
    assert_eq!(
        reply.text,
        "The @inaturalist API is amazingly powerful and fun with no auth and no rate limit. We \
         used it to build http://www.owlsnearme.com - see also @Natbat's great tutorial on using \
         it with @observablehq https://24ways.org/2018/observable-notebooks-and-inaturalist/"
    );
    assert!(
        reply.content_html.starts_with(&format!(
            "<p>The <a href=\"https://twitter.com/inaturalist\" class=\"mention\" {REL}>\
             @inaturalist</a> API is"
        )),
        "{}",
        reply.content_html
    );
    // The photo's indices and `t.co` link are not in this text: it stays an attachment only.
    assert_eq!(
        reply.media,
        [Media {
            url: "https://pbs.twimg.com/media/BwEmlDHCMAEGwu_.jpg".to_owned(),
            kind: "image".to_owned(),
            alt: None,
            width: Some(1024),
            height: Some(768),
            preview: None,
        }]
    );
    assert_eq!(reply.author.handle, "@simonw");

    // 3. The quote: the quoted tweet first, then the quoting one without the quote link.
    assert_eq!(quoted.uri, status("861696799362478085"));
    assert_eq!(quoted.author.name, "Brian Whitman");
    assert_eq!(
        quoted.text,
        "If you use Photos (mac) & Live Photos, run this command to generate a lovely sound \
         collage of where you’ve been \
         https://gist.github.com/bwhitman/5be2f905556a25145dbac74fe4080739"
    );
    assert_eq!(quoted.source_json, doc[2]["quoted_status"].to_string());
    assert_eq!(quoting.uri, status("1168529001599533057"));
    assert_eq!(quoting.quote_of, some(&status("861696799362478085")));
    assert_eq!(
        quoting.text,
        "Finally got around to running this script. It is BRILLIANT - it produces a concatenated \
         .wav file of the audio from every live photo you've ever taken.\n\nNeeds quite a lot of \
         disk space to run - the /tmp/picblast folder can take multiple GB"
    );
    assert!(quoting.content_html.contains("taken.<br><br>Needs"));
}

#[test]
fn corpus_media_alt_text_and_hair_spaces() {
    let Some(doc) = corpus("v1.1-status-media-ext-alt-text.json") else {
        return;
    };
    let parsed = parse(&doc);
    let [Item::Post(post)] = parsed.items.as_slice() else {
        panic!("{:?}", parsed.items);
    };
    assert_eq!(post.uri, status("724441953534877696"));
    assert_eq!(
        post.url,
        some("https://twitter.com/Medium/status/724441953534877696")
    );
    assert_eq!(post.author.uri, "https://twitter.com/i/user/571202103");
    assert_eq!(post.created_at, time("2016-04-25T03:36:35Z"));
    assert_eq!(
        post.text,
        "“Jon Snow is dead.”\u{200a}—\u{200a}@HBOPR https://medium.com/hbo-cinemax-pr/game-of-\
         thrones-season-6-episodes-53586437cbb3#---0-17.cvym8cqn4"
    );
    assert!(
        post.content_html.contains(&format!(
            "—\u{200a}<a href=\"https://twitter.com/HBOPR\" class=\"mention\" {REL}>@HBOPR</a> \
             <a href=\"https://medium.com/hbo-cinemax-pr/game-of-thrones-season-6-episodes-\
             53586437cbb3#---0-17.cvym8cqn4\" {REL}>medium.com/hbo-cinemax-pr…</a></p>"
        )),
        "{}",
        post.content_html
    );
    assert_eq!(
        post.media,
        [Media {
            url: "https://pbs.twimg.com/media/Cg28HdUWYAAvmwn.jpg".to_owned(),
            kind: "image".to_owned(),
            alt: some("“Jon Snow is dead.…” from “GAME OF THRONES SEASON 6 EPISODES” by HBO PR."),
            width: Some(750),
            height: Some(748),
            preview: None,
        }]
    );
}

#[test]
fn corpus_official_sample_is_protected_and_hides_its_prefix() {
    let Some(doc) = corpus("v1.1-official-sample-reply-hidden-prefix-display-range.json") else {
        return;
    };
    // `user.protected` is true in Twitter's own sample: not collected.
    assert_eq!(
        parse(&doc).items,
        [Item::Skipped(Skip {
            uri: some(&status("743479431658758145")),
            reason: SkipReason::NotPublic,
        })]
    );
    // Its display range still shows how the text would read.
    let body = Body::of(doc.as_object().expect("object"));
    assert_eq!(
        body.render(),
        Rendered {
            html: "<p>I'm really excited for this change!</p>".to_owned(),
            text: "I'm really excited for this change!".to_owned(),
        }
    );
    assert_eq!(
        body.media(),
        [Media {
            url: "https://pbs.twimg.com/tweet_video/ClFejl_VAAAo9Xk.mp4".to_owned(),
            kind: "gifv".to_owned(),
            alt: None,
            width: Some(480),
            height: Some(268),
            preview: Some("https://pbs.twimg.com/tweet_video_thumb/ClFejl_VAAAo9Xk.jpg".to_owned()),
        }]
    );
}

#[test]
fn corpus_stream_lines() {
    let Some(lines) = corpus_lines("v1.1-stream-extended-tweet-trimmed.jsonl") else {
        return;
    };
    assert_eq!(lines.len(), 10);
    let parsed: Vec<Parsed> = lines.iter().map(parse).collect();
    let uris = |p: &Parsed| -> Vec<String> { posts(p).iter().map(|p| p.uri.clone()).collect() };

    // Line 1: a quote of a tweet with a photo; the quote link is outside the display range.
    assert_eq!(
        uris(&parsed[0]),
        [status("972472152447438859"), status("972472958601056256")]
    );
    let quoted = posts(&parsed[0])[0];
    assert_eq!(
        quoted.text,
        "BREAKING | Here is your #Gills team to take on @officialpompey this afternoon."
    );
    assert_eq!(
        quoted.media[0].url,
        "https://pbs.twimg.com/media/DX7ptIXX4AERf_z.png"
    );
    let quoting = posts(&parsed[0])[1];
    assert_eq!(quoting.quote_of, some(&status("972472152447438859")));
    assert_eq!(
        quoting.text,
        "#Gills make 2 changes to the starting 11 for today's game with Wagstaff and Reilly \
         coming in for Ogilvie and Nugent. Ogilvie is not in the squad for this afternoon's game \
         (he was ill earlier in the week)."
    );
    assert_eq!(quoting.tags, ["gills"]);
    assert_eq!(quoting.created_at, time("2018-03-10T14:03:15Z"));

    // Line 2: Korean text, eight hashtags from `extended_tweet.entities`.
    let korean = posts(&parsed[1])[0];
    assert_eq!(
        korean.text,
        "[MYSTIC LISTEN] 장재인 X EXO 수호(SUHO) '실례해도 될까요(Do you have a moment)' MV\n\
         http://www.youtube.com.convey.pro/l/rlR2P8q\n-\n\
         #LISTEN #수호 #SUHO #실례해도될까요 #엑소 #EXO #장재인 by #9194bro via @c0nvey"
    );
    assert_eq!(
        korean.tags,
        [
            "listen",
            "수호",
            "suho",
            "실례해도될까요",
            "엑소",
            "exo",
            "장재인",
            "9194bro"
        ]
    );
    assert!(
        korean.content_html.contains(&format!(
            "<a href=\"https://twitter.com/hashtag/%EC%88%98%ED%98%B8\" class=\"mention hashtag\" \
             {REL}>#수호</a>"
        )),
        "{}",
        korean.content_html
    );
    assert_eq!(korean.language, some("ko"));

    // Line 3: `&amp;` before a hashtag counts five code points.
    assert_eq!(
        posts(&parsed[2])[0].text,
        "Connect w/ @FloatHarder @mainedoulas and @JadeIntegrated at Portland Mom & Baby Expo on \
         5/5 in #portlandme! http://www.portlandmomandbabyexpo.com"
    );
    assert_eq!(posts(&parsed[2])[0].tags, ["portlandme"]);

    // Line 4: Japanese lines and emoji, three photos, the photo link removed.
    let japanese = posts(&parsed[3])[0];
    assert_eq!(
        japanese.text,
        "今日は良き日でした👏\n美味しかったし、楽しかった！\n変なダンス見れたし笑笑\n\
         でもね、最後ね妹達と帰りよって\n時間やばくて走る事になったの\nそしたら、どーしたと思う？\n\n\
         道の途中で大胆に\nヘッドスライディングかましたよ😎💕\nすっごい手が痛い😱"
    );
    let photos: Vec<&str> = japanese.media.iter().map(|m| m.url.as_str()).collect();
    assert_eq!(
        photos,
        [
            "https://pbs.twimg.com/media/DX7q-aJVoAAT3nm.jpg",
            "https://pbs.twimg.com/media/DX7q_iHU0AEC2mz.jpg",
            "https://pbs.twimg.com/media/DX7rA04VMAAPsiI.jpg"
        ]
    );
    assert!(
        japanese
            .content_html
            .starts_with("<p>今日は良き日でした👏<br>美味しかったし")
    );

    // Line 5: a reply whose display range drops the leading mention and the photo link.
    let reply = posts(&parsed[4])[0];
    assert_eq!(
        reply.text,
        "本当に嬉しいです感謝でいっぱいです😢💗\n土曜日なのですね(TT) 恐らく土曜日は会場向かえないので\
         郵送＆振込でのお取引で大丈夫ですか..? \nあと価格出てました～！ 半分価格で400円ですね💦 \
         代行費とかもろもろ合わせたものはDMにてお伝えします ☀️"
    );
    assert_eq!(reply.in_reply_to, some(&status("972471621985251328")));

    // Lines 6 and 10: the stream repeats a tweet; it is the same post.
    assert_eq!(uris(&parsed[5]), [status("972473017333899264")]);
    assert_eq!(parsed[5].items, parsed[9].items);
    let repeated = posts(&parsed[5])[0];
    assert_eq!(
        repeated.text,
        "I do not! I stay in my lane and keep my commentary to a minimum. My face however .... \
         didn’t get the memo tht things hv to shift 🤣. Quit playing Jason I wanna gooooo!"
    );
    assert_eq!(repeated.author.name, "🤣 Deepening My Laugh Lines 😜");
    assert_eq!(repeated.author.handle, "@Inquired_Mind");

    // Line 7: astral emoji (and a ZWJ sequence) before a hashtag and a mention.
    assert_eq!(
        uris(&parsed[6]),
        [status("972323594717028352"), status("972473025718358016")]
    );
    let gators = posts(&parsed[6])[1];
    assert_eq!(
        gators.text,
        "THANK YOU @ypantelis and @Shelby_Granath for all of your hard work, passion and ♥️ that \
         you pour into this 🐊🤸\u{200d}♀️ program!! Truly thankful and blessed for the excitement \
         and joy you bring to both student-athletes and #GatorNation!! 🐊💙🤩 @FloridaGators"
    );
    assert!(
        gators.content_html.ends_with(&format!(
            "<a href=\"https://twitter.com/hashtag/GatorNation\" class=\"mention hashtag\" {REL}>\
             #GatorNation</a>!! 🐊💙🤩 <a href=\"https://twitter.com/FloridaGators\" \
             class=\"mention\" {REL}>@FloridaGators</a></p>"
        )),
        "{}",
        gators.content_html
    );
    assert_eq!(gators.quote_of, some(&status("972323594717028352")));

    // Line 8: a reply with a video: the highest-bitrate MP4 of unordered variants.
    let video = posts(&parsed[7])[0];
    assert_eq!(
        video.media,
        [Media {
            url: "https://video.twimg.com/ext_tw_video/972471002679709696/pu/vid/1280x720/\
                  KLnoSx-dHwEUEQi0.mp4"
                .to_owned(),
            kind: "video".to_owned(),
            alt: None,
            width: Some(1280),
            height: Some(720),
            preview: Some(
                "https://pbs.twimg.com/ext_tw_video_thumb/972471002679709696/pu/img/\
                 VyzArirU9yWb3giP.jpg"
                    .to_owned(),
            ),
        }]
    );
    assert_eq!(
        video.text,
        "[STATION] EXO 수호(SUHO) X 장재인 'Dinner' Making Film\n엑소  EXO \n\
         #EXOL #BestFanArmy #iHeartAwards \n\n@weareoneEXO \n\
         Full:https://m.facebook.com/story.php?story_fbid=335125703645915&id=191155418042945&_rdr"
    );
    assert_eq!(video.in_reply_to, some(&status("972469573889871878")));

    // Line 9: a quote of a truncated tweet, read from its `extended_tweet`.
    let [quoted, quoting] = posts(&parsed[8])[..] else {
        panic!("{:?}", parsed[8].items);
    };
    assert_eq!(quoted.uri, status("971837349259866112"));
    assert_eq!(
        quoted.text,
        "Having had our van stolen with all our theatre set for #SgTheEnormousRoom we’re \
         Crowdfunding to get it all rebuilt from scratch...! Please help if you can! THANK YOU! \
         #PeoplePower https://www.crowdfunder.co.uk/please-help-enormous-room-go-back-on-the-road"
    );
    assert_eq!(quoted.tags, ["sgtheenormousroom", "peoplepower"]);
    assert_eq!(
        quoting.text,
        "I can only imagine how stressful this situation must be. If anyone can chip in, \
         @Stopgapdance have £2k left to raise to remake their stolen sets, props & costumes! \
         Please RT! #SgTheEnormousRoom"
    );
    assert_eq!(quoting.quote_of, some(&status("971837349259866112")));
}

// ---------------------------------------------------------------- fixtures and shapes

#[test]
fn delete_notice_is_a_deletion() {
    let parsed = parse(&fixture("stream-delete-notice.json"));
    assert_eq!(
        parsed.items,
        [Item::Delete(Deletion {
            uri: status("3000000000000000009"),
            deleted_at: Some(time("2025-01-06T10:00:00Z")),
        })]
    );
}

#[test]
fn limit_notice_is_skipped() {
    let parsed = parse(&fixture("stream-limit-notice.json"));
    assert_eq!(
        parsed.items,
        [Item::Skipped(Skip {
            uri: None,
            reason: SkipReason::Unsupported,
        })]
    );
}

#[test]
fn one_tweet_and_an_array_of_tweets_are_read_alike() {
    let one = fixture("v1-escaped-text-once.json");
    let single = parse(&one);
    let array = json!([one, fixture("stream-delete-notice.json")]);
    let many = parse(&array);
    assert_eq!(many.items.len(), 2);
    assert_eq!(many.items[0], single.items[0]);
}

#[test]
fn sniff_accepts_tweets_and_notices_only() {
    for yes in [
        fixture("v1-numeric-ids-only.json"),
        fixture("stream-delete-notice.json"),
        fixture("stream-limit-notice.json"),
        json!([fixture("v1-protected-account.json")]),
    ] {
        assert!(TwitterV1::sniff(&yes), "{yes}");
    }
    for no in [
        json!([]),
        json!([{"tweet": fixture("v1-escaped-text-once.json")}]),
        json!({"data": [], "includes": {}}),
        json!({"id": "1", "text": "no user"}),
        json!({"id": "1", "account": {}, "uri": "https://quay.example/1"}),
        json!({"delete": {}, "other": 1}),
        json!("text"),
    ] {
        assert!(!TwitterV1::sniff(&no), "{no}");
    }
}

#[test]
fn other_documents_are_refused_and_bad_elements_warn() {
    let mut parsed = Parsed::default();
    let err = TwitterV1::parse(&json!({"data": []}), &mut parsed).expect_err("refused");
    assert_eq!(err.pointer, "");
    assert!(err.message.contains("v1.1 tweet"), "{}", err.message);
    let err = TwitterV1::parse(&json!([1, 2]), &mut parsed).expect_err("refused");
    assert!(err.message.contains("no objects"), "{}", err.message);

    let doc = json!([fixture("v1-escaped-text-once.json"), 7, {"delete": {"status": {}}}]);
    TwitterV1::parse(&doc, &mut parsed).expect("parses");
    assert_eq!(parsed.items.len(), 1);
    let got: Vec<(&str, &str)> = parsed
        .warnings
        .iter()
        .map(|w| (w.pointer.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("/1", "expected a tweet object, found a number"),
            ("/2/delete", "delete notice has no `status.id_str`"),
        ]
    );
}
