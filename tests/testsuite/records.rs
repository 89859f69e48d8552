//! Records read before (issue 10): a line an earlier collect read whole is taken from the
//! archive, not parsed again, and nothing a user can see tells the two apart: the story, the
//! counts, forgetting, another tag's story, a changed line, the no-match hint.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{Archive, fixture};

const TAG: &str = "DearMentalHealthProfessionals";

/// Every status of the Mastodon fixtures (timeline pages, then contexts), one per line.
fn statuses() -> Vec<Value> {
    let mut all = Vec::new();
    for page in ["timeline-page1", "timeline-page2"] {
        let path = fixture(&format!("mastodon-api/{page}.json"));
        let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        all.extend(doc.as_array().unwrap().iter().cloned());
    }
    let mut contexts: Vec<PathBuf> = std::fs::read_dir(fixture("mastodon-api"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("context-")
        })
        .collect();
    contexts.sort();
    for path in contexts {
        let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        for side in ["ancestors", "descendants"] {
            all.extend(doc[side].as_array().unwrap().iter().cloned());
        }
    }
    all
}

fn jsonl(archive: &Archive, name: &str, statuses: &[Value]) -> PathBuf {
    let lines: Vec<String> = statuses.iter().map(Value::to_string).collect();
    archive.file(name, &(lines.join("\n") + "\n"))
}

/// The line a run printed for its one source.
fn source_line(run: &crate::support::Run) -> String {
    run.stderr
        .lines()
        .find(|l| l.contains("(mastodon-api): "))
        .unwrap_or_else(|| panic!("no source line in:\n{}", run.stderr))
        .to_string()
}

/// The number of posts a source line says were read.
fn posts_read(line: &str) -> &str {
    line.split("): ")
        .nth(1)
        .unwrap()
        .split(" read:")
        .next()
        .unwrap()
}

/// The story without its datasheet (which names the collects and their times).
fn story(archive: &Archive, tag: &str) -> Value {
    let mut story = archive.story_json(tag);
    story.as_object_mut().unwrap().remove("datasheet");
    story
}

fn known_in(line: &str) -> u64 {
    let Some((_, rest)) = line.split_once("; ") else {
        return 0;
    };
    rest.rsplit_once("; ")
        .map(|(_, last)| last)
        .filter(|last| last.contains("unchanged since an earlier collect, taken from the archive"))
        .and_then(|last| last.split_whitespace().next())
        .map_or(0, |n| n.parse().unwrap())
}

#[test]
fn a_second_collect_takes_unchanged_lines_from_the_archive_and_changes_nothing() {
    let archive = Archive::new();
    let all = statuses();
    let file = jsonl(&archive, "statuses.jsonl", &all);
    let first = source_line(&archive.collect_ok(TAG, &[&file]));
    assert_eq!(known_in(&first), 0, "{first}");
    let remembered = archive.count("SELECT count(DISTINCT hash) FROM records");
    let kept = archive.count("SELECT count(*) FROM story_posts");
    // Every line whose posts are all archived is remembered; no other.
    assert!(
        remembered > 30 && remembered < all.len() as i64,
        "{remembered}"
    );
    assert_eq!(
        archive.count("SELECT count(*) FROM records r LEFT JOIN posts p ON p.id = r.post_id WHERE p.id IS NULL"),
        0
    );
    let story_before = story(&archive, TAG);

    let second = source_line(&archive.collect_ok(TAG, &[&file]));
    // Every line, the first too, which tells the format (some lines repeat a status: the
    // same record, remembered once).
    assert_eq!(known_in(&second), all.len() as u64, "{second}");
    // As when every line is read again: every post of it is an unchanged copy.
    let read = posts_read(&first).split(' ').next().unwrap();
    assert!(
        second.contains(&format!(": 0 new, 0 updated, {read} unchanged, 0 skipped")),
        "{first}\n{second}"
    );
    assert_eq!(posts_read(&first), posts_read(&second));
    assert_eq!(archive.count("SELECT count(*) FROM story_posts"), kept);
    assert_eq!(story(&archive, TAG), story_before);
}

