//! Side files: the small files read whole beside the data they describe — a Twitter archive's
//! `data/manifest.js` and `data/account.js`, a Mastodon export's `actor.json`. They are only ever
//! a few KiB, but they come from the same untrusted archive as everything else: a zip entry
//! that inflates to GiBs, or a `manifest.js` that is a symlink to `/dev/zero`, must fail with a
//! message, not eat the machine's memory. So each is read through [`MAX_SIDE_FILE`].

use std::io::{self, Read};
use std::path::Path;

/// The most bytes a side file may hold. Real manifests are tens of KiB (one entry per data
/// type of the archive); this leaves a hundredfold margin.
pub const MAX_SIDE_FILE: u64 = 4 * 1024 * 1024;

/// Reads `reader` whole, or fails with `InvalidData` naming `name` once it holds more than
/// [`MAX_SIDE_FILE`] bytes. Never reads more than one byte past the cap.
pub fn read_capped(reader: &mut dyn Read, name: &str) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(MAX_SIDE_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SIDE_FILE {
        return Err(too_large(name));
    }
    Ok(bytes)
}

/// The side file at `path`, read through the cap; `None` when there is no such file. The
/// error names the file.
pub fn read_path(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            let message = format!("cannot open `{}`: {e}", path.display());
            return Err(io::Error::new(e.kind(), message));
        }
    };
    read_capped(&mut file, &path.display().to_string()).map(Some)
}

fn too_large(name: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "`{name}` holds more than {} MiB, far more than such a file ever does; not read \
             (is it a symlink to a device, or a zip bomb?)",
            MAX_SIDE_FILE / (1024 * 1024)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_side_file_stops_one_byte_past_the_cap() {
        // `io::repeat` never ends, as `/dev/zero` does not: the read must stop by itself.
        let mut endless = io::repeat(b' ');
        let err = read_capped(&mut endless, "data/manifest.js").expect_err("too large");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("`data/manifest.js`"), "{err}");
        let exact = vec![b'x'; MAX_SIDE_FILE as usize];
        let read = read_capped(&mut exact.as_slice(), "ok.js").expect("at the cap is fine");
        assert_eq!(read.len(), exact.len());
    }
}
