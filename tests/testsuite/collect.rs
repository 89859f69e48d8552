//! Collecting the bundled fixtures (see `fixtures/README.md`, whose tables these expectations
//! are written from): counts, membership, thread shapes, idempotence, edits, deletions, boosts,
//! visibility and errors.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Archive, fixture, nodes, shape};

const TAG: &str = "DearMentalHealthProfessionals";

/// Post keys of the fixtures' README and their URIs.
const KEYS: &[(&str, &str)] = &[
    (
        "A0",
        "https://care.example/users/ruth/statuses/117126794575873100",
    ),
    (
        "S1",
        "https://nafs.example/users/layla/statuses/117126828851222181",
    ),
    (
        "A1",
        "https://care.example/users/jun/statuses/117126855452429198",
    ),
    (
        "A2",
        "https://care.example/users/ruth/statuses/117126908149792447",
    ),
    (
        "A3",
        "https://care.example/users/jun/statuses/117126980412405735",
    ),
    (
        "A4",
        "https://mind.example/users/priya/statuses/117127061372932998",
    ),
    (
        "B0",
        "https://mind.example/users/kwame/statuses/117127131955204514",
    ),
    (
        "B1",
        "https://mind.example/users/kwame/statuses/117127136673854724",
    ),
    (
        "B2",
        "https://mind.example/users/kwame/statuses/117127142440986221",
    ),
    (
        "A5",
        "https://care.example/users/jun/statuses/117127174422852430",
    ),
    (
        "B3",
        "https://mind.example/users/kwame/statuses/117127243431968252",
    ),
    (
        "A6",
        "https://care.example/users/ruth/statuses/117127258832900913",
    ),
    (
        "C0",
        "https://care.example/users/maya/statuses/117127311123457015",
    ),
    (
        "C1",
        "https://care.example/users/tomasz/statuses/117127412450315875",
    ),
    (
        "B4",
        "https://mind.example/users/lou/statuses/117127427457041078",
    ),
    (
        "D0",
        "https://mind.example/users/sam/statuses/117127496663092017",
    ),
    (
        "B5",
        "https://mind.example/users/kwame/statuses/117127501053978242",
    ),
    (
        "A7",
        "https://lumiere.example/users/elodie/statuses/117127590969344071",
    ),
    (
        "D1",
        "https://peer.example/users/ash/statuses/117127605023918357",
    ),
    (
        "D2",
        "https://mind.example/users/sam/statuses/117127659454478532",
    ),
    (
        "A8",
        "https://peer.example/users/river/statuses/117127761252679861",
    ),
    (
        "D3",
        "https://mind.example/users/priya/statuses/117127802847280365",
    ),
    (
        "A9",
        "https://care.example/users/ruth/statuses/117127912488964400",
    ),
    (
        "A10",
        "https://mind.example/users/sam/statuses/117127968915513096",
    ),
    (
        "E0",
        "https://mind.example/users/priya/statuses/117127981170730091",
    ),
    (
        "E1",
        "https://care.example/users/jun/statuses/117128116706843404",
    ),
    (
        "C2",
        "https://lumiere.example/users/elodie/statuses/117128283226149254",
    ),
    (
        "C4",
        "https://care.example/users/maya/statuses/117128410112192968",
    ),
    (
        "C5",
        "https://care.example/users/ruth/statuses/117128508932158405",
    ),
    (
        "S2",
        "https://lumiere.example/users/jonas/statuses/117128576368658709",
    ),
    (
        "E2",
        "https://mind.example/users/lou/statuses/117128715567115883",
    ),
    (
        "E3",
        "https://mind.example/users/priya/statuses/117128787066931585",
    ),
    (
        "G0",
        "https://peer.example/users/ash/statuses/117128862905727366",
    ),
    (
        "O1",
        "https://mind.example/users/lou/statuses/117128942780416757",
    ),
    (
        "G1",
        "https://care.example/users/tomasz/statuses/117128990613203585",
    ),
    (
        "G2",
        "https://peer.example/users/ash/statuses/117129040232890083",
    ),
    (
        "G3",
        "https://mind.example/users/kwame/statuses/117129160228928376",
    ),
    (
        "S4",
        "https://care.example/users/jun/statuses/117129474058202269",
    ),
    (
        "G4",
        "https://nafs.example/users/layla/statuses/117129563471915829",
    ),
    (
        "H0",
        "https://lumiere.example/users/elodie/statuses/117129620226106903",
    ),
    (
        "H1",
        "https://lumiere.example/users/jonas/statuses/117129767485499624",
    ),
    (
        "C3",
        "https://peer.example/users/river/statuses/117129873625082313",
    ),
    (
        "H2",
        "https://lumiere.example/users/elodie/statuses/117129906552874989",
    ),
    (
        "S5",
        "https://mind.example/users/sam/statuses/117130140647474245",
    ),
    (
        "S6",
        "https://care.example/users/tomasz/statuses/117130507740957946",
    ),
    (
        "S6x",
        "https://care.example/users/tomasz/statuses/117130509098521333",
    ),
    (
        "S7",
        "https://peer.example/users/river/statuses/117130699387100545",
    ),
    (
        "S8",
        "https://care.example/users/ruth/statuses/117130907156517186",
    ),
];

