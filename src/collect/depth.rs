//! Deeply nested JSON: real Bluesky threads nest one level per ancestor, deeper than
//! serde_json's fixed limit of 128, so that limit is lifted and the stack grows on demand
//! (`serde_stacker`). What stays bounded is the nesting itself: [`DepthGuard`] counts it as the
//! bytes stream past and stops a document nested deeper than [`MAX_DEPTH`], so hostile input
//! cannot make anything that walks or drops the parsed value recurse without end.

use std::io::{self, Read};

use serde::Deserialize;
use serde_json::Value;

/// The deepest nesting of arrays and objects accepted in one document.
pub(super) const MAX_DEPTH: usize = 10_000;

/// Counts `[`/`{` nesting outside strings in the bytes read through it, and the bytes
/// themselves on a [`Meter`] when it has one.
///
/// serde_json reads from an `io::Read` one byte per call; the guard reads ahead a block at a
/// time and scans and meters the block at once, so that each of those calls only copies a byte
/// (scanning byte by byte through the layers was a third of reading a JSON array, issue 10).
/// What it reports is therefore up to one block ahead of the parser.
pub(super) struct DepthGuard<R> {
    inner: R,
    scan: DepthScan,
    meter: Option<Meter>,
    block: Box<[u8]>,
    start: usize,
    end: usize,
}

/// The bytes read ahead at a time.
const BLOCK: usize = 64 << 10;

impl<R> DepthGuard<R> {
    pub(super) fn new(inner: R) -> Self {
        DepthGuard {
            inner,
            scan: DepthScan::default(),
            meter: None,
            block: vec![0; BLOCK].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    /// A guard that also counts the bytes read on `meter`.
    pub(super) fn metered(inner: R, meter: Meter) -> Self {
        DepthGuard {
            meter: Some(meter),
            ..DepthGuard::new(inner)
        }
    }
}

impl<R: Read> Read for DepthGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.start == self.end {
            let n = self.inner.read(&mut self.block)?;
            let kept = self.scan.feed(&self.block[..n])?;
            if let Some(meter) = &self.meter {
                meter.add(kept)?;
            }
            (self.start, self.end) = (0, n);
        }
        let n = buf.len().min(self.end - self.start);
        let bytes = &self.block[self.start..self.start + n];
        buf[..n].copy_from_slice(bytes);
        if let Some(meter) = &self.meter {
            meter.capture(bytes);
        }
        self.start += n;
        Ok(n)
    }
}

/// The bytes read since the reader last let go of what it held (a chunk of array elements
/// parsed and dropped), shared between a [`DepthGuard`] and the visitor that streams a
/// document. Past `limit` the read fails: one element or document that large is refused
/// rather than held in memory (see: issue 11, where one 100 MB status peaked at 340 MB).
#[derive(Clone)]
pub(super) struct Meter(std::rc::Rc<MeterState>);

struct MeterState {
    held: std::cell::Cell<usize>,
    limit: usize,
    exceeded: std::cell::Cell<bool>,
    /// The bytes read since [`Meter::start_capture`], while capturing: the text of the array
    /// element being read, to fingerprint.
    captured: std::cell::RefCell<Option<Vec<u8>>>,
    /// What was read since capturing started went past the limit (whitespace, which is not
    /// held, included): it is not kept, and that value gets no fingerprint.
    overflowed: std::cell::Cell<bool>,
}

impl Meter {
    pub(super) fn new(limit: usize) -> Meter {
        Meter(std::rc::Rc::new(MeterState {
            held: std::cell::Cell::new(0),
            limit,
            exceeded: std::cell::Cell::new(false),
            captured: std::cell::RefCell::new(None),
            overflowed: std::cell::Cell::new(false),
        }))
    }

    fn capture(&self, bytes: &[u8]) {
        if let Some(captured) = self.0.captured.borrow_mut().as_mut() {
            if self.0.overflowed.get() || captured.len() + bytes.len() > self.0.limit {
                self.0.overflowed.set(true);
                captured.clear();
            } else {
                captured.extend_from_slice(bytes);
            }
        }
    }

    /// Keeps the bytes read from now on, until [`Meter::take_capture`].
    pub(super) fn start_capture(&self) {
        let mut captured = self.0.captured.borrow_mut();
        match captured.as_mut() {
            Some(bytes) => bytes.clear(),
            None => *captured = Some(Vec::new()),
        }
    }

