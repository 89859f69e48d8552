//! The bodies of staged items (the item encoded, a post's text, HTML and source JSON), kept in
//! a file of their own beside the staging tables. They are written once, in the order they
//! are staged, and read back once, in the same order, by the writer: a B-tree buys nothing
//! for that. As rows of a staging table they were a third of a first collect's writing
//! thread: every page allocated, spilled from the cache, read back (issue 10). The file is
//! anonymous (unlinked as it is made), so no body outlives the process, whatever stops it.

use std::fs::File;
use std::io;

use anyhow::{Context, Result, bail};

/// Bodies written at a time.
const WRITE_CHUNK: usize = 1 << 18;
/// Bytes read ahead at a time when bodies are read back in the order they were written. A
/// source written in URI order (`order.rs`) reads them anywhere: a body that is not just
/// ahead of the last read is read alone.
const READ_CHUNK: usize = 1 << 18;

/// Where a body is in the file: its offset and length.
pub(crate) type Place = (u64, u64);

/// The parts of one body.
pub(crate) struct Parts<'a> {
    pub encoded: &'a [u8],
    pub text: &'a str,
    pub html: &'a str,
    pub source_json: &'a str,
}

/// One body read back.
pub(crate) struct Body {
    pub encoded: Vec<u8>,
    pub text: String,
    pub html: String,
    pub source_json: String,
}

/// The file of bodies: appended to while sources are staged, read while they are written.
pub(crate) struct Bodies {
    file: File,
    /// Bytes in the file.
    written: u64,
    /// Bytes appended but not written yet (they follow `written`).
    pending: Vec<u8>,
    window: Window,
}

/// The part of the file of bodies read last, and where it starts.
#[derive(Default)]
struct Window {
    bytes: Vec<u8>,
    at: u64,
}

/// Reads the bodies written so far, on a thread of its own (see `prefetch.rs`).
pub(crate) struct Reader {
    file: File,
    written: u64,
    window: Window,
}

impl Reader {
    /// The body at `place`.
    pub(crate) fn read(&mut self, place: Place) -> Result<Body> {
        self.window.read(&self.file, self.written, place)
    }
}

impl Bodies {
    pub(crate) fn new() -> Result<Self> {
        let file = tempfile::tempfile().context("cannot create a temporary file for staging")?;
        Ok(Bodies {
            file,
            written: 0,
            pending: Vec::new(),
            window: Window::default(),
        })
    }

    /// Empties the file for a new run.
    pub(crate) fn clear(&mut self) -> Result<()> {
        self.file.set_len(0)?;
        self.written = 0;
        self.pending.clear();
        self.window = Window::default();
        Ok(())
    }

    /// A reader of the bodies appended so far, with a file handle of its own.
    pub(crate) fn reader(&mut self) -> Result<Reader> {
        self.flush()?;
        let file = self
            .file
            .try_clone()
            .context("cannot open staged items again to read them")?;
        Ok(Reader {
            file,
            written: self.written,
            window: Window::default(),
        })
    }

    /// Appends a body; returns its place.
    pub(crate) fn append(&mut self, parts: &Parts<'_>) -> Result<Place> {
        let at = self.written + self.pending.len() as u64;
        let lengths = [
            parts.encoded.len(),
            parts.text.len(),
            parts.html.len(),
            parts.source_json.len(),
        ];
        for length in lengths {
            let length = u32::try_from(length).context("an item too large to stage")?;
            self.pending.extend_from_slice(&length.to_le_bytes());
        }
        self.pending.extend_from_slice(parts.encoded);
        self.pending.extend_from_slice(parts.text.as_bytes());
        self.pending.extend_from_slice(parts.html.as_bytes());
        self.pending.extend_from_slice(parts.source_json.as_bytes());
        let len = self.written + self.pending.len() as u64 - at;
        if self.pending.len() >= WRITE_CHUNK {
            self.flush()?;
        }
        Ok((at, len))
    }

