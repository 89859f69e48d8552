//! `tagstory media` and `collect --media` against a real HTTP server on 127.0.0.1 serving real
//! picture bytes (a PNG and a GIF made here), with the real binary and a real archive file.
//!
//! The story: two posts tagged #mediatest, by two authors with avatars; the first carries two
//! URLs giving the same PNG, a GIF and a video, the second a second video and a picture the
//! server does not have. Every URL points at the loopback server.

mod files;
mod posters;

use std::collections::HashMap;

use serde_json::json;

use crate::support::{Archive, Run};
use files::{FileServer, Files, gif, mp4, png};

const TAG: &str = "mediatest";

// ---- the story --------------------------------------------------------------------------------

fn status(id: &str, who: &str, avatar: &str, media: &[(&str, &str)]) -> serde_json::Value {
    json!({
        "id": id,
        "uri": format!("https://m.example/users/{who}/statuses/{id}"),
        "url": format!("https://m.example/@{who}/{id}"),
        "created_at": format!("2026-08-20T08:00:0{id}.000Z"),
        "visibility": "public",
        "content": "<p>Pictures of the day #mediatest</p>",
        "tags": [{"name": "mediatest", "url": "https://m.example/tags/mediatest"}],
        "account": {
            "id": who, "username": who, "acct": who, "display_name": who,
            "url": format!("https://m.example/@{who}"),
            "uri": format!("https://m.example/users/{who}"),
            "avatar": avatar,
        },
        "media_attachments": media.iter().enumerate().map(|(i, (url, kind))| json!({
            "id": format!("{id}{i}"), "type": kind, "url": url, "description": "a picture",
        })).collect::<Vec<_>>(),
    })
}

/// An archive holding the story, every media URL on `server`.
fn story(server: &FileServer) -> (Archive, std::path::PathBuf) {
    let archive = Archive::new();
    let statuses = json!([
        status(
            "1",
            "ana",
            &server.url("/avatar-ana.png"),
            &[
                (&server.url("/cat.png"), "image"),
                (&server.url("/cat-copy.png"), "image"),
                (&server.url("/dot.gif"), "image"),
                (&server.url("/clip.mp4"), "video"),
            ]
        ),
        status(
            "2",
            "ben",
            &server.url("/avatar-ben.png"),
            &[
                (&server.url("/small.mp4"), "video"),
                (&server.url("/missing.png"), "image"),
            ]
        ),
    ]);
    let file = archive.file("statuses.json", &statuses.to_string());
    (archive, file)
}

fn media(archive: &Archive, extra: &[&str]) -> Run {
    media_of(archive, TAG, extra)
}

/// `tagstory media --tag TAG --db DB EXTRA…`.
fn media_of(archive: &Archive, tag: &str, extra: &[&str]) -> Run {
    let db = archive.db.to_string_lossy().into_owned();
    let mut args = vec!["media", "--tag", tag, "--db", &db];
    args.extend_from_slice(extra);
    archive.tagstory(&args)
}

