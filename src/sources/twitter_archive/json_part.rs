//! Streaming a data file's JSON out of its JavaScript wrapper, in time and memory linear in
//! the file whatever its content: a megabyte-long run of whitespace is read as fast as any
//! other megabyte (see: issue 11, where each chunk of such a run rescanned the whole run).

use std::io::{self, BufRead, Read};

use super::MAX_PREFIX;

/// The most trailing `;`/whitespace bytes held back at once. A real file ends in `;\n`; a
/// longer run is either inside a string or the file's end padded on purpose, and past this
/// its whitespace is handed out (trailing whitespace is valid JSON), so memory stays bounded.
const MAX_HELD: usize = 64 * 1024;

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
    pub(super) held: Vec<u8>,
}

fn is_trailing(b: u8) -> bool {
    b == b';' || b.is_ascii_whitespace()
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
        self.hold(kept);
        Ok(())
    }

    /// Adds freshly read bytes: all but the trailing `;`/whitespace become ready. Only the new
    /// bytes are scanned: what is held is trailing bytes already, so a long run costs no more
    /// than its length. Called only once `ready` has been handed out.
    fn hold(&mut self, bytes: &[u8]) {
        self.ready.clear();
        self.pos = 0;
        match bytes.iter().rposition(|&b| !is_trailing(b)) {
            Some(last) => {
                let (body, tail) = bytes.split_at(last + 1);
                self.ready.append(&mut self.held);
                self.ready.extend_from_slice(body);
                self.held.extend_from_slice(tail);
            }
            None => self.held.extend_from_slice(bytes),
        }
        if self.held.len() > MAX_HELD {
            // Whitespace before the first `;` can go: it is harmless at the end of JSON. From a
            // `;` on, a run this long is handed out whole (its `;` is then inside a string, or
            // the file is not a plain data file).
            let cut = match self.held.iter().position(|&b| b == b';') {
                Some(0) | None => self.held.len(),
                Some(semicolon) => semicolon,
            };
            self.ready.extend(self.held.drain(..cut));
        }
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
            self.hold(&chunk);
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

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use super::*;

    /// See: issue 11. 16 MiB of spaces inside the array took 42 s, because each chunk of the
    /// run rescanned (and copied) everything held before it. Now at most [`MAX_HELD`] bytes
    /// plus one chunk are ever held, so the work per chunk is bounded, and the output is the
    /// input minus the prefix and the trailing `;`.
    #[test]
    fn a_long_whitespace_run_is_never_held_whole() {
        let run = 16 << 20;
        let mut input = b"window.YTD.tweets.part0 = [".to_vec();
        input.resize(input.len() + run, b' ');
        input.extend_from_slice(b"1] ;\n");
        let mut part = JsonPart::new(BufReader::with_capacity(8192, input.as_slice()));
        let (mut out, mut buf) = (Vec::new(), [0u8; 8192]);
        loop {
            let n = part.read(&mut buf).expect("reads");
            assert!(part.held.len() <= MAX_HELD + 8192, "{}", part.held.len());
            if n == 0 {
                break;
            }
            out.extend_from_slice(buf.get(..n).unwrap_or_default());
        }
        assert_eq!(out.len(), run + 3);
        assert!(out.starts_with(b"[ ") && out.ends_with(b" 1]"));
    }

    #[test]
    fn a_long_run_after_a_semicolon_inside_a_string_is_kept() {
        let mut input = b"[\"a;".to_vec();
        input.resize(input.len() + 3 * MAX_HELD, b' ');
        input.extend_from_slice(b"\"];\n");
        let mut out = Vec::new();
        JsonPart::new(BufReader::with_capacity(1000, input.as_slice()))
            .read_to_end(&mut out)
            .expect("reads");
        assert_eq!(out, input.get(..input.len() - 2).unwrap_or_default());
    }
}
