//! `tagstory note`: a curator's notes, placed before or after posts.

use anyhow::{Result, bail};

use super::{Outcome, open_archive, read_markdown, require_story, resolve_posts};
use crate::cli::NoteArgs;
use crate::sanitize::markdown_to_html;
use crate::tag;

/// Runs `note`.
pub fn run(args: &NoteArgs) -> Result<Outcome> {
    let tag = tag::normalize(&args.tag);
    let mut store = open_archive(&args.db.db, &args.tag)?;
    require_story(&store, &args.db.db, &tag)?;
    if args.list {
        let curator = store.load_curator(&tag)?;
        if curator.notes.is_empty() {
            eprintln!("#{tag} has no notes");
        }
        for n in &curator.notes {
            let first = n
                .markdown
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim();
            let place = if n.after { "after" } else { "before" };
            println!("{}\t{place} {}\t{first}", n.id, n.post_uri);
        }
        for (uri, text) in &curator.warnings {
            println!("cw\ton {uri}\t{}", super::one_line(text));
        }
        return Ok(Outcome::Done);
    }
    if let Some(cw) = &args.cw {
        let Some(name) = args
            .on
            .as_ref()
            .or(args.after.as_ref())
            .or(args.before.as_ref())
        else {
            bail!("give the post the content warning is for with --on POST");
        };
        let uri = resolve_posts(&store, &tag, std::slice::from_ref(name))?.remove(0);
        let text = cw.trim();
        let changed = store.set_warning(&tag, &uri, Some(text).filter(|t| !t.is_empty()))?;
        match (text.is_empty(), changed) {
            (true, true) => eprintln!("removed the content warning on {uri}"),
            (true, false) => eprintln!("{uri} had no content warning from the curator"),
            (false, _) => eprintln!("content warning on {uri} and the replies under it: {text}"),
        }
        return Ok(Outcome::Done);
    }
    if let Some(id) = args.remove {
        if !store.remove_note(&tag, id)? {
            bail!("#{tag} has no note {id} (`tagstory note --tag {tag} --list` lists them)");
        }
        eprintln!("removed note {id}");
        return Ok(Outcome::Done);
    }
    let (name, after) = match (&args.after, &args.before) {
        (Some(post), None) => (post, true),
        (None, Some(post)) => (post, false),
        _ => bail!("give --after POST or --before POST"),
    };
    let Some(file) = &args.file else {
        bail!("give the note's text with --file NOTE.md");
    };
    let markdown = read_markdown(file)?;
    let uri = resolve_posts(&store, &tag, std::slice::from_ref(name))?.remove(0);
    let id = store.add_note(&tag, &uri, after, &markdown, &markdown_to_html(&markdown))?;
    let place = if after { "after" } else { "before" };
    eprintln!("added note {id} {place} {uri}");
    Ok(Outcome::Done)
}
