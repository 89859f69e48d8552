//! Parser tests. Every expectation is written by hand from the input it names: real twarc2
//! captures in `../shared/corpus/twitter/` (read in place) and one-quirk fixtures in
//! `fixtures/twarc2/` (invented people; link targets on `.example` hosts).

use std::path::Path;

use serde_json::{Value, json};

use super::*;
use crate::sources::test_util::{self, posts, some, time};
use crate::sources::{Parsed, ProblemKind, Warning};

fn fixture(name: &str) -> Value {
    test_util::fixture_json(&format!("twarc2/{name}"))
}

const REL: &str = r#"rel="nofollow noopener ugc""#;

/// The one line of a real twarc2 JSONL sample, or `None` when the corpus is not checked out
/// beside the project.
fn corpus(name: &str) -> Option<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.is_dir() {
        println!("skipped: ../shared/corpus not present");
        return None;
    }
    let path = dir.join("twitter").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    let line = lines.next().unwrap_or_else(|| panic!("{path:?} is empty"));
    assert!(lines.next().is_none(), "{path:?} has one page");
    Some(serde_json::from_str(line).unwrap_or_else(|e| panic!("{path:?}: {e}")))
}

fn parse(doc: &Value) -> Parsed {
    test_util::parse_as::<Twarc2>(doc)
}

fn parse_clean(doc: &Value) -> Parsed {
    let parsed = parse(doc);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert!(parsed.notes.is_empty(), "{:?}", parsed.notes);
    parsed
}

fn post_by_id<'p>(parsed: &'p Parsed, id: &str) -> &'p Post {
    let uri = status(id);
    posts(parsed)
        .into_iter()
        .find(|post| post.uri == uri)
        .unwrap_or_else(|| panic!("no post {uri}"))
}

/// Where canonical tweet URIs start (written out here, as the tests expect them).
const STATUS_URI: &str = "https://twitter.com/i/web/status/";

