//! `tagstory render`: assemble the story of a tag and write it as HTML, JSON or Markdown.

use anyhow::{Context, Result, bail};

use super::{Outcome, open_archive_to_read, stories_hint};
use crate::cli::{FormatArg, OrderArg, RenderArgs};
use crate::render::{OutputFormat, html, json, markdown};
use crate::story::{self, Clock, Input, Options, Order};
use crate::tag;

/// Runs `render`.
pub fn run(args: &RenderArgs) -> Result<Outcome> {
    let tag = tag::normalize(&args.tag);
    let clock = Clock::named(&args.timezone).map_err(anyhow::Error::msg)?;
    let store = open_archive_to_read(&args.db, &args.tag)?;
    let posts = store.load_story(&tag)?;
    if posts.is_empty() {
        bail!(
            "the archive `{}` holds no story for #{tag}{}",
            args.db.display(),
            stories_hint(&store)?
        );
    }
    let input = Input {
        posts,
        curations: store.load_curations(&tag)?,
        curator: store.load_curator(&tag)?,
        sources: store.load_sources(&tag)?,
    };
    drop(store);
    let display_tag = display_form(&args.tag);
    let options = Options {
        order: match args.order {
            OrderArg::Threads => Order::Threads,
            OrderArg::Time => Order::Time,
        },
        clock,
        title: args.title.clone(),
        display_tag: display_tag.clone(),
        now: None,
    };
    let story = story::assemble(&tag, input, &options);
    let format = match args.format {
        FormatArg::Html => OutputFormat::Html,
        FormatArg::Json => OutputFormat::Json,
        FormatArg::Markdown => OutputFormat::Markdown,
        FormatArg::Jsonl => OutputFormat::Jsonl,
    };
    let bytes = match format {
        OutputFormat::Html => html::render_story(&story)
            .context("cannot render the story page")?
            .into_bytes(),
        OutputFormat::Json => {
            let mut bytes = Vec::new();
            json::write_story(&mut bytes, &story)?;
            bytes
        }
        OutputFormat::Markdown => markdown::render_story(&story).into_bytes(),
        OutputFormat::Jsonl => {
            let mut bytes = Vec::new();
            json::write_lines(&mut bytes, &story)?;
            bytes
        }
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| format!("{}.{}", file_stem(&display_tag, &tag), format.extension()));
    super::output::write_output(&out, &bytes)?;
    if out != "-" {
        let o = &story.overview;
        let hidden = if o.hidden_count > 0 {
            format!(
                ", {} left out by the curator",
                super::plural(o.hidden_count, "post")
            )
        } else {
            String::new()
        };
        eprintln!(
            "wrote {out}: {}{hidden}, {} bytes",
            super::plural(o.post_count, "post"),
            bytes.len()
        );
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
