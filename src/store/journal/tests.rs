use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::journal_mode;
use crate::store::tests::{post, stage_tagged};
use crate::store::{Reason, SourceCounts, Store};

const URIS: [&str; 3] = [
    "https://a.example/1",
    "https://a.example/2",
    "https://a.example/3",
];

fn posts(store: &Store) -> i64 {
    store
        .conn
        .query_row("SELECT count(*) FROM posts", [], |r| r.get(0))
        .unwrap()
}

fn foreign_keys(conn: &rusqlite::Connection) -> bool {
    conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap()
}

/// Rows whose foreign key names no row.
fn hanging(conn: &rusqlite::Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })
    .unwrap()
}

fn journal_file(db: &Path) -> std::path::PathBuf {
    super::super::beside(db, "-journal")
}

/// Writes the staged posts at `uris` with `w`, and writes its pages out of the cache into the
/// archive's file, as a source larger than the cache does.
fn write_out(w: &mut crate::store::SourceWriter<'_>, uris: &[&str]) {
    for uri in uris {
        let p = post(uri, "#t", "2024-01-01T00:00:00Z");
        w.upsert_post(&p, None, Reason::Tagged).unwrap();
    }
    w.tx.cache_flush().unwrap();
}

/// An archive at `db` holding the first of [`URIS`], written as a first collect.
fn archive_of_one_post(db: &Path) -> Store {
    let mut store = Store::open(db).unwrap();
    stage_tagged(&mut store, &URIS[..1]);
    let mut w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut 0)
        .unwrap();
    write_out(&mut w, &URIS[..1]);
    w.commit(&SourceCounts::default()).unwrap();
    store.end_source(&mut 0).unwrap();
    store
}

/// See: issue 10. A source that brings more posts than the archive holds is written with a
/// rollback journal, which exists while it is written, and the archive is a WAL archive again
/// once it is; a source smaller than the archive is written in WAL mode.
#[test]
fn a_source_larger_than_the_archive_is_written_with_a_rollback_journal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let mut store = Store::open(&db).unwrap();
    stage_tagged(&mut store, &URIS);
    let mut w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut 0)
        .unwrap();
    assert_eq!(journal_mode(w.tx).unwrap(), "delete");
    assert!(!foreign_keys(w.tx));
    write_out(&mut w, &URIS);
    assert!(journal_file(&db).is_file());
    w.commit(&SourceCounts::default()).unwrap();
    store.end_source(&mut 0).unwrap();
    assert_eq!(journal_mode(&store.conn).unwrap(), "wal");
    assert!(foreign_keys(&store.conn));
    assert_eq!(hanging(&store.conn), 0);
    assert!(!journal_file(&db).exists());
    assert_eq!(posts(&store), 3);

    stage_tagged(&mut store, &["https://a.example/4"]);
    let w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut 0)
        .unwrap();
    assert_eq!(journal_mode(w.tx).unwrap(), "wal");
    assert!(foreign_keys(w.tx));
    drop(w);
    store.end_source(&mut 0).unwrap();
    store.end_staging().unwrap();
    drop(store);
    assert_eq!(posts(&Store::open_read_only(&db).unwrap()), 3);
}

/// See: issue 10. SQLite leaves WAL mode only when no other connection has the archive open:
/// with a render reading it, a large source is written in WAL mode, as before.
#[test]
fn another_connection_keeps_the_archive_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let mut store = archive_of_one_post(&db);
    let reader = Store::open_read_only(&db).unwrap();
    assert_eq!(posts(&reader), 1);

    stage_tagged(&mut store, &URIS);
    let mut w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut 0)
        .unwrap();
    assert_eq!(journal_mode(w.tx).unwrap(), "wal");
    assert!(foreign_keys(w.tx));
    write_out(&mut w, &URIS[1..]);
    w.commit(&SourceCounts::default()).unwrap();
    store.end_source(&mut 0).unwrap();
    assert_eq!(posts(&reader), 3);
}