    /// The bytes read since [`Meter::start_capture`] or the last take, without the separators
    /// and whitespace around a value (`,` between array elements); `None` past the limit.
    /// Capturing goes on afresh.
    pub(super) fn take_capture(&self) -> Option<Vec<u8>> {
        let mut captured = self.0.captured.borrow_mut();
        let bytes = captured.as_mut()?;
        if self.0.overflowed.replace(false) {
            return None;
        }
        let text = bytes.trim_ascii();
        let text = text.strip_prefix(b",").unwrap_or(text).trim_ascii();
        let value = text.to_vec();
        bytes.clear();
        Some(value)
    }

    /// Stops capturing.
    pub(super) fn stop_capture(&self) {
        *self.0.captured.borrow_mut() = None;
        self.0.overflowed.set(false);
    }

    fn add(&self, n: usize) -> io::Result<()> {
        let held = self.0.held.get().saturating_add(n);
        self.0.held.set(held);
        if held > self.0.limit {
            self.0.exceeded.set(true);
            return Err(io::Error::other(format!(
                "one document is larger than {} bytes",
                self.0.limit
            )));
        }
        Ok(())
    }

    /// Bytes read since the last [`Meter::release`].
    pub(super) fn held(&self) -> usize {
        self.0.held.get()
    }

    /// What was read so far is no longer held.
    pub(super) fn release(&self) {
        self.0.held.set(0);
    }

    /// The limit, which a read went past if [`Meter::exceeded`].
    pub(super) fn limit(&self) -> usize {
        self.0.limit
    }

    /// Whether a read went past the limit.
    pub(super) fn exceeded(&self) -> bool {
        self.0.exceeded.get()
    }
}

/// The nesting state of a JSON text, fed in pieces.
#[derive(Default)]
pub(super) struct DepthScan {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl DepthScan {
    /// Scans `bytes`; returns how many of them a parser keeps (all but whitespace between
    /// values, which a hostile file may hold gigabytes of).
    pub(super) fn feed(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut kept = 0;
        for &b in bytes {
            if self.in_string {
                kept += 1;
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'[' | b'{' => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(io::Error::other(format!(
                            "arrays and objects nested more than {MAX_DEPTH} deep"
                        )));
                    }
                }
                b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                b' ' | b'\t' | b'\n' | b'\r' => continue,
                _ => {}
            }
            kept += 1;
        }
        Ok(kept)
    }
}

/// Parses one JSON document from `text`, however deeply nested (up to [`MAX_DEPTH`]).
///
/// Almost every document nests less than serde_json's own limit of 128 and is parsed at once;
/// only one that reaches it is scanned for its depth and parsed again on a growing stack (the
/// scan of every line was 4% of a collect, issue 10).
pub(super) fn value_from_str(text: &str) -> Result<Value, serde_json::Error> {
    match serde_json::from_str(text) {
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {}
        shallow => return shallow,
    }
    DepthScan::default()
        .feed(text.as_bytes())
        .map_err(serde_json::Error::io)?;
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let value = Value::deserialize(serde_stacker::Deserializer::new(&mut de))?;
    de.end()?;
    Ok(value)
}

/// Parses one JSON document from `bytes`, as [`value_from_str`] does from text.
pub(super) fn value_from_slice(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    match serde_json::from_slice(bytes) {
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {}
        shallow => return shallow,
    }
    DepthScan::default()
        .feed(bytes)
        .map_err(serde_json::Error::io)?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let value = Value::deserialize(serde_stacker::Deserializer::new(&mut de))?;
    de.end()?;
    Ok(value)
}

/// Parses one JSON document from `reader`, however deeply nested (up to [`MAX_DEPTH`]).
#[cfg(test)]
pub(super) fn value_from_reader(reader: impl Read) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_reader(DepthGuard::new(reader));
    de.disable_recursion_limit();
    let value = Value::deserialize(serde_stacker::Deserializer::new(&mut de))?;
    de.end()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn deeper_than_serde_json_alone_allows() {
        assert!(serde_json::from_str::<Value>(&nested(200)).is_err());
        assert!(value_from_str(&nested(5_000)).is_ok());
        assert!(value_from_reader(nested(5_000).as_bytes()).is_ok());
    }

    #[test]
    fn deeper_than_the_limit_is_refused_not_overflowed() {
        let deep = nested(MAX_DEPTH + 1);
        let err = value_from_str(&deep).unwrap_err();
        assert!(err.to_string().contains("nested more than"), "{err}");
        let err = value_from_reader(deep.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("nested more than"), "{err}");
        // Brackets inside strings do not count.
        let quoted = format!("[\"{}\"]", "[".repeat(MAX_DEPTH * 2));
        assert!(value_from_str(&quoted).is_ok());
    }
}