fn status(id: &str) -> String {
    format!("https://twitter.com/i/web/status/{id}")
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn user(id: &str, username: &str, name: &str, avatar: Option<&str>) -> Author {
    Author {
        uri: format!("https://twitter.com/i/user/{id}"),
        handle: format!("@{username}"),
        name: name.to_owned(),
        url: Some(format!("https://twitter.com/{username}")),
        avatar: avatar.map(str::to_owned),
        ..Default::default()
    }
}

/// A post with only its identity set; tests fill in the rest with `..`.
fn post(id: &str, author: Author, created_at: &str) -> Post {
    let username = author.handle.strip_prefix('@').map(str::to_owned);
    Post {
        uri: status(id),
        url: username.map(|name| format!("https://twitter.com/{name}/status/{id}")),
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
        has_structured_tags: false,
        media: Vec::new(),
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        source_json: String::new(),
        reply_count: crate::model::ReplyCount::Absent,
    }
}

fn link(href: &str, display: &str) -> String {
    format!(r#"<a href="{href}" {REL}>{display}</a>"#)
}

fn mention(name: &str) -> String {
    format!(r#"<a href="https://twitter.com/{name}" class="mention" {REL}>@{name}</a>"#)
}

fn hashtag(path: &str, written: &str) -> String {
    format!(
        r#"<a href="https://twitter.com/hashtag/{path}" class="mention hashtag" {REL}>{written}</a>"#
    )
}

fn jane() -> Author {
    user(
        "337119125",
        "wongmjane",
        "Jane Manchun Wong",
        Some("https://pbs.twimg.com/profile_images/1537723907557720064/yZVHXu3C_normal.jpg"),
    )
}

fn joe() -> Author {
    user(
        "900000000000000002",
        "joe_example",
        "Joe Example",
        Some("https://pbs.twimg.com/profile_images/2/joe_normal.jpg"),
    )
}

// ---------------------------------------------------------------- real corpus

#[test]
fn corpus_lookup_edit_versions_reply_and_quote() {
    let Some(doc) = corpus("twarc2-tweet-lookup-reply-quote-edit.jsonl") else {
        return;
    };
    assert!(Twarc2::sniff(&doc));
    let parsed = parse_clean(&doc);
    // The edited tweet's two versions from `includes`, then `data`; the included copy of the
    // `data` tweet is not emitted twice.
    let original = Post {
        content_html: format!(
            "<p>i miss y’all so much haha,,, {}</p>",
            link(
                "https://twitter.com/i/web/status/1576994746135764992",
                "twitter.com/i/web/status/1…"
            )
        ),
        // The second link is the tweet's own photo, whose media object is not in `includes`.
        text: "i miss y’all so much haha,,, https://twitter.com/i/web/status/1576994746135764992"
            .to_owned(),
        language: some("en"),
        conversation: some("1576994746135764992"),
        has_structured_tags: true,
        source_json: doc["includes"]["tweets"][1].to_string(),
        reply_count: crate::model::ReplyCount::Count(0),
        ..post("1576994746135764992", jane(), "2022-10-03T17:57:01.000Z")
    };
    let edit = Post {
        content_html: format!(
            "<p>hey :) {}</p>",
            link(
                "https://twitter.com/i/web/status/1576994789110992896",
                "twitter.com/i/web/status/1…"
            )
        ),
        text: "hey :) https://twitter.com/i/web/status/1576994789110992896".to_owned(),
        language: some("qst"),
        conversation: some("1576994789110992896"),
        has_structured_tags: true,
        source_json: doc["includes"]["tweets"][2].to_string(),
        reply_count: crate::model::ReplyCount::Count(14),
        ..post("1576994789110992896", jane(), "2022-10-03T17:57:11.000Z")
    };
    let david = user(
        "1494167419413094401",
        "dappdavid99",
        "david",
        Some("https://pbs.twimg.com/profile_images/1574389562859606016/rLqM39gL_normal.jpg"),
    );
    let reply = Post {
        content_html: format!(
            "<p>{} Test <br>{}</p>",
            mention("wongmjane"),
            link(
                "https://twitter.com/wongmjane/status/1576994746135764992",
                "twitter.com/wongmjane/stat…"
            )
        ),
        text: "@wongmjane Test \nhttps://twitter.com/wongmjane/status/1576994746135764992"
            .to_owned(),
        language: some("en"),
        // The reply names the edited version; the quote names the original.
        in_reply_to: Some(status("1576994789110992896")),
        quote_of: Some(status("1576994746135764992")),
        conversation: some("1576994789110992896"),
        has_structured_tags: true,
        source_json: doc["data"][0].to_string(),
        reply_count: crate::model::ReplyCount::Count(1),
        ..post("1576995594388000768", david, "2022-10-03T18:00:23.000Z")
    };
    assert_eq!(
        parsed.items,
        [
            Item::Post(Box::new(original)),
            Item::Post(Box::new(edit)),
            Item::Post(Box::new(reply)),
        ]
    );
}

#[test]
fn corpus_search_page_counts_and_order() {
    let Some(doc) = corpus("twarc2-search-recent-page-brexit-trimmed.jsonl") else {
        return;
    };
    assert!(Twarc2::sniff(&doc));
    let parsed = parse_clean(&doc);
    // 10 included tweets, of which 2 are also in `data`: 8 posts. 15 `data` tweets, of which 5
    // are retweets: 10 posts and 5 boosts.
    let kinds: Vec<String> = parsed
        .items
        .iter()
        .map(|item| match item {
            Item::Post(post) => post.uri.trim_start_matches(STATUS_URI).to_owned(),
            Item::Boost(boost) => format!("boost {}", boost.uri.trim_start_matches(STATUS_URI)),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "1440703139531792402",
            "1440625098214371330",
            "1440660748275834882",
            "1440653508089237514",
            "1440382212159930371",
            "1440700664632397832",
            "1440706236786233365",
            "1440670794103754762",
            "1440713966649417731",
            "boost 1440715272805969924",
            "1440716350490435591",
            "boost 1440716664920625152",
            "1440716638421090309",
            "1440716349462904833",
            "1440716176770826244",
            "1440715975020584960",
            "boost 1440715801820950541",
            "1440715720422166536",
            "boost 1440715451575668748",
            "1440714938054418436",
            "1440714751642800139",
            "1440714725235388422",
            "boost 1440714301493309447",
        ]
    );
    assert_eq!(posts(&parsed).len(), 18);
}

#[test]
fn corpus_reply_names_parent_and_conversation() {
    let Some(doc) = corpus("twarc2-search-recent-page-brexit-trimmed.jsonl") else {
        return;
    };
    let parsed = parse_clean(&doc);
    let reply = post_by_id(&parsed, "1440716638421090309");
    let want = Post {
        content_html: format!(
            "<p>{} Your {} created a massive dependency on the US.<br>Pretty dumb eh?</p>",
            mention("Nigel_Farage"),
            hashtag("Brexit", "#Brexit")
        ),
        text: "@Nigel_Farage Your #Brexit created a massive dependency on the US.\nPretty dumb eh?"
            .to_owned(),
        language: some("en"),
        in_reply_to: Some(status("1440703139531792402")),
        conversation: some("1440703139531792402"),
        tags: strings(&["brexit"]),
        has_structured_tags: true,
        source_json: doc["data"][4].to_string(),
        reply_count: crate::model::ReplyCount::Count(0),
        ..post(
            "1440716638421090309",
            user(
                "1211607471564869635",
                "HallworthNeil",
                "Neil Hallworth",
                Some(
                    "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png",
                ),
            ),
            "2021-09-22T16:36:28.000Z",
        )
    };
    assert_eq!(reply, &want);
    // The parent came only in `includes` and is a post too; it quotes a Sky News tweet.
    let parent = post_by_id(&parsed, "1440703139531792402");
    assert_eq!(parent.author.handle, "@Nigel_Farage");
    assert_eq!(parent.conversation.as_deref(), Some("1440703139531792402"));
    assert_eq!(parent.in_reply_to, None);
    assert_eq!(parent.quote_of, Some(status("1440700664632397832")));
    assert_eq!(
        parent.text,
        "Joe Biden stabs Boris in the back before he even leaves the USA! \
         https://twitter.com/skynewsbreak/status/1440700664632397832"
    );
}

#[test]
fn corpus_retweet_is_a_boost_after_the_original_from_includes() {
    let Some(doc) = corpus("twarc2-search-recent-page-brexit-trimmed.jsonl") else {
        return;
    };
    let parsed = parse_clean(&doc);
    let boost = Boost {
        uri: status("1440715801820950541"),
        post_uri: status("1440653508089237514"),
        booster: "https://twitter.com/i/user/1081220949947629573".to_owned(),
        created_at: Some(time("2021-09-22T16:33:09.000Z")),
    };
    let boost_at = parsed
        .items
        .iter()
        .position(|item| item == &Item::Boost(boost.clone()))
        .expect("the retweet is a boost");
    let original_at = parsed
        .items
        .iter()
        .position(|item| matches!(item, Item::Post(p) if p.uri == status("1440653508089237514")))
        .expect("the original is a post");
    assert!(original_at < boost_at);
    // The retweet itself is never a post.
    assert!(
        posts(&parsed)
            .iter()
            .all(|p| p.uri != status("1440715801820950541"))
    );
    let rec = user(
        "812295444604866560",
        "rec777777",
        "REC",
        Some("https://pbs.twimg.com/profile_images/1066282429437095936/rQ6_T39E_normal.jpg"),
    );
    let want = Post {
        content_html: format!(
            "<p>Shelf update!<br><br>Well stocked in Morrisons just now, as usual.<br><br>{} {} {}</p>",
            mention("BBCNews"),
            hashtag("Brexit", "#Brexit"),
            hashtag("BrexitFoodShortages", "#BrexitFoodShortages"),
        ),
        text: "Shelf update!\n\nWell stocked in Morrisons just now, as usual.\n\n@BBCNews #Brexit \
               #BrexitFoodShortages"
            .to_owned(),
        language: some("en"),
        conversation: some("1440653508089237514"),
        tags: strings(&["brexit", "brexitfoodshortages"]),
        has_structured_tags: true,
        media: vec![Media {
            url: "https://pbs.twimg.com/media/E_46ur4VkAEswOJ.jpg".to_owned(),
            kind: "image".to_owned(),
            alt: None,
            width: Some(2048),
            height: Some(1356),
            preview: None,
        }],
        source_json: doc["includes"]["tweets"][4].to_string(),
        reply_count: crate::model::ReplyCount::Count(7),
        ..post("1440653508089237514", rec, "2021-09-22T12:25:37.000Z")
    };
    assert_eq!(post_by_id(&parsed, "1440653508089237514"), &want);
    // A retweet of a tweet that is itself in `data`.
    assert!(parsed.items.contains(&Item::Boost(Boost {
        uri: status("1440716664920625152"),
        post_uri: status("1440716350490435591"),
        booster: "https://twitter.com/i/user/930931544692350976".to_owned(),
        created_at: Some(time("2021-09-22T16:36:34.000Z")),
    })));
}

#[test]
fn corpus_quote_with_three_photos_one_alt_text() {
    let Some(doc) = corpus("twarc2-search-recent-page-brexit-trimmed.jsonl") else {
        return;
    };
    let parsed = parse_clean(&doc);
    let quote = post_by_id(&parsed, "1440713966649417731");
    let photo = |url: &str, alt: Option<&str>, width, height| Media {
        url: url.to_owned(),
        kind: "image".to_owned(),
        alt: alt.map(str::to_owned),
        width: Some(width),
        height: Some(height),
        preview: None,
    };
    assert_eq!(
        quote.media,
        [
            photo(
                "https://pbs.twimg.com/media/E_5xtEhVIAInx_o.jpg",
                Some("A long email from Green Energy - please request full text if required."),
                854,
                1757
            ),
            photo(
                "https://pbs.twimg.com/media/E_5xtbNVQAQGNb4.jpg",
                None,
                841,
                1778
            ),
            photo(
                "https://pbs.twimg.com/media/E_5xty_VgBAr1Is.jpg",
                None,
                1080,
                2160
            ),
        ]
    );
    assert_eq!(quote.quote_of, Some(status("1440670794103754762")));
    assert_eq!(quote.author.name, "Joe O'Toole 🌈💚🌹🇪🇺");
    assert_eq!(quote.tags, strings(&["brexit", "gascrisis"]));
    // The photo link (given three times) is gone with the space before it; the quote link stays.
    assert_eq!(
        quote.text,
        "This is my supplier! 😬💀\n\nThe email I've received explicitly blames a range of \
         factors. Chief among them are the bad decisions of @KwasiKwarteng, @beisgovuk and \
         @ofgem, but #Brexit and the Suez Canal were also named. \n\nThe #GasCrisis proves that \
         privatised energy isn't working. https://twitter.com/JavierBlas/status/1440670794103754762"
    );
    assert!(quote.content_html.ends_with(&format!(
        "isn't working. {}</p>",
        link(
            "https://twitter.com/JavierBlas/status/1440670794103754762",
            "twitter.com/JavierBlas/sta…"
        )
    )));
    // The quoted tweet came from `includes`.
    assert_eq!(
        post_by_id(&parsed, "1440670794103754762").author.handle,
        "@JavierBlas"
    );
}

#[test]
fn corpus_poll_in_position_order() {
    let Some(doc) = corpus("twarc2-search-recent-page-brexit-trimmed.jsonl") else {
        return;
    };
    let parsed = parse_clean(&doc);
    let polled = post_by_id(&parsed, "1440382212159930371");
    let option = |title: &str, votes| PollOption {
        title: title.to_owned(),
        votes: Some(votes),
    };
    assert_eq!(
        polled.poll,
        Some(Poll {
            options: vec![
                option("Yes I do", 60),
                option("No I don’t", 185),
                option("Don’t know", 24)
            ],
            multiple: false,
            closes_at: Some(time("2021-09-22T18:27:34.000Z")),
            voters: Some(269),
        })
    );
    assert_eq!(
        polled.tags,
        strings(&["brexit", "usa", "borisjohnson", "politics"])
    );
    // The retweet of the poll is a boost, not a second poll.
    assert!(parsed.items.contains(&Item::Boost(Boost {
        uri: status("1440715451575668748"),
        post_uri: status("1440382212159930371"),
        booster: "https://twitter.com/i/user/1267351396657115136".to_owned(),
        created_at: Some(time("2021-09-22T16:31:45.000Z")),
    })));
}

#[test]
fn corpus_non_ascii_hashtag_is_normalised() {
    let Some(doc) = corpus("twarc2-search-recent-page-brexit-trimmed.jsonl") else {
        return;
    };
    let parsed = parse_clean(&doc);
    let tagesschau = post_by_id(&parsed, "1440714938054418436");
    let want = Post {
        content_html: format!(
            "<p>USA dämpfen britische Hoffnung auf Handelsabkommen {} {} {} {} {}</p>",
            link(
                "http://www.tagesschau.de/wirtschaft/weltwirtschaft/grossbritannien-usa-handelsabkommen-101.html",
                "tagesschau.de/wirtschaft/wel…"
            ),
            hashtag("Gro%C3%9Fbritannien", "#Großbritannien"),
            hashtag("USA", "#USA"),
            hashtag("Handelsabkommen", "#Handelsabkommen"),
            hashtag("Brexit", "#Brexit"),
        ),
        text: "USA dämpfen britische Hoffnung auf Handelsabkommen \
               http://www.tagesschau.de/wirtschaft/weltwirtschaft/grossbritannien-usa-handelsabkommen-101.html \
               #Großbritannien #USA #Handelsabkommen #Brexit"
            .to_owned(),
        language: some("de"),
        conversation: some("1440714938054418436"),
        tags: strings(&["großbritannien", "usa", "handelsabkommen", "brexit"]),
        has_structured_tags: true,
        source_json: doc["data"][11].to_string(),
        reply_count: crate::model::ReplyCount::Count(2),
        ..post(
            "1440714938054418436",
            user(
                "5734902",
                "tagesschau",
                "tagesschau",
                Some("https://pbs.twimg.com/profile_images/531688614640365568/U84uXoIT_normal.png"),
            ),
            "2021-09-22T16:29:43.000Z",
        )
    };
    assert_eq!(tagesschau, &want);
}

#[test]
fn corpus_flag_and_skin_tone_emoji_before_a_link() {
    let Some(doc) = corpus("twarc2-search-recent-page-brexit-trimmed.jsonl") else {
        return;
    };
    let parsed = parse_clean(&doc);
    let tweet = post_by_id(&parsed, "1440714751642800139");
    let target = "https://www.gov.uk/.../visiting-the-uk-as-an-eu-eea-or?fbclid=\
                  IwAR0P2QYKmo8VVv2LHRFUz8idTaJMYgCiLqVhhGfx87JAUBj8Bjp6t8ledgo";
    assert_eq!(
        tweet.text,
        format!(
            "¿Sabias que desde el 1/10 cambian las reglas de entrada al 🇬🇧 ? \n\n👉🏻Será \
             obligatorio presentar tu pasaporte sino tienes el settled o el pre-settled status; o \
             pendiente o aprobado el #EUSettlementScheme; o el permiso de trabajo transfronterizo \
             \n\n#Brexit ⏬\n\n{target}"
        )
    );
    assert_eq!(
        tweet.content_html,
        format!(
            "<p>¿Sabias que desde el 1/10 cambian las reglas de entrada al 🇬🇧 ? <br><br>👉🏻Será \
             obligatorio presentar tu pasaporte sino tienes el settled o el pre-settled status; o \
             pendiente o aprobado el {}; o el permiso de trabajo transfronterizo <br><br>{} \
             ⏬<br><br>{}</p>",
            hashtag("EUSettlementScheme", "#EUSettlementScheme"),
            hashtag("Brexit", "#Brexit"),
            link(target, "gov.uk/.../visiting-t…"),
        )
    );
    assert_eq!(tweet.tags, strings(&["eusettlementscheme", "brexit"]));
    assert_eq!(tweet.language.as_deref(), Some("es"));
}

#[test]
fn corpus_escaped_ampersand_gif_and_undetermined_language() {
    let Some(doc) = corpus("twarc2-search-recent-page-brexit-trimmed.jsonl") else {
        return;
    };
    let parsed = parse_clean(&doc);
    let amp = post_by_id(&parsed, "1440715975020584960");
    assert_eq!(
        amp.text,
        "And @AngelaRayner & #NicolaSturgeon blame #Brexit..🤣🤣🤣! \
         https://twitter.com/paulafr68963440/status/1440660748275834882"
    );
    assert!(
        amp.content_html.starts_with(&format!(
            "<p>And {} &amp; {} blame",
            mention("AngelaRayner"),
            hashtag("NicolaSturgeon", "#NicolaSturgeon")
        )),
        "{}",
        amp.content_html
    );
    assert_eq!(amp.quote_of, Some(status("1440660748275834882")));

    let gif = post_by_id(&parsed, "1440715720422166536");
    assert_eq!(
        gif.media,
        [Media {
            url: "https://pbs.twimg.com/tweet_video_thumb/E_5zTqDVUAogaOp.jpg".to_owned(),
            kind: "gifv".to_owned(),
            alt: None,
            width: Some(498),
            height: Some(352),
            preview: None,
        }]
    );
    assert!(
        gif.text
            .ends_with("@POTUS  didn't fancy bleached chicken anyway"),
        "{}",
        gif.text
    );

    // `lang: und` is no language.
    assert_eq!(post_by_id(&parsed, "1440706236786233365").language, None);
}

// ---------------------------------------------------------------- fixtures

#[test]
fn flattened_line_reads_inline_author_media_and_parent() {
    let doc = fixture("flattened_line.json");
    assert!(Twarc2::sniff(&doc));
    let parsed = parse_clean(&doc);
    let mina = user(
        "900000000000000001",
        "mina_example",
        "Mina Okafor",
        Some("https://pbs.twimg.com/profile_images/1/mina_normal.jpg"),
    );
    let parent = Post {
        content_html: format!(
            "<p>Please {} before entering a patient's room.</p>",
            hashtag("KnockFirst", "#KnockFirst")
        ),
        text: "Please #KnockFirst before entering a patient's room.".to_owned(),
        language: some("en"),
        conversation: some("1700000000000000100"),
        tags: strings(&["knockfirst"]),
        has_structured_tags: true,
        source_json: doc["referenced_tweets"][0].to_string(),
        ..post("1700000000000000100", mina, "2023-09-08T09:00:00.000Z")
    };
    let reply = Post {
        content_html: format!(
            "<p>{} Agreed, knocking first matters</p>",
            mention("mina_example")
        ),
        text: "@mina_example Agreed, knocking first matters".to_owned(),
        language: some("en"),
        in_reply_to: Some(status("1700000000000000100")),
        conversation: some("1700000000000000100"),
        has_structured_tags: true,
        media: vec![Media {
            url: "https://pbs.twimg.com/media/ExampleDoor.jpg".to_owned(),
            kind: "image".to_owned(),
            alt: some("A closed door with a hand raised to knock"),
            width: Some(1200),
            height: Some(800),
            preview: None,
        }],
        source_json: doc.to_string(),
        ..post("1700000000000000200", joe(), "2023-09-08T10:15:00.000Z")
    };
    assert_eq!(
        parsed.items,
        [Item::Post(Box::new(parent)), Item::Post(Box::new(reply))]
    );
}

#[test]
fn note_tweet_long_text_uses_its_own_entities() {
    let doc = fixture("note_tweet_long_text.json");
    let parsed = parse_clean(&doc);
    let maya = user(
        "900000000000000003",
        "maya_example",
        "Maya Lindqvist",
        Some("https://pbs.twimg.com/profile_images/3/maya_normal.jpg"),
    );
    let want = Post {
        content_html: format!(
            "<p>When my son was admitted, nobody asked me what calms him. {} in care plans would \
             have saved everyone a frightening night.<br><br>Thank you {} for listening the next \
             morning, and for writing it down: {} {}</p>",
            hashtag("CarersIncluded", "#CarersIncluded"),
            mention("ruth_example"),
            link(
                "https://care.example/plans/carers",
                "care.example/plans/carers"
            ),
            hashtag("Listen", "#Listen"),
        ),
        text: "When my son was admitted, nobody asked me what calms him. #CarersIncluded in care \
               plans would have saved everyone a frightening night.\n\nThank you @ruth_example \
               for listening the next morning, and for writing it down: \
               https://care.example/plans/carers #Listen"
            .to_owned(),
        language: some("en"),
        conversation: some("1700000000000000300"),
        tags: strings(&["carersincluded", "listen"]),
        has_structured_tags: true,
        source_json: doc["data"][0].to_string(),
        ..post("1700000000000000300", maya, "2023-09-08T11:00:00.000Z")
    };
    assert_eq!(parsed.items, [Item::Post(Box::new(want))]);
}

#[test]
fn emoji_and_cjk_before_a_link_count_code_points() {
    let doc = fixture("emoji_cjk_before_link.json");
    let parsed = parse_clean(&doc);
    let hana = Author {
        uri: "https://twitter.com/i/user/900000000000000005".to_owned(),
        handle: "@hana_example".to_owned(),
        name: "花 Hana".to_owned(),
        url: some("https://twitter.com/hana_example"),
        avatar: None,
        ..Default::default()
    };
    let want = Post {
        content_html: format!(
            "<p>家族も一緒に 👨‍👩‍👧 🏳️‍⚧️ {} さん {} 👍🏽 {} ありがとう</p>",
            hashtag("%E5%AE%B6%E6%97%8F", "#家族"),
            mention("kenji_example"),
            link(
                "https://kazoku.example/記事?id=1",
                "kazoku.example/記事?id=1"
            ),
        ),
        text: "家族も一緒に 👨‍👩‍👧 🏳️‍⚧️ #家族 さん @kenji_example 👍🏽 https://kazoku.example/記事?id=1 \
               ありがとう"
            .to_owned(),
        language: some("ja"),
        conversation: some("1700000000000000400"),
        tags: strings(&["家族"]),
        has_structured_tags: true,
        source_json: doc["data"][0].to_string(),
        ..post("1700000000000000400", hana, "2023-09-08T12:00:00.000Z")
    };
    assert_eq!(parsed.items, [Item::Post(Box::new(want))]);
}

#[test]
fn escaped_text_is_unescaped_once() {
    let doc = fixture("amp_escaped_once.json");
    let parsed = parse_clean(&doc);
    let tea = Author {
        uri: "https://twitter.com/i/user/900000000000000007".to_owned(),
        handle: "@tea_example".to_owned(),
        name: "Tea & <Cake>".to_owned(),
        url: some("https://twitter.com/tea_example"),
        avatar: None,
        ..Default::default()
    };
    let want = Post {
        content_html: format!(
            "<p>Tea &amp; biscuits &lt;3 and the literal text &amp;lt;3 {} {}</p>",
            hashtag("TeaAndCake", "#TeaAndCake"),
            link(
                "https://tea.example/?a=1&amp;b=2",
                "tea.example/?a=1&amp;b=2"
            ),
        ),
        text:
            "Tea & biscuits <3 and the literal text &lt;3 #TeaAndCake https://tea.example/?a=1&b=2"
                .to_owned(),
        language: some("en"),
        tags: strings(&["teaandcake"]),
        has_structured_tags: true,
        source_json: doc["data"][0].to_string(),
        ..post("1700000000000000500", tea, "2023-09-08T13:00:00.000Z")
    };
    assert_eq!(parsed.items, [Item::Post(Box::new(want))]);
}

#[test]
fn missing_includes_leave_author_media_and_poll_unknown() {
    let doc = fixture("missing_includes.json");
    let parsed = parse_clean(&doc);
    let unknown = Author {
        uri: "https://twitter.com/i/user/900000000000000008".to_owned(),
        handle: "https://twitter.com/i/user/900000000000000008".to_owned(),
        name: String::new(),
        url: None,
        avatar: None,
        ..Default::default()
    };
    let want = Post {
        url: None,
        content_html: format!(
            "<p>Same here, see the plan {}</p>",
            link(
                "https://twitter.com/mina_example/status/1700000000000000100",
                "twitter.com/mina_example/…"
            )
        ),
        // The second link is this tweet's own photo (its id, `/photo/`), dropped although its
        // media object is missing.
        text: "Same here, see the plan https://twitter.com/mina_example/status/1700000000000000100"
            .to_owned(),
        language: some("en"),
        conversation: some("1700000000000000600"),
        quote_of: Some(status("1700000000000000100")),
        has_structured_tags: true,
        source_json: doc["data"][0].to_string(),
        ..post("1700000000000000600", unknown, "2023-09-08T14:00:00.000Z")
    };
    assert_eq!(parsed.items, [Item::Post(Box::new(want))]);
}

#[test]
fn protected_author_is_skipped_as_not_public() {
    let doc = fixture("protected_user.json");
    let parsed = parse_clean(&doc);
    let skipped = |id: &str| {
        Item::Skipped(Skip {
            uri: Some(status(id)),
            reason: SkipReason::NotPublic,
        })
    };
    let public = Post {
        content_html: "<p>Public and fine</p>".to_owned(),
        text: "Public and fine".to_owned(),
        source_json: doc["data"][2].to_string(),
        ..post("1700000000000000702", joe(), "2023-09-08T15:02:00.000Z")
    };
    assert_eq!(
        parsed.items,
        [
            skipped("1700000000000000700"),
            skipped("1700000000000000701"),
            Item::Post(Box::new(public)),
        ]
    );
}

#[test]
fn api_errors_are_notes_and_the_page_is_kept() {
    let doc = fixture("errors_entry.json");
    let parsed = parse(&doc);
    assert!(parsed.warnings.is_empty(), "no record was skipped");
    assert_eq!(
        parsed.notes,
        [Warning {
            pointer: "/errors/0".to_owned(),
            kind: ProblemKind::Reported,
            message: "the API could not include an item (Not Found Error: Could not find tweet \
                      with referenced_tweets.id: [1700000000000000999].); the tweets referring \
                      to it are read without it"
                .to_owned(),
        }]
    );
    let want = Post {
        content_html: "<p>Replying to a tweet that is gone</p>".to_owned(),
        text: "Replying to a tweet that is gone".to_owned(),
        in_reply_to: Some(status("1700000000000000999")),
        conversation: some("1700000000000000999"),
        source_json: doc["data"][0].to_string(),
        ..post("1700000000000000800", joe(), "2023-09-08T16:00:00.000Z")
    };
    assert_eq!(parsed.items, [Item::Post(Box::new(want))]);
}

#[test]
fn bad_entity_offsets_are_reported_not_trusted() {
    let doc = fixture("bad_entity_offsets.json");
    let parsed = parse(&doc);
    let at = |path: &str| format!("/data/0/entities/{path}");
    // Each bad entity is a note, not a warning: the post is read all the same.
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let pointers: Vec<&str> = parsed.notes.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            at("urls/1"),
            at("mentions/0"),
            at("mentions/1"),
            at("hashtags/1"),
            at("hashtags/2"),
            at("hashtags/3"),
        ]
    );
    assert_eq!(
        parsed.notes[3].message,
        "entity ignored: its offsets 100..105 do not point at it in the text (54 characters), \
         so its text stays plain"
    );
    assert_eq!(
        parsed.notes[5].message,
        "entity ignored: it has no numeric `start` and `end`, so its text stays plain"
    );
    let want = Post {
        // The link's offsets are wrong but its t.co URL is in the text; the mentions name
        // someone else or lie outside the text, so they stay text.
        content_html: format!(
            "<p>@mina_example short text {} {}</p>",
            hashtag("Fine", "#Fine"),
            link("https://bad.example/found", "bad.example/found")
        ),
        text: "@mina_example short text #Fine https://bad.example/found".to_owned(),
        // Tags do not depend on offsets.
        tags: strings(&["fine", "gone", "reversed", "negative"]),
        has_structured_tags: true,
        source_json: doc["data"][0].to_string(),
        ..post("1700000000000000900", joe(), "2023-09-08T17:00:00.000Z")
    };
    assert_eq!(parsed.items, [Item::Post(Box::new(want))]);
}

#[test]
fn lookup_with_one_data_object() {
    let doc = fixture("lookup_single_object.json");
    assert!(Twarc2::sniff(&doc));
    let parsed = parse_clean(&doc);
    let want = Post {
        content_html: "<p>Looked up by id</p>".to_owned(),
        text: "Looked up by id".to_owned(),
        // `zxx` (no linguistic content) is no language.
        language: None,
        sensitive: true,
        source_json: doc["data"].to_string(),
        ..post("1700000000000001000", joe(), "2023-09-08T18:00:00.000Z")
    };
    assert_eq!(parsed.items, [Item::Post(Box::new(want))]);
}

#[test]
fn video_and_gif_use_their_best_mp4() {
    let doc = fixture("video_gif_variants.json");
    let parsed = parse_clean(&doc);
    let post = post_by_id(&parsed, "1700000000000001100");
    assert_eq!(post.text, "Two clips");
    assert_eq!(post.content_html, "<p>Two clips</p>");
    assert_eq!(
        post.media,
        [
            Media {
                url: "https://video.twimg.com/ext_tw_video/1/pu/vid/1280x720/clip.mp4".to_owned(),
                kind: "video".to_owned(),
                alt: None,
                width: Some(1280),
                height: Some(720),
                preview: Some(
                    "https://pbs.twimg.com/ext_tw_video_thumb/1/pu/img/clip.jpg".to_owned()
                ),
            },
            Media {
                url: "https://video.twimg.com/tweet_video/wave.mp4".to_owned(),
                kind: "gifv".to_owned(),
                alt: None,
                width: Some(498),
                height: Some(280),
                preview: Some("https://pbs.twimg.com/tweet_video_thumb/wave.jpg".to_owned()),
            },
        ]
    );
}

// ---------------------------------------------------------------- shapes

#[test]
fn sniffs_pages_and_flattened_tweets() {
    let tweet = json!({"id": "1", "text": "hi", "author_id": "2"});
    for doc in [
        json!({"data": [tweet], "includes": {}}),
        json!({"data": tweet}),
        json!({"data": [{"id": "1", "edit_history_tweet_ids": ["1"]}]}),
        json!({"data": [], "meta": {"result_count": 0}}),
        json!({"errors": [{"title": "Not Found Error"}], "__twarc": {}}),
        json!({"id": "1", "text": "hi", "author_id": "2", "author": {"id": "2"}}),
        json!({"id": "1", "text": "hi", "author_id": "2", "__twarc": {}}),
    ] {
        assert!(Twarc2::sniff(&doc), "{doc}");
    }
    for doc in [
        // API v1.1 tweets.
        json!({"id": 1, "id_str": "1", "text": "hi", "user": {"id_str": "2"}}),
        json!({"id_str": "1", "full_text": "hi", "user": {}, "author_id": "2", "__twarc": {}}),
        // Mastodon and ActivityPub.
        json!([{"id": "1", "account": {}, "uri": "https://a.example/1"}]),
        json!({"type": "Note", "id": "https://a.example/1"}),
        // A v2 tweet without its expansions cannot be told from other JSON.
        json!({"id": "1", "text": "hi", "author_id": "2"}),
        json!({"data": [{"name": "not a tweet"}]}),
        json!({"data": "text"}),
        json!([]),
        json!("data"),
    ] {
        assert!(!Twarc2::sniff(&doc), "{doc}");
    }
}

#[test]
fn refuses_documents_that_are_not_twarc2() {
    let mut parsed = Parsed::default();
    for (doc, pointer) in [
        (json!([1, 2]), ""),
        (json!({"data": "text"}), "/data"),
        (json!({"meta": {}}), ""),
    ] {
        let err = Twarc2::parse(&doc, &mut parsed).expect_err("refused");
        assert_eq!(err.pointer, pointer, "{doc}");
    }
    assert!(parsed.items.is_empty());
}

#[test]
fn bad_records_are_warnings_and_bad_includes_notes() {
    let doc = json!({
        "data": [
            "not a tweet",
            {"id": "12a", "text": "x", "author_id": "2", "created_at": "2023-01-01T00:00:00.000Z"},
            {"id": "13", "text": "x", "created_at": "2023-01-01T00:00:00.000Z"},
            {"id": "14", "text": "x", "author_id": "2"},
            {"id": "15", "text": "x", "author_id": "2", "created_at": "soon"},
            {"id": 16, "text": "ok", "author_id": 2, "created_at": "2023-01-01T00:00:00.000Z"},
            {"id": "16", "text": "a duplicate", "author_id": "2", "created_at": "2023-01-01T00:00:00.000Z"},
        ],
        "includes": {"users": [{"name": "no id"}], "tweets": "nope"},
        "errors": [{}],
    });
    let parsed = parse(&doc);
    let warnings: Vec<(&str, &str)> = parsed
        .warnings
        .iter()
        .map(|w| (w.pointer.as_str(), w.message.as_str()))
        .collect();
    let notes: Vec<(&str, &str)> = parsed
        .notes
        .iter()
        .map(|w| (w.pointer.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(
        notes,
        [
            (
                "/includes/users/0",
                "included users entry has no `id`; not used (the tweets referring to it are read \
                 without it)"
            ),
            (
                "/includes/tweets",
                "`tweets` must be an array, found a string; the tweets referring to them are read \
                 without them"
            ),
            (
                "/errors/0",
                "the API could not include an item (an error without a title or detail); the \
                 tweets referring to it are read without it"
            ),
        ]
    );
    assert_eq!(
        warnings,
        [
            ("/data/0", "expected a tweet object, found a string"),
            ("/data/1", "tweet has no `id` made of digits"),
            ("/data/2", "tweet `13` has no `author_id` made of digits"),
            ("/data/3", "tweet `14` has no `created_at`"),
            (
                "/data/4",
                "tweet `15` has an unreadable `created_at` `soon`"
            ),
        ]
    );
    // Integer ids are read from their digits; the same id twice in a page is one post.
    let kept = posts(&parsed);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].uri, status("16"));
    assert_eq!(kept[0].text, "ok");
    assert_eq!(kept[0].author.uri, "https://twitter.com/i/user/2");
}

#[test]
fn unescapes_once_and_never_panics_on_odd_text() {
    assert_eq!(unescape("a &amp;amp; b &lt;&gt; &c &"), "a &amp; b <> &c &");
    assert_eq!(unescape(""), "");
    let chars: Vec<char> = "ab".chars().collect();
    assert_eq!(find(&chars, &[]), None);
    assert_eq!(find(&chars, &['a', 'b', 'c']), None);
    assert_eq!(encode_path("a b/ß_1"), "a%20b%2F%C3%9F_1");
}

proptest::proptest! {
    /// Whatever the offsets and the text, parsing warns at worst: it never panics.
    #[test]
    fn arbitrary_entity_offsets_never_panic(
        text in "[a-z &;#@👍🏽家\n]{0,24}",
        offsets in proptest::collection::vec((0u64..40, 0u64..40), 0..6),
    ) {
        let entity = |(start, end): (u64, u64)| json!({
            "start": start, "end": end, "tag": "a", "username": "a",
            "url": "https://t.co/x", "expanded_url": "https://x.example/",
        });
        let entities: Vec<Value> = offsets.into_iter().map(entity).collect();
        let doc = json!({"data": [{
            "id": "1", "text": text, "author_id": "2", "created_at": "2023-01-01T00:00:00Z",
            "entities": {"urls": entities, "mentions": entities, "hashtags": entities},
        }]});
        let mut parsed = Parsed::default();
        Twarc2::parse(&doc, &mut parsed).expect("document parses");
        proptest::prop_assert_eq!(posts(&parsed).len(), 1);
    }
}
