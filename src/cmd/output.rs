//! Writing a command's output where the user asked: `-` for standard output, else a file that
//! is replaced atomically, so a half-written page never replaces a good one.
//!
//! # Threat model
//! The output directory may be shared (`/tmp`, a web root others can write to). So the
//! temporary file gets an unpredictable name and is created exclusively (`O_EXCL`: a symlink
//! planted at its name is never followed), in the target's own directory so the final rename
//! stays on one filesystem; and only a regular file is ever replaced: a symlink, FIFO, device,
//! socket or directory at the target is refused, since renaming over it would replace what the
//! user meant to write through (`--out /dev/full` as root turned the device node into a
//! regular file; see: issue 11).

use std::io::Write;
use std::os::fd::AsFd;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Writes `bytes` to `out`: standard output for `-`, else the file at `out`, created or
/// replaced atomically. Fails, naming the path, when `out` exists and is not a regular file.
pub fn write_output(out: &str, bytes: &[u8]) -> Result<()> {
    write_output_with(out, |w| Ok(w.write_all(bytes)?))
}

/// Like [`write_output`], with the content written by `write` as it is made, so a large story
/// never has to be held whole in memory. Nothing replaces `out` unless `write` succeeds.
pub fn write_output_with(
    out: &str,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    // A story cut short (a closed pipe, a full disk) is not a story, so unlike ripgrep's search
    // results a broken pipe is an error too. The bytes go through a duplicate of file
    // descriptor 1 rather than `std::io::Stdout`, which reports success for writes to a closed
    // descriptor.
    if out == "-" {
        let fd = std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .context("cannot write to standard output: it is closed")?;
        let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::from(fd));
        write(&mut stdout).context("cannot write to standard output")?;
        return stdout.flush().context("cannot write to standard output");
    }
    let path = Path::new(out);
    let existed = check_replaceable(path)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // 0o666 less the umask, as for any file the user creates: the page is meant to be shared.
    let mut tmp = tempfile::Builder::new()
        .prefix(".tagstory-")
        .suffix(".tmp")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in `{}`", dir.display()))?;
    let shown = tmp.path().display().to_string();
    {
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        write(&mut buffered).with_context(|| format!("cannot write `{shown}`"))?;
        buffered
            .flush()
            .with_context(|| format!("cannot write `{shown}`"))?;
    }
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("cannot write `{shown}`"))?;
    // Looked at again just before the rename, to narrow the window for a swap.
    check_replaceable(path)?;
    let persisted = if existed {
        tmp.persist(path).map(drop)
    } else {
        // Something created at `out` meanwhile is not replaced.
        tmp.persist_noclobber(path).map(drop)
    };
    persisted.map_err(|e| anyhow::Error::new(e.error).context(format!("cannot write `{out}`")))
}

/// Whether `path` exists (as a regular file); an error when it is anything else.
fn check_replaceable(path: &Path) -> Result<bool> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e).with_context(|| format!("cannot look at `{}`", path.display())),
    };
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(true);
    }
    let what = if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a directory"
    } else {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else {
            "a socket"
        }
    };
    bail!(
        "refusing to replace `{}`: it is {what}, not a regular file; give the path of a new or \
         regular file, or `-` for standard output",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_regular_file_is_created_then_replaced_leaving_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("story.html");
        let out_str = out.to_str().unwrap();
        write_output(out_str, b"first").unwrap();
        write_output(out_str, b"second").unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"second");
        assert_eq!(names_in(dir.path()), ["story.html"]);
    }

    #[test]
    fn anything_but_a_regular_file_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").unwrap();
        let link = dir.path().join("link.html");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let err = write_output(link.to_str().unwrap(), b"page").unwrap_err();
        assert!(format!("{err:#}").contains("a symbolic link"), "{err:#}");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let err = write_output(sub.to_str().unwrap(), b"page").unwrap_err();
        assert!(format!("{err:#}").contains("a directory"), "{err:#}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        assert_eq!(names_in(dir.path()), ["link.html", "sub", "victim.txt"]);
    }
}