fn key(uri: &str) -> String {
    KEYS.iter()
        .find(|(_, u)| *u == uri)
        .map_or_else(|| format!("?{uri}"), |(k, _)| k.to_string())
}

fn uri(k: &str) -> &'static str {
    KEYS.iter().find(|(key, _)| *key == k).expect("known key").1
}

/// The story's threads as the README draws them.
const EXPECTED_THREADS: &[&str] = &[
    "A0(A1(A2(A3(A4(A5)))) A6 A7 A8(A9 A10))",
    "S1",
    "B0(B1(B2(B3 B4(B5))))",
    "C0(C1(C5) C2(C4) C3)",
    "D0(D1(D2(D3)))",
    "E0(E1 E2(E3))",
    "S2",
    "G0(G1(G2) G3 G4)",
    "O1",
    "S4",
    "H0(H1(H2))",
    "S5",
    "S6",
    "S7",
    "S8",
];

/// Posts that do not carry the tag (README: `u`).
const UNTAGGED: &[&str] = &[
    "A2", "A3", "A5", "A6", "A9", "A10", "B1", "B3", "B5", "C3", "C4", "D0", "D2", "E1", "E3",
    "G2", "G3", "G4", "H2",
];

fn files(dir: &str, pattern: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(fixture(dir))
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(pattern)
        })
        .collect();
    found.sort();
    found
}

/// The Mastodon API form: timeline pages, context files, the edit and the deletion.
pub fn api_sources() -> Vec<PathBuf> {
    let mut all = files("mastodon-api", "timeline-");
    all.extend(files("mastodon-api", "context-"));
    all.push(fixture("mastodon-api/status-edited.json"));
    all.push(fixture("mastodon-api/status-deleted.json"));
    all
}

/// Every fixture of the conversation, in both forms and the export.
pub fn all_fixture_sources() -> Vec<PathBuf> {
    let mut all = api_sources();
    all.push(fixture("activitypub/conversation.json"));
    all.push(fixture("activitypub/export/outbox.json"));
    all
}

/// The hostile test post (README: M1), never part of the sample: as a Mastodon API status and
/// as an AS2 Note with its author embedded, the same hostile name, avatar and markup in both.
pub fn hostile_sources() -> Vec<PathBuf> {
    vec![
        fixture("hostile/status-mallory.json"),
        fixture("hostile/note-mallory.json"),
    ]
}

/// The hostile post's URI (both files).
pub const HOSTILE_URI: &str = "https://odd.example/users/mallory/statuses/117129310502928781";

fn paths(p: &[PathBuf]) -> Vec<&Path> {
    p.iter().map(PathBuf::as_path).collect()
}