/// `url → (failure code, failures)` of every URL not archived, and the archived ones' hashes.
fn media_files(archive: &Archive) -> HashMap<String, (Option<String>, Option<String>, i64)> {
    let conn = rusqlite::Connection::open(&archive.db).unwrap();
    let mut stmt = conn
        .prepare("SELECT url, sha256, failure, failures FROM media_files")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn good_files() -> (Files, Vec<u8>) {
    let cat = png(2, [200, 120, 40]);
    let mut files = Files::new();
    files.insert(
        "/avatar-ana.png".into(),
        ("image/png", png(1, [10, 20, 30])),
    );
    files.insert(
        "/avatar-ben.png".into(),
        ("image/png", png(1, [30, 20, 10])),
    );
    files.insert("/cat.png".into(), ("image/png", cat.clone()));
    files.insert("/cat-copy.png".into(), ("image/png", cat.clone()));
    files.insert("/dot.gif".into(), ("image/gif", gif()));
    files.insert("/clip.mp4".into(), ("video/mp4", mp4(600)));
    files.insert("/small.mp4".into(), ("video/mp4", mp4(700)));
    files.insert("/missing.png".into(), ("image/png", png(3, [0, 0, 0])));
    (files, cat)
}

#[test]
fn media_are_fetched_once_kept_once_per_content_and_then_shown_offline() {
    let (files, cat) = good_files();
    let total_bytes: usize = files.values().map(|(_, bytes)| bytes.len()).sum();
    let mut server = FileServer::start(files);
    let (archive, statuses) = story(&server);
    archive.collect_ok(TAG, &[&statuses]);

    let first = media(&archive, &["--allow-private-addresses"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains(&format!(
            "media of #{TAG}: 8 fetched (7 new files, {total_bytes} bytes), 0 already archived, \
             0 failed"
        )),
        "{}",
        first.stderr
    );
    // Not a terminal: a line per file.
    assert!(
        first.stderr.contains(&format!(
            "archived {}: image/png, {} bytes",
            server.url("/cat.png"),
            cat.len()
        )),
        "{}",
        first.stderr
    );
    assert_eq!(server.requests().len(), 8, "one request per URL");

    // The two URLs of the same picture share one stored file.
    assert_eq!(archive.count("SELECT count(*) FROM media_files"), 8);
    assert_eq!(archive.count("SELECT count(*) FROM blobs"), 7);
    let rows = media_files(&archive);
    assert_eq!(
        rows[&server.url("/cat.png")].0,
        rows[&server.url("/cat-copy.png")].0
    );

    // What the renderer reads: URL → hash and type, hash → the very bytes served.
    let store = tagstory::store::Store::open(&archive.db).unwrap();
    let urls = [
        server.url("/cat.png"),
        server.url("/dot.gif"),
        server.url("/clip.mp4"),
    ];
    let found = store.archived_media(&urls).unwrap();
    let cat_file = &found[&urls[0]];
    assert_eq!(cat_file.mime, "image/png");
    assert_eq!(cat_file.sha256, tagstory::store::sha256_hex(&cat));
    assert_eq!(store.blob(&cat_file.sha256).unwrap().unwrap(), cat);
    assert_eq!(found[&urls[1]].mime, "image/gif");
    assert_eq!(store.blob(&found[&urls[1]].sha256).unwrap().unwrap(), gif());
    assert_eq!(found[&urls[2]].mime, "video/mp4");
    drop(store);

    let second = media(&archive, &["--allow-private-addresses"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second
            .stderr
            .contains("0 fetched (0 new files, 0 bytes), 8 already archived")
    );
    assert!(
        second.stderr.contains("0 HTTP requests made"),
        "{}",
        second.stderr
    );
    assert_eq!(
        server.requests().len(),
        8,
        "the second run asked for nothing"
    );

    server.stop();
    let offline = media(&archive, &["--allow-private-addresses", "--quiet"]);
    assert_eq!(offline.code, 0, "{}", offline.stderr);
    assert_eq!(
        offline.stderr.trim(),
        format!("media of #{TAG}: 0 fetched (0 new files, 0 bytes), 8 already archived, 0 failed")
    );
}

#[test]
fn what_is_not_a_picture_video_or_sound_or_is_too_large_is_refused_and_counted() {
    let (mut files, _) = good_files();
    let html = b"<!DOCTYPE html><html><body>Log in to see this picture</body></html>".to_vec();
    let svg = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" \
        onload=\"alert(1)\"><script>alert(2)</script></svg>"
        .to_vec();
    files.insert("/avatar-ana.png".into(), ("image/png", html));
    files.insert("/avatar-ben.png".into(), ("image/svg+xml", svg));
    files.insert(
        "/dot.gif".into(),
        ("image/gif", b"{\"error\":\"rate limited\"}".to_vec()),
    );
    files.insert("/cat-copy.png".into(), ("image/png", png(400, [1, 2, 3])));
    files.insert("/clip.mp4".into(), ("video/mp4", mp4(5000)));
    files.insert("/small.mp4".into(), ("video/mp4", mp4(1500)));
    files.remove("/missing.png");
    let kept = files["/cat.png"].1.len() + 1500;
    let server = FileServer::start(files);
    let (archive, statuses) = story(&server);
    archive.collect_ok(TAG, &[&statuses]);

    let limits = [
        "--allow-private-addresses",
        "--max-response-bytes",
        "1000",
        "--max-media-bytes",
        "3000",
    ];
    let run = media(&archive, &limits);
    assert_eq!(
        run.code, 3,
        "done, but some files were not kept:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "2 fetched (2 new files, {kept} bytes), 0 already archived, 6 failed \
             (1 svg, 1 html, 1 json, 2 too-large, 1 gone)"
        )),
        "{}",
        run.stderr
    );
    // Each failure is said, with its URL.
    for (path, words) in [
        ("/avatar-ana.png", "an HTML page (served as `image/png`)"),
        ("/avatar-ben.png", "SVG can carry script and is never kept"),
        ("/dot.gif", "a JSON document"),
        ("/cat-copy.png", "(--max-response-bytes)"),
        ("/clip.mp4", "larger than 3000 bytes"),
        ("/missing.png", "HTTP 404"),
    ] {
        let line = format!("error: media `{}`: ", server.url(path));
        let said = run.stderr.lines().find(|l| l.starts_with(&line));
        assert!(
            said.is_some_and(|l| l.contains(words)),
            "{path}: {}",
            run.stderr
        );
    }

    // The rest was still fetched: the picture, and a video over the picture limit but under
    // the video one.
    let rows = media_files(&archive);
    let code = |path: &str| rows[&server.url(path)].1.clone();
    assert_eq!(code("/avatar-ana.png").as_deref(), Some("html"));
    assert_eq!(code("/avatar-ben.png").as_deref(), Some("svg"));
    assert_eq!(code("/dot.gif").as_deref(), Some("json"));
    assert_eq!(code("/cat-copy.png").as_deref(), Some("too-large"));
    assert_eq!(code("/clip.mp4").as_deref(), Some("too-large"));
    assert_eq!(code("/missing.png").as_deref(), Some("gone"));
    assert!(rows[&server.url("/cat.png")].0.is_some());
    assert!(rows[&server.url("/small.mp4")].0.is_some());
    assert_eq!(archive.count("SELECT count(*) FROM blobs"), 2);
    assert_eq!(
        archive.count("SELECT count(*) FROM blobs WHERE mime = 'video/mp4' AND size = 1500"),
        1
    );

    // What failed is asked for again next time, and the failures add up.
    let before = server.requests().len();
    let again = media(&archive, &limits);
    assert_eq!(again.code, 3);
    assert!(
        again
            .stderr
            .contains("0 fetched (0 new files, 0 bytes), 2 already archived, 6 failed")
    );
    assert_eq!(server.requests().len() - before, 6);
    assert_eq!(media_files(&archive)[&server.url("/missing.png")].2, 2);
}

#[test]
fn private_addresses_are_refused_without_the_flag() {
    let (files, _) = good_files();
    let server = FileServer::start(files);
    let (archive, statuses) = story(&server);
    archive.collect_ok(TAG, &[&statuses]);

    let run = media(&archive, &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("0 fetched (0 new files, 0 bytes), 0 already archived, 8 failed (8 refused)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--allow-private-addresses"),
        "{}",
        run.stderr
    );
    assert!(
        server.requests().is_empty(),
        "nothing was asked of a loopback address"
    );
    assert_eq!(archive.count("SELECT count(*) FROM blobs"), 0);
}

#[test]
fn collect_media_fetches_the_story_s_media_right_after_collecting() {
    let (files, _) = good_files();
    let server = FileServer::start(files);
    let (archive, statuses) = story(&server);
    let db = archive.db.to_string_lossy().into_owned();
    let file = statuses.to_string_lossy().into_owned();
    let run = archive.tagstory(&[
        "collect",
        "--tag",
        TAG,
        "--db",
        &db,
        "--media",
        "--allow-private-addresses",
        &file,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let total = run
        .stderr
        .find(&format!("total for #{TAG}: 2 posts read"))
        .expect("collected");
    let media = run
        .stderr
        .find(&format!("media of #{TAG}: 8 fetched"))
        .expect("media fetched");
    assert!(
        total < media,
        "media are fetched after collecting:\n{}",
        run.stderr
    );
    assert_eq!(archive.count("SELECT count(*) FROM blobs"), 7);
    assert_eq!(server.requests().len(), 8);

    // Collecting again with --media asks for nothing that is archived.
    let again = archive.tagstory(&["collect", "--tag", TAG, "--db", &db, "--media", &file]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("8 already archived"),
        "{}",
        again.stderr
    );
    assert_eq!(server.requests().len(), 8);
}

/// On a terminal, progress is a bar (files done of files to fetch, bytes); failures are still
/// said on their own lines above it. The terminal is a real pseudo-terminal from `script`.
#[test]
fn progress_is_a_bar_on_a_terminal() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: `script` (util-linux) not present to give a terminal");
        return;
    }
    let (mut files, _) = good_files();
    files.remove("/missing.png");
    let server = FileServer::start(files);
    let (archive, statuses) = story(&server);
    archive.collect_ok(TAG, &[&statuses]);
    let command = format!(
        "{} media --tag {TAG} --db {} --allow-private-addresses",
        assert_cmd::cargo::cargo_bin("tagstory").display(),
        archive.db.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .output()
        .unwrap();
    let terminal = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{terminal}");
    assert!(
        terminal.contains("media: ") && terminal.contains("/8 files"),
        "a bar: {terminal}"
    );
    assert!(
        !terminal.contains("archived http"),
        "no lines under the bar: {terminal}"
    );
    assert!(
        terminal.contains(&format!(
            "error: media `{}`: HTTP 404",
            server.url("/missing.png")
        )),
        "{terminal}"
    );
    assert!(terminal.contains("7 fetched"), "{terminal}");
}
