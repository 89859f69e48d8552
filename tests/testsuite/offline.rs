//! Stories that open offline: a folder with every archived file the page shows, a single page
//! with its pictures inside, and never a remote resource in either.

use std::collections::HashSet;
use std::path::Path;

use crate::support::{Archive, fixture, png};

const TAG: &str = "DearMentalHealthProfessionals";
const WHITEBOARD: &str = "https://files.care.example/media_attachments/files/117/130/904/535/041/604/original/9128ddf038141b5b.jpg";

fn sample() -> Archive {
    let archive = Archive::new();
    let mut sources: Vec<std::path::PathBuf> = std::fs::read_dir(fixture("mastodon-api"))
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    sources.sort();
    sources.push(fixture("activitypub/conversation.json"));
    let refs: Vec<&Path> = sources.iter().map(|p| p.as_path()).collect();
    archive.collect_ok(TAG, &refs);
    archive
}

/// Archives a picture for every http(s) media and avatar URL of the story but `except`, as
/// `tagstory media` would after fetching them; returns how many distinct files.
fn archive_pictures(archive: &Archive, except: &[&str]) -> usize {
    let urls: Vec<String> = {
        let conn = rusqlite::Connection::open(&archive.db).expect("open");
        let mut stmt = conn
            .prepare(
                "SELECT url FROM media UNION SELECT avatar_url FROM authors
                 WHERE avatar_url LIKE 'http%'",
            )
            .expect("urls");
        stmt.query_map([], |r| r.get(0))
            .expect("rows")
            .map(Result::unwrap)
            .collect()
    };
    let mut store = tagstory::store::Store::open(&archive.db).expect("store");
    let mut hashes = HashSet::new();
    for (i, url) in urls.iter().enumerate() {
        if except.contains(&url.as_str()) {
            continue;
        }
        // Two avatars share one picture: stored once, shown twice.
        let colour = u8::try_from(i.min(20)).unwrap() * 10;
        let bytes = png([colour, 100, 200]);
        let put = store.put_media(url, "image/png", &bytes).expect("put");
        hashes.insert(put.sha256);
    }
    hashes.len()
}

/// Every `src="…"` of the page.
fn sources(html: &str) -> Vec<String> {
    html.match_indices(" src=\"")
        .map(|(i, _)| {
            let rest = &html[i + 6..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

#[test]
fn a_folder_holds_the_page_its_files_and_the_other_forms() {
    let archive = sample();
    archive_pictures(&archive, &[WHITEBOARD]);
    let out = archive.dir.path().join("story");
    let run = archive.render(TAG, &["--out", &format!("{}/", out.display())]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("index.html, story.json, story.md and"),
        "{}",
        run.stderr
    );
    for name in ["index.html", "story.json", "story.md"] {
        assert!(out.join(name).is_file(), "{name}");
    }
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.contains("img-src 'self' data:; media-src 'self' data:"));
    let srcs = sources(&page);
    assert!(srcs.len() > 10, "{srcs:?}");
    for src in &srcs {
        assert!(src.starts_with("media/") && src.ends_with(".png"), "{src}");
        assert!(out.join(src).is_file(), "{src} is in the folder");
    }
    let files: HashSet<&String> = srcs.iter().collect();
    assert_eq!(
        std::fs::read_dir(out.join("media")).unwrap().count(),
        files.len()
    );
    // The picture that was not archived shows its description, never its remote URL.
    assert!(!page.contains("files.care.example"));
    assert!(page.contains("Picture not archived"));
    assert!(page.contains("A whiteboard titled"));
    // An existing folder works without the slash, and files already there are kept.
    let run = archive.render(TAG, &["--out", &out.to_string_lossy()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_single_page_carries_its_pictures_inside_up_to_a_limit() {
    let archive = sample();
    let distinct = archive_pictures(&archive, &[]);
    let page = archive.story_html(TAG);
    let srcs = sources(&page);
    assert!(
        srcs.iter().all(|s| s.starts_with("data:image/png;base64,")),
        "{srcs:?}"
    );
    let embedded: HashSet<&String> = srcs.iter().collect();
    assert_eq!(embedded.len(), distinct);
    assert!(!page.contains("https://files.care.example"));
    // Over the limit: said, with the way out, and no picture inside the page.
    let run = archive.render(TAG, &["--out", "-", "--embed-limit", "100"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("over --embed-limit"), "{}", run.stderr);
    assert!(run.stderr.contains("--out DIR/"));
    assert!(sources(&run.stdout).is_empty());
    assert!(run.stdout.contains("Picture not archived"));
}

#[test]
fn without_archived_files_a_page_references_nothing_remote() {
    let archive = sample();
    let page = archive.story_html(TAG);
    assert!(sources(&page).is_empty(), "no img, video or audio source");
    assert!(!page.contains("https://care.example/avatars/"));
    assert!(page.contains("<span class=\"avatar\" aria-hidden=\"true\">"));
}

#[test]
fn a_story_too_long_for_one_page_is_an_index_and_thread_pages() {
    let archive = sample();
    let out = archive.dir.path().join("split");
    let run = archive.render(
        TAG,
        &["--out", &format!("{}/", out.display()), "--page-size", "10"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let story: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("story.json")).unwrap()).unwrap();
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(
        index.matches("<article").count(),
        0,
        "the index lists, it does not show"
    );
    let pages: Vec<std::path::PathBuf> = (1..)
        .map(|n| out.join(format!("threads-{n}.html")))
        .take_while(|p| p.exists())
        .collect();
    assert!(pages.len() >= 4, "{} pages", pages.len());
    let mut seen: Vec<String> = Vec::new();
    for (i, path) in pages.iter().enumerate() {
        let page = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        // Linked both ways: the index to every page, every page to the index.
        assert!(
            index.contains(&format!("href=\"{name}\"")),
            "{name} not on the index"
        );
        assert!(
            page.contains("<a href=\"index.html\">"),
            "{name} links back"
        );
        let articles = page.matches("<article").count();
        assert!(articles <= 11 || i == 0, "{name}: {articles} posts");
        for (at, _) in page.match_indices("<article class=\"post") {
            let rest = &page[at..];
            let id = &rest[rest.find(" id=\"").unwrap() + 5..];
            seen.push(id[..id.find('"').unwrap()].to_string());
        }
    }
    // Every post on exactly one page.
    let mut want: Vec<String> = crate::support::nodes(&story)
        .into_iter()
        .map(|(n, _)| tagstory::render::html::anchor_of(n["uri"].as_str().unwrap()))
        .collect();
    want.sort();
    seen.sort();
    assert_eq!(seen, want);
    // A link to a post on another page names that page.
    let all: String = pages
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(
        !all.contains("href=\"#t-"),
        "no in-page link to a thread on another page"
    );
}