fn thread_shapes(story: &Value) -> Vec<String> {
    story["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| shape(t, &key))
        .collect()
}

fn by_key(story: &Value) -> std::collections::HashMap<String, Value> {
    nodes(story)
        .into_iter()
        .map(|(n, _)| (key(n["uri"].as_str().unwrap()), n.clone()))
        .collect()
}

/// Everything the README says about the full story.
fn assert_documented_story(story: &Value) {
    assert_eq!(thread_shapes(story), EXPECTED_THREADS);
    assert_eq!(story["post_count"], 47);
    assert_eq!(story["participant_count"], 13);
    let posts = by_key(story);
    assert_eq!(posts.len(), 47, "every post exactly once");
    for (k, post) in &posts {
        assert_eq!(
            post["tagged"],
            !UNTAGGED.contains(&k.as_str()),
            "{k} tagged"
        );
        let boosts = match k.as_str() {
            "A0" | "C0" => 2,
            "S1" => 1,
            _ => 0,
        };
        assert_eq!(post["boosts"], boosts, "{k} boosts");
    }
    assert!(!posts.contains_key("S6x"), "deleted post must not appear");
    assert!(
        posts["S2"]["text"]
            .as_str()
            .unwrap()
            .contains("Grüße aus Köln 🇩🇪")
    );
    assert_eq!(posts["E0"]["spoiler_text"], "medication, side effects");
    assert_eq!(posts["E0"]["sensitive"], true);
    assert_eq!(posts["S4"]["sensitive"], true);
    assert_eq!(posts["S4"]["spoiler_text"], Value::Null);
    assert_eq!(posts["C1"]["media"][0]["alt"], Value::Null);
    assert!(posts["C0"]["media"][0]["alt"].as_str().unwrap().len() > 20);
    assert_eq!(posts["D0"]["author"]["handle"], "@sam@mind.example");
    assert_eq!(posts["D0"]["author"]["name"], "");
    assert_eq!(posts["A1"]["in_reply_to"], uri("A0"));
}

#[test]
fn everything_makes_the_documented_story() {
    let archive = Archive::new();
    let all = all_fixture_sources();
    let run = archive.collect_ok(TAG, &paths(&all));
    assert!(
        run.stderr
            .contains("total for #dearmentalhealthprofessionals:"),
        "{}",
        run.stderr
    );
    let story = archive.story_json(TAG);
    assert_documented_story(&story);
    assert_eq!(story["tag"], "dearmentalhealthprofessionals");
    assert_eq!(story["title"], "#DearMentalHealthProfessionals");
    // O1's parent is in no file; conversation.json names it by URI.
    assert_eq!(
        by_key(&story)["O1"]["in_reply_to"],
        "https://gone.example/users/wren/statuses/117128893694014519"
    );
}

#[test]
fn each_form_alone_gives_the_same_story() {
    let api = Archive::new();
    api.collect_ok(TAG, &paths(&api_sources()));
    let api_story = api.story_json(TAG);
    assert_documented_story(&api_story);

    let as2 = Archive::new();
    as2.collect_ok(
        &TAG.to_lowercase(),
        &[&fixture("activitypub/conversation.json")],
    );
    let as2_story = as2.story_json(TAG);
    assert_documented_story(&as2_story);
}

/// Issue 7: the sample reads like a real conversation. The hostile test post lives in
/// `fixtures/hostile/` only, and nothing of it is in the quick-start sources.
#[test]
fn the_sample_holds_nothing_of_the_hostile_post() {
    let mut sources = all_fixture_sources();
    sources.push(fixture("activitypub/export/actor.json"));
    for path in &sources {
        let text = std::fs::read_to_string(path)
            .expect("fixture")
            .to_lowercase();
        for bad in [
            "mallory",
            "odd.example",
            "<script",
            "javascript:",
            "onerror",
            "<iframe",
            "style=",
            "<b>",
        ] {
            assert!(!text.contains(bad), "{bad} in {}", path.display());
        }
    }
    for path in hostile_sources() {
        let text = std::fs::read_to_string(&path).expect("hostile fixture");
        for bad in [
            "<b>Mallory</b>",
            "javascript:alert(3)",
            "<script>",
            "onerror",
        ] {
            assert!(text.contains(bad), "{bad} not in {}", path.display());
        }
    }
}

/// The README's figures for the sample with the hostile post added: one more post, participant
/// and single-post thread, between O1 and S4; either form of it alone gives the same post.
#[test]
fn the_hostile_post_joins_the_sample_only_when_collected() {
    let archive = Archive::new();
    let mut all = all_fixture_sources();
    all.extend(hostile_sources());
    archive.collect_ok(TAG, &paths(&all));
    let story = archive.story_json(TAG);
    assert_eq!(story["post_count"], 48);
    assert_eq!(story["participant_count"], 14);
    let roots: Vec<String> = story["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| match t["uri"].as_str().unwrap() {
            HOSTILE_URI => "M1".to_owned(),
            uri => key(uri),
        })
        .collect();
    assert_eq!(roots.len(), 16);
    let at = roots.iter().position(|k| k == "M1").expect("M1 is a root");
    assert_eq!(
        (roots[at - 1].as_str(), roots[at + 1].as_str()),
        ("O1", "S4")
    );

    let mut seen = Vec::new();
    for path in hostile_sources() {
        let alone = Archive::new();
        alone.collect_ok(TAG, &[&path]);
        let story = alone.story_json(TAG);
        assert_eq!(
            (
                story["post_count"].as_u64(),
                story["participant_count"].as_u64()
            ),
            (Some(1), Some(1))
        );
        let post = story["threads"][0].clone();
        assert_eq!(post["uri"], HOSTILE_URI);
        assert_eq!(post["author"]["handle"], "@mallory@odd.example");
        assert_eq!(post["author"]["name"], "<b>Mallory</b> 🧪");
        assert_eq!(post["tagged"], true);
        let avatar: String = rusqlite::Connection::open(&alone.db)
            .unwrap()
            .query_row("SELECT avatar_url FROM authors", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            avatar, "javascript:alert(3)",
            "stored as given, for the renderer to judge"
        );
        seen.push(post);
    }
    // Only the API form says how many replies the post had (`replies_count`).
    seen[1]["replies_total"] = seen[0]["replies_total"].clone();
    assert_eq!(seen[0], seen[1], "both forms give the same post");
}

