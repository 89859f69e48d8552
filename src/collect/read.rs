//! Reading one source: bytes from a file or stdin, JSON with positions in every syntax error,
//! format detection, parsing.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::LoadedSource;
use crate::sources::{self, Format, KNOWN_FORMATS, Parsed};

/// Where a source comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceInput {
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(PathBuf),
}

impl SourceInput {
    /// How the source is named in messages and in the `sources` table.
    pub fn location(&self) -> String {
        match self {
            SourceInput::Stdin => "-".to_string(),
            SourceInput::File(path) => path.display().to_string(),
        }
    }
}

/// Reads and parses one source. The error is a complete message naming the source and, for
/// JSON syntax errors, the line and column.
pub fn read_source(input: &SourceInput) -> Result<LoadedSource, String> {
    let location = input.location();
    let bytes = read_bytes(input).map_err(|e| format!("cannot read `{location}`: {e}"))?;
    let doc = parse_json(&bytes).map_err(|e| format!("`{location}`:{e}"))?;
    let format = sources::detect(&doc).ok_or_else(|| {
        format!("`{location}`: unrecognised format; tagstory reads {KNOWN_FORMATS}")
    })?;
    let mut parsed = Parsed::default();
    format
        .parse(&doc, &mut parsed)
        .map_err(|e| format!("`{location}`: not readable as {}: {e}", format.name()))?;
    if let SourceInput::File(path) = input
        && format == Format::ActivityPub
    {
        add_export_actor(path, &doc, &mut parsed);
    }
    Ok(LoadedSource {
        location,
        format,
        parsed,
    })
}

fn read_bytes(input: &SourceInput) -> std::io::Result<Vec<u8>> {
    match input {
        SourceInput::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin().lock().read_to_end(&mut buf)?;
            Ok(buf)
        }
        SourceInput::File(path) => std::fs::read(path),
    }
}

/// Parses JSON, naming the line and column of a syntax error as `LINE:COL: message`.
fn parse_json(bytes: &[u8]) -> Result<Value, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(|e| {
        let message = e.to_string();
        let message = message
            .rfind(" at line ")
            .map_or(message.as_str(), |at| &message[..at]);
        format!("{}:{}: invalid JSON: {message}", e.line(), e.column())
    })
}

/// A Mastodon account export names its author only in `actor.json` beside `outbox.json`: read
/// it too, so the posts get a name and an avatar. Trouble with it is a warning, not a failure.
fn add_export_actor(outbox: &Path, doc: &Value, parsed: &mut Parsed) {
    let is_export = doc.get("id").and_then(Value::as_str) == Some("outbox.json")
        || outbox.file_name().is_some_and(|n| n == "outbox.json");
    let actor_path = outbox.with_file_name("actor.json");
    if !is_export || !actor_path.is_file() {
        return;
    }
    let pointer = format!("(beside it) {}", actor_path.display());
    let actor = std::fs::read(&actor_path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| parse_json(&bytes));
    let mut actor_items = Parsed::default();
    match actor.map(|doc| Format::ActivityPub.parse(&doc, &mut actor_items)) {
        Ok(Ok(())) => {
            actor_items.items.append(&mut parsed.items);
            parsed.items = actor_items.items;
        }
        Ok(Err(e)) => parsed.warnings.push(sources::Warning {
            pointer,
            message: e.to_string(),
        }),
        Err(e) => parsed.warnings.push(sources::Warning {
            pointer,
            message: e,
        }),
    }
}
