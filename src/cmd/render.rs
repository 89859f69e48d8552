//! `tagstory render`: assemble the story of a tag and write it as HTML, JSON or Markdown.

use anyhow::{Context, Result, bail};

use super::{Outcome, open_archive_to_read, stories_hint};
use crate::cli::{ConsentArg, FormatArg, OrderArg, RenderArgs};
use crate::render::{OutputFormat, html, json, markdown};
use crate::story::{self, Clock, ConsentMode, Input, Options, Order};
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
    let (deleted, not_stored_for_consent) = store.consent_counts(&tag)?;
    let input = Input {
        posts,
        curations: store.load_curations(&tag)?,
        curator: store.load_curator(&tag)?,
        sources: store.load_sources(&tag)?,
        deleted,
        not_stored_for_consent,
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
        consent: match args.consent {
            ConsentArg::Default => ConsentMode::Default,
            ConsentArg::Strict => ConsentMode::Strict,
            ConsentArg::Relaxed => ConsentMode::Relaxed,
        },
        anonymize: args.anonymize,
        indexable: args.indexable,
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
    let d = &story.datasheet;
    if d.anonymised > 0 || d.left_out_for_consent > 0 || d.not_stored_for_consent > 0 {
        eprintln!(
            "consent: {} shown under a pseudonym{}; {} left out (--consent strict); {} never \
             stored (author asked not to be archived)",
            super::plural(d.anonymised, "author"),
            if args.anonymize { " (--anonymize)" } else { "" },
            super::plural(d.left_out_for_consent, "post"),
            super::plural(d.not_stored_for_consent, "post"),
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
