//! The poster of a video and the cover of a sound: archived with the attachment, shown in its
//! place offline (a `poster`, or the picture above the player), and a page that has only the
//! poster still shows it.

use serde_json::json;

use super::files::{FileServer, Files, mp3, mp4, png};
use crate::support::{Archive, Run};

const TAG: &str = "posters";

fn attachment(
    server: &FileServer,
    id: &str,
    kind: &str,
    file: &str,
    poster: &str,
) -> serde_json::Value {
    json!({
        "id": id, "type": kind, "url": server.url(file), "preview_url": server.url(poster),
        "description": format!("the {kind}"),
    })
}

/// A post with a video, a looping animation and a sound, each with its poster or cover, and
/// a picture whose `preview_url` is only a smaller copy of it.
fn story(server: &FileServer) -> (Archive, std::path::PathBuf) {
    let archive = Archive::new();
    let status = json!([{
        "id": "1",
        "uri": "https://m.example/users/ana/statuses/1",
        "url": "https://m.example/@ana/1",
        "created_at": "2026-08-20T08:00:00.000Z",
        "visibility": "public",
        "content": "<p>The estuary at dawn #posters</p>",
        "tags": [{"name": "posters", "url": "https://m.example/tags/posters"}],
        "account": {
            "id": "7", "username": "ana", "acct": "ana", "display_name": "Ana",
            "url": "https://m.example/@ana", "uri": "https://m.example/users/ana",
        },
        "media_attachments": [
            attachment(server, "11", "video", "/estuary.mp4", "/estuary-poster.png"),
            attachment(server, "12", "gifv", "/gulls.mp4", "/gulls-poster.png"),
            attachment(server, "13", "audio", "/curlews.mp3", "/curlews-cover.png"),
            attachment(server, "14", "image", "/heron.png", "/heron-small.png"),
        ],
    }]);
    let file = archive.file("statuses.json", &status.to_string());
    (archive, file)
}

fn media(archive: &Archive, extra: &[&str]) -> Run {
    super::media_of(archive, TAG, extra)
}

fn files() -> Files {
    let mut files = Files::new();
    files.insert("/estuary.mp4".into(), ("video/mp4", mp4(900)));
    files.insert(
        "/estuary-poster.png".into(),
        ("image/png", png(2, [200, 90, 20])),
    );
    files.insert("/gulls.mp4".into(), ("video/mp4", mp4(800)));
    files.insert(
        "/gulls-poster.png".into(),
        ("image/png", png(2, [20, 90, 200])),
    );
    files.insert("/curlews.mp3".into(), ("audio/mpeg", mp3(700)));
    files.insert(
        "/curlews-cover.png".into(),
        ("image/png", png(2, [90, 200, 20])),
    );
    files.insert("/heron.png".into(), ("image/png", png(3, [9, 9, 9])));
    files.insert("/heron-small.png".into(), ("image/png", png(1, [9, 9, 9])));
    files
}

/// The value of `attr="…"` on the first element that starts with `tag` and holds `marker`.
fn attribute<'a>(html: &'a str, tag: &str, marker: &str, attr: &str) -> Option<&'a str> {
    html.match_indices(tag).find_map(|(i, _)| {
        let element = &html[i..i + html[i..].find('>')?];
        if !element.contains(marker) {
            return None;
        }
        let at = element.find(&format!(" {attr}=\""))? + attr.len() + 3;
        Some(&element[at..at + element[at..].find('"')?])
    })
}

