//! The real public samples in `../shared/corpus`, read in place. Each test says `skipped` and
//! passes when the corpus is absent (as in a user's clone); the fixtures cover every format too.

use crate::support::{Archive, corpus, nodes};

#[test]
fn mastodon_export_outbox_with_its_actor() {
    let (Some(outbox), Some(actor)) = (
        corpus("activitypub/mastodon-export-outbox-trimmed.json"),
        corpus("activitypub/mastodon-export-actor.json"),
    ) else {
        return;
    };
    let archive = Archive::new();
    let run = archive.collect_ok("#CATERDAY", &[&outbox, &actor]);
    // 18 Create items, of which one carries #caterday and none is in its reply tree.
    assert!(
        run.stderr.contains("18 posts read: 1 new, 0 updated, 0 unchanged, 17 skipped as untagged, 0 not public; 3 boosts"),
        "{}",
        run.stderr
    );
    let story = archive.story_json("caterday");
    assert_eq!(story["post_count"], 1);
    let post = &story["threads"][0];
    assert_eq!(
        post["uri"],
        "https://indieweb.social/users/dealingwith/statuses/109333840388857217"
    );
    assert_eq!(post["author"]["handle"], "@dealingwith@indieweb.social");
    assert_eq!(post["author"]["name"], "dealingwith");
    assert_eq!(post["tagged"], true);
    // The export's avatar is archive-relative (`avatar.jpg`): not a URL a page may load.
    let html = archive.story_html("caterday");
    assert!(!html.contains("avatar.jpg"));
    assert!(html.contains(r#"<span class="avatar" aria-hidden="true">D</span>"#));
}

#[test]
fn friendica_reply_whose_parent_is_elsewhere() {
    let Some(note) = corpus("activitypub/friendica-note-hashtags-contentmap.json") else {
        return;
    };
    let archive = Archive::new();
    archive.collect_ok("Lemmy", &[&note]);
    let story = archive.story_json("lemmy");
    let all = nodes(&story);
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[0].0["uri"],
        "https://nerdica.net/objects/a85d7459-7262-66e9-f901-f05552414769"
    );
    assert_eq!(all[0].0["in_reply_to"], "https://lemmy.ml/comment/167904");
    let html = archive.story_html("lemmy");
    assert!(
        html.contains(r#"Replying to <a href="https://lemmy.ml/comment/167904" rel="nofollow noopener ugc">a post that is not in this archive</a>"#),
        "{html}"
    );
}

#[test]
fn untagged_post_is_not_collected() {
    let Some(note) = corpus("activitypub/mastodon-note-self-thread-alt-text.json") else {
        return;
    };
    let archive = Archive::new();
    let run = archive.collect_ok("kde", &[&note]);
    assert!(
        run.stderr
            .contains("1 post read: 0 new, 0 updated, 0 unchanged, 1 skipped as untagged"),
        "{}",
        run.stderr
    );
    assert_eq!(archive.count("SELECT count(*) FROM posts"), 0);
    assert_eq!(archive.count("SELECT count(*) FROM authors"), 0);
}

#[test]
fn mastodon_tag_timeline() {
    let Some(timeline) = corpus("mastodon-api/tag-timeline-hoot.json") else {
        return;
    };
    let archive = Archive::new();
    archive.collect_ok("hoot", &[&timeline]);
    let story = archive.story_json("#Hoot");
    assert_eq!(story["tag"], "hoot");
    assert_eq!(story["title"], "#Hoot");
    assert_eq!(story["post_count"], 1);
    assert_eq!(story["participant_count"], 1);
    let post = &story["threads"][0];
    assert_eq!(
        post["uri"],
        "http://localhost:3000/ap/users/117020566092212359/statuses/117020593741189701"
    );
    assert_eq!(
        post["author"]["handle"],
        "@mastodonpy_test_2@localhost:3000"
    );
    assert_eq!(post["created_at"], "2026-08-01T13:55:55.867Z");
    assert_eq!(
        archive.count("SELECT count(*) FROM local_ids WHERE server = 'localhost:3000'"),
        1
    );
}

#[test]
fn boost_is_counted_never_copied() {
    let Some(reblog) = corpus("mastodon-api/status-reblog.json") else {
        return;
    };
    let archive = Archive::new();
    archive.collect_ok("anything", &[&reblog]);
    assert_eq!(
        archive.count("SELECT count(*) FROM posts WHERE uri LIKE '%/activity'"),
        0,
        "the wrapper is not a post"
    );
    assert_eq!(
        archive.count(
            "SELECT count(*) FROM boosts WHERE post_uri = \
             'http://localhost:3000/ap/users/117020565966271181/statuses/117020586019094258'"
        ),
        1
    );
}

#[test]
fn deletion_response_leaves_a_tombstone() {
    let Some(deleted) = corpus("mastodon-api/status-deleted-response.json") else {
        return;
    };
    let archive = Archive::new();
    let run = archive.collect_ok("anything", &[&deleted]);
    assert!(run.stderr.contains("1 deletion"), "{}", run.stderr);
    assert_eq!(archive.count("SELECT count(*) FROM tombstones"), 1);
    assert_eq!(archive.count("SELECT count(*) FROM posts"), 0);
}

#[test]
fn edit_history_is_refused_with_a_reason() {
    let Some(history) = corpus("mastodon-api/status-edit-history.json") else {
        return;
    };
    let archive = Archive::new();
    let run = archive.collect("anything", &[&history]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("status-edit-history.json`: not readable as mastodon-api"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("edit history"), "{}", run.stderr);
}

#[test]
fn every_fediverse_sample_collects_cleanly() {
    for dir in ["activitypub", "mastodon-api"] {
        let Some(dir) = corpus(dir) else {
            return;
        };
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files
            .iter()
            .filter(|f| !f.ends_with("status-edit-history.json"))
        {
            let archive = Archive::new();
            let run = archive.collect("fediverse", &[file]);
            assert_eq!(run.code, 0, "{}: {}", file.display(), run.stderr);
            // Collecting again changes nothing.
            let again = archive.collect("fediverse", &[file]);
            assert!(
                again.stderr.contains(" 0 new, 0 updated"),
                "{}: {}",
                file.display(),
                again.stderr
            );
        }
    }
}