    fn flush(&mut self) -> Result<()> {
        if !self.pending.is_empty() {
            // Positioned reads and writes: a body read out of order costs one system call,
            // not a seek and a read (852,000 of them in a 1M-post collect written by URI).
            write_at(&self.file, &self.pending, self.written)
                .context("cannot write staged items to a temporary file")?;
            self.written += self.pending.len() as u64;
            self.pending.clear();
        }
        Ok(())
    }

    /// The body at `place`.
    pub(crate) fn read(&mut self, place: Place) -> Result<Body> {
        self.flush()?;
        self.window.read(&self.file, self.written, place)
    }
}

impl Window {
    /// The body at `place` in `file`, of which `written` bytes are written: from the window
    /// when it holds it; else the window moves there, a chunk when just ahead (bodies read in
    /// order), else the body alone.
    fn read(&mut self, file: &File, written: u64, (at, len): Place) -> Result<Body> {
        let len = usize::try_from(len)?;
        let end = at
            .checked_add(len as u64)
            .context("a staged item out of place")?;
        if end > written {
            bail!("a staged item beyond the end of its file");
        }
        let window_end = self.at + self.bytes.len() as u64;
        if at < self.at || end > window_end {
            let ahead = at >= window_end && at - window_end < READ_CHUNK as u64;
            let chunk = if ahead || self.bytes.is_empty() {
                READ_CHUNK
            } else {
                len
            };
            let size = usize::try_from(written - at)?.min(len.max(chunk));
            self.bytes.resize(size, 0);
            read_at(file, &mut self.bytes, at).context("cannot read staged items back")?;
            self.at = at;
        }
        let start = usize::try_from(at - self.at)?;
        split(&self.bytes[start..start + len])
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(unix)]
fn write_at(file: &File, buf: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, at)
}

#[cfg(not(unix))]
fn read_at(mut file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(at))?;
    file.read_exact(buf)
}

#[cfg(not(unix))]
fn write_at(mut file: &File, buf: &[u8], at: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    file.seek(SeekFrom::Start(at))?;
    file.write_all(buf)
}

/// A body's parts, from its bytes as [`Bodies::append`] wrote them.
fn split(bytes: &[u8]) -> Result<Body> {
    let (head, mut rest) = bytes
        .split_at_checked(16)
        .context("a staged item cut short")?;
    let mut lengths = head
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let mut next = || -> Result<&[u8]> {
        let length = lengths.next().unwrap_or(0);
        let (part, after) = rest
            .split_at_checked(length)
            .context("a staged item cut short")?;
        rest = after;
        Ok(part)
    };
    let encoded = next()?.to_vec();
    let text = String::from_utf8(next()?.to_vec())?;
    let html = String::from_utf8(next()?.to_vec())?;
    let source_json = String::from_utf8(next()?.to_vec())?;
    Ok(Body {
        encoded,
        text,
        html,
        source_json,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(n: usize) -> (Vec<u8>, String, String, String) {
        (
            vec![n as u8; n % 7],
            format!("text {n} é"),
            "<p>".repeat(n % 5),
            "{}".repeat(n * 997 % 4000),
        )
    }

    /// Bodies come back as written, in order, out of order, across the chunks written and
    /// read, and after the file is emptied for a new run.
    #[test]
    fn bodies_read_back_as_written() {
        let mut bodies = Bodies::new().unwrap();
        for round in 0..2 {
            let mut places = Vec::new();
            for n in 0..3000 {
                let (encoded, text, html, source_json) = body(n + round);
                let parts = Parts {
                    encoded: &encoded,
                    text: &text,
                    html: &html,
                    source_json: &source_json,
                };
                places.push(bodies.append(&parts).unwrap());
            }
            assert!(bodies.written > 2 * WRITE_CHUNK as u64);
            let order = (0..3000).chain((0..3000).rev().step_by(7));
            for n in order {
                let got = bodies.read(places[n]).unwrap();
                let (encoded, text, html, source_json) = body(n + round);
                assert_eq!(got.encoded, encoded);
                assert_eq!(got.text, text);
                assert_eq!(got.html, html);
                assert_eq!(got.source_json, source_json);
            }
            bodies.clear().unwrap();
        }
        assert!(bodies.read((0, 16)).is_err());
    }
}