fn sha_of(archive: &Archive, url: &str) -> String {
    let conn = rusqlite::Connection::open(&archive.db).unwrap();
    conn.query_row(
        "SELECT sha256 FROM media_files WHERE url = ?1",
        [url],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn posters_and_covers_are_archived_and_shown_in_a_folder_and_a_single_page() {
    let server = FileServer::start(files());
    let (archive, statuses) = story(&server);
    archive.collect_ok(TAG, &[&statuses]);

    let run = media(&archive, &["--allow-private-addresses"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("media of #posters: 7 fetched"),
        "{}",
        run.stderr
    );
    let mut asked = server.requests();
    asked.sort();
    assert_eq!(
        asked,
        [
            "/curlews-cover.png",
            "/curlews.mp3",
            "/estuary-poster.png",
            "/estuary.mp4",
            "/gulls-poster.png",
            "/gulls.mp4",
            "/heron.png",
        ],
        "every poster and cover, never a picture's smaller copy"
    );

    let out = archive.dir.path().join("folder");
    let rendered = archive.render(TAG, &["--out", &format!("{}/", out.display())]);
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    let in_folder = |path: &str| {
        format!(
            "media/{}.{}",
            sha_of(&archive, &server.url(path)),
            &path[path.rfind('.').unwrap() + 1..]
        )
    };
    let estuary = in_folder("/estuary.mp4");
    assert_eq!(
        attribute(&page, "<video", &estuary, "poster"),
        Some(&*in_folder("/estuary-poster.png"))
    );
    let gulls = in_folder("/gulls.mp4");
    let gulls_video = attribute(&page, "<video", &gulls, "src");
    assert_eq!(gulls_video, Some(&*gulls));
    assert_eq!(
        attribute(&page, "<video", &gulls, "poster"),
        Some(&*in_folder("/gulls-poster.png"))
    );
    assert!(page.contains(&format!(
        "<video src=\"{gulls}\" poster=\"{}\" autoplay loop muted playsinline",
        in_folder("/gulls-poster.png")
    )));
    assert_eq!(
        attribute(&page, "<img", "class=\"cover\"", "src"),
        Some(&*in_folder("/curlews-cover.png"))
    );
    for path in [
        "/estuary.mp4",
        "/estuary-poster.png",
        "/gulls-poster.png",
        "/curlews.mp3",
        "/curlews-cover.png",
        "/heron.png",
    ] {
        assert!(
            out.join(in_folder(path)).is_file(),
            "{path} is in the folder"
        );
    }
    assert!(!page.contains("127.0.0.1"), "no remote URL in the page");

    // The JSON says what each attachment is and names its poster.
    let story: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("story.json")).unwrap()).unwrap();
    let media = &story["threads"][0]["media"];
    assert_eq!(media[0]["kind"], "video");
    assert_eq!(media[0]["preview_url"], server.url("/estuary-poster.png"));
    assert_eq!(media[2]["kind"], "audio");
    assert_eq!(media[2]["preview_url"], server.url("/curlews-cover.png"));
    assert_eq!(media[3]["kind"], "image");
    assert!(media[3]["preview_url"].is_null());

    // A single page carries pictures only: each video shows its poster in its place.
    let single = archive.story_html(TAG);
    let poster_png = |path: &str| {
        let bytes = std::fs::read(out.join(in_folder(path))).unwrap();
        format!("data:image/png;base64,{}", base64_of(&bytes))
    };
    assert!(
        single.contains(&format!(
            "<img src=\"{}\" alt=\"the video\"",
            poster_png("/estuary-poster.png")
        )),
        "{single}"
    );
    assert!(single.contains("Video not archived"));
    assert!(!single.contains("127.0.0.1"));
}

#[test]
fn a_poster_that_is_not_archived_is_left_out_never_linked() {
    let mut files = files();
    files.remove("/estuary-poster.png");
    let server = FileServer::start(files);
    let (archive, statuses) = story(&server);
    archive.collect_ok(TAG, &[&statuses]);
    let run = media(&archive, &["--allow-private-addresses"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let out = archive.dir.path().join("folder");
    let rendered = archive.render(TAG, &["--out", &format!("{}/", out.display())]);
    assert_eq!(rendered.code, 0, "{}", rendered.stderr);
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    let estuary = format!(
        "media/{}.mp4",
        sha_of(&archive, &server.url("/estuary.mp4"))
    );
    assert!(attribute(&page, "<video", &estuary, "src").is_some());
    assert_eq!(attribute(&page, "<video", &estuary, "poster"), None);
    assert!(!page.contains("127.0.0.1"));
}

#[test]
fn forgetting_an_author_removes_the_posters_of_their_videos() {
    let server = FileServer::start(files());
    let (archive, statuses) = story(&server);
    archive.collect_ok(TAG, &[&statuses]);
    assert_eq!(media(&archive, &["--allow-private-addresses"]).code, 0);
    assert_eq!(archive.count("SELECT count(*) FROM blobs"), 7);
    let db = archive.db.to_string_lossy().into_owned();
    let run = archive.tagstory(&["forget", "--db", &db, "--author", "@ana@m.example"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(archive.count("SELECT count(*) FROM media_files"), 0);
    assert_eq!(archive.count("SELECT count(*) FROM blobs"), 0);
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
