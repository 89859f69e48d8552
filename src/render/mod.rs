//! Output formats of a story: a self-contained HTML page, the JSON contract and Markdown.
//! Each reads only the assembled [`crate::story::Story`].

pub mod html;
pub mod json;
pub mod markdown;

/// Output formats `render` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// One self-contained HTML page.
    Html,
    /// The stable JSON contract (see [`json`]).
    Json,
    /// Markdown (see [`markdown`]).
    Markdown,
    /// JSON Lines, one post per line (see [`json::write_lines`]).
    Jsonl,
}

impl OutputFormat {
    /// File extension of the default output file.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Html => "html",
            OutputFormat::Json => "json",
            OutputFormat::Markdown => "md",
            OutputFormat::Jsonl => "jsonl",
        }
    }
}
