//! `tagstory render`: read a story from the archive and write it as HTML or JSON.

use anyhow::{Context, Result, bail};

use super::Outcome;
use crate::cli::{FormatArg, RenderArgs};
use crate::render::{OutputFormat, html, json};
use crate::store::Store;
use crate::story::build_story;
use crate::tag;

/// Runs `render`.
pub fn run(args: &RenderArgs) -> Result<Outcome> {
    let tag = tag::normalize(&args.tag);
    if !args.db.exists() {
        bail!(
            "no archive at `{}`; collect into it first (`tagstory collect --tag {} --db {} FILE...`)",
            args.db.display(),
            args.tag,
            args.db.display()
        );
    }
    let store = Store::open_read_only(&args.db)?;
    let posts = store.load_story(&tag)?;
    if posts.is_empty() {
        bail!(
            "the archive `{}` holds no story for #{tag}; collect it first",
            args.db.display()
        );
    }
    let curations = store.load_curations(&tag)?;
    let display_tag = display_form(&args.tag);
    // A curated story names the page; with several, the first (oldest) does.
    let title = args
        .title
        .clone()
        .or_else(|| curations.first().map(|c| c.title.clone()))
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| format!("#{display_tag}"));
    let format = match args.format {
        FormatArg::Html => OutputFormat::Html,
        FormatArg::Json => OutputFormat::Json,
    };
    let mut bytes = Vec::new();
    match format {
        OutputFormat::Html => {
            let story = build_story(&tag, &title, &posts, &curations);
            bytes = html::render_story(&story)
                .context("cannot render the story page")?
                .into_bytes();
        }
        OutputFormat::Json => json::write_story(&mut bytes, &tag, &title, &posts, &curations)?,
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| format!("{}.{}", file_stem(&display_tag, &tag), format.extension()));
    super::output::write_output(&out, &bytes)?;
    if out != "-" {
        eprintln!("wrote {out}: {} posts, {} bytes", posts.len(), bytes.len());
    }
    Ok(Outcome::Done)
}

/// The tag as the user wrote it, without `#`.
fn display_form(tag: &str) -> String {
    tag.trim().trim_start_matches(['#', '＃']).to_string()
}

/// A file name from the tag: the user's spelling if it is plain, else the normalised form.
fn file_stem(display: &str, normalised: &str) -> String {
    let plain = !display.is_empty()
        && display
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if plain {
        display.to_string()
    } else {
        normalised.to_string()
    }
}
