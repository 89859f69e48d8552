//! Where `render` writes (see: issue 11): `--out` through an unpredictable temporary file,
//! never through or over anything but a regular file, and a failed write to standard output
//! fails the command.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{Archive, Run, fixture};

const TAG: &str = "DearMentalHealthProfessionals";

/// An archive holding a one-post story.
fn archive() -> Archive {
    let archive = Archive::new();
    archive.collect_ok(TAG, &[&fixture("mixed/mastodon-status.json")]);
    archive
}

fn render_to(archive: &Archive, out: &Path) -> Run {
    archive.render(TAG, &["--out", &out.to_string_lossy()])
}

fn assert_refused(run: &Run, what: &str) {
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("refusing to replace") && run.stderr.contains(what),
        "{}",
        run.stderr
    );
}

/// See: issue 11. The temporary file was `.NAME.PID.tmp`, created through any symlink at that
/// name: a link planted there made render overwrite the file it points to. The shell plants
/// the link at its own PID's name, then `exec`s tagstory, which keeps that PID.
#[test]
fn a_symlink_planted_at_the_old_temporary_name_is_not_followed() {
    let archive = archive();
    let dir = archive.dir.path();
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "keep me").expect("write");
    let script = "ln -s \"$1\" \".story.html.$$.tmp\" && exec \"$2\" render --tag \"$3\" --db \"$4\" \
                  --out story.html";
    let status = Command::new("sh")
        .current_dir(dir)
        .args(["-c", script, "sh"])
        .arg(&victim)
        .arg(assert_cmd::cargo::cargo_bin("tagstory"))
        .arg(TAG)
        .arg(&archive.db)
        .stderr(Stdio::null())
        .status()
        .expect("sh runs");
    assert!(status.success());
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep me");
    let out = dir.join("story.html");
    assert!(std::fs::symlink_metadata(&out).expect("out").is_file());
    assert!(
        std::fs::read_to_string(&out)
            .expect("page")
            .contains("<article")
    );
}

/// See: issue 11. `--out` naming a symlink replaced the link (or, with the old temporary
/// name, wrote through it); now it is refused and both the link and its target are untouched.
#[test]
fn a_symlink_at_the_target_is_refused() {
    let archive = archive();
    let dir = archive.dir.path();
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "keep me").expect("write");
    let out = dir.join("story.html");
    std::os::unix::fs::symlink(&victim, &out).expect("symlink");
    assert_refused(&render_to(&archive, &out), "a symbolic link");
    assert!(std::fs::symlink_metadata(&out).expect("link").is_symlink());
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep me");
}

/// See: issue 11. A FIFO at the target was renamed over (and opening it would block); it is
/// refused without being opened, and stays a FIFO.
#[test]
fn a_fifo_at_the_target_is_refused() {
    use std::os::unix::fs::FileTypeExt;
    let archive = archive();
    let out = archive.dir.path().join("story.html");
    let made = Command::new("mkfifo").arg(&out).status().expect("mkfifo");
    assert!(made.success());
    assert_refused(&render_to(&archive, &out), "a FIFO");
    let kind = std::fs::symlink_metadata(&out).expect("fifo").file_type();
    assert!(kind.is_fifo());
}

/// See: issue 11. `--out /dev/full` as root turned the device node into a regular file. It is
/// refused before anything is written, and stays a device.
#[test]
fn a_device_at_the_target_is_refused() {
    use std::os::unix::fs::FileTypeExt;
    let archive = archive();
    assert_refused(&render_to(&archive, Path::new("/dev/full")), "a device");
    let kind = std::fs::symlink_metadata("/dev/full")
        .expect("/dev/full")
        .file_type();
    assert!(kind.is_char_device());
}

fn render_to_stdout(archive: &Archive, stdout: Stdio) -> (i32, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin("tagstory"))
        .env_remove("TAGSTORY_DB")
        .args(["render", "--tag", TAG, "--out", "-", "--db"])
        .arg(&archive.db)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), stderr)
}

/// See: issue 11. A write error on standard output exited 0. The pipe's reading end is closed
/// before tagstory starts, so its write fails with EPIPE every time.
#[test]
fn a_closed_stdout_pipe_fails_the_render() {
    let archive = archive();
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let (code, stderr) = render_to_stdout(&archive, Stdio::from(writer));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("cannot write to standard output"),
        "{stderr}"
    );
}

/// Standard output on `/dev/full`: every write fails with ENOSPC.
#[test]
fn a_full_stdout_fails_the_render() {
    let archive = archive();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let (code, stderr) = render_to_stdout(&archive, Stdio::from(full));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("cannot write to standard output"),
        "{stderr}"
    );
}
