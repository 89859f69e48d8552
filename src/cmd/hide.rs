//! `tagstory hide` and `unhide`: leave posts out of a story, or put them back.

use anyhow::Result;

use super::{Outcome, open_archive, plural, require_story, resolve_posts};
use crate::cli::HideArgs;
use crate::tag;

/// Runs `hide` (or, with `hide` false, `unhide`).
pub fn run(args: &HideArgs, hide: bool) -> Result<Outcome> {
    let tag = tag::normalize(&args.tag);
    let mut store = open_archive(&args.db.db, &args.tag)?;
    require_story(&store, &args.db.db, &tag)?;
    let uris = resolve_posts(&store, &tag, &args.posts)?;
    let changed = if hide {
        store.hide(&tag, &uris)?
    } else {
        store.unhide(&tag, &uris)?
    };
    let unchanged = uris.len() - changed;
    let (done, already) = if hide {
        ("left out of", "already left out")
    } else {
        ("put back into", "not left out")
    };
    let mut line = format!("{} {done} #{tag}", plural(changed as u64, "post"));
    if unchanged > 0 {
        line.push_str(&format!("; {unchanged} {already}"));
    }
    eprintln!("{line}");
    Ok(Outcome::Done)
}
