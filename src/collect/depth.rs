//! Deeply nested JSON: real Bluesky threads nest one level per ancestor, deeper than
//! serde_json's fixed limit of 128, so that limit is lifted and the stack grows on demand
//! (`serde_stacker`). What stays bounded is the nesting itself: [`DepthScan`] counts it and
//! stops a document nested deeper than [`MAX_DEPTH`], so hostile input cannot make anything
//! that walks or drops the parsed value recurse without end.

use std::io;

use serde::Deserialize;
use serde_json::Value;

/// The deepest nesting of arrays and objects accepted in one document.
pub(super) const MAX_DEPTH: usize = 10_000;

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
    deeply(text.as_bytes(), serde_json::Deserializer::from_str(text))
}

/// Parses one JSON document from `bytes`, as [`value_from_str`] does from text.
pub(super) fn value_from_slice(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    match serde_json::from_slice(bytes) {
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {}
        shallow => return shallow,
    }
    deeply(bytes, serde_json::Deserializer::from_slice(bytes))
}

/// Parses `bytes`, which nest deeper than serde_json's limit, with `de` reading them: once
/// their depth is known to be within [`MAX_DEPTH`], on a growing stack.
fn deeply<'de, R: serde_json::de::Read<'de>>(
    bytes: &[u8],
    mut de: serde_json::Deserializer<R>,
) -> Result<Value, serde_json::Error> {
    DepthScan::default()
        .feed(bytes)
        .map_err(serde_json::Error::io)?;
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
        assert!(value_from_slice(nested(5_000).as_bytes()).is_ok());
    }

    #[test]
    fn deeper_than_the_limit_is_refused_not_overflowed() {
        let deep = nested(MAX_DEPTH + 1);
        let err = value_from_str(&deep).unwrap_err();
        assert!(err.to_string().contains("nested more than"), "{err}");
        let err = value_from_slice(deep.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("nested more than"), "{err}");
        // Brackets inside strings do not count.
        let quoted = format!("[\"{}\"]", "[".repeat(MAX_DEPTH * 2));
        assert!(value_from_str(&quoted).is_ok());
    }
}
