//! Crash consistency and readers during writes, as tests (see: issue 11): a large collect of
//! eight generated sources (20,000 posts) is killed with SIGKILL at points a seeded generator
//! picks; after each kill the archive passes `PRAGMA integrity_check`, every source committed
//! before it is whole and every other absent, and a final uninterrupted run ends with the same
//! tables and the same story as a run that was never interrupted. Renders in a loop during a
//! collect each see one committed state, never a half-written one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Archive, nodes};

const TAG: &str = "crash";
pub const SOURCES: usize = 8;
pub const PER_SOURCE: usize = 2_500;
const KILLS: usize = 10;

/// Status `n` of source `s`: threads of ten, each opened by a tagged post, the rest replies
/// (by server-local id, as the Mastodon API names parents); every seventh with a picture.
fn status(s: usize, n: usize) -> Value {
    let id = |n: usize| format!("{}{n:06}", s + 1);
    let account = n % 13;
    let tagged = n.is_multiple_of(10);
    json!({
        "id": id(n),
        "created_at": format!("2026-08-{:02}T{:02}:{:02}:{:02}.000Z", 1 + s, n / 3600 % 24, n / 60 % 60, n % 60),
        "in_reply_to_id": if tagged { Value::Null } else { json!(id(n - 1)) },
        "visibility": "public",
        "uri": format!("https://crash.example/users/u{account}/statuses/{}", id(n)),
        "url": format!("https://crash.example/@u{account}/{}", id(n)),
        "content": format!("<p>source {s}: post {n}{}</p>", if tagged { " #crash" } else { "" }),
        "account": {"id": format!("{account}"), "username": format!("u{account}"),
                    "acct": format!("u{account}"), "display_name": format!("U {account}"),
                    "uri": format!("https://crash.example/users/u{account}"),
                    "url": format!("https://crash.example/@u{account}")},
        "tags": if tagged { json!([{"name": TAG}]) } else { json!([]) },
        "media_attachments": if n.is_multiple_of(7) {
            json!([{"id": id(n), "type": "image", "url": format!("https://crash.example/m/{}.png", id(n)), "description": "a picture"}])
        } else {
            json!([])
        },
        "emojis": [], "mentions": [],
    })
}

/// Writes `sources` sources of `per_source` posts each (JSON Lines) into `dir`.
pub fn write_sources(dir: &Path, sources: usize, per_source: usize) -> Vec<PathBuf> {
    (0..sources)
        .map(|s| {
            let path = dir.join(format!("source{s}.jsonl"));
            let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
            for n in 0..per_source {
                writeln!(out, "{}", status(s, n)).expect("write");
            }
            path
        })
        .collect()
}

fn collect_command(db: &Path, sources: &[PathBuf]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("tagstory"));
    cmd.env_remove("TAGSTORY_DB")
        .args(["collect", "--quiet", "--tag", TAG, "--db"])
        .arg(db)
        .args(sources)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// SplitMix64: a seeded generator, so the kill points are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A fraction in [0, 1).
    fn fraction(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Rows per table (the full-text index's own tables aside), with `sources` counted by
/// distinct location, since every run records its sources again.
fn census(db: &Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(db).expect("open archive");
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             AND name NOT LIKE 'posts_fts%' ORDER BY name",
        )
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .map(Result::unwrap)
        .collect();
    tables
        .into_iter()
        .map(|t| {
            let sql = if t == "sources" {
                "SELECT count(DISTINCT location) FROM sources".to_string()
            } else {
                format!("SELECT count(*) FROM \"{t}\"")
            };
            let n = conn.query_row(&sql, [], |r| r.get(0)).expect("count");
            (t, n)
        })
        .collect()
}

/// The story as JSON, without what depends on when it was collected.
fn story_without_times(archive: &Archive) -> Value {
    let mut story = archive.story_json(TAG);
    if let Some(sources) = story["datasheet"]["sources"].as_array_mut() {
        for s in sources.iter_mut() {
            s.as_object_mut().expect("source").remove("collected_at");
        }
        sources.sort_by_key(Value::to_string);
        sources.dedup();
    }
    story
}

fn integrity(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("open archive");
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}

/// Source indices whose every post is archived, checking that the others have none (a source
/// is written in one transaction, so it is all there or not at all) and that they are exactly
/// the sources the archive records as collected (recorded in that same transaction).
fn whole_sources(db: &Path, sources: &[PathBuf]) -> Vec<usize> {
    let conn = rusqlite::Connection::open(db).expect("open archive");
    let mut whole = Vec::new();
    for (s, source) in sources.iter().enumerate() {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM story_posts JOIN posts ON posts.id = post_id
                 WHERE tag = ?1 AND content_html LIKE ?2",
                rusqlite::params![TAG, format!("%source {s}: post %")],
                |r| r.get(0),
            )
            .expect("count");
        let recorded: bool = conn
            .query_row(
                "SELECT count(*) > 0 FROM sources WHERE location = ?1",
                [source.to_string_lossy()],
                |r| r.get(0),
            )
            .expect("sources");
        assert!(
            n == 0 || n == PER_SOURCE as i64,
            "source {s} is half there: {n} of {PER_SOURCE} posts"
        );
        assert_eq!(
            n > 0,
            recorded,
            "source {s}: {n} posts, recorded {recorded}"
        );
        if n > 0 {
            whole.push(s);
        }
    }
    whole
}