#[test]
fn sources_in_reverse_order_give_the_same_story() {
    let archive = Archive::new();
    let mut all = all_fixture_sources();
    all.reverse();
    archive.collect_ok(TAG, &paths(&all));
    assert_documented_story(&archive.story_json(TAG));
}

/// Row counts of every table that holds collected data.
fn census(archive: &Archive) -> Vec<i64> {
    [
        "posts",
        "authors",
        "media",
        "post_tags",
        "story_posts",
        "boosts",
        "tombstones",
        "local_ids",
    ]
    .iter()
    .map(|t| archive.count(&format!("SELECT count(*) FROM {t}")))
    .collect()
}

#[test]
fn collecting_again_changes_nothing() {
    let archive = Archive::new();
    let all = all_fixture_sources();
    archive.collect_ok(TAG, &paths(&all));
    let before = census(&archive);
    let story_before = archive.story_json(TAG);
    let digest = "SELECT group_concat(uri || coalesce(edited_at, '') || text, '|') FROM (SELECT * FROM posts ORDER BY uri)";
    let text_before: String = rusqlite::Connection::open(&archive.db)
        .unwrap()
        .query_row(digest, [], |r| r.get(0))
        .unwrap();

    let run = archive.collect_ok(TAG, &paths(&all));
    let total = run
        .stderr
        .lines()
        .find(|l| l.starts_with("total for"))
        .expect("total line");
    assert!(total.contains("posts read: 0 new, 0 updated,"), "{total}");
    assert!(
        total.contains("; 0 boosts, 0 deletions; 0 errors"),
        "{total}"
    );
    assert_eq!(census(&archive), before);
    // The story is the same; only the datasheet's collection times moved on.
    let (mut after, mut before_story) = (archive.story_json(TAG), story_before);
    for s in [&mut after, &mut before_story] {
        let datasheet = s["datasheet"].as_object_mut().expect("datasheet");
        let mut names: Vec<String> = datasheet
            .remove("sources")
            .and_then(|v| v.as_array().cloned())
            .expect("sources")
            .iter()
            .map(|s| s["name"].to_string())
            .collect();
        names.sort();
        datasheet.insert("sources".into(), names.into());
    }
    assert_eq!(after, before_story);
    let text_after: String = rusqlite::Connection::open(&archive.db)
        .unwrap()
        .query_row(digest, [], |r| r.get(0))
        .unwrap();
    assert_eq!(text_after, text_before);
}

#[test]
fn an_old_copy_never_undoes_an_edit() {
    let archive = Archive::new();
    let edited = archive.collect_ok(TAG, &[&fixture("mastodon-api/status-edited.json")]);
    assert!(
        edited.stderr.contains("1 post read: 1 new"),
        "{}",
        edited.stderr
    );
    let run = archive.collect_ok(TAG, &paths(&files("mastodon-api", "timeline-")));
    assert!(run.stderr.contains("0 updated"), "{}", run.stderr);
    let story = archive.story_json(TAG);
    let s2 = &by_key(&story)["S2"];
    assert!(
        s2["text"].as_str().unwrap().contains("Grüße aus Köln"),
        "{}",
        s2["text"]
    );
    assert_eq!(
        archive.count(&format!("SELECT count(*) FROM posts WHERE uri = '{}' AND edited_at = '2026-08-21T02:31:40.000Z'", uri("S2"))),
        1
    );

    // And in the other order, the newer version replaces the older one.
    let other = Archive::new();
    other.collect_ok(TAG, &paths(&files("mastodon-api", "timeline-")));
    let run = other.collect_ok(TAG, &[&fixture("mastodon-api/status-edited.json")]);
    assert!(
        run.stderr.contains("1 post read: 0 new, 1 updated"),
        "{}",
        run.stderr
    );
    assert!(
        by_key(&other.story_json(TAG))["S2"]["text"]
            .as_str()
            .unwrap()
            .contains("Grüße aus Köln")
    );
}

