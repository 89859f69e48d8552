//! `tagstory story`: the title and introduction of a story, set or shown.

use anyhow::Result;

use super::{Outcome, open_archive, read_markdown, require_story};
use crate::cli::StoryArgs;
use crate::sanitize::markdown_to_html;
use crate::tag;

/// Runs `story`.
pub fn run(args: &StoryArgs) -> Result<Outcome> {
    let tag = tag::normalize(&args.tag);
    let mut store = open_archive(&args.db.db, &args.tag)?;
    require_story(&store, &args.db.db, &tag)?;
    let intro = args.intro_file.as_deref().map(read_markdown).transpose()?;
    if let Some(title) = &args.title {
        let title = title.trim();
        store.set_title(&tag, Some(title).filter(|t| !t.is_empty()))?;
    }
    if let Some(md) = &intro {
        store.set_intro(&tag, Some((md, &markdown_to_html(md))))?;
    } else if args.clear_intro {
        store.set_intro(&tag, None)?;
    }
    let curator = store.load_curator(&tag)?;
    println!(
        "title: {}",
        curator
            .title
            .as_deref()
            .unwrap_or("(default: the hashtag, or a curated story's title)")
    );
    match &curator.intro_markdown {
        Some(md) => println!("introduction:\n{}", md.trim_end()),
        None => println!("introduction: (none)"),
    }
    println!(
        "{} and {} left out",
        super::plural(curator.notes.len() as u64, "note"),
        super::plural(curator.hidden.len() as u64, "post")
    );
    Ok(Outcome::Done)
}
