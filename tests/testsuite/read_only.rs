//! `render` reads the archive and nothing else (see: issue 11): it failed with "attempt to
//! write a readonly database" on an archive the user could not write, and left `-wal`/`-shm`
//! files behind.
//!
//! The tests may run as root, for whom chmod does not deny writes, so they check what holds
//! for every user: the render succeeds with the file and its directory made read-only, the
//! directory holds exactly what it held before, and the archive's bytes are unchanged. As
//! root, the render is also run as `nobody`, for whom the permissions do hold.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::support::{Archive, fixture};

const TAG: &str = "DearMentalHealthProfessionals";

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn a_read_only_archive_renders_and_leaves_nothing_behind() {
    let archive = Archive::new();
    let dir = archive.dir.path().join("ro");
    std::fs::create_dir(&dir).expect("mkdir");
    let db = dir.join("archive.db");
    let db_arg = db.to_string_lossy().into_owned();
    let source = fixture("mixed/mastodon-status.json");
    let run = archive.tagstory(&[
        "collect",
        "--tag",
        TAG,
        "--db",
        &db_arg,
        &source.to_string_lossy(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bytes = std::fs::read(&db).expect("archive");
    chmod(&db, 0o444);
    chmod(&dir, 0o555);
    let run = archive.tagstory(&["render", "--tag", TAG, "--db", &db_arg, "--out", "-"]);
    let as_nobody = am_root().then(|| {
        chmod(archive.dir.path(), 0o755);
        // The build may live where `nobody` cannot enter (a clone under `mktemp -d`, mode
        // 0700): a copy beside the archive is reachable wherever the clone is.
        let bin = archive.dir.path().join("tagstory");
        std::fs::copy(assert_cmd::cargo::cargo_bin("tagstory"), &bin).expect("copy binary");
        chmod(&bin, 0o755);
        Command::new("su")
            .args([
                "nobody",
                "-s",
                "/bin/sh",
                "-c",
                "exec \"$0\" render --tag \"$1\" --db \"$2\" --out -",
            ])
            .arg(&bin)
            .arg(TAG)
            .arg(&db)
            .output()
    });
    let after = listing(&dir);
    chmod(&dir, 0o755);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("<article"), "{}", run.stdout);
    assert_eq!(after, ["archive.db"]);
    assert!(
        std::fs::read(&db).expect("archive") == bytes,
        "the archive changed"
    );
    match as_nobody {
        Some(Ok(out)) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("<article"));
        }
        Some(Err(e)) => eprintln!("skipped the run as nobody: {e}"),
        None => {}
    }
}

fn am_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

/// Upgrading is a write: render refuses an older archive and says how to upgrade it, and the
/// archive stays at its version.
#[test]
fn an_older_archive_is_not_upgraded_by_render() {
    let archive = Archive::new();
    std::fs::copy(fixture("archives/v1.db"), &archive.db).expect("copy");
    let run = archive.render(TAG, &["--out", "-"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("schema version 1") && run.stderr.contains("tagstory collect --db"),
        "{}",
        run.stderr
    );
    assert_eq!(archive.count("PRAGMA user_version"), 1);
    assert_eq!(listing(archive.dir.path()), ["archive.db"]);
}