#[test]
fn another_tags_story_from_known_lines_is_the_story_a_fresh_archive_tells() {
    let mut all = statuses();
    // A second tag on a few posts, some in the first tag's story and some not.
    for i in [0, 7, 21, 30, all.len() - 1] {
        let status = all[i].as_object_mut().unwrap();
        let tags = status["tags"].as_array_mut().unwrap();
        tags.push(serde_json::json!({"name": "PeerSupport", "url": "https://care.example/tags/PeerSupport"}));
    }
    // And a post only in the second tag's story, which the first collect leaves out.
    let mut lone = all[0].clone();
    lone["id"] = "119000000000000001".into();
    lone["uri"] = "https://care.example/users/ruth/statuses/119000000000000001".into();
    lone["url"] = "https://care.example/@ruth/119000000000000001".into();
    lone["in_reply_to_id"] = Value::Null;
    lone["content"] = "<p>Only #PeerSupport here</p>".into();
    lone["tags"] = serde_json::json!([{"name": "PeerSupport", "url": "https://care.example/tags/PeerSupport"}]);
    all.push(lone);
    let seasoned = Archive::new();
    let file = jsonl(&seasoned, "statuses.jsonl", &all);
    seasoned.collect_ok(TAG, &[&file]);
    assert!(seasoned.count("SELECT count(*) FROM posts WHERE text LIKE 'Only #PeerSupport%'") == 0);
    let again = source_line(&seasoned.collect_ok("PeerSupport", &[&file]));
    assert!(known_in(&again) > 0, "{again}");

    let fresh = Archive::new();
    let file = jsonl(&fresh, "statuses.jsonl", &all);
    let once = source_line(&fresh.collect_ok("PeerSupport", &[&file]));
    assert_eq!(known_in(&once), 0);
    let skipped = |line: &str| {
        line.split(", ")
            .find(|p| p.ends_with("skipped as untagged"))
            .unwrap()
            .to_string()
    };
    assert_eq!(skipped(&again), skipped(&once), "{again}\n{once}");
    let peer = story(&fresh, "PeerSupport");
    assert!(peer["threads"].as_array().is_some_and(|t| !t.is_empty()));
    assert_eq!(story(&seasoned, "PeerSupport"), peer);
}

#[test]
fn a_changed_line_is_read_again() {
    let archive = Archive::new();
    let mut all = statuses();
    let file = jsonl(&archive, "statuses.jsonl", &all);
    archive.collect_ok(TAG, &[&file]);
    let uri = all[3]["uri"].as_str().unwrap().to_string();
    all[3]["content"] = "<p>Edited since: #DearMentalHealthProfessionals</p>".into();
    all[3]["edited_at"] = "2030-01-01T00:00:00.000Z".into();
    let file = jsonl(&archive, "statuses.jsonl", &all);
    let second = source_line(&archive.collect_ok(TAG, &[&file]));
    assert!(second.contains(" 1 updated,"), "{second}");
    assert_eq!(
        archive.count(&format!(
            "SELECT count(*) FROM posts WHERE uri = '{uri}' AND text LIKE 'Edited since%'"
        )),
        1
    );
    // The new copy is remembered in place of the old.
    let third = source_line(&archive.collect_ok(TAG, &[&file]));
    assert!(third.contains(": 0 new, 0 updated,"), "{third}");
    assert_eq!(known_in(&third), known_in(&second) + 1, "{second}\n{third}");
}

