//! Parser tests. Every expectation is written by hand from the input it names: real captures in
//! `../shared/corpus/bluesky/` (read in place) and one-quirk fixtures in `fixtures/bluesky/`
//! (invented people with `.bsky.social` / `.example` handles and made-up DIDs).

use serde_json::{Value, json};

use super::*;
use crate::sources::test_util::{self, posts, some, time};
use crate::sources::{Parsed, ProblemKind, Warning};

/// A real sample from `../shared/corpus/bluesky/`, read in place.
fn corpus(name: &str) -> Option<Value> {
    test_util::corpus_json(&format!("bluesky/{name}"))
}

fn fixture(name: &str) -> Value {
    test_util::fixture_json(&format!("bluesky/{name}"))
}

fn parse(doc: &Value) -> Parsed {
    test_util::parse_as::<Bluesky>(doc)
}

fn parse_err(doc: &Value) -> FormatError {
    test_util::refused_as::<Bluesky>(doc)
}

fn only_post(parsed: &Parsed) -> &Post {
    test_util::sole_post(parsed)
}

/// Each item as (kind, uri), to check order and dedupe at a glance.
fn outline(parsed: &Parsed) -> Vec<(&'static str, String)> {
    parsed
        .items
        .iter()
        .map(|item| match item {
            Item::Post(post) => ("post", post.uri.clone()),
            Item::Boost(boost) => ("boost", boost.uri.clone()),
            Item::Skipped(skip) => ("skip", skip.uri.clone().unwrap_or_default()),
            other => panic!("unexpected item {other:?}"),
        })
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn warning(pointer: &str, kind: ProblemKind, message: &str) -> Warning {
    Warning {
        pointer: pointer.to_owned(),
        kind,
        message: message.to_owned(),
    }
}

/// A post with only its identity set; tests fill in the rest with `..`. Bluesky posts always
/// have a permalink and structured tags.
fn post(uri: &str, url: &str, author: Author, created_at: &str) -> Post {
    Post {
        uri: uri.to_owned(),
        url: some(url),
        author,
        created_at: time(created_at),
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
        has_structured_tags: true,
        media: Vec::new(),
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        source_json: String::new(),
        reply_count: crate::model::ReplyCount::Absent,
    }
}

fn author(did: &str, handle: &str, name: &str, avatar: Option<&str>) -> Author {
    Author {
        uri: did.to_owned(),
        handle: handle.to_owned(),
        name: name.to_owned(),
        url: Some(format!("https://bsky.app/profile/{did}")),
        avatar: avatar.map(str::to_owned),
        consent: test_util::profile_says_nothing(),
    }
}

fn image(url: &str, alt: Option<&str>, size: Option<(u32, u32)>) -> Media {
    Media {
        url: url.to_owned(),
        kind: "image".to_owned(),
        alt: alt.map(str::to_owned),
        width: size.map(|(w, _)| w),
        height: size.map(|(_, h)| h),
        preview: None,
    }
}

// ---------------------------------------------------------------- real corpus

const SHINYA: &str = "did:plc:iijrtk7ocored6zuziwmqq3c";
const SHINYA_AVATAR: &str = "https://cdn.bsky.social/imgproxy/JF97YphLyIEWfq4KJNO_ZCYm9v_zNcRj7sSB8UZrRBw/rs:fill:1000:1000:1:0/plain/bafkreidqn4z6ocv5snxuqguarboozqdusam2tehccnu23yab7g2sgv64dq@jpeg";

fn shinya() -> Author {
    author(
        SHINYA,
        "shinyakato.dev",
        "Shinya Kato 🤯",
        Some(SHINYA_AVATAR),
    )
}

#[test]
fn corpus_author_feed_posts_reposts_and_reply_context_in_order() {
    let Some(doc) = corpus("getAuthorFeed-reposts-replies-facets-trimmed.json") else {
        return;
    };
    assert!(Bluesky::sniff(&doc));
    let parsed = parse(&doc);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let p = |did: &str, rkey: &str| ("post", format!("at://{did}/app.bsky.feed.post/{rkey}"));
    let shinya = |rkey: &str| p(SHINYA, rkey);
    let nighthaven = |rkey: &str| p("did:plc:aajyn6qzw67cnmwf7zxzbjdy", rkey);
    let moore = p("did:plc:gggcwmwoyak6op4pkqm76ckz", "3jukz62npim26");
    let manning = p("did:plc:7itws64acv3c6dsgab5ky6zn", "3juhed6iawd2h");
    let repost = |post: &(&str, String)| ("boost", format!("{}#repost-by-{SHINYA}", post.1));
    assert_eq!(
        outline(&parsed),
        [
            // /feed/0: a repost.
            moore.clone(),
            repost(&moore),
            // /feed/1: a reply, then its root and parent.
            shinya("3jukterj4bp2j"),
            shinya("3jukoxegkhw2s"),
            p("did:plc:gojiv3xdlwobtke4csnksyyb", "3jukqq23rvy2w"),
            // /feed/2 is 3jukoxegkhw2s again: already emitted as /feed/1's root.
            shinya("3jukf53n6ba25"),
            nighthaven("3juke6qr3lc2p"),
            nighthaven("3jukevffjsg2r"),
            // /feed/4 shares /feed/3's root.
            shinya("3jukeul2zub2x"),
            nighthaven("3jukeqhohxp25"),
            shinya("3jukdwsblqu2l"),
            shinya("3jukdrgdsy22w"),
            shinya("3juk6qmopu22u"),
            p("did:plc:spjhkj6fgfjonhqpjyw4b6wc", "3jukdp45gms25"),
            // /feed/7 shares /feed/6's root.
            shinya("3jukcwgxnko2p"),
            p("did:plc:qstvidb6gccni7pm5rysclxz", "3jukcumxaa42r"),
            // /feed/8: another repost.
            manning.clone(),
            repost(&manning),
            shinya("3jukamqbf2c2q"),
        ]
    );
    assert_eq!(
        parsed.items[1],
        Item::Boost(Boost {
            uri: format!("{}#repost-by-{SHINYA}", moore.1),
            post_uri: moore.1,
            booster: SHINYA.to_owned(),
            created_at: Some(time("2023-04-30T06:33:13.578Z")),
        })
    );
    let Item::Boost(second) = &parsed.items[17] else {
        panic!("expected a boost: {:?}", parsed.items[17]);
    };
    assert_eq!(second.created_at, Some(time("2023-04-29T23:36:56.062Z")));
}

#[test]
fn corpus_author_feed_reposted_post_with_mentions_and_image() {
    let Some(doc) = corpus("getAuthorFeed-reposts-replies-facets-trimmed.json") else {
        return;
    };
    let parsed = parse(&doc);
    let uri = "at://did:plc:gggcwmwoyak6op4pkqm76ckz/app.bsky.feed.post/3jukz62npim26";
    let want = Post {
        content_html: "<p>Had a great time at the Seattle meetup! Even got a chance to chat with \
            <a href=\"https://bsky.app/profile/did:plc:qjeavhlw222ppsre4rscd3n2\" class=\"mention\" \
            rel=\"nofollow noopener ugc\">@rose.bsky.team</a> and \
            <a href=\"https://bsky.app/profile/did:plc:oky5czdrnfjpqslsw2a5iclo\" class=\"mention\" \
            rel=\"nofollow noopener ugc\">@jay.bsky.team</a>!</p>"
            .to_owned(),
        text: "Had a great time at the Seattle meetup! Even got a chance to chat with \
               @rose.bsky.team and @jay.bsky.team!"
            .to_owned(),
        media: vec![image(
            "https://cdn.bsky.social/imgproxy/5DeoD2mnyO4pL_ljZrc25iKbg1jJsmg8k8Af8cVEers/rs:fit:2000:2000:1:0/plain/bafkreiactiikzqoiisabzjvapodlm4ldcrgvh2pc7bqyasdgsz67vi2l7a@jpeg",
            None,
            None,
        )],
        source_json: doc["feed"][0]["post"].to_string(),
        reply_count: crate::model::ReplyCount::Count(6),
        ..post(
            uri,
            "https://bsky.app/profile/did:plc:gggcwmwoyak6op4pkqm76ckz/post/3jukz62npim26",
            author(
                "did:plc:gggcwmwoyak6op4pkqm76ckz",
                "christopherpmoore.xyz",
                "C. P. Moore",
                Some(
                    "https://cdn.bsky.social/imgproxy/JCBDh3IG79jlWOXop7oHVl2s2nMnA2nO7wHXZIsDS3s/rs:fill:1000:1000:1:0/plain/bafkreiff77esr5zkwhizp7o5xhnyc3k32rqtrm6xgoelj4gqrdsxbqnlgq@jpeg",
                ),
            ),
            "2023-04-30T06:26:07.001Z",
        )
    };
    assert_eq!(posts(&parsed)[0], &want);
    let source: Value = serde_json::from_str(&want.source_json).expect("source_json is JSON");
    assert_eq!(source, doc["feed"][0]["post"]);
}

#[test]
fn corpus_author_feed_mention_in_japanese_uses_byte_offsets() {
    let Some(doc) = corpus("getAuthorFeed-reposts-replies-facets-trimmed.json") else {
        return;
    };
    let parsed = parse(&doc);
    // "@amir.blue" is bytes 41..51 but characters 19..29 of the text.
    let want = Post {
        content_html: "<p>あとはおそらくMeetup 主催者の \
            <a href=\"https://bsky.app/profile/did:plc:ua6usdc4hzvzjsokoenba4zt\" class=\"mention\" \
            rel=\"nofollow noopener ugc\">@amir.blue</a> \
            ですね！元Twitterスタッフでオライリーで本も出してる有名人です</p>"
            .to_owned(),
        text: "あとはおそらくMeetup 主催者の @amir.blue ですね！元Twitterスタッフでオライリーで本も出してる有名人です"
            .to_owned(),
        in_reply_to: some("at://did:plc:aajyn6qzw67cnmwf7zxzbjdy/app.bsky.feed.post/3jukevffjsg2r"),
        conversation: some("at://did:plc:aajyn6qzw67cnmwf7zxzbjdy/app.bsky.feed.post/3juke6qr3lc2p"),
        source_json: doc["feed"][3]["post"].to_string(),
        reply_count: crate::model::ReplyCount::Count(1),
        ..post(
            "at://did:plc:iijrtk7ocored6zuziwmqq3c/app.bsky.feed.post/3jukf53n6ba25",
            "https://bsky.app/profile/did:plc:iijrtk7ocored6zuziwmqq3c/post/3jukf53n6ba25",
            shinya(),
            "2023-04-30T00:27:39.701Z",
        )
    };
    assert_eq!(posts(&parsed)[4], &want);
    // The thread root the feed hydrated, a post of its own.
    let root = posts(&parsed)[5];
    assert_eq!(
        root.uri,
        "at://did:plc:aajyn6qzw67cnmwf7zxzbjdy/app.bsky.feed.post/3juke6qr3lc2p"
    );
    assert_eq!(
        root.author,
        author(
            "did:plc:aajyn6qzw67cnmwf7zxzbjdy",
            "nighthaven.bsky.social",
            "Nighthaven⛺",
            Some(
                "https://cdn.bsky.social/imgproxy/LhVKXIwEgOUL6rA6EZmMD74zo_aX6dnSqMfHM_dPsnI/rs:fill:1000:1000:1:0/plain/bafkreiafmomrplgzhwy3vw2n6gzij7ehr3zzdxhstddk4ai7klh5nwdxlm@jpeg"
            ),
        )
    );
    assert_eq!(root.created_at, time("2023-04-30T00:10:41.428Z"));
    assert_eq!((&root.in_reply_to, &root.conversation), (&None, &None));
    // The mention in /feed/4: "@xychelsea.tv" at bytes 28..41 after ten Japanese characters.
    assert!(posts(&parsed)[7].content_html.starts_with(
        "<p>実際に参加していた <a href=\"https://bsky.app/profile/did:plc:7itws64acv3c6dsgab5ky6zn\" \
         class=\"mention\" rel=\"nofollow noopener ugc\">@xychelsea.tv</a> がおすすめです！</p>"
    ));
}

#[test]
fn corpus_author_feed_link_facets_and_newlines() {
    let Some(doc) = corpus("getAuthorFeed-reposts-replies-facets-trimmed.json") else {
        return;
    };
    let parsed = parse(&doc);
    let post = posts(&parsed)[9];
    assert_eq!(
        post.uri,
        "at://did:plc:iijrtk7ocored6zuziwmqq3c/app.bsky.feed.post/3jukdwsblqu2l"
    );
    let link = "https://psky.app/profile/why.bsky.team/post/3juk5phzpf62w";
    let anchor = format!("<a href=\"{link}\" rel=\"nofollow noopener ugc\">{link}</a>");
    assert_eq!(
        post.content_html,
        format!(
            "<p>ブロックしたらフォローが外れるように修正されるみたいだから、\
             知り合いのアカウントでテストする人は気をつけてね<br><br>{anchor} {anchor}</p>"
        )
    );
    // The visible text is the whole URL: nothing to expand.
    assert_eq!(
        post.text,
        format!(
            "ブロックしたらフォローが外れるように修正されるみたいだから、\
             知り合いのアカウントでテストする人は気をつけてね\n\n{link} {link}"
        )
    );
    // A link card (`external`) is not media.
    assert!(post.media.is_empty());
}

#[test]
fn corpus_deep_thread_links_eleven_ancestors_and_four_replies() {
    let Some(doc) = corpus("getPostThread-deep-parents-replies-trimmed.json") else {
        return;
    };
    assert!(Bluesky::sniff(&doc));
    let parsed = parse(&doc);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let uri = |did: &str, rkey: &str| format!("at://did:plc:{did}/app.bsky.feed.post/{rkey}");
    // Top of the trimmed chain first, down to the asked post (skeet.computer), then its replies.
    let chain = [
        uri("ggk2szwlnnqyslq2tc3izs2o", "3jujchqyh242z"),
        uri("72a5js5phm7aaqfdlfqvdgtm", "3jujcjpxynt2h"),
        uri("ggk2szwlnnqyslq2tc3izs2o", "3jujckohx4t2h"),
        uri("hs4oii2q3tnkf4jp6bj77afj", "3jujcowcir323"),
        uri("wk6olbohab4gxox3qxanas65", "3jujcrrfwiq2r"),
        uri("2zwqewi6t7coiohtmpfzz2wd", "3jujctxr3ma2r"),
        uri("qiknc4t5rq7yngvz7g4aezq7", "3jujcux7pd42j"),
        uri("br3xfixls5cxd5z4arm3tzlv", "3jujdcayikn2z"),
        uri("ggk2szwlnnqyslq2tc3izs2o", "3jujddrgo5q2r"),
        uri("vqgpg777mglf4zduiolmhlgw", "3jujdhgu4ae2j"),
        uri("mf5dzzqkp7fnmby6blfeljwj", "3jujdjxptu42j"),
        uri("iuk433sj23ncu2oo2pfnw7fw", "3jujgsslyxt2h"),
    ];
    let replies = [
        uri("yxobbkztpigv6u4jnwymnwvp", "3jve4frgrzy2f"),
        uri("6vzb7ty56aiyihf4qa54thpx", "3juml4dkt6z2o"),
        uri("hs4oii2q3tnkf4jp6bj77afj", "3jujgwywl432g"),
        uri("kwgoxjmikeqfs2vzhbdbgyvf", "3jujgtltyu72z"),
    ];
    let all = posts(&parsed);
    assert_eq!(all.len(), 16);
    assert_eq!(parsed.items.len(), 16);
    let got: Vec<&str> = all.iter().map(|p| p.uri.as_str()).collect();
    let want: Vec<&str> = chain.iter().chain(&replies).map(String::as_str).collect();
    assert_eq!(got, want);
    // The top of the trimmed chain replies to a post that is not in the file.
    assert_eq!(
        all[0].in_reply_to,
        some(&uri("vqgpg777mglf4zduiolmhlgw", "3jujcd2gbf42f"))
    );
    for pair in all[..12].windows(2) {
        assert_eq!(pair[1].in_reply_to.as_ref(), Some(&pair[0].uri));
    }
    let focus = &chain[11];
    for reply in &all[12..] {
        assert_eq!(reply.in_reply_to.as_ref(), Some(focus));
    }
    let root = uri("nx3kofpg4oxmkonqr6su5lw4", "3juhgsu4tpi2e");
    assert!(all.iter().all(|p| p.conversation.as_ref() == Some(&root)));

    let want_focus = Post {
        content_html: "<p>hellthread hellthread hellthread<br><br>did it work?</p>".to_owned(),
        text: "hellthread hellthread hellthread\n\ndid it work?".to_owned(),
        in_reply_to: some(&chain[10]),
        conversation: some(&root),
        media: vec![image(
            "https://cdn.bsky.social/imgproxy/3iGqvmwJZy9fqCybDwIoRPtXwa35QJyPbrYQ7yo1Lcs/rs:fit:2000:2000:1:0/plain/bafkreidiqxxoqz6ztdyjjz3acngd74sdztwctsod5jgkfetnmtars6d6qq@jpeg",
            None,
            None,
        )],
        source_json: doc["thread"]["post"].to_string(),
        reply_count: crate::model::ReplyCount::Count(4),
        ..post(
            focus,
            "https://bsky.app/profile/did:plc:iuk433sj23ncu2oo2pfnw7fw/post/3jujgsslyxt2h",
            author(
                "did:plc:iuk433sj23ncu2oo2pfnw7fw",
                "skeet.computer",
                "Wuz can’t wait to play ToTK",
                Some(
                    "https://cdn.bsky.social/imgproxy/1316110FBqEfBfme_SnujhnFJCmh-zW8DZHJc7zhuOs/rs:fill:1000:1000:1:0/plain/bafkreif4wkqedtdof37vjmrqrkvfalaqv6e5el5ziyitxn5utesnnls2ra@jpeg",
                ),
            ),
            "2023-04-29T15:25:02.510Z",
        )
    };
    assert_eq!(all[11], &want_focus);
    // Maryn McKenna's post is an image with empty text.
    assert_eq!(
        (all[7].text.as_str(), all[7].content_html.as_str()),
        ("", "")
    );
    assert_eq!(all[7].media.len(), 1);
    assert_eq!(all[3].author.name, "Gloria Paulsen");
    assert_eq!(all[2].author.handle, "professorgetter.bsky.social");
}

#[test]
fn corpus_quote_with_media_names_the_quoted_post() {
    let Some(doc) = corpus("getPostThread-quote-recordWithMedia.json") else {
        return;
    };
    assert!(Bluesky::sniff(&doc));
    let parsed = parse(&doc);
    let did = "did:plc:kvwvcn5iqfooopmyzvb4qzba";
    let want = Post {
        language: some("en"),
        quote_of: some("at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kahesw26il2z"),
        media: vec![image(
            "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:kvwvcn5iqfooopmyzvb4qzba/bafkreic3cp5ky525vsukjvrzxsc2h3jka2gud74l2hgeatw2rhj2qycnmq@jpeg",
            None,
            None,
        )],
        source_json: doc["thread"]["post"].to_string(),
        reply_count: crate::model::ReplyCount::Count(0),
        ..post(
            "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kaheyt6vpc22",
            "https://bsky.app/profile/did:plc:kvwvcn5iqfooopmyzvb4qzba/post/3kaheyt6vpc22",
            author(
                did,
                "test.marshal.dev",
                "Python SDK",
                Some(
                    "https://cdn.bsky.app/img/avatar/plain/did:plc:kvwvcn5iqfooopmyzvb4qzba/bafkreicwqcugdgubtawr6xv6jjifoju67eigwx2xgz4zs73nkzzn36oucy@jpeg",
                ),
            ),
            "2023-09-28T12:49:36.735Z",
        )
    };
    assert_eq!(only_post(&parsed), &want);
}

// ---------------------------------------------------------------- fixtures

const INES: &str = "did:plc:ines4okafor7tidepool2abc";
const TOMAS: &str = "did:plc:tomas5reyes3rockpool6xyz";
const WREN: &str = "did:plc:wren2gull6harbour7bayqrs";
const ODILE: &str = "did:plc:odile3kelp4forest5seazzz";
const BRAM: &str = "did:plc:bram6crab2claw3shellmnop";

fn at(did: &str, rkey: &str) -> String {
    format!("at://{did}/app.bsky.feed.post/{rkey}")
}

fn web(did: &str, rkey: &str) -> String {
    format!("https://bsky.app/profile/{did}/post/{rkey}")
}

fn fixture_author(did: &str, handle: &str, name: &str) -> Author {
    let avatar_name = handle.split('.').next().unwrap_or_default();
    let avatar =
        format!("https://cdn.bsky.app/img/avatar/plain/{did}/bafkreiavatar{avatar_name}@jpeg");
    author(did, handle, name, Some(&avatar))
}

#[test]
fn search_page_tags_from_facets_and_record_tags() {
    let doc = fixture("searchPosts-tag-facet-and-record-tags.json");
    assert!(Bluesky::sniff(&doc));
    let parsed = parse(&doc);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let first = at(INES, "3lbtide1aa2k");
    let want_first = Post {
        content_html: "<p>Low tide at dawn <a href=\"https://bsky.app/hashtag/TidePools\" \
                       class=\"mention hashtag\" rel=\"nofollow noopener ugc\">#TidePools</a> \
                       &amp; crabs &lt;3</p>"
            .to_owned(),
        text: "Low tide at dawn #TidePools & crabs <3".to_owned(),
        language: some("en"),
        // The facet's tag, then `record.tags` without the duplicate.
        tags: strings(&["tidepools", "rockpooling"]),
        source_json: doc["posts"][0].to_string(),
        reply_count: crate::model::ReplyCount::Count(0),
        ..post(
            &first,
            &web(INES, "3lbtide1aa2k"),
            fixture_author(INES, "ines.bsky.social", "Ines Okafor"),
            "2025-03-02T06:15:00Z",
        )
    };
    let want_second = Post {
        content_html: "<p>Same here! 🦀</p>".to_owned(),
        text: "Same here! 🦀".to_owned(),
        language: some("en"),
        in_reply_to: some(&first),
        conversation: some(&first),
        // Tagged only through `record.tags`: the text has no hashtag.
        tags: strings(&["tidepools"]),
        source_json: doc["posts"][1].to_string(),
        reply_count: crate::model::ReplyCount::Count(0),
        ..post(
            &at(TOMAS, "3lbtide2bb3m"),
            &web(TOMAS, "3lbtide2bb3m"),
            // No display name: empty, the renderer shows the handle.
            fixture_author(TOMAS, "tomas.example", ""),
            "2025-03-02T06:40:12.500Z",
        )
    };
    assert_eq!(posts(&parsed), [&want_first, &want_second]);
}

#[test]
fn emoji_before_a_shortened_link() {
    let doc = fixture("post-emoji-before-link.json");
    assert!(Bluesky::sniff(&doc));
    let parsed = parse(&doc);
    // The facet is bytes 21..54: the two emoji are 4 bytes each but count as 2 characters
    // (4 UTF-16 units), so any other unit would cut the link in the wrong place.
    let full = "https://tidepool.example/guides/low-tide-safety?lang=en";
    let want = Post {
        content_html: format!(
            "<p>🌊🦀 read first: <a href=\"{full}\" rel=\"nofollow noopener ugc\">\
             tidepool.example/guides/low-ti...</a></p>"
        ),
        // The visible text was the client's shortening: the plain text gets the whole URL.
        text: format!("🌊🦀 read first: {full}"),
        language: some("en"),
        source_json: doc.to_string(),
        reply_count: crate::model::ReplyCount::Count(0),
        ..post(
            &at(WREN, "3lbwave3cc4n"),
            &web(WREN, "3lbwave3cc4n"),
            fixture_author(WREN, "wren.bsky.social", "Wren 🐦"),
            "2025-03-03T09:00:00Z",
        )
    };
    assert_eq!(only_post(&parsed), &want);
}

#[test]
fn bad_facet_offsets_are_ignored() {
    let doc = fixture("post-bad-facets.json");
    let parsed = parse(&doc);
    let post = only_post(&parsed);
    // Only `#dawn` (bytes 13..18) is rendered: past the end, inside `é`, inside `☕`,
    // backwards, non-numeric, missing, overlapping and unknown-feature facets are not.
    assert_eq!(
        post.content_html,
        "<p>Café ☕ at <a href=\"https://bsky.app/hashtag/dawn\" class=\"mention hashtag\" \
         rel=\"nofollow noopener ugc\">#dawn</a></p>"
    );
    assert_eq!(post.text, "Café ☕ at #dawn");
    // A tag facet's tag counts even when its range is bad: the range only places the link.
    assert_eq!(post.tags, strings(&["overflow", "dawn"]));
}

#[test]
fn facet_ranges_are_checked_against_the_text() {
    let facets = json!([
        {"index": {"byteStart": 0, "byteEnd": 2}, "features": [{"tag": "a"}]},
        {"index": {"byteStart": 1, "byteEnd": 5}, "features": [{"tag": "b"}]},
        {"index": {"byteStart": 3, "byteEnd": 3}, "features": [{"tag": "c"}]},
        {"index": {"byteStart": 2, "byteEnd": 6}, "features": [{"tag": "d"}]},
        {"index": {"byteStart": 18446744073709551615_u64, "byteEnd": 2}, "features": [{"tag": "e"}]},
    ]);
    // "éa" + "b€": é is bytes 0..2, € bytes 4..7.
    let text = "éab€";
    let spans = facet_spans(text, Some(&facets));
    assert_eq!(
        spans,
        [Span {
            start: 0,
            end: 2,
            feature: Feature::Tag("a")
        }]
    );
    assert_eq!(facet_spans("", Some(&facets)), []);
    assert_eq!(facet_spans(text, Some(&json!("not an array"))), []);
}

#[test]
fn shortened_link_text_is_recognised() {
    let uri = "https://www.tidepool.example/guides/low-tide";
    assert!(is_shortened("tidepool.example/guides/lo...", uri));
    assert!(is_shortened("tidepool.example/guides/lo…", uri));
    assert!(is_shortened("www.tidepool.example/guides/low-tide", uri));
    assert!(!is_shortened(uri, uri));
    assert!(!is_shortened("the guide", uri));
    assert!(!is_shortened("...", uri));
    assert!(!is_shortened("elsewhere.example/guides", uri));
}

#[test]
fn thread_with_not_found_and_blocked_nodes() {
    let doc = fixture("getPostThread-notfound-blocked.json");
    assert!(Bluesky::sniff(&doc));
    let parsed = parse(&doc);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let gone = at(BRAM, "3lbgone0zz1a");
    assert_eq!(
        outline(&parsed),
        [
            ("skip", gone.clone()),
            ("post", at(INES, "3lbpar5ee6q")),
            ("post", at(TOMAS, "3lbfoc6ff7r")),
            ("post", at(WREN, "3lbrep7gg2s")),
            ("skip", at(BRAM, "3lbblk1jj5v")),
            // An old-style node: `notFound: true` without `$type`.
            ("skip", at(WREN, "3lbold2kk6w")),
            ("post", at(ODILE, "3lbrep8hh3t")),
            ("post", at(TOMAS, "3lbrep9ii4u")),
        ]
    );
    assert!(parsed.items.iter().all(|item| match item {
        Item::Skipped(skip) => skip.reason == SkipReason::Unsupported,
        _ => true,
    }));
    let all = posts(&parsed);
    assert_eq!(all[0].in_reply_to, some(&gone));
    assert_eq!(all[1].in_reply_to, some(&at(INES, "3lbpar5ee6q")));
    assert_eq!(all[4].in_reply_to, some(&at(ODILE, "3lbrep8hh3t")));
    assert!(all.iter().all(|p| p.conversation == some(&gone)));
}

#[test]
fn thread_that_is_itself_not_found_is_a_skip() {
    let doc = json!({"thread": {
        "$type": "app.bsky.feed.defs#notFoundPost",
        "uri": "at://did:plc:bram6crab2claw3shellmnop/app.bsky.feed.post/3lbnone",
        "notFound": true
    }});
    assert!(Bluesky::sniff(&doc));
    assert_eq!(
        parse(&doc).items,
        [Item::Skipped(Skip {
            uri: some("at://did:plc:bram6crab2claw3shellmnop/app.bsky.feed.post/3lbnone"),
            reason: SkipReason::Unsupported,
        })]
    );
}

/// A minimal PostView for built-in-the-test documents.
fn tiny_post(n: usize, parent: Option<usize>) -> Value {
    let mut record = json!({
        "$type": "app.bsky.feed.post",
        "text": format!("level {n}"),
        "createdAt": "2025-03-09T10:00:00.000Z",
    });
    if let Some(parent) = parent {
        record["reply"] = json!({
            "root": {"uri": at(BRAM, "k0"), "cid": "bafyreiroot"},
            "parent": {"uri": at(BRAM, &format!("k{parent}")), "cid": "bafyreiparent"},
        });
    }
    json!({
        "uri": at(BRAM, &format!("k{n}")),
        "cid": "bafyreitiny",
        "author": {"did": BRAM, "handle": "bram.example"},
        "record": record,
        "indexedAt": "2025-03-09T10:00:01.000Z",
    })
}

/// A deep document, taken apart level by level when dropped (also when an assertion fails):
/// dropping it whole would recurse once per level.
struct Deep(Value);

impl Drop for Deep {
    fn drop(&mut self) {
        let mut stack = vec![self.0.take()];
        while let Some(mut value) = stack.pop() {
            match &mut value {
                Value::Object(map) => stack.extend(std::mem::take(map).into_iter().map(|(_, v)| v)),
                Value::Array(items) => stack.append(items),
                _ => {}
            }
        }
    }
}

/// A ThreadViewPost with `child` under `key`, built by moving (interpolating a value into
/// `json!` would serialise the whole subtree again, recursively).
fn thread_view(post: Value, key: &str, child: Option<Value>) -> Value {
    let mut node = Map::new();
    node.insert(
        "$type".to_owned(),
        json!("app.bsky.feed.defs#threadViewPost"),
    );
    node.insert("post".to_owned(), post);
    if let Some(child) = child {
        node.insert(key.to_owned(), child);
    }
    Value::Object(node)
}

#[test]
fn ten_thousand_ancestors_do_not_overflow_the_stack() {
    const DEPTH: usize = 10_000;
    // Level 0 is the top; the asked post, level DEPTH, is the outermost node.
    let mut node = thread_view(tiny_post(0, None), "parent", None);
    for n in 1..=DEPTH {
        node = thread_view(tiny_post(n, Some(n - 1)), "parent", Some(node));
    }
    let doc = Deep(Value::Object(Map::from_iter([("thread".to_owned(), node)])));
    let parsed = parse(&doc.0);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings.first());
    let all = posts(&parsed);
    assert_eq!(all.len(), DEPTH + 1);
    assert_eq!(all[0].uri, at(BRAM, "k0"));
    assert_eq!(all[DEPTH].uri, at(BRAM, &format!("k{DEPTH}")));
    assert!(
        all.windows(2)
            .all(|pair| pair[1].in_reply_to.as_ref() == Some(&pair[0].uri))
    );
}