/// How long an uninterrupted collect into a fresh archive takes, and when its first source
/// was committed (polled from a reader), so kill points can be spread over both phases.
fn timed_collect(db: &Path, sources: &[PathBuf]) -> (Duration, Duration) {
    let started = Instant::now();
    let mut child = collect_command(db, sources).spawn().expect("runs");
    let mut first_commit = None;
    while child.try_wait().expect("wait").is_none() {
        if first_commit.is_none() && committed_sources(db) > 0 {
            first_commit = Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let full = started.elapsed();
    let out = child.wait_with_output().expect("collect ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (full, first_commit.unwrap_or(full / 2))
}

fn committed_sources(db: &Path) -> i64 {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.query_row("SELECT count(*) FROM sources", [], |r| r.get(0))
        .unwrap_or(0)
}

/// See: issue 11. SIGKILL at ten seeded points of a 20,000-post collect of eight sources, two
/// while the sources are read and staged, eight while they are written: each kill leaves an
/// archive that passes `integrity_check`, holds exactly the sources it records as committed,
/// each whole, and keeps them through the next kill; collecting again after the last kill
/// ends with the same tables and story as a run never interrupted.
#[test]
fn a_collect_killed_at_random_points_loses_nothing_committed_and_resumes_to_the_same_story() {
    let reference = Archive::new();
    let sources = write_sources(reference.dir.path(), SOURCES, PER_SOURCE);
    let (full, first_commit) = timed_collect(&reference.db, &sources);
    let want_census = census(&reference.db);
    let want_story = story_without_times(&reference);
    assert_eq!(want_story["post_count"], json!(SOURCES * PER_SOURCE));

    let mut rng = Rng(0x7a65_7374_6f72_7931);
    let mut archive = Archive::new();
    let mut committed: Vec<usize> = Vec::new();
    for kill in 0..KILLS {
        // Every third kill starts again from an empty archive: a first run interrupted;
        // the others interrupt a re-run of an archive a kill left behind.
        if kill % 3 == 0 {
            archive = Archive::new();
            committed.clear();
        }
        let (from, to) = if kill < 2 {
            (Duration::ZERO, first_commit)
        } else {
            (first_commit, full)
        };
        let at = from + (to - from).mul_f64(rng.fraction());
        let mut child = collect_command(&archive.db, &sources)
            .spawn()
            .expect("runs");
        std::thread::sleep(at);
        child.kill().ok();
        child.wait().expect("reaped");
        if !archive.db.exists() {
            continue;
        }
        assert_eq!(integrity(&archive.db), "ok", "after kill {kill} at {at:?}");
        let whole = whole_sources(&archive.db, &sources);
        for s in &committed {
            assert!(whole.contains(s), "kill {kill} at {at:?} lost source {s}");
        }
        eprintln!("kill {kill} at {at:?}: sources {whole:?} committed");
        committed = whole;
    }
    let out = collect_command(&archive.db, &sources)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(integrity(&archive.db), "ok");
    assert_eq!(census(&archive.db), want_census);
    assert_eq!(story_without_times(&archive), want_story);
}

/// A render that ran while the collect wrote: exit status and what it printed.
struct Seen {
    code: i32,
    stdout: String,
    stderr: String,
}

/// See: issue 11. Renders in a loop during a collect of eight sources: each prints a story
/// that is one of the committed states (no story yet, then the first k sources whole), its
/// `post_count` matching its threads.
#[test]
fn renders_during_a_collect_each_see_one_committed_state() {
    let archive = Archive::new();
    let sources = write_sources(archive.dir.path(), SOURCES, PER_SOURCE);
    // The archive exists before the collect starts, so every render finds it.
    drop(tagstory::store::Store::open(&archive.db).expect("create archive"));
    let mut collect = collect_command(&archive.db, &sources)
        .spawn()
        .expect("runs");
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let done = collect.try_wait().expect("wait").is_some();
        let out = Command::new(assert_cmd::cargo::cargo_bin("tagstory"))
            .env_remove("TAGSTORY_DB")
            .args([
                "render", "--tag", TAG, "--format", "json", "--out", "-", "--db",
            ])
            .arg(&archive.db)
            .output()
            .expect("render runs");
        seen.push(Seen {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
        if done || Instant::now() > deadline {
            break;
        }
    }
    let out = collect.wait_with_output().expect("collect ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let states: Vec<usize> = (1..=SOURCES).map(|k| k * PER_SOURCE).collect();
    let mut counts = Vec::new();
    for s in &seen {
        if s.code != 0 {
            assert!(
                s.stderr.contains("holds no story"),
                "a render failed: {}",
                s.stderr
            );
            counts.push(0);
            continue;
        }
        let story: Value = serde_json::from_str(&s.stdout).expect("every render is valid JSON");
        let count = story["post_count"].as_u64().expect("post_count") as usize;
        assert_eq!(nodes(&story).len(), count, "post_count matches the threads");
        assert!(
            states.contains(&count),
            "{count} posts is not a committed state"
        );
        counts.push(count);
    }
    assert!(
        counts.windows(2).all(|w| w[0] <= w[1]),
        "renders went back in time: {counts:?}"
    );
    eprintln!("{} renders saw {counts:?}", seen.len());
    assert!(seen.len() >= 3, "only {} renders ran", seen.len());
    assert_eq!(counts.last(), Some(&(SOURCES * PER_SOURCE)));
}