#[test]
fn a_forgotten_post_stays_out_though_its_line_was_read_before() {
    let archive = Archive::new();
    let all = statuses();
    let file = jsonl(&archive, "statuses.jsonl", &all);
    archive.collect_ok(TAG, &[&file]);
    let uri = all[5]["uri"].as_str().unwrap();
    let remembered = archive.count("SELECT count(DISTINCT hash) FROM records");
    let db = archive.db.to_string_lossy().into_owned();
    let run = archive.tagstory(&["forget", "--db", &db, "--post", uri]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Every record that made the post is forgotten with it.
    assert!(archive.count("SELECT count(DISTINCT hash) FROM records") < remembered);
    let second = source_line(&archive.collect_ok(TAG, &[&file]));
    assert!(second.contains(": 0 new,"), "{second}");
    assert_eq!(
        archive.count(&format!("SELECT count(*) FROM posts WHERE uri = '{uri}'")),
        0
    );
    assert!(!story(&archive, TAG).to_string().contains(uri));
}

#[test]
fn a_mistyped_tag_still_hears_the_tags_of_known_lines() {
    let typo = TAG.replace("ss", "s");
    let hint = |run: &crate::support::Run| {
        run.stderr
            .lines()
            .find(|l| l.contains("the most used tags here are"))
            .unwrap_or_else(|| panic!("no hint in:\n{}", run.stderr))
            .to_string()
    };
    let fresh = Archive::new();
    let file = jsonl(&fresh, "statuses.jsonl", &statuses());
    let expected = hint(&fresh.collect(&typo, &[&file]));
    assert!(
        expected.contains("#dearmentalhealthprofessionals"),
        "{expected}"
    );

    let archive = Archive::new();
    let file = jsonl(&archive, "statuses.jsonl", &statuses());
    archive.collect_ok(TAG, &[&file]);
    let run = archive.collect(&typo, &[&file]);
    assert!(known_in(&source_line(&run)) > 0, "{}", run.stderr);
    assert_eq!(hint(&run), expected);
}

/// The statuses again under new ids (`copy` appended to every id, in URIs too), so that a
/// copy makes the same threads apart from the others.
fn copy_of(statuses: &[Value], copy: usize) -> Vec<Value> {
    statuses
        .iter()
        .map(|s| {
            let mut text = s.to_string();
            for id in statuses.iter().filter_map(|s| s["id"].as_str()) {
                text = text.replace(id, &format!("{id}{copy}"));
            }
            serde_json::from_str(&text).unwrap()
        })
        .collect()
}

/// A status no story wants: untagged, no reply.
fn unrelated(n: usize) -> Value {
    let mut status = statuses()[0].clone();
    let id = format!("1190000000000{n:05}");
    status["id"] = id.clone().into();
    status["uri"] = format!("https://care.example/users/ruth/statuses/{id}").into();
    status["url"] = format!("https://care.example/@ruth/{id}").into();
    status["content"] = "<p>Lunch.</p>".into();
    status["tags"] = serde_json::json!([]);
    status
}

#[test]
fn array_elements_are_remembered_one_by_one() {
    let base = statuses();
    // Two chunks' worth of wanted statuses, then some with unwanted ones between them.
    let mut all = copy_of(&base, 0);
    all.extend(copy_of(&base, 1));
    for (i, status) in copy_of(&base, 2).into_iter().enumerate() {
        all.push(status);
        if i % 5 == 0 {
            all.push(unrelated(i));
        }
    }
    let unwanted = all.len() - 3 * base.len();
    let archive = Archive::new();
    let file = archive.file(
        "statuses.json",
        &serde_json::to_string_pretty(&all).unwrap(),
    );
    let first = source_line(&archive.collect_ok(TAG, &[&file]));
    assert!(
        first.contains(&format!(" {unwanted} skipped as untagged")),
        "{first}"
    );
    let story_before = story(&archive, TAG);
    let second = source_line(&archive.collect_ok(TAG, &[&file]));
    // Every element, the unwanted too: their places are remembered apart (`passed`).
    assert_eq!(known_in(&second), all.len() as u64, "{second}");
    assert_eq!(
        archive.count("SELECT count(*) FROM passed"),
        unwanted as i64
    );
    assert_eq!(posts_read(&first), posts_read(&second));
    assert!(second.contains(": 0 new, 0 updated,"), "{second}");
    assert!(
        second.contains(&format!(" {unwanted} skipped as untagged")),
        "{second}"
    );
    assert_eq!(story(&archive, TAG), story_before);
}

#[test]
fn an_outbox_and_a_twitter_archive_are_remembered_item_by_item() {
    for (source, format, tag) in [
        ("activitypub/export/outbox.json", "activitypub", TAG),
        ("twitter/archive", "twitter-archive", "tidepools"),
    ] {
        let archive = Archive::new();
        let path = fixture(source);
        let line = |run: crate::support::Run| {
            run.stderr
                .lines()
                .find(|l| l.contains(&format!("({format}): ")))
                .unwrap_or_else(|| panic!("{}", run.stderr))
                .to_string()
        };
        let first = line(archive.collect_ok(tag, &[&path]));
        let story_before = story(&archive, tag);
        let second = line(archive.collect_ok(tag, &[&path]));
        assert_eq!(known_in(&first), 0, "{first}");
        assert!(known_in(&second) > 0, "{second}");
        assert_eq!(posts_read(&first), posts_read(&second), "{source}");
        assert!(second.contains(": 0 new, 0 updated,"), "{second}");
        assert_eq!(story(&archive, tag), story_before, "{source}");
    }
}

/// A twarc 2 line is a page of tweets: each tweet is a record of its own, so that one the
/// story does not want keeps none of the others from being remembered.
#[test]
fn the_tweets_of_a_twarc2_page_are_remembered_one_by_one() {
    let archive = Archive::new();
    let page: Value = serde_json::from_str(
        std::fs::read_to_string(fixture("mixed/twarc2-search.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let mut mixed = page.clone();
    let mut untagged = page["data"][1].clone();
    untagged["id"] = "364000000000009999".into();
    untagged["text"] = "Lunch.".into();
    untagged.as_object_mut().unwrap().remove("entities");
    untagged
        .as_object_mut()
        .unwrap()
        .remove("referenced_tweets");
    untagged
        .as_object_mut()
        .unwrap()
        .remove("in_reply_to_user_id");
    untagged["conversation_id"] = "364000000000009999".into();
    mixed["data"].as_array_mut().unwrap().push(untagged);
    let text = format!("{page}\n{mixed}\n");
    let file = archive.file("tweets.jsonl", &text);
    let line = |run: crate::support::Run| {
        run.stderr
            .lines()
            .find(|l| l.contains("(twarc2): "))
            .unwrap_or_else(|| panic!("{}", run.stderr))
            .to_string()
    };
    let first = line(archive.collect_ok(TAG, &[&file]));
    assert!(first.contains(" 1 skipped as untagged"), "{first}");
    let story_before = story(&archive, TAG);
    let second = line(archive.collect_ok(TAG, &[&file]));
    // The tweets of both pages, the untagged one too; the retweet, which makes no post (a
    // boost only) to remember it by, is read again.
    assert_eq!(known_in(&second), 5, "{second}");
    assert_eq!(posts_read(&first), posts_read(&second));
    assert!(second.contains(": 0 new, 0 updated,"), "{second}");
    assert!(second.contains(" 1 skipped as untagged"), "{second}");
    assert_eq!(story(&archive, TAG), story_before);
}

#[test]
fn a_second_collect_takes_every_element_of_a_long_array_from_the_archive() {
    // Several chunks' worth of elements, the first chunk's read before the format is known:
    // each is still fingerprinted and, the second time, not read.
    let all: Vec<Value> = (0..5).flat_map(|_| statuses()).collect();
    assert!(all.len() > 3 * 64, "{}", all.len());
    let archive = Archive::new();
    let file = archive.file("statuses.json", &Value::Array(all.clone()).to_string());
    let first = source_line(&archive.collect_ok(TAG, &[&file]));
    assert_eq!(known_in(&first), 0, "{first}");
    let story_before = story(&archive, TAG);
    let second = source_line(&archive.collect_ok(TAG, &[&file]));
    assert_eq!(known_in(&second), all.len() as u64, "{second}");
    assert_eq!(posts_read(&first), posts_read(&second));
    assert!(second.contains(": 0 new, 0 updated, "), "{second}");
    assert_eq!(story(&archive, TAG), story_before);
}

/// A record's post as `records` keeps it: fingerprint, post, URI, parent, and the parent's
/// local id with the hashtags in order of name.
type RecordRow = (Vec<u8>, i64, String, Option<String>, String);

/// What each record keeps of its posts.
fn records_kept(archive: &Archive) -> Vec<RecordRow> {
    let conn = rusqlite::Connection::open(&archive.db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT hash, post_id, uri, parent, coalesce(parent_server, '') || ' ' ||
                 coalesce(parent_local, ''), tags FROM records ORDER BY hash, post_id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        let mut tags: Vec<String> = r
            .get::<_, String>(5)?
            .split(' ')
            .map(str::to_string)
            .collect();
        tags.sort();
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            format!("{} / {}", r.get::<_, String>(4)?, tags.join(" ")),
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// An archive of version 12 kept only which posts each record made; version 13 keeps their
/// places in the reply graph and their hashtags too, which a second collect stages from.
/// Upgraded, an archive's records hold what a collect would have kept, and a second collect
/// takes every line from there and changes nothing.
#[test]
fn the_records_of_a_version_12_archive_get_their_posts_places_when_upgraded() {
    let archive = Archive::new();
    let all = statuses();
    let file = jsonl(&archive, "statuses.jsonl", &all);
    archive.collect_ok(TAG, &[&file]);
    let kept = records_kept(&archive);
    assert!(kept.len() > 30, "{}", kept.len());
    assert!(kept.iter().any(|(_, _, _, parent, _)| parent.is_some()));
    let story_before = story(&archive, TAG);
    // Back to version 12's table (schema v11's records, v12's `passed`).
    rusqlite::Connection::open(&archive.db)
        .unwrap()
        .execute_batch(
            "CREATE TABLE records_v12 (hash BLOB NOT NULL, post_id INTEGER NOT NULL,
                 text_tags INTEGER NOT NULL DEFAULT 0 CHECK (text_tags IN (0, 1)),
                 PRIMARY KEY (hash, post_id)) WITHOUT ROWID;
             INSERT INTO records_v12 SELECT hash, post_id, text_tags FROM records;
             DROP TRIGGER records_post_delete;
             DROP TRIGGER records_forgotten;
             DROP TABLE records;
             ALTER TABLE records_v12 RENAME TO records;
             CREATE INDEX records_post ON records(post_id);
             CREATE TRIGGER records_post_delete AFTER DELETE ON posts BEGIN
                 DELETE FROM records WHERE hash IN (SELECT hash FROM records WHERE post_id = old.id);
             END;
             PRAGMA user_version = 12;",
        )
        .unwrap();
    let second = source_line(&archive.collect_ok(TAG, &[&file]));
    assert_eq!(known_in(&second), all.len() as u64, "{second}");
    assert!(second.contains(": 0 new, 0 updated, "), "{second}");
    assert_eq!(records_kept(&archive), kept);
    assert_eq!(story(&archive, TAG), story_before);
    // And it forgets them as a new archive does.
    assert_eq!(
        archive.count("SELECT count(*) FROM sqlite_schema WHERE name = 'records_forgotten'"),
        1
    );
}

/// `n` new statuses made from `like`, outside every thread and untagged: more than the writer
/// reads at a time (500) puts what comes after them in a later batch.
fn untagged(like: &Value, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut new = like.clone();
            let id = format!("1190000000000{i:05}");
            new["uri"] = format!("https://care.example/users/ruth/statuses/{id}").into();
            new["url"] = format!("https://care.example/@ruth/{id}").into();
            new["id"] = id.into();
            new["in_reply_to_id"] = Value::Null;
            new["content"] = "<p>Nothing tagged here</p>".into();
            new["tags"] = serde_json::json!([]);
            new
        })
        .collect()
}

/// An archive of every status (one per line), the deletion of one of its posts
/// (`status-deleted.json`), and a count of that post in the archive, 1 so far.
fn collected_before_a_deletion() -> (Archive, Vec<Value>, Value, String) {
    let archive = Archive::new();
    let all = statuses();
    let file = jsonl(&archive, "statuses.jsonl", &all);
    archive.collect_ok(TAG, &[&file]);
    let deleted: Value = serde_json::from_slice(
        &std::fs::read(fixture("mastodon-api/status-deleted.json")).unwrap(),
    )
    .unwrap();
    let held = format!(
        "SELECT count(*) FROM posts WHERE uri = '{}'",
        deleted["uri"].as_str().unwrap()
    );
    assert_eq!(archive.count(&held), 1);
    (archive, all, deleted, held)
}

/// A second collect looks its known lines up many at a time, but stages them where they stand
/// in the file, among the lines read anew: a deletion after a known line takes the post that
/// line made. (Staged after the lines read anew, the known lines would be written in a later
/// batch than the deletion, and their deleted post counted as erased by a refusal.)
#[test]
fn known_lines_keep_their_place_among_lines_read_anew() {
    let (archive, all, deleted, held) = collected_before_a_deletion();
    let mut then = all.clone();
    then.push(deleted);
    then.extend(untagged(&all[0], 600));
    let file = jsonl(&archive, "then-deleted.jsonl", &then);
    let line = source_line(&archive.collect_ok(TAG, &[&file]));
    assert_eq!(known_in(&line), all.len() as u64, "{line}");
    assert!(line.contains("600 skipped as untagged"), "{line}");
    assert!(line.contains("1 deletion"), "{line}");
    assert!(!line.contains("asked not to be archived"), "{line}");
    assert_eq!(archive.count(&held), 0);
}

/// A known line whose post a deletion earlier in the same file erased (in an earlier batch of
/// the writer's) is not kept: the writer asks whether each known post still exists.
#[test]
fn a_known_line_after_the_deletion_of_its_post_is_not_kept() {
    let (archive, all, deleted, held) = collected_before_a_deletion();
    let uri = deleted["uri"].as_str().unwrap().to_string();
    let mut then = vec![deleted];
    then.extend(untagged(&all[0], 600));
    then.extend(all.iter().cloned());
    let file = jsonl(&archive, "deleted-first.jsonl", &then);
    let line = source_line(&archive.collect_ok(TAG, &[&file]));
    assert!(line.contains("1 deletion"), "{line}");
    assert_eq!(archive.count(&held), 0);
    assert_eq!(
        archive.count(
            "SELECT count(*) FROM story_posts sp LEFT JOIN posts p ON p.id = sp.post_id
             WHERE p.id IS NULL"
        ),
        0
    );
    let story = archive.story_json(TAG).to_string();
    assert!(
        !story.contains(&uri),
        "the deleted post is back in the story"
    );
}
