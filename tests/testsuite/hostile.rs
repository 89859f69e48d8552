//! Hostile inputs that must fail cleanly, or be read, in bounded time and memory (see: issue
//! 11): archive bombs, long whitespace runs, invalid UTF-8. Each test runs the real binary on
//! files built here; a run that does not finish within [`HANG`] fails the test rather than
//! hanging the suite (the bound is a guard, not a timing assertion).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::{Archive, Run, fixture};

/// Longer than any of these runs takes when it is bounded; before the fixes they ran for many
/// minutes or until memory ran out.
const HANG: Duration = Duration::from_secs(120);
const TAG: &str = "TidePools";

/// `collect --tag TidePools --db DB SOURCE`, killed after [`HANG`].
fn collect(archive: &Archive, source: &Path) -> Run {
    let out = assert_cmd::Command::cargo_bin("tagstory")
        .expect("binary built")
        .current_dir(archive.dir.path())
        .env_remove("TAGSTORY_DB")
        .args(["collect", "--tag", TAG, "--db"])
        .arg(&archive.db)
        .arg(source)
        .timeout(HANG)
        .output()
        .expect("binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

/// A copy of the fixture archive folder (`data/manifest.js`, `tweets.js`, `tweets-part1.js`).
fn archive_folder(archive: &Archive) -> PathBuf {
    let folder = archive.dir.path().join("twitter-archive");
    std::fs::create_dir_all(folder.join("data")).expect("mkdir");
    for name in ["manifest.js", "tweets.js", "tweets-part1.js"] {
        let from = fixture("twitter/archive/data").join(name);
        std::fs::copy(from, folder.join("data").join(name)).expect("copy fixture");
    }
    folder
}

/// A zip of the fixture archive with `replace` standing in for one file's content.
fn archive_zip(archive: &Archive, replace: (&str, &[u8])) -> PathBuf {
    let path = archive.dir.path().join("twitter-archive.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("zip file"));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for name in ["manifest.js", "tweets.js", "tweets-part1.js"] {
        let bytes = if name == replace.0 {
            replace.1.to_vec()
        } else {
            std::fs::read(fixture("twitter/archive/data").join(name)).expect("fixture")
        };
        zip.start_file(format!("data/{name}"), options)
            .expect("zip entry");
        zip.write_all(&bytes).expect("zip write");
    }
    zip.finish().expect("zip finish");
    path
}

/// `bytes` with `n` spaces inserted after its first `[`: inside the JSON, between tokens.
fn with_spaces_after_bracket(bytes: &[u8], n: usize) -> Vec<u8> {
    let open = bytes.iter().position(|&b| b == b'[').expect("an array");
    let (head, tail) = bytes.split_at(open + 1);
    let mut out = Vec::with_capacity(bytes.len() + n);
    out.extend_from_slice(head);
    out.resize(head.len() + n, b' ');
    out.extend_from_slice(tail);
    out
}

fn assert_failed_naming(run: &Run, file: &str, words: &str) {
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(file) && run.stderr.contains(words),
        "expected `{file}` and {words:?} in:\n{}",
        run.stderr
    );
}

/// See: issue 11. A folder whose `manifest.js` is a symlink to `/dev/zero` grew until memory
/// ran out; now the manifest is read through a cap and the archive is refused by name.
#[test]
fn a_manifest_linked_to_dev_zero_is_refused_not_read_forever() {
    let archive = Archive::new();
    let folder = archive_folder(&archive);
    let manifest = folder.join("data/manifest.js");
    std::fs::remove_file(&manifest).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", &manifest).expect("symlink");
    let run = collect(&archive, &folder);
    assert_failed_naming(&run, "data/manifest.js", "more than 4 MiB");
    // The same manifest beside a lone `tweets.js`, where it names the author.
    let run = collect(&archive, &folder.join("data/tweets.js"));
    assert_failed_naming(&run, "manifest.js", "more than 4 MiB");
}

/// See: issue 11. A 3 MB zip whose `manifest.js` inflated to 3 GiB peaked at 6.3 GB of
/// memory. Here the manifest inflates to 8 MiB (from a few KiB): over the side-file cap.
#[test]
fn a_zip_whose_manifest_inflates_past_the_cap_is_refused() {
    let archive = Archive::new();
    let manifest = std::fs::read(fixture("twitter/archive/data/manifest.js")).expect("fixture");
    let open = manifest.iter().position(|&b| b == b'{').expect("an object");
    let (head, tail) = manifest.split_at(open + 1);
    let mut bomb = head.to_vec();
    bomb.resize(head.len() + (8 << 20), b' ');
    bomb.extend_from_slice(tail);
    let zip = archive_zip(&archive, ("manifest.js", &bomb));
    assert!(std::fs::metadata(&zip).expect("zip").len() < 1 << 20);
    let run = collect(&archive, &zip);
    assert_failed_naming(&run, "data/manifest.js", "more than 4 MiB");
    assert_eq!(archive.count("SELECT count(*) FROM posts"), 0);
}

/// See: issue 11. 16 MiB of whitespace inside a folder's `tweets.js` took 42 s (quadratic);
/// now it streams through, and every tweet is still read.
#[test]
fn a_long_whitespace_run_inside_tweets_js_is_read() {
    let archive = Archive::new();
    let folder = archive_folder(&archive);
    let tweets = folder.join("data/tweets.js");
    let padded = with_spaces_after_bracket(&std::fs::read(&tweets).expect("read"), 16 << 20);
    std::fs::write(&tweets, padded).expect("write");
    let run = collect(&archive, &folder);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The three tweets of the fixture archive, as from the unpadded folder.
    assert_eq!(archive.count("SELECT count(*) FROM posts"), 3);
}

/// See: issue 11. A 10 MB zip inflating to 10 GiB of spaces ran for more than 10 minutes;
/// entries are now refused once they inflate past 100 times their compressed size. This zip
/// inflates to 64 MiB from about 64 KiB, so the read stops at the 16 MiB floor.
#[test]
fn a_zip_entry_inflating_a_thousandfold_is_refused() {
    let archive = Archive::new();
    let tweets = std::fs::read(fixture("twitter/archive/data/tweets.js")).expect("fixture");
    let bomb = with_spaces_after_bracket(&tweets, 64 << 20);
    let zip = archive_zip(&archive, ("tweets.js", &bomb));
    let run = collect(&archive, &zip);
    assert_failed_naming(&run, "data/tweets.js", "zip bomb");
    assert!(run.stderr.contains("16777216 bytes"), "{}", run.stderr);
    assert_eq!(archive.count("SELECT count(*) FROM posts"), 0);
}

/// See: issue 11. Invalid UTF-8 was reported as "stream did not contain valid UTF-8", with no
/// line or column. Now the file, line and column (in bytes) of the first bad byte are named,
/// in a single document and in JSON Lines.
#[test]
fn invalid_utf8_is_reported_with_its_line_and_column() {
    let archive = Archive::new();
    // A Mastodon status whose first line (`{ "id": "…",`) holds a byte that is not UTF-8 at
    // column 10, read line by line to tell a document from JSON Lines.
    let status = std::fs::read_to_string(fixture("mixed/mastodon-status.json")).expect("fixture");
    let mut lines: Vec<Vec<u8>> = status.lines().map(|l| l.as_bytes().to_vec()).collect();
    assert_eq!(
        (lines[0].as_slice(), &lines[1][..8]),
        (&b"{"[..], &b" \"id\": \""[..])
    );
    lines[1].insert(8, 0xff);
    let first = [lines[0].clone(), lines[1].clone()].concat();
    lines.splice(0..2, [first]);
    let doc = archive.dir.path().join("status.json");
    std::fs::write(&doc, lines.join(&b'\n')).expect("write");
    let run = collect(&archive, &doc);
    assert_failed_naming(&run, "`:1:10: invalid UTF-8", &doc.to_string_lossy());
    // JSON Lines: a good first line, then a bad byte at the very start of line 2.
    let jsonl = std::fs::read(fixture("mixed/twarc2-search.jsonl")).expect("fixture");
    let second = jsonl.iter().position(|&b| b == b'\n').expect("two lines") + 1;
    let mut bad = jsonl;
    bad.insert(second, 0xc3);
    let path = archive.dir.path().join("search.jsonl");
    std::fs::write(&path, bad).expect("write");
    let run = collect(&archive, &path);
    assert_failed_naming(&run, "`:2:1: invalid UTF-8", &path.to_string_lossy());
}