#[test]
fn ten_thousand_nested_replies_do_not_overflow_the_stack() {
    const DEPTH: usize = 10_000;
    // Built from the deepest reply up; a bad node at the bottom shows the pointer is right.
    let mut node = thread_view(json!(7), "replies", None);
    for n in (0..DEPTH).rev() {
        let post = tiny_post(n, n.checked_sub(1));
        node = thread_view(post, "replies", Some(Value::Array(vec![node])));
    }
    let doc = Deep(Value::Object(Map::from_iter([("thread".to_owned(), node)])));
    let parsed = parse(&doc.0);
    assert_eq!(posts(&parsed).len(), DEPTH);
    let [warning] = parsed.warnings.as_slice() else {
        panic!("expected one warning, got {}", parsed.warnings.len());
    };
    assert_eq!(
        warning.pointer,
        format!("/thread{}/post", "/replies/0".repeat(DEPTH))
    );
    assert_eq!(
        warning.message,
        "expected a post view object, found a number"
    );
}

#[test]
fn created_at_without_a_zone_is_utc() {
    let doc = fixture("post-createdAt-without-zone.json");
    let post = only_post(&parse(&doc)).clone();
    assert_eq!(post.created_at, time("2023-07-21T01:33:51.481951Z"));
    assert_eq!(post.author.handle, "bram.example");
    assert_eq!(post.author.name, "Bram");
}

