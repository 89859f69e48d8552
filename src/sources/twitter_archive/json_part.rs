//! Streaming a data file's JSON out of its JavaScript wrapper.

use std::io::{self, BufRead, Read};

use super::MAX_PREFIX;

/// Streams a data file's JSON: drops the `window.YTD.<name>.partN =` prefix (everything up to
/// and including the first `=` before the first `[` or `{`; a file without one passes as it is)
/// and the `;` and whitespace that end the file.
pub(super) struct JsonPart<R> {
    inner: R,
    started: bool,
    done: bool,
    /// Bytes ready to hand out, from `pos` on.
    ready: Vec<u8>,
    pos: usize,
    /// Trailing `;` and whitespace read so far, handed out only if more JSON follows.
    held: Vec<u8>,
}

impl<R: BufRead> JsonPart<R> {
    pub(super) fn new(inner: R) -> Self {
        JsonPart {
            inner,
            started: false,
            done: false,
            ready: Vec::new(),
            pos: 0,
            held: Vec::new(),
        }
    }

    /// Reads up to the first `[` or `{` and keeps what follows the prefix.
    fn start(&mut self) -> io::Result<()> {
        self.started = true;
        let mut head = Vec::new();
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            match buf.iter().position(|&b| b == b'[' || b == b'{') {
                Some(open) => {
                    head.extend_from_slice(buf.get(..open).unwrap_or_default());
                    self.inner.consume(open);
                    break;
                }
                None => {
                    let n = buf.len();
                    head.extend_from_slice(buf);
                    self.inner.consume(n);
                }
            }
            if head.len() > MAX_PREFIX {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "no JSON array or object near the start of the data file",
                ));
            }
        }
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        let kept = match head.iter().position(|&b| b == b'=') {
            Some(eq) => head.get(eq + 1..).unwrap_or_default().trim_ascii_start(),
            None => head,
        };
        self.hold(kept.to_vec());
        Ok(())
    }

    /// Adds freshly read bytes: all but the trailing `;`/whitespace become ready.
    fn hold(&mut self, bytes: Vec<u8>) {
        let mut data = std::mem::take(&mut self.held);
        data.extend(bytes);
        let keep = data
            .iter()
            .rposition(|&b| b != b';' && !b.is_ascii_whitespace())
            .map_or(0, |last| last + 1);
        self.held = data.split_off(keep);
        self.ready = data;
        self.pos = 0;
    }
}

impl<R: BufRead> Read for JsonPart<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if !self.started {
            self.start()?;
        }
        while self.pos >= self.ready.len() && !self.done {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                self.done = true;
                self.held.clear();
                break;
            }
            let chunk = buf.to_vec();
            self.inner.consume(chunk.len());
            self.hold(chunk);
        }
        let available = self.ready.get(self.pos..).unwrap_or_default();
        let n = available.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), available.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos += n;
        Ok(n)
    }
}
