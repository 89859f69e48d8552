use super::*;
use crate::model::{Author, Boost, Deletion, Post};
use crate::store::media::{ArchivedMedia, MediaUse, sha256_hex};
use chrono::{DateTime, Utc};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub(super) fn post(uri: &str, text: &str, created: &str) -> Post {
    Post {
        uri: uri.into(),
        url: None,
        author: Author {
            uri: "https://a.example/users/ana".into(),
            handle: "@ana@a.example".into(),
            name: "Ana".into(),
            url: None,
            avatar: None,
            ..Default::default()
        },
        created_at: t(created),
        edited_at: None,
        content_html: format!("<p>{text}</p>"),
        text: text.into(),
        language: Some("en".into()),
        in_reply_to: None,
        in_reply_to_local: None,
        local_id: None,
        conversation: None,
        sensitive: false,
        spoiler_text: None,
        tags: vec!["care".into()],
        has_structured_tags: true,
        media: vec![],
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        source_json: "{}".into(),
        reply_count: crate::model::ReplyCount::Unread,
    }
}

fn write(store: &mut Store, p: &Post) -> PostOutcome {
    let mut w = store.begin_source("test", "mem", "care").unwrap();
    let outcome = w.upsert_post(p, None, Reason::Tagged).unwrap();
    w.commit(&SourceCounts::default()).unwrap();
    outcome
}

#[test]
fn migrates_once_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let mode: String = store
        .connection()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn refuses_an_archive_from_the_future() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Store::open(&path).err().unwrap();
    assert!(format!("{err:#}").contains("schema version 99"), "{err:#}");
}