#[test]
fn unreadable_created_at_falls_back_to_indexed_at() {
    let mut doc = tiny_post(1, None);
    doc["record"]["createdAt"] = json!("last tuesday");
    let post = only_post(&parse(&doc)).clone();
    assert_eq!(post.created_at, time("2025-03-09T10:00:01Z"));
    doc["indexedAt"] = Value::Null;
    let parsed = parse(&doc);
    assert!(parsed.items.is_empty());
    assert_eq!(
        parsed.warnings,
        [warning(
            "",
            ProblemKind::Unreadable,
            "post `at://did:plc:bram6crab2claw3shellmnop/app.bsky.feed.post/k1` has no readable \
             `record.createdAt` or `indexedAt`"
        )]
    );
}

#[test]
fn warning_labels_make_the_post_sensitive() {
    let doc = fixture("post-labels-self-and-withdrawn.json");
    let post = only_post(&parse(&doc)).clone();
    // The self-label (also echoed in `labels[]`) stays; `porn` was withdrawn by a `neg`
    // label; `!no-unauthenticated` is not a content warning.
    assert!(post.sensitive);
    assert_eq!(post.spoiler_text, some("Labelled: graphic-media"));
    assert_eq!(
        post.media,
        [image(
            "https://cdn.bsky.app/img/feed_fullsize/plain/x/bafkreiwound@jpeg",
            Some("A cut on a finger from a barnacle"),
            Some((1600, 1200)),
        )]
    );
}

