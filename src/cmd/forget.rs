//! `tagstory forget`: erase posts or an author for good, then compact the archive so the bytes
//! leave the file. A name that matches nothing, or several, changes nothing.

use anyhow::{Result, bail};

use super::{Outcome, plural};
use crate::cli::ForgetArgs;
use crate::store::{ForgetReport, PostMatch, Store};

/// Runs `forget`.
pub fn run(args: &ForgetArgs) -> Result<Outcome> {
    let db = &args.db.db;
    if !db.exists() {
        bail!("no archive at `{}`; nothing to forget", db.display());
    }
    let mut store = Store::open(db)?;
    let (what, report) = match &args.author {
        Some(name) => {
            let author = one_author(&store, name)?;
            let who = if author.handle.is_empty() {
                &author.uri
            } else {
                &author.handle
            };
            let what = format!("{who} and all their posts");
            (what, store.forget_author(&author)?)
        }
        None => {
            let uris = resolve(&store, &args.post)?;
            (
                plural(uris.len() as u64, "post"),
                store.forget_posts(&uris)?,
            )
        }
    };
    store.compact()?;
    eprintln!("forgot {what}: {}", describe(&report));
    Ok(Outcome::Done)
}

fn one_author(store: &Store, name: &str) -> Result<crate::store::StoredAuthor> {
    let mut found = store.find_authors(name)?;
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => bail!(
            "no author in the archive is `{name}` (give their handle as `tagstory render \
             --format json` shows it, such as `@name@server`, or their profile URL); nothing \
             was changed"
        ),
        _ => bail!(
            "`{name}` names more than one author: {}; give their profile URL; nothing was \
             changed",
            found
                .iter()
                .map(|a| format!("`{}` ({})", a.handle, a.uri))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn resolve(store: &Store, names: &[String]) -> Result<Vec<String>> {
    let mut uris = Vec::with_capacity(names.len());
    let mut problems = Vec::new();
    for name in names {
        match store.find_post_anywhere(name)? {
            PostMatch::One(uri) => uris.push(uri),
            PostMatch::None => problems.push(format!(
                "no post in the archive is `{name}` (give a post's URI, its permalink, or the \
                 start of either, as `tagstory render --format json` shows them)"
            )),
            PostMatch::Several(some) => problems.push(format!(
                "`{name}` names more than one post, such as {}; give more of it",
                some.iter()
                    .take(3)
                    .map(|u| format!("`{u}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    if !problems.is_empty() {
        bail!("{}; nothing was changed", problems.join("; "));
    }
    uris.sort();
    uris.dedup();
    Ok(uris)
}

/// `erased 3 posts, 1 earlier version, …; scrubbed … from 2 other posts; 9 hashes …`.
fn describe(r: &ForgetReport) -> String {
    let mut erased = vec![plural(r.posts, "post")];
    for (n, what) in [
        (r.revisions, "earlier version"),
        (r.media, "attachment"),
        (r.media_files, "archived media file"),
        (r.boosts, "boost"),
        (r.curation, "curator's note or mark on them"),
        (r.authors, "author profile"),
    ] {
        if n > 0 {
            erased.push(if what.ends_with("on them") {
                format!("{n} {what}")
            } else {
                plural(n, what)
            });
        }
    }
    let mut named = plural(r.scrubbed, "other post");
    if r.other_texts > 0 {
        named.push_str(&format!(
            " and {}",
            crate::words::counted(
                r.other_texts,
                "curator's text or description",
                "curator's texts or descriptions"
            )
        ));
    }
    format!(
        "erased {}; removed them from {named} that named them; kept {} (nothing readable) so \
         later collects leave them out; compacted the archive so the bytes are gone from the file",
        erased.join(", "),
        crate::words::counted(r.hashes, "hash", "hashes")
    )
}
