//! A parsed JSON value written back as compact text: the `source_json` every post keeps.
//! The bytes are exactly those of `serde_json::to_string`, found faster: a post's strings
//! are mostly HTML and prose with nothing to escape but quotes, and serde_json looks up every
//! byte in a table, which was 18% of the thread that reads a source (issue 10). Here a
//! string with no control character is copied between vectorised searches for `"` and `\`.
//! The walk keeps its own stack, so a value nested as deeply as the reader allows
//! (`collect::depth`) cannot overflow the thread's.

use std::fmt::Write as _;

use serde_json::{Map, Value};

/// What is left to write of an array or an object, and whether a comma goes before the next.
enum Open<'v> {
    Array(std::slice::Iter<'v, Value>, bool),
    Object(serde_json::map::Iter<'v>, bool),
}

/// `value` as compact JSON text, byte for byte what `serde_json::to_string` writes.
pub fn compact(value: &Value) -> String {
    write(String::with_capacity(512), Vec::new(), Some(value))
}

/// The object `entries` as compact JSON text, as [`compact`] writes it.
pub fn compact_object(entries: &Map<String, Value>) -> String {
    let out = String::from("{");
    write(out, vec![Open::Object(entries.iter(), false)], None)
}

/// Writes `next`, then the rest of every array and object still `open`, innermost first.
fn write<'v>(mut out: String, mut open: Vec<Open<'v>>, mut next: Option<&'v Value>) -> String {
    loop {
        match next.take() {
            Some(Value::Null) => out.push_str("null"),
            Some(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
            // A `Number`'s text is that of its serialisation (itoa, or zmij for a float: a
            // parsed number is always finite).
            Some(Value::Number(n)) => {
                let _ = write!(out, "{n}");
            }
            Some(Value::String(s)) => string(&mut out, s),
            Some(Value::Array(items)) => {
                out.push('[');
                open.push(Open::Array(items.iter(), false));
            }
            Some(Value::Object(entries)) => {
                out.push('{');
                open.push(Open::Object(entries.iter(), false));
            }
            None => {}
        }
        let Some(top) = open.last_mut() else {
            return out;
        };
        match top {
            Open::Array(items, comma) => match items.next() {
                Some(item) => {
                    if std::mem::replace(comma, true) {
                        out.push(',');
                    }
                    next = Some(item);
                }
                None => {
                    out.push(']');
                    open.pop();
                }
            },
            Open::Object(entries, comma) => match entries.next() {
                Some((key, item)) => {
                    if std::mem::replace(comma, true) {
                        out.push(',');
                    }
                    string(&mut out, key);
                    out.push(':');
                    next = Some(item);
                }
                None => {
                    out.push('}');
                    open.pop();
                }
            },
        }
    }
}

/// `s` as a JSON string, escaped as serde_json escapes: `"`, `\` and the control characters,
/// nothing else (not `/`, not DEL, not non-ASCII).
fn string(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    if has_control(bytes) {
        for (at, &b) in bytes.iter().enumerate() {
            let short = match b {
                b'"' => '"',
                b'\\' => '\\',
                0x08 => 'b',
                0x0c => 'f',
                b'\n' => 'n',
                b'\r' => 'r',
                b'\t' => 't',
                0..0x20 => {
                    out.push_str(&s[start..at]);
                    let _ = write!(out, "\\u{b:04x}");
                    start = at + 1;
                    continue;
                }
                _ => continue,
            };
            out.push_str(&s[start..at]);
            out.push('\\');
            out.push(short);
            start = at + 1;
        }
    } else {
        for at in memchr::memchr2_iter(b'"', b'\\', bytes) {
            out.push_str(&s[start..at]);
            out.push('\\');
            out.push(char::from(bytes[at]));
            start = at + 1;
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Whether `bytes` hold a control character. A fold without an early exit is vectorised; the
/// chunks let a long string with one stop early.
fn has_control(bytes: &[u8]) -> bool {
    bytes
        .chunks(256)
        .any(|chunk| chunk.iter().fold(false, |seen, &b| seen | (b < 0x20)))
}

#[cfg(test)]
mod tests {
    use super::{compact, compact_object};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn same_as_serde(value: &Value) {
        assert_eq!(compact(value), serde_json::to_string(value).unwrap());
        if let Value::Object(entries) = value {
            assert_eq!(
                compact_object(entries),
                serde_json::to_string(entries).unwrap()
            );
        }
    }

    #[test]
    fn every_escape_and_number_form_is_written_as_serde_json_writes_it() {
        let controls: String = (0u8..0x20).map(char::from).collect();
        let value = json!({
            "controls": controls,
            "quotes": "say \"hi\" \\ back\\",
            "kept": "a/b \u{7f} é 👩🏽‍⚕️ </script>",
            "numbers": [0, -1, u64::MAX, i64::MIN, 1.5, -0.0, 1e300, 2.5e-8, 0.1],
            "empty": [{}, [], ""],
            "nested": {"a": [null, true, false, {"b": []}]},
        });
        same_as_serde(&value);
        assert!(compact(&value).contains(r#""\u0000\u0001"#));
        assert!(compact(&value).contains(r"\b\t\n\u000b\f\r\u000e"));
    }

    #[test]
    fn nesting_as_deep_as_the_reader_allows_is_written_without_recursion() {
        // `collect::depth::MAX_DEPTH`, the deepest document the reader parses.
        let depth = 10_000;
        let mut value = Value::from(1);
        for _ in 0..depth {
            value = Value::Array(vec![value]);
        }
        // On a small stack, which a recursive writer would overflow.
        let (written, value) = std::thread::Builder::new()
            .stack_size(64 << 10)
            .spawn(move || (compact(&value), value))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(
            written,
            format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
        );
        drop(value);
    }

    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[\"\\\\\\x00-\\x1f a-z]{0,40}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..8)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_value_is_written_as_serde_json_writes_it(value in any_value()) {
            prop_assert_eq!(compact(&value), serde_json::to_string(&value).unwrap());
            if let Value::Object(entries) = &value {
                prop_assert_eq!(compact_object(entries), serde_json::to_string(entries).unwrap());
            }
        }
    }
}