/// See: issue 10. A large source that fails leaves the archive as it was, in WAL mode; one
/// stopped while it writes leaves a journal that the next collect rolls back, and a render
/// meanwhile says what happened and what to do.
#[test]
fn a_large_source_that_fails_or_is_stopped_leaves_the_archive_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let mut store = archive_of_one_post(&db);

    stage_tagged(&mut store, &URIS);
    let mut w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut 0)
        .unwrap();
    write_out(&mut w, &URIS[1..]);
    // The files as a power cut would leave them: the archive's file holds pages of the
    // unfinished source, its journal what they replaced.
    let stopped = dir.path().join("stopped.db");
    std::fs::copy(&db, &stopped).unwrap();
    std::fs::copy(journal_file(&db), journal_file(&stopped)).unwrap();
    drop(w);
    store.end_source(&mut 0).unwrap();
    assert_eq!(journal_mode(&store.conn).unwrap(), "wal");
    assert_eq!(posts(&store), 1);

    let error = format!("{:#}", Store::open_read_only(&stopped).err().unwrap());
    assert!(error.contains("stopped while it wrote"), "{error}");
    let store = Store::open(&stopped).unwrap();
    assert_eq!(posts(&store), 1);
    let check: String = store
        .conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    assert!(!journal_file(&stopped).exists());
}

/// See: issue 10. A render that starts while a large source is written reads with SQLite's
/// locks, not as a file that cannot change: it waits for the source's commit and reads all
/// of it, never the pages of a source half written.
#[test]
fn a_render_during_a_large_source_waits_for_its_commit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let mut store = Store::open(&db).unwrap();
    stage_tagged(&mut store, &URIS);
    let mut w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut 0)
        .unwrap();
    write_out(&mut w, &URIS);
    let committed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let render = scope.spawn(|| {
            let reader = Store::open_read_only(&db).unwrap();
            let seen = posts(&reader);
            (seen, committed.load(Ordering::SeqCst))
        });
        std::thread::sleep(Duration::from_millis(300));
        committed.store(true, Ordering::SeqCst);
        w.commit(&SourceCounts::default()).unwrap();
        assert_eq!(render.join().unwrap(), (3, true));
    });
}

/// See: issue 10. A large source is written without foreign keys, but they do the erasing: a
/// writer without them refuses to delete a post (the source is then written again with
/// them), and a source with a profile that refuses archiving is written with them.
#[test]
fn a_large_source_erases_nothing_without_foreign_keys() {
    use crate::model::Deletion;
    use crate::store::StageRow;
    use crate::store::journal::NeedsCascades;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("a.db")).unwrap();
    stage_tagged(&mut store, &URIS);
    let mut w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut 0)
        .unwrap();
    write_out(&mut w, &URIS);
    let deletion = Deletion {
        uri: URIS[0].into(),
        deleted_at: None,
    };
    let error = w.delete_post(&deletion).unwrap_err();
    assert!(error.is::<NeedsCascades>(), "{error:#}");
    drop(w);
    store.end_source(&mut 0).unwrap();

    let mut w = store
        .write_staged(0, "mastodon-api", "x", "t", true, &mut 0)
        .unwrap();
    assert_eq!(journal_mode(w.tx).unwrap(), "delete");
    assert!(foreign_keys(w.tx));
    write_out(&mut w, &URIS);
    assert!(w.delete_post(&deletion).unwrap());
    w.commit(&SourceCounts::default()).unwrap();
    store.end_source(&mut 0).unwrap();
    assert_eq!(posts(&store), 2);
    assert_eq!(hanging(&store.conn), 0);

    let refusal = StageRow::Consent {
        author_uri: "https://b.example/users/bo".into(),
        refuses: true,
        noindex: false,
    };
    let more = ["4", "5", "6", "7"].map(|n| format!("https://a.example/{n}"));
    stage_tagged(&mut store, &more.each_ref().map(String::as_str));
    store.stage(0, "t", vec![refusal]).unwrap();
    let w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut 0)
        .unwrap();
    assert_eq!(journal_mode(w.tx).unwrap(), "delete");
    assert!(foreign_keys(w.tx));
}

