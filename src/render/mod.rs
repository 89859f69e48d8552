//! Output formats of a story: a self-contained HTML page and the JSON contract.

pub mod html;
pub mod json;

/// Output formats `render` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// One self-contained HTML page.
    Html,
    /// The stable JSON contract (see [`json`]).
    Json,
}

impl OutputFormat {
    /// File extension of the default output file.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Html => "html",
            OutputFormat::Json => "json",
        }
    }
}
