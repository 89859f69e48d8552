//! `tagstory search`: full-text search inside one story.

use anyhow::Result;

use super::{Outcome, one_line, read_archive, require_story};
use crate::cli::SearchArgs;
use crate::tag;

/// Runs `search`.
pub fn run(args: &SearchArgs) -> Result<Outcome> {
    let tag = tag::normalize(&args.tag);
    let query = args.query.join(" ");
    let (_, hits) = read_archive(&args.db.db, &args.tag, |store| {
        require_story(store, &args.db.db, &tag)?;
        store.search(&tag, &query, args.fts, args.limit)
    })?;
    for h in &hits {
        let link = h.url.as_deref().unwrap_or(&h.uri);
        println!(
            "{}  {}\n    {}\n    {link}",
            h.created_at.format("%Y-%m-%d %H:%M UTC"),
            one_line(&h.author_handle),
            one_line(&h.snippet)
        );
    }
    let n = hits.len();
    eprintln!(
        "{n} match{} for `{query}` in #{tag}",
        if n == 1 { "" } else { "es" }
    );
    Ok(Outcome::Done)
}