/// See: issue 10. Leaving WAL mode and going back to it changes the data version as another
/// connection's commit does; membership decided before still holds then and is not decided
/// again (a tenth of a first collect's writing thread), but after another connection's commit
/// it is.
#[test]
fn switching_the_journal_leaves_membership_as_decided() {
    use crate::store::data_version;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let mut store = Store::open(&db).unwrap();
    stage_tagged(&mut store, &URIS);
    let mut selected_at = store.data_version().unwrap();
    let mut w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut selected_at)
        .unwrap();
    assert_eq!(journal_mode(w.tx).unwrap(), "delete");
    assert_eq!(selected_at, data_version(w.tx).unwrap());
    write_out(&mut w, &URIS);
    w.commit(&SourceCounts::default()).unwrap();
    store.end_source(&mut selected_at).unwrap();
    assert_eq!(journal_mode(&store.conn).unwrap(), "wal");
    assert_eq!(selected_at, store.data_version().unwrap());

    let more = ["4", "5", "6", "7"].map(|n| format!("https://a.example/{n}"));
    stage_tagged(&mut store, &more.each_ref().map(String::as_str));
    let mut selected_at = store.data_version().unwrap();
    assert_eq!(posts(&store), 3);
    let other = rusqlite::Connection::open(&db).unwrap();
    other
        .execute("DELETE FROM posts WHERE uri = ?1", [URIS[0]])
        .unwrap();
    drop(other);
    let w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut selected_at)
        .unwrap();
    assert_eq!(journal_mode(w.tx).unwrap(), "delete");
    assert_ne!(selected_at, data_version(w.tx).unwrap());
}

/// See: issue 10. A writer without foreign keys also sets the indexes of `records` and
/// `passed` aside, and writes both in key order before it builds them again (which the
/// collect does before its commit), and they are back after it.
#[test]
fn a_large_source_sets_the_indexes_of_records_aside() {
    use crate::store::deferred_indexes::DEFERRED_WITHOUT_CASCADES;
    let present = |conn: &rusqlite::Connection| -> usize {
        DEFERRED_WITHOUT_CASCADES
            .iter()
            .filter(|name| {
                conn.query_row(
                    "SELECT count(*) FROM main.sqlite_schema WHERE type = 'index' AND name = ?1",
                    [name],
                    |r| r.get::<_, i64>(0),
                )
                .unwrap()
                    == 1
            })
            .count()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("a.db")).unwrap();
    assert_eq!(present(&store.conn), 3);
    stage_tagged(&mut store, &URIS);
    let mut w = store
        .write_staged(0, "mastodon-api", "x", "t", false, &mut 0)
        .unwrap();
    w.defer_indexes().unwrap();
    assert_eq!(present(w.tx), 0);
    let print = [7; 16];
    for uri in URIS {
        let p = post(uri, "#t", "2024-01-01T00:00:00Z");
        w.upsert_post(&p, None, Reason::Tagged).unwrap();
        let id = w.last_post().unwrap();
        let seq =
            w.tx.query_row("SELECT seq FROM staged WHERE uri = ?1", [uri], |r| r.get(0))
                .unwrap();
        let post = crate::store::RecordPost {
            id,
            seq,
            text_tags: false,
        };
        w.remember_record(&print, &[post]).unwrap();
    }
    let records = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM records", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(records(w.tx), 0);
    w.build_deferred_indexes().unwrap();
    assert_eq!(records(w.tx), 3);
    w.commit(&SourceCounts::default()).unwrap();
    store.end_source(&mut 0).unwrap();
    assert_eq!(present(&store.conn), 3);
    let by_post: i64 = store
        .conn
        .query_row(
            "SELECT count(*) FROM records INDEXED BY records_post WHERE post_id > 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(by_post, 3);
    // Each with its place, from the row it was staged as.
    let places: Vec<(String, String)> = store
        .conn
        .prepare("SELECT r.uri, p.uri FROM records r JOIN posts p ON p.id = r.post_id ORDER BY 1")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(places.len(), 3);
    assert!(places.iter().all(|(kept, post)| kept == post), "{places:?}");
}
