//! A temporary archive and helpers to run the binary against it and read what it wrote.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// A path under the project's `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// The README's quick-start sources: the sample conversation in Mastodon API, AS2 and
/// account-export form.
pub fn sample_sources() -> Vec<PathBuf> {
    let mut sources: Vec<PathBuf> = std::fs::read_dir(fixture("mastodon-api"))
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    sources.sort();
    sources.push(fixture("activitypub/conversation.json"));
    sources.push(fixture("activitypub/export/outbox.json"));
    sources
}

/// A path under `../shared/corpus/`, or `None` (after saying so) when the corpus is absent, as
/// it is in a user's clone.
pub fn corpus(rel: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.is_dir() {
        skipped(&format!("../shared/corpus not present (wanted {rel})"));
        return None;
    }
    Some(root.join(rel))
}

/// Says that a test could not run and why, where `cargo test` shows it: the test harness
/// captures `eprintln!`, but not writes to the standard error handle itself.
pub fn skipped(why: &str) {
    use std::io::Write;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "\nSKIPPED {test}: {why}");
}

/// What a run of the binary left behind.
pub struct Run {
    pub code: i32,
    pub stderr: String,
    pub stdout: String,
}

/// An archive in a fresh temporary directory.
pub struct Archive {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Archive {
    pub fn new() -> Archive {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("archive.db");
        Archive { dir, db }
    }

    pub fn tagstory(&self, args: &[&str]) -> Run {
        let out = Command::cargo_bin("tagstory")
            .expect("binary built")
            .current_dir(self.dir.path())
            .env_remove("TAGSTORY_DB")
            .args(args)
            .output()
            .expect("binary runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        }
    }

    /// `collect --tag TAG --db DB SOURCES...`
    pub fn collect(&self, tag: &str, sources: &[&Path]) -> Run {
        let db = self.db.to_string_lossy().into_owned();
        let mut args = vec!["collect", "--tag", tag, "--db", &db];
        let sources: Vec<String> = sources
            .iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        args.extend(sources.iter().map(String::as_str));
        self.tagstory(&args)
    }

    /// Like [`Archive::collect`], failing the test unless it exits 0.
    pub fn collect_ok(&self, tag: &str, sources: &[&Path]) -> Run {
        let run = self.collect(tag, sources);
        assert_eq!(run.code, 0, "collect failed:\n{}", run.stderr);
        run
    }

    /// Writes `content` to a file in the archive's directory and returns its path.
    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("write input file");
        path
    }

    /// `render --format json --out -`, parsed.
    pub fn story_json(&self, tag: &str) -> Value {
        let run = self.render(tag, &["--format", "json", "--out", "-"]);
        assert_eq!(run.code, 0, "render failed:\n{}", run.stderr);
        serde_json::from_str(&run.stdout).expect("render writes valid JSON")
    }

    /// `render --out -` (HTML).
    pub fn story_html(&self, tag: &str) -> String {
        let run = self.render(tag, &["--out", "-"]);
        assert_eq!(run.code, 0, "render failed:\n{}", run.stderr);
        run.stdout
    }

    pub fn render(&self, tag: &str, extra: &[&str]) -> Run {
        let db = self.db.to_string_lossy().into_owned();
        let mut args = vec!["render", "--tag", tag, "--db", &db];
        args.extend_from_slice(extra);
        self.tagstory(&args)
    }

    /// The single integer a query returns.
    pub fn count(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(&self.db).expect("open archive");
        conn.query_row(sql, [], |r| r.get(0)).expect(sql)
    }
}

/// Every node of the JSON contract's threads, depth first, with its depth.
pub fn nodes(story: &Value) -> Vec<(&Value, usize)> {
    let mut out = Vec::new();
    let mut stack: Vec<(&Value, usize)> = story["threads"]
        .as_array()
        .expect("threads array")
        .iter()
        .rev()
        .map(|n| (n, 0))
        .collect();
    while let Some((node, depth)) = stack.pop() {
        out.push((node, depth));
        let replies = node["replies"].as_array().expect("replies array");
        stack.extend(replies.iter().rev().map(|r| (r, depth + 1)));
    }
    out
}

/// A thread drawn as `key(child child)`, naming each post by `name(uri)`.
pub fn shape(node: &Value, name: &dyn Fn(&str) -> String) -> String {
    let me = name(node["uri"].as_str().expect("uri"));
    let kids: Vec<String> = node["replies"]
        .as_array()
        .expect("replies")
        .iter()
        .map(|r| shape(r, name))
        .collect();
    if kids.is_empty() {
        me
    } else {
        format!("{me}({})", kids.join(" "))
    }
}

/// Deepest nesting of `[`/`{` in a JSON text, counted without parsing it into a tree.
pub fn json_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "unbalanced JSON");
    max
}

/// A valid one-pixel PNG of colour `rgb`.
pub fn png(rgb: [u8; 3]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    // One row: filter byte 0, then RGB; stored (uncompressed) deflate inside a zlib stream.
    let raw = [0, rgb[0], rgb[1], rgb[2]];
    let mut z = vec![0x78, 0x01, 0x01, 4, 0, !4u8, 0xff];
    z.extend_from_slice(&raw);
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Archives a picture for every custom-emoji URL of the archive, as `tagstory media` would.
pub fn archive_emoji(archive: &Archive) {
    let urls: Vec<String> = {
        let conn = rusqlite::Connection::open(&archive.db).expect("open");
        let mut stmt = conn
            .prepare("SELECT DISTINCT url FROM emojis")
            .expect("urls");
        stmt.query_map([], |r| r.get(0))
            .expect("rows")
            .map(Result::unwrap)
            .collect()
    };
    let mut store = tagstory::store::Store::open(&archive.db).expect("store");
    for url in urls {
        store
            .put_media(&url, "image/png", &png([1, 2, 3]))
            .expect("put");
    }
}
