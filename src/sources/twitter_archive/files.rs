//! The files of an archive, whether it is an unzipped folder or the `.zip` itself, and the
//! bounds on reading them: side files (manifest, account) through
//! [`MAX_SIDE_FILE`](crate::sources::side_file::MAX_SIDE_FILE), and every zip entry through an
//! inflation cap ([`MAX_INFLATE_RATIO`]), so a small zip that inflates to GiBs (a zip bomb) is
//! refused after a bounded amount of work instead of being read to the end.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use crate::sources::side_file;

/// How many times its compressed size a zip entry may inflate to. Twitter's JSON, indentation
/// included, deflates about tenfold; deflate itself cannot exceed about 1032:1, which is what
/// a run of spaces reaches. Past this the entry is refused as a zip bomb.
pub(super) const MAX_INFLATE_RATIO: u64 = 100;
/// An entry may always inflate to this much, whatever its compressed size: the ratio means
/// nothing for a tiny entry.
pub(super) const MIN_INFLATE_LIMIT: u64 = 16 * 1024 * 1024;

/// An unzipped archive folder or an archive zip.
pub(super) enum Source {
    Dir(PathBuf),
    Zip {
        zip: Box<zip::ZipArchive<File>>,
        /// Path of the folder holding `data/` inside the zip (`""` or `name/`).
        root: String,
    },
}

impl Source {
    pub(super) fn open(archive: &Path) -> io::Result<Self> {
        if archive.is_dir() {
            return Ok(Source::Dir(archive.to_owned()));
        }
        let zip = zip::ZipArchive::new(File::open(archive)?).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: neither a folder nor a readable zip: {e}",
                    archive.display()
                ),
            )
        })?;
        let root = zip
            .file_names()
            .filter_map(Result::ok)
            .filter_map(|name| {
                let start = name.find("data/")?;
                (start == 0 || name[..start].ends_with('/')).then(|| name[..start].to_owned())
            })
            .min_by_key(String::len)
            .unwrap_or_default();
        Ok(Source::Zip {
            zip: Box::new(zip),
            root,
        })
    }

    /// The archive-relative names of the files directly in `data/`.
    pub(super) fn data_files(&self) -> io::Result<Vec<String>> {
        match self {
            Source::Dir(dir) => {
                let data = dir.join("data");
                if !data.is_dir() {
                    return Ok(Vec::new());
                }
                let mut out = Vec::new();
                for entry in std::fs::read_dir(data)? {
                    let entry = entry?;
                    if let Some(name) = entry.file_name().to_str() {
                        out.push(format!("data/{name}"));
                    }
                }
                Ok(out)
            }
            Source::Zip { zip, root } => Ok(zip
                .file_names()
                .filter_map(Result::ok)
                .filter_map(|name| {
                    let rel = name.strip_prefix(root.as_str())?;
                    let file = rel.strip_prefix("data/")?;
                    (!file.is_empty() && !file.contains('/')).then(|| rel.to_owned())
                })
                .collect()),
        }
    }

    /// A small file (manifest, account) read whole through the side-file cap; `None` when
    /// absent.
    pub(super) fn read_small(&mut self, name: &str) -> io::Result<Option<Vec<u8>>> {
        let mut out = None;
        let found = self.with_reader_opt(name, &mut |reader| {
            out = Some(side_file::read_capped(reader, name)?);
            Ok(())
        })?;
        Ok(if found { out } else { None })
    }

    pub(super) fn with_reader(
        &mut self,
        name: &str,
        f: &mut dyn FnMut(&mut dyn Read) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.with_reader_opt(name, f)? {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("the archive's manifest lists `{name}`, which is not in the archive"),
            ))
        }
    }

    /// Calls `f` with a reader of `name`; false when there is no such file.
    fn with_reader_opt(
        &mut self,
        name: &str,
        f: &mut dyn FnMut(&mut dyn Read) -> io::Result<()>,
    ) -> io::Result<bool> {
        if !is_safe_relative(name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("refusing the archive path `{name}`: not a plain path inside the archive"),
            ));
        }
        match self {
            Source::Dir(dir) => {
                let path = dir.join(name);
                let mut file = match File::open(&path) {
                    Ok(file) => file,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
                    Err(e) => return Err(e),
                };
                f(&mut file)?;
            }
            Source::Zip { zip, root } => {
                let file = match zip.by_name(&format!("{root}{name}")) {
                    Ok(file) => file,
                    Err(zip::result::ZipError::FileNotFound) => return Ok(false),
                    Err(e) => return Err(e.into()),
                };
                let limit = inflate_limit(file.compressed_size());
                f(&mut InflateCap::new(file, name, limit))?;
            }
        }
        Ok(true)
    }
}

/// The most bytes an entry of `compressed` bytes may inflate to.
pub(super) fn inflate_limit(compressed: u64) -> u64 {
    compressed
        .saturating_mul(MAX_INFLATE_RATIO)
        .max(MIN_INFLATE_LIMIT)
}

/// A zip entry's reader that fails once more than `limit` bytes have come out of it. The
/// entry's declared size is not trusted: it is the attacker's to write.
pub(super) struct InflateCap<'n, R> {
    inner: R,
    name: &'n str,
    limit: u64,
    /// Bytes handed out so far.
    pub(super) read: u64,
}

impl<'n, R: Read> InflateCap<'n, R> {
    pub(super) fn new(inner: R, name: &'n str, limit: u64) -> Self {
        InflateCap {
            inner,
            name,
            limit,
            read: 0,
        }
    }
}

impl<R: Read> Read for InflateCap<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read >= self.limit {
            // One byte more tells a file of exactly `limit` bytes from a larger one.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "`{}` inflates to more than {} bytes, over {MAX_INFLATE_RATIO} times its \
                     compressed size: refusing what looks like a zip bomb; unzip the archive \
                     and give its folder if it is genuine",
                    self.name, self.limit
                ),
            ));
        }
        let room = usize::try_from(self.limit - self.read).unwrap_or(usize::MAX);
        let end = buf.len().min(room);
        let n = self.inner.read(buf.get_mut(..end).unwrap_or_default())?;
        self.read += n as u64;
        Ok(n)
    }
}

/// A relative path of plain names only: no `..`, no root, no drive.
pub(super) fn is_safe_relative(name: &str) -> bool {
    !name.is_empty()
        && Path::new(name)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_entry_stops_at_its_inflation_limit() {
        // What a 10 GiB run of spaces in a 10 MB zip looks like to the reader: it never ends.
        // The cap must stop it after exactly `limit` bytes, whatever the consumer does.
        let compressed = 200 * 1024;
        let limit = inflate_limit(compressed);
        assert_eq!(limit, MIN_INFLATE_LIMIT.max(compressed * MAX_INFLATE_RATIO));
        let mut capped = InflateCap::new(io::repeat(b' '), "data/tweets.js", limit);
        let err = io::copy(&mut capped, &mut io::sink()).expect_err("refused");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("`data/tweets.js`"), "{err}");
        assert_eq!(capped.read, limit);
        // An entry of exactly the limit is read whole.
        let exact = vec![b'x'; 1000];
        let mut capped = InflateCap::new(exact.as_slice(), "data/tweets.js", 1000);
        assert_eq!(io::copy(&mut capped, &mut io::sink()).expect("fits"), 1000);
    }

    #[test]
    fn ten_gib_from_ten_mb_is_over_the_limit() {
        assert!(inflate_limit(10 << 20) < 10 << 30);
        assert_eq!(inflate_limit(1), MIN_INFLATE_LIMIT);
    }
}