#[test]
fn video_embed_is_video_media() {
    let doc = fixture("post-video-embed.json");
    let post = only_post(&parse(&doc)).clone();
    assert_eq!(
        post.media,
        [Media {
            url: "https://video.bsky.app/watch/x/bafkreivideo/playlist.m3u8".to_owned(),
            kind: "video".to_owned(),
            alt: None,
            width: Some(1080),
            height: Some(1920),
            preview: Some("https://video.bsky.app/watch/x/bafkreivideo/thumbnail.jpg".to_owned()),
        }]
    );
    assert!(!post.sensitive);
}

#[test]
fn feed_bad_items_warn_and_the_rest_is_kept() {
    let doc = fixture("getAuthorFeed-bad-items.json");
    assert!(Bluesky::sniff(&doc));
    let parsed = parse(&doc);
    assert_eq!(
        outline(&parsed),
        [
            ("post", at(ODILE, "3lbfeed6oo3a")),
            // The reply's root is gone; its parent is a `#postView`.
            ("skip", at(BRAM, "3lbgone7pp4b")),
            ("post", at(INES, "3lbpar8qq5c")),
            // /feed/4 repeats the parent (pinned): not emitted twice, and a pin is no boost.
        ]
    );
    assert_eq!(
        parsed.warnings,
        [
            warning(
                "/feed/0",
                ProblemKind::Shape,
                "expected a feed item object, found a string"
            ),
            warning("/feed/1", ProblemKind::Missing, "feed item has no `post`"),
            warning(
                "/feed/1/reason",
                ProblemKind::Missing,
                "reposted post has no `uri`"
            ),
            warning(
                "/feed/2/post",
                ProblemKind::Missing,
                "post `at://did:plc:tomas5reyes3rockpool6xyz/app.bsky.feed.post/3lbnoau9rr6d`: \
                 no `author` object"
            ),
            warning(
                "/feed/3/reason",
                ProblemKind::Missing,
                "repost of `at://did:plc:odile3kelp4forest5seazzz/app.bsky.feed.post/3lbfeed6oo3a` \
                 has no `by.did`"
            ),
        ]
    );
}