#[test]
fn a_deletion_erases_and_stays_erased() {
    let archive = Archive::new();
    archive.collect_ok(TAG, &paths(&files("mastodon-api", "timeline-")));
    let s6x = uri("S6x");
    assert_eq!(
        archive.count(&format!("SELECT count(*) FROM posts WHERE uri = '{s6x}'")),
        1
    );
    let run = archive.collect_ok(TAG, &[&fixture("mastodon-api/status-deleted.json")]);
    assert!(run.stderr.contains("1 deletion"), "{}", run.stderr);
    assert_eq!(
        archive.count(&format!("SELECT count(*) FROM posts WHERE uri = '{s6x}'")),
        0
    );
    assert_eq!(
        archive.count(&format!(
            "SELECT count(*) FROM tombstones WHERE uri = '{s6x}'"
        )),
        1
    );
    assert_eq!(
        archive.count(&format!(
            "SELECT count(*) FROM posts WHERE source_json LIKE '%{s6x}%'"
        )),
        0,
        "nothing else quotes the deleted post"
    );
    // An old copy (the timeline again, the AS2 form) does not bring it back.
    archive.collect_ok(TAG, &paths(&files("mastodon-api", "timeline-")));
    archive.collect_ok(TAG, &[&fixture("activitypub/conversation.json")]);
    assert_eq!(
        archive.count(&format!("SELECT count(*) FROM posts WHERE uri = '{s6x}'")),
        0
    );
    assert!(!by_key(&archive.story_json(TAG)).contains_key("S6x"));
}

#[test]
fn the_export_alone_keeps_only_public_posts_with_their_author() {
    let archive = Archive::new();
    let run = archive.collect_ok(TAG, &[&fixture("activitypub/export/outbox.json")]);
    // 10 Creates: A0, A6, C5, S8 in the story; A2, A9 (parents elsewhere) and U1, U2 untagged;
    // X1 direct and X2 followers-only never reach a post at all.
    assert!(
        run.stderr.contains("8 posts read: 4 new, 0 updated, 0 unchanged, 4 skipped as untagged, 2 not public; 1 boost"),
        "{}",
        run.stderr
    );
    let story = archive.story_json(TAG);
    assert_eq!(thread_shapes(&story), ["A0(A6)", "C5", "S8"]);
    assert_eq!(story["participant_count"], 1);
    assert_eq!(
        by_key(&story)["A0"]["author"]["name"],
        "Dr Ruth Hallam",
        "named by actor.json"
    );
    for private in ["117128018657285776", "117130239541262927"] {
        assert_eq!(
            archive.count(&format!(
                "SELECT count(*) FROM posts WHERE uri LIKE '%{private}'"
            )),
            0
        );
        assert_eq!(
            archive.count(&format!(
                "SELECT count(*) FROM local_ids WHERE post_uri LIKE '%{private}'"
            )),
            0
        );
    }
    assert_eq!(
        archive.count("SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'ruth'"),
        0
    );
}

#[test]
fn malformed_files_fail_alone_and_clearly() {
    let archive = Archive::new();
    let truncated = fixture("malformed/truncated.json");
    let not_a_feed = fixture("malformed/not-a-feed.json");
    let good = fixture("activitypub/export/outbox.json");
    let run = archive.collect(TAG, &[&truncated, &good, &not_a_feed]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("truncated.json`:109:204: invalid JSON: EOF while parsing a string"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("not-a-feed.json`: unrecognised format"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("2 failed and added nothing"),
        "{}",
        run.stderr
    );
    assert_eq!(
        archive.count("SELECT count(*) FROM sources"),
        1,
        "only the good source is recorded"
    );
    assert_eq!(
        archive.count("SELECT count(*) FROM story_posts"),
        4,
        "the good source is kept"
    );
}

#[test]
fn bad_records_are_skipped_with_their_position() {
    let archive = Archive::new();
    let run = archive.collect(TAG, &[&fixture("malformed/bad-record.json")]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("bad-record.json` at /1: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("bad-record.json` at /2: "),
        "{}",
        run.stderr
    );
    let story = archive.story_json(TAG);
    let mut keys: Vec<String> = nodes(&story)
        .iter()
        .map(|(n, _)| key(n["uri"].as_str().unwrap()))
        .collect();
    keys.sort();
    assert_eq!(keys, ["S1", "S7"]);
}
