//! Several collects writing one archive at once (see: issue 11): the real binary, four
//! processes, one real SQLite file. Each must finish with exit status 0 and every post kept,
//! however long another writer holds the archive.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use crate::collect::api_sources;
use crate::support::{Archive, fixture};

/// Four collects of sources that share no reply tree, each `(tag, sources)`, so that the
/// story they make does not depend on which one commits first.
fn four_collects() -> Vec<(&'static str, Vec<PathBuf>)> {
    vec![
        ("DearMentalHealthProfessionals", api_sources()),
        ("TidePools", vec![fixture("twitter/archive")]),
        (
            "RiverDay",
            vec![fixture("storify/story-river-day-page1.json")],
        ),
        (
            "DearMentalHealthProfessionals",
            vec![
                fixture("mixed/twarc2-search.jsonl"),
                fixture("mixed/bluesky-search.json"),
            ],
        ),
    ]
}

fn spawn_collect(db: &Path, tag: &str, sources: &[PathBuf]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("tagstory"))
        .env_remove("TAGSTORY_DB")
        .args(["collect", "--quiet", "--tag", tag, "--db"])
        .arg(db)
        .args(sources)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs")
}

/// What an archive holds: posts, and story members per tag.
fn census(archive: &Archive) -> (i64, Vec<(String, i64)>) {
    let conn = rusqlite::Connection::open(&archive.db).expect("open archive");
    let posts = conn
        .query_row("SELECT count(*) FROM posts", [], |r| r.get(0))
        .expect("count");
    let mut stmt = conn
        .prepare("SELECT tag, count(*) FROM story_posts GROUP BY tag ORDER BY tag")
        .expect("query");
    let stories = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .map(Result::unwrap)
        .collect();
    (posts, stories)
}

/// See: issue 11. Four collects at once failed one round in three with "database is locked"
/// after the 10 s busy timeout. Three rounds here; in the first, the test itself holds the
/// archive's write lock for 12 s while the four start, as a long source being written by a
/// fifth collect would, which the old timeout could not outlast.
#[test]
fn four_concurrent_collects_all_succeed_with_every_post_kept() {
    let sequential = Archive::new();
    for (tag, sources) in four_collects() {
        let sources: Vec<&Path> = sources.iter().map(PathBuf::as_path).collect();
        sequential.collect_ok(tag, &sources);
    }
    let want = census(&sequential);
    assert!(want.0 > 30, "{want:?}");
    for round in 0..3 {
        let archive = Archive::new();
        let mut holder = None;
        if round == 0 {
            // An archive that exists, with its write lock taken.
            drop(tagstory::store::Store::open(&archive.db).expect("create archive"));
            let conn = rusqlite::Connection::open(&archive.db).expect("open");
            conn.execute_batch("BEGIN IMMEDIATE").expect("write lock");
            holder = Some(std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(12));
                conn.execute_batch("COMMIT").expect("commit");
            }));
        }
        let children: Vec<Child> = four_collects()
            .iter()
            .map(|(tag, sources)| spawn_collect(&archive.db, tag, sources))
            .collect();
        for child in children {
            let out = child.wait_with_output().expect("waits");
            assert!(
                out.status.success(),
                "round {round}: {:?}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if let Some(holder) = holder {
            holder.join().expect("holder thread");
        }
        assert_eq!(census(&archive), want, "round {round}");
    }
}

/// See: issue 11. Four collects of large generated sources at once (two JSON Lines files of
/// 2,500 posts each per collect, so their write transactions are long and overlap), without a
/// lock held by the test: every collect succeeds and every post is kept.
#[test]
fn four_concurrent_collects_of_large_sources_keep_every_post() {
    let archive = Archive::new();
    use crate::crash::{PER_SOURCE, SOURCES};
    let sources = crate::crash::write_sources(archive.dir.path(), SOURCES, PER_SOURCE);
    let children: Vec<Child> = sources
        .chunks(2)
        .map(|pair| spawn_collect(&archive.db, "crash", pair))
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("waits");
        assert!(
            out.status.success(),
            "{:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let all = (SOURCES * PER_SOURCE) as i64;
    assert_eq!(census(&archive), (all, vec![("crash".to_string(), all)]));
}