#[test]
fn search_page_bad_posts_warn_with_their_pointer() {
    let doc = json!({"posts": [
        tiny_post(1, None),
        {"uri": "at://did:plc:bram6crab2claw3shellmnop/app.bsky.feed.like/3lblike", "record": {}},
        {"record": {"text": "no uri"}},
        tiny_post(1, None),
        null,
    ]});
    let parsed = parse(&doc);
    assert_eq!(outline(&parsed), [("post", at(BRAM, "k1"))]);
    assert_eq!(
        parsed.warnings,
        [
            warning(
                "/posts/1",
                ProblemKind::Unreadable,
                "post `at://did:plc:bram6crab2claw3shellmnop/app.bsky.feed.like/3lblike` is not \
                 an `at://did/app.bsky.feed.post/rkey` URI"
            ),
            warning("/posts/2", ProblemKind::Missing, "post has no `uri`"),
            warning(
                "/posts/4",
                ProblemKind::Shape,
                "expected a post view object, found null"
            ),
        ]
    );
}

#[test]
fn quote_of_a_post_that_is_gone_is_kept_and_named() {
    let mut doc = tiny_post(1, None);
    let quoted = at(WREN, "3lbgone");
    doc["record"]["embed"] = json!({
        "$type": "app.bsky.embed.record",
        "record": {"uri": quoted, "cid": "bafyreiquoted"},
    });
    doc["embed"] = json!({
        "$type": "app.bsky.embed.record#view",
        "record": {"$type": "app.bsky.embed.record#viewNotFound", "uri": quoted, "notFound": true},
    });
    let parsed = parse(&doc);
    assert_eq!(
        outline(&parsed),
        [("post", at(BRAM, "k1")), ("skip", quoted.clone())]
    );
    assert_eq!(posts(&parsed)[0].quote_of, some(&quoted));
    // A feed generator shown as a record embed is not a quoted post.
    doc["record"]["embed"]["record"]["uri"] =
        json!("at://did:plc:wren2gull6harbour7bayqrs/app.bsky.feed.generator/tides");
    doc["embed"] = Value::Null;
    assert_eq!(only_post(&parse(&doc)).quote_of, None);
}