#[test]
fn newer_version_replaces_older_and_not_the_reverse() {
    let mut store = Store::open_in_memory().unwrap();
    let old = post("https://a.example/1", "first words", "2026-08-20T08:00:00Z");
    let mut new = post(
        "https://a.example/1",
        "better words",
        "2026-08-20T08:00:00Z",
    );
    new.edited_at = Some(t("2026-08-20T09:00:00Z"));
    assert_eq!(write(&mut store, &old), PostOutcome::New);
    assert_eq!(write(&mut store, &old), PostOutcome::Unchanged);
    assert_eq!(write(&mut store, &new), PostOutcome::Updated);
    assert_eq!(write(&mut store, &old), PostOutcome::Unchanged);
    let story = store.load_story("care").unwrap();
    assert_eq!(story.len(), 1);
    assert_eq!(story[0].text, "better words");
    let hits: i64 = store
        .connection()
        .query_row(
            "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'better'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hits, 1);
}

#[test]
fn deletion_erases_and_keeps_old_copies_out() {
    let mut store = Store::open_in_memory().unwrap();
    let p = post("https://a.example/2", "regret this", "2026-08-20T08:00:00Z");
    write(&mut store, &p);
    let mut w = store.begin_source("test", "mem", "care").unwrap();
    let d = Deletion {
        uri: p.uri.clone(),
        deleted_at: None,
    };
    assert!(w.delete_post(&d).unwrap());
    assert!(!w.delete_post(&d).unwrap());
    w.commit(&SourceCounts::default()).unwrap();
    assert_eq!(write(&mut store, &p), PostOutcome::Deleted);
    assert!(store.load_story("care").unwrap().is_empty());
    let left: i64 = store
        .connection()
        .query_row(
            "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'regret'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "deleted text must leave the search index too");
}

#[test]
fn uncommitted_source_leaves_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    {
        let mut w = store.begin_source("test", "mem", "care").unwrap();
        w.upsert_post(
            &post("https://a.example/3", "x", "2026-08-20T08:00:00Z"),
            None,
            Reason::Tagged,
        )
        .unwrap();
    }
    let n: i64 = store
        .connection()
        .query_row(
            "SELECT (SELECT count(*) FROM posts) + (SELECT count(*) FROM sources)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn a_source_that_cannot_begin_leaves_no_transaction_open() {
    let mut store = Store::open_in_memory().unwrap();
    store
        .connection()
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON sources BEGIN SELECT RAISE(ABORT, 'no'); END",
        )
        .unwrap();
    assert!(store.begin_source("test", "mem", "care").is_err());
    assert!(store.connection().is_autocommit());
    store
        .connection()
        .execute_batch("DROP TRIGGER refuse")
        .unwrap();
    let p = post("https://a.example/5", "x", "2026-08-20T08:00:00Z");
    write(&mut store, &p);
}

#[test]
fn boosts_count_once_each() {
    let mut store = Store::open_in_memory().unwrap();
    let p = post("https://a.example/4", "boost me", "2026-08-20T08:00:00Z");
    write(&mut store, &p);
    let mut w = store.begin_source("test", "mem", "care").unwrap();
    for (uri, again) in [("b1", false), ("b2", false), ("b1", true)] {
        let b = Boost {
            uri: uri.into(),
            post_uri: p.uri.clone(),
            booster: "https://b.example/users/bo".into(),
            created_at: None,
        };
        assert_eq!(w.add_boost(&b).unwrap(), !again);
    }
    w.commit(&SourceCounts::default()).unwrap();
    assert_eq!(store.load_story("care").unwrap()[0].boosts, 2);
}

/// Columns, indexes and triggers of every table, as comparable text.
fn structure(conn: &rusqlite::Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare(
            "SELECT m.type, m.name, m.tbl_name, coalesce(group_concat(
                 c.name || ' ' || c.type || ' ' || c.\"notnull\" || ' ' || coalesce(c.dflt_value, '') || ' ' || c.pk, ', '), '')
             FROM sqlite_schema m LEFT JOIN pragma_table_info(m.name) c ON m.type = 'table'
             WHERE m.name NOT LIKE 'sqlite_%'
             GROUP BY m.type, m.name ORDER BY m.type, m.name",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok(format!(
            "{} {} on {}: {}",
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn a_version_1_archive_upgrades_to_the_current_schema_and_keeps_its_posts() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("v1.db");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/archives/v1.db"),
        &old,
    )
    .unwrap();
    let before: i64 = rusqlite::Connection::open(&old)
        .unwrap()
        .query_row("SELECT count(*) FROM posts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(before, 48, "the v1 fixture archive holds the sample story");

    let upgraded = Store::open(&old).unwrap();
    assert_eq!(upgraded.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(
        upgraded
            .load_story("dearmentalhealthprofessionals")
            .unwrap()
            .len(),
        48
    );
    let fresh = Store::open(&dir.path().join("fresh.db")).unwrap();
    let (a, b) = (
        structure(upgraded.connection()),
        structure(fresh.connection()),
    );
    assert!(a.len() > 10);
    assert_eq!(
        a, b,
        "upgrading must give exactly the schema a new archive gets"
    );
}

#[test]
fn replaced_and_older_versions_become_revisions() {
    let mut store = Store::open_in_memory().unwrap();
    let v1 = post("https://a.example/5", "first", "2026-08-20T08:00:00Z");
    let mut v2 = post("https://a.example/5", "second", "2026-08-20T08:00:00Z");
    v2.edited_at = Some(t("2026-08-20T09:00:00Z"));
    let mut v3 = v2.clone();
    v3.text = "third".into();
    v3.edited_at = Some(t("2026-08-20T10:00:00Z"));
    write(&mut store, &v2);
    write(&mut store, &v3);
    write(&mut store, &v1);
    write(&mut store, &v1);
    let story = store.load_story("care").unwrap();
    let texts: Vec<&str> = story[0].revisions.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(story[0].text, "third");
    assert_eq!(texts, ["first", "second"]);
}

#[test]
fn a_curated_story_keeps_its_order_and_a_second_collection_replaces_it() {
    use crate::model::{Curated, StoryInfo};
    let mut store = Store::open_in_memory().unwrap();
    let info = StoryInfo {
        url: "https://storify.example/s/1".into(),
        title: "What helped".into(),
        intro_html: "<p>Collected after the day.</p>".into(),
        curator: None,
        published_at: Some(t("2013-08-21T10:00:00Z")),
        positions: None,
    };
    for entries in [3, 2] {
        let mut w = store.begin_source("storify", "s.json", "care").unwrap();
        w.begin_curated_story(&info).unwrap();
        for i in 0..entries {
            let entry = if i % 2 == 0 {
                Curated::Note {
                    html: format!("<p>note {i}</p>"),
                }
            } else {
                Curated::Post {
                    uri: format!("https://a.example/{i}"),
                }
            };
            w.curate(&info.url, i, &entry).unwrap();
        }
        w.commit(&SourceCounts::default()).unwrap();
    }
    let stories = store.load_curations("care").unwrap();
    assert_eq!(stories.len(), 1);
    assert_eq!(stories[0].title, "What helped");
    assert_eq!(
        stories[0].entries,
        [
            (None, Some("<p>note 0</p>".to_string())),
            (Some("https://a.example/1".to_string()), None)
        ]
    );
}

#[test]
fn of_two_copies_of_one_version_the_richer_wins_whatever_the_order() {
    use crate::model::Media;
    let truncated = post(
        "https://a.example/6",
        "Thank you for asking what name I ...",
        "2026-08-20T08:00:00Z",
    );
    let mut full = post(
        "https://a.example/6",
        "Thank you for asking what name I wanted, and then using it.",
        "2026-08-20T08:00:00Z",
    );
    full.media = vec![Media {
        url: "https://a.example/m.png".into(),
        kind: "image".into(),
        alt: Some("A handwritten name badge".into()),
        width: None,
        height: None,
        preview: None,
    }];
    for order in [[&truncated, &full], [&full, &truncated]] {
        let mut store = Store::open_in_memory().unwrap();
        for p in order {
            write(&mut store, p);
        }
        write(&mut store, order[0]);
        let story = store.load_story("care").unwrap();
        assert_eq!(story[0].text, full.text);
        assert_eq!(story[0].media.len(), 1);
        assert!(
            story[0].revisions.is_empty(),
            "a richer copy is not an edit"
        );
    }
}

#[test]
fn an_export_s_file_name_never_replaces_an_avatar_s_web_address() {
    let mut from_api = post("https://a.example/8", "hello", "2026-08-20T08:00:00Z");
    from_api.author.avatar = Some("https://a.example/avatars/ana.png".into());
    from_api.author.name = "Ana".into();
    let mut from_export = from_api.clone();
    from_export.author.avatar = Some("avatar.png".into());
    from_export.author.name = "Ana B.".into();
    for order in [[&from_api, &from_export], [&from_export, &from_api]] {
        let mut store = Store::open_in_memory().unwrap();
        for p in order {
            write(&mut store, p);
        }
        let story = store.load_story("care").unwrap();
        assert_eq!(
            story[0].author_avatar.as_deref(),
            Some("https://a.example/avatars/ana.png")
        );
    }
    // A path stands when there is nothing better.
    let mut store = Store::open_in_memory().unwrap();
    write(&mut store, &from_export);
    let story = store.load_story("care").unwrap();
    assert_eq!(story[0].author_avatar.as_deref(), Some("avatar.png"));
}

#[test]
fn a_copy_naming_a_video_s_poster_fills_it_in_and_the_story_lists_it_as_a_picture() {
    let bare = post_with_media(
        "https://a.example/7",
        "https://a.example/ana.png",
        &[("https://a.example/clip.mp4", "video")],
        "https://a.example/e.png",
    );
    let mut with_poster = bare.clone();
    with_poster.media[0].preview = Some("https://a.example/clip.jpg".into());
    let mut store = Store::open_in_memory().unwrap();
    write(&mut store, &bare);
    write(&mut store, &with_poster);
    write(&mut store, &bare);
    let story = store.load_story("care").unwrap();
    assert_eq!(
        story[0].media[0].preview_url.as_deref(),
        Some("https://a.example/clip.jpg"),
        "an archive collected before posters were kept gets them from a new copy"
    );
    let urls = store.media_urls_of_story("care").unwrap();
    let poster = urls
        .iter()
        .find(|u| u.url == "https://a.example/clip.jpg")
        .expect("the poster is fetched");
    assert_eq!(poster.used_as, MediaUse::Preview);
    assert!(poster.used_as.is_picture());
}

#[test]
fn a_version_5_archive_upgrades_to_the_current_schema_with_room_for_media() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("v5.db");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/archives/v5.db"),
        &old,
    )
    .unwrap();
    let mut upgraded = Store::open(&old).unwrap();
    assert_eq!(upgraded.schema_version().unwrap(), SCHEMA_VERSION);
    let tag = "dearmentalhealthprofessionals";
    assert_eq!(upgraded.load_story(tag).unwrap().len(), 48);
    let urls = upgraded.media_urls_of_story(tag).unwrap();
    assert_eq!(
        urls.iter().filter(|u| u.used_as == MediaUse::Image).count(),
        4,
        "the story's four care.example pictures"
    );
    assert!(urls.iter().any(|u| u.used_as == MediaUse::Avatar));
    assert!(
        upgraded
            .archived_media(urls.iter().map(|u| &u.url))
            .unwrap()
            .is_empty()
    );
    upgraded
        .put_media(&urls[0].url, "image/png", b"\x89PNG\r\n\x1A\nrest")
        .unwrap();
    assert_eq!(upgraded.archived_media([&urls[0].url]).unwrap().len(), 1);

    let fresh = Store::open(&dir.path().join("fresh.db")).unwrap();
    assert_eq!(
        structure(upgraded.connection()),
        structure(fresh.connection()),
        "upgrading must give exactly the schema a new archive gets"
    );
}

/// A post by `author` (with an avatar) carrying `media` (URL, kind) and one custom emoji.
fn post_with_media(uri: &str, avatar: &str, media: &[(&str, &str)], emoji: &str) -> Post {
    let mut p = post(uri, "with pictures", "2026-08-20T08:00:00Z");
    p.author.avatar = Some(avatar.into());
    p.media = media
        .iter()
        .map(|(url, kind)| crate::model::Media {
            url: (*url).into(),
            kind: (*kind).into(),
            alt: None,
            width: None,
            height: None,
            preview: None,
        })
        .collect();
    p.emojis = vec![crate::model::CustomEmoji {
        shortcode: "blobheart".into(),
        url: emoji.into(),
    }];
    p
}

#[test]
fn a_story_names_each_media_url_once_with_its_largest_use() {
    let mut store = Store::open_in_memory().unwrap();
    let a = post_with_media(
        "https://a.example/1",
        "https://a.example/ana.png",
        &[
            ("https://a.example/cat.jpg", "image"),
            ("https://a.example/clip.mp4", "gifv"),
        ],
        "https://a.example/emoji/heart.png",
    );
    // The same picture as an attachment and as a video's URL: the video's larger limit wins.
    let b = post_with_media(
        "https://a.example/2",
        "https://a.example/ana.png",
        &[
            ("https://a.example/cat.jpg", "image"),
            ("https://a.example/cat.jpg", "video"),
        ],
        "https://a.example/emoji/heart.png",
    );
    write(&mut store, &a);
    write(&mut store, &b);
    let urls: Vec<(String, MediaUse)> = store
        .media_urls_of_story("care")
        .unwrap()
        .into_iter()
        .map(|u| (u.url, u.used_as))
        .collect();
    let want = [
        ("https://a.example/ana.png", MediaUse::Avatar),
        ("https://a.example/cat.jpg", MediaUse::Video),
        ("https://a.example/clip.mp4", MediaUse::Video),
        ("https://a.example/emoji/heart.png", MediaUse::Emoji),
    ];
    assert_eq!(urls, want.map(|(u, k)| (u.to_owned(), k)).to_vec());
    assert!(store.media_urls_of_story("other").unwrap().is_empty());
}

#[test]
fn the_same_bytes_under_two_urls_are_kept_once() {
    let mut store = Store::open_in_memory().unwrap();
    let bytes = b"GIF89a\x01\x00\x01\x00same";
    let first = store
        .put_media("https://a.example/x.gif", "image/gif", bytes)
        .unwrap();
    let second = store
        .put_media("https://b.example/y.gif", "image/gif", bytes)
        .unwrap();
    assert!(first.new_bytes && !second.new_bytes);
    assert_eq!(first.sha256, second.sha256);
    assert_eq!(first.sha256, sha256_hex(bytes));
    let count = |sql: &str| -> i64 { store.connection().query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM blobs"), 1);
    assert_eq!(count("SELECT count(*) FROM media_files"), 2);

    let found = store
        .archived_media([
            "https://a.example/x.gif",
            "https://b.example/y.gif",
            "https://c.example/z",
        ])
        .unwrap();
    assert_eq!(found.len(), 2);
    let want = ArchivedMedia {
        sha256: first.sha256.clone(),
        mime: "image/gif".into(),
        size: bytes.len() as u64,
    };
    assert_eq!(found["https://b.example/y.gif"], want);
    assert_eq!(store.blob(&first.sha256).unwrap().unwrap(), bytes);
    assert_eq!(store.blob(&sha256_hex(b"other")).unwrap(), None);
}

#[test]
fn failures_are_counted_until_the_file_is_kept_and_never_replace_it() {
    let mut store = Store::open_in_memory().unwrap();
    let url = "https://a.example/x.png";
    let row = |store: &Store| -> (Option<String>, Option<String>, i64) {
        store
            .connection()
            .query_row(
                "SELECT sha256, failure, failures FROM media_files WHERE url = ?1",
                [url],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
    };
    store
        .record_media_failure(url, "network", "timed out")
        .unwrap();
    store.record_media_failure(url, "gone", "HTTP 404").unwrap();
    assert_eq!(row(&store), (None, Some("gone".into()), 2));
    assert!(store.archived_media([url]).unwrap().is_empty());

    let kept = store
        .put_media(url, "image/png", b"\x89PNG\r\n\x1A\n")
        .unwrap();
    assert_eq!(row(&store), (Some(kept.sha256.clone()), None, 2));
    store.record_media_failure(url, "network", "later").unwrap();
    assert_eq!(
        row(&store),
        (Some(kept.sha256), None, 2),
        "a kept file stays kept"
    );
}

/// One writer meets an author's profile several times, in several states: each row read back
/// is what the rules say, whether the writer had the author cached or not.
#[test]
fn an_author_s_row_follows_the_profiles_met_in_one_source() {
    let mut store = Store::open_in_memory().unwrap();
    let ruth = |name: &str, avatar: Option<&str>| Author {
        uri: "https://care.example/users/ruth".into(),
        handle: "@ruth@care.example".into(),
        name: name.into(),
        avatar: avatar.map(Into::into),
        ..Default::default()
    };
    let web = Some("https://care.example/ruth.png");
    let steps = [
        (ruth("Ruth", web), ("Ruth", web)),
        // Renamed.
        (ruth("Ruth B.", web), ("Ruth B.", web)),
        // Known only by its URI and handle: overwrites nothing.
        (ruth("", None), ("Ruth B.", web)),
        (ruth("Ruth B.", web), ("Ruth B.", web)),
        // An export's own file name never replaces a web link.
        (ruth("Ruth B.", Some("avatar.png")), ("Ruth B.", web)),
        (ruth("Ruth", web), ("Ruth", web)),
        (
            ruth("Ruth", Some("https://care.example/new.png")),
            ("Ruth", Some("https://care.example/new.png")),
        ),
    ];
    let mut w = store.begin_source("test", "mem", "care").unwrap();
    let mut ids = Vec::new();
    for (met, (name, avatar)) in &steps {
        ids.push(w.upsert_author(met).unwrap());
        let row: (String, Option<String>) =
            w.tx.query_row(
                "SELECT name, avatar_url FROM authors WHERE uri = ?1",
                [&met.uri],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            row,
            (name.to_string(), avatar.map(str::to_string)),
            "after {met:?}"
        );
    }
    assert!(ids.iter().all(|&id| id == ids[0]), "{ids:?}");
    // A bulk change to the authors table between two posts is seen after the cache is dropped.
    w.tx.execute("UPDATE authors SET name = 'Erased'", [])
        .unwrap();
    w.forget_cached_authors();
    w.upsert_author(&steps[6].0).unwrap();
    let name: String =
        w.tx.query_row("SELECT name FROM authors", [], |r| r.get(0))
            .unwrap();
    assert_eq!(name, "Ruth");
}

#[test]
fn sorts_run_with_a_small_sorter_and_give_the_cache_back_even_when_they_fail() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("a.db")).unwrap();
    store.size_cache_for(1 << 40, 0).unwrap();
    let cache = |conn: &Connection| -> rusqlite::Result<i64> {
        conn.pragma_query_value(None, "cache_size", |row| row.get(0))
    };
    let full = cache(&store.conn).unwrap();
    assert_eq!(full, -i64::try_from(MAX_CACHE_KIB).unwrap());

    let during = store.with_small_sorter(|conn| cache(conn)).unwrap();
    assert_eq!(during, -i64::from(SORTER_KIB));
    assert_eq!(cache(&store.conn).unwrap(), full);

    let failed = store.with_small_sorter(|conn| conn.execute_batch("CREATE INDEX x ON nowhere(y)"));
    assert!(failed.is_err());
    assert_eq!(cache(&store.conn).unwrap(), full);
}

/// See: issue 10. The staging tables are a database of their own, attached for a run and
/// deleted at its end (never a table of the archive), and a run that begins after one that
/// failed before its end starts from empty tables.
#[test]
fn staging_is_a_database_of_its_own_that_ends_with_the_run() {
    use crate::model::Item;
    use crate::store::staging::{GraphPlace, StageRow, StagedItem};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("a.db")).unwrap();
    let stage = |uri: &str| {
        let place = GraphPlace {
            uri: Some(uri.into()),
            tagged: true,
            ..Default::default()
        };
        let item = Item::Post(Box::new(post(uri, "#t", "2024-01-01T00:00:00Z")));
        StageRow::Item(Box::new(StagedItem::new(item, place).unwrap()))
    };
    let staged = |store: &Store| {
        store
            .conn
            .query_row("SELECT count(*) FROM stage.staged", [], |r| {
                r.get::<_, i64>(0)
            })
    };
    store.begin_staging().unwrap();
    let rows = vec![stage("https://a.example/1"), stage("https://a.example/2")];
    store.stage(0, "t", rows).unwrap();
    assert_eq!(staged(&store).unwrap(), 2);
    let in_archive: i64 = store
        .conn
        .query_row(
            "SELECT count(*) FROM main.sqlite_schema WHERE name LIKE 'staged%'
             OR name IN ('story_selected', 'selected_rows')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(in_archive, 0);

    store.begin_staging().unwrap();
    assert_eq!(staged(&store).unwrap(), 0);
    store
        .stage(0, "t", vec![stage("https://a.example/3")])
        .unwrap();
    store.end_staging().unwrap();
    let error = staged(&store).unwrap_err().to_string();
    assert!(error.contains("no such table"), "{error}");
    store.end_staging().unwrap();
    store.begin_staging().unwrap();
    assert_eq!(staged(&store).unwrap(), 0);
}

/// Stages a run of posts tagged #t at `uris` (as source 0) and decides which join the story.
pub(super) fn stage_tagged(store: &mut Store, uris: &[&str]) {
    use crate::model::Item;
    use crate::store::staging::{GraphPlace, StageRow, StagedItem};
    store.begin_staging().unwrap();
    let rows = uris
        .iter()
        .map(|uri| {
            let place = GraphPlace {
                uri: Some((*uri).into()),
                tagged: true,
                ..Default::default()
            };
            let item = Item::Post(Box::new(post(uri, "#t", "2024-01-01T00:00:00Z")));
            StageRow::Item(Box::new(StagedItem::new(item, place).unwrap()))
        })
        .collect();
    store.stage(0, "t", rows).unwrap();
    store.decide_membership("t").unwrap();
}

/// See: issue 10. When a run selects more posts than the archive holds, the index of posts'
/// parents is set aside while a source is written and built at its end: absent
/// meanwhile, as the archive had them after it commits, untouched when it fails, and kept
/// throughout by an archive that holds more posts than the run brings.
#[test]
fn deferred_indexes_are_set_aside_while_writing_and_back_after() {
    let indexes = |conn: &Connection| -> Vec<(String, String)> {
        conn.prepare(
            "SELECT name, sql FROM main.sqlite_schema WHERE type = 'index' AND sql IS NOT NULL
             ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    let deferred = |conn: &Connection| {
        indexes(conn)
            .into_iter()
            .filter(|(name, _)| deferred_indexes::DEFERRED.contains(&name.as_str()))
            .count()
    };
    let mut store = Store::open_in_memory().unwrap();
    let before = indexes(&store.conn);
    assert_eq!(deferred(&store.conn), deferred_indexes::DEFERRED.len());

    stage_tagged(&mut store, &["https://a.example/1", "https://a.example/2"]);
    let mut w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut 0)
        .unwrap();
    w.defer_indexes().unwrap();
    assert_eq!(deferred(w.tx), 0);
    w.upsert_post(
        &post("https://a.example/1", "#t", "2024-01-01T00:00:00Z"),
        None,
        Reason::Tagged,
    )
    .unwrap();
    drop(w);
    assert_eq!(indexes(&store.conn), before, "a failed source rolls back");

    let mut w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut 0)
        .unwrap();
    w.defer_indexes().unwrap();
    assert_eq!(deferred(w.tx), 0);
    for uri in ["https://a.example/1", "https://a.example/2"] {
        let p = post(uri, "#t", "2024-01-01T00:00:00Z");
        w.upsert_post(&p, Some("https://a.example/0"), Reason::Tagged)
            .unwrap();
    }
    w.commit(&SourceCounts::default()).unwrap();
    store.end_staging().unwrap();
    assert_eq!(indexes(&store.conn), before);
    let by_parent: i64 = store
        .conn
        .query_row(
            "SELECT count(*) FROM posts INDEXED BY posts_in_reply_to
             WHERE in_reply_to_uri = 'https://a.example/0'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(by_parent, 2);

    stage_tagged(&mut store, &["https://a.example/3"]);
    let mut w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut 0)
        .unwrap();
    w.defer_indexes().unwrap();
    assert_eq!(deferred(w.tx), deferred_indexes::DEFERRED.len());
}

/// What a collect passed over (`passed`, v12) goes once its author refuses, as soon as a
/// profile seen before without a refusal gains one.
#[test]
fn a_refusal_recorded_later_drops_the_authors_passed_posts() {
    let store = Store::open_in_memory().unwrap();
    store
        .conn
        .execute_batch(
            "INSERT INTO passed (hash, uri, author_uri, tags) VALUES
                 (x'00', 'https://a.example/1', 'https://a.example/sam', ''),
                 (x'01', 'https://a.example/2', 'https://a.example/ida', 'x');
             INSERT INTO author_consent (author_uri, refuses, noindex, seen_at)
                 VALUES ('https://a.example/sam', 0, 1, '2024-01-01T00:00:00Z');",
        )
        .unwrap();
    let left = |store: &Store| -> Vec<String> {
        let mut stmt = store
            .conn
            .prepare("SELECT uri FROM passed ORDER BY uri")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    };
    assert_eq!(left(&store).len(), 2);
    store
        .conn
        .execute(
            "UPDATE author_consent SET refuses = 1 WHERE author_uri = 'https://a.example/sam'",
            [],
        )
        .unwrap();
    assert_eq!(left(&store), ["https://a.example/2"]);
}