#[test]
fn sniff_tells_bluesky_from_other_shapes() {
    let feed = json!({"feed": [{"post": tiny_post(1, None)}], "cursor": "x"});
    let search = json!({"posts": [tiny_post(1, None)]});
    let thread = json!({"thread": {"post": tiny_post(1, None)}});
    for doc in [&feed, &search, &thread, &tiny_post(1, None)] {
        assert!(Bluesky::sniff(doc), "{doc}");
    }
    let mastodon = json!([{
        "id": "1",
        "uri": "https://quay.example/users/mika/statuses/1",
        "created_at": "2025-01-01T00:00:00Z",
        "account": {"acct": "mika"},
        "content": "<p>hi</p>",
    }]);
    let not_ours = [
        mastodon.clone(),
        mastodon[0].clone(),
        json!({"ancestors": [], "descendants": []}),
        json!({"type": "Note", "id": "https://quay.example/notes/1"}),
        json!({"posts": []}),
        json!({"posts": [{"uri": "https://quay.example/1", "record": {}}]}),
        json!({"feed": []}),
        json!({"thread": "at://did:plc:x/app.bsky.feed.post/1"}),
        json!({"uri": "at://did:plc:x/app.bsky.feed.post/1"}),
        json!("at://did:plc:x/app.bsky.feed.post/1"),
        Value::Null,
    ];
    for doc in &not_ours {
        assert!(!Bluesky::sniff(doc), "{doc}");
    }
}

#[test]
fn documents_of_another_shape_are_refused() {
    let err = parse_err(&json!([tiny_post(1, None)]));
    assert_eq!(err.pointer, "");
    assert!(err.message.ends_with("found an array"), "{err}");
    let err = parse_err(&json!({"posts": {"uri": "at://x"}}));
    assert_eq!(
        err,
        FormatError::new(
            "/posts",
            "`posts` of a search result must be an array, found an object"
        )
    );
    assert_eq!(parse_err(&json!({"feed": null})).pointer, "/feed");
    assert_eq!(parse_err(&json!({"thread": []})).pointer, "/thread");
    assert_eq!(parse_err(&json!({"cursor": "x"})).pointer, "");
}

#[test]
fn hashtag_links_are_percent_encoded() {
    assert_eq!(
        hashtag_url("Qualitätskatzen"),
        "https://bsky.app/hashtag/Qualit%C3%A4tskatzen"
    );
    assert_eq!(hashtag_url("#a/b"), "https://bsky.app/hashtag/a%2Fb");
}
