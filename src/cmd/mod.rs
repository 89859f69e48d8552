//! One module per subcommand: each turns its clap arguments into work and reports to stderr.
//! What several of them share (opening an existing archive, naming posts, reading a Markdown
//! file, plurals) lives here.

pub mod collect;
pub mod forget;
pub mod hide;
pub mod list;
pub mod media;
pub mod note;
pub mod output;
pub mod render;
mod render_files;
pub mod search;
pub mod story;

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::cli::{Cli, Command};
use crate::store::{PostMatch, Store};

/// How a command ended, when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything was done.
    Done,
    /// Done, but some sources failed.
    SourcesFailed,
    /// Done, but some records were skipped.
    RecordsSkipped,
}

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Collect(args) => collect::run(&args),
        Command::Render(args) => render::run(&args),
        Command::Story(args) => story::run(&args),
        Command::Note(args) => note::run(&args),
        Command::Hide(args) => hide::run(&args, true),
        Command::Unhide(args) => hide::run(&args, false),
        Command::Forget(args) => forget::run(&args),
        Command::List(args) => list::run(&args),
        Command::Search(args) => search::run(&args),
        Command::Media(args) => media::run(&args),
    }
}

pub use crate::words::plural;

/// Opens an archive that must already exist (every command but `collect` reads one), to
/// change it.
pub fn open_archive(db: &Path, tag_as_typed: &str) -> Result<Store> {
    require_archive(db, tag_as_typed)?;
    Store::open(db)
}

/// Opens an archive that must already exist, only to read it: nothing is written, not even
/// the files SQLite keeps beside an archive it writes.
pub fn open_archive_to_read(db: &Path, tag_as_typed: &str) -> Result<Store> {
    require_archive(db, tag_as_typed)?;
    Store::open_read_only(db)
}

/// How many times an archive is read again when a collect changed it while it was read.
const READ_ATTEMPTS: usize = 10;

/// Opens the archive at `db` to read ([`open_archive_to_read`]) and runs `read` on one
/// committed state of it ([`Store::read_consistent`]): opened and read again when a collect
/// wrote the file under the reads.
pub fn read_archive<T>(
    db: &Path,
    tag_as_typed: &str,
    read: impl Fn(&Store) -> Result<T>,
) -> Result<(Store, T)> {
    for _ in 0..READ_ATTEMPTS {
        let store = open_archive_to_read(db, tag_as_typed)?;
        if let Some(value) = store.read_consistent(&read)? {
            return Ok((store, value));
        }
    }
    bail!(
        "the archive `{}` changed each of the {READ_ATTEMPTS} times it was read; try again \
         once the collect that writes it is done",
        db.display()
    )
}

fn require_archive(db: &Path, tag_as_typed: &str) -> Result<()> {
    if !db.exists() {
        bail!(
            "no archive at `{}`; collect into it first (`tagstory collect --tag {} --db {} FILE...`)",
            db.display(),
            tag_as_typed,
            db.display()
        );
    }
    Ok(())
}

/// `; it holds #a (12 posts), #b (3 posts)` or `; it holds no story yet`.
pub fn stories_hint(store: &Store) -> Result<String> {
    let stories = store.list_stories()?;
    if stories.is_empty() {
        return Ok("; it holds no story yet: collect one first".to_string());
    }
    let list: Vec<String> = stories
        .iter()
        .map(|s| format!("#{} ({})", s.tag, plural(s.posts, "post")))
        .collect();
    Ok(format!(
        "; it holds {} (see `tagstory list`)",
        list.join(", ")
    ))
}

/// Ensures the archive holds a story for `tag`, naming the ones it does hold otherwise.
pub fn require_story(store: &Store, db: &Path, tag: &str) -> Result<()> {
    if store.list_stories()?.iter().any(|s| s.tag == tag) {
        return Ok(());
    }
    bail!(
        "the archive `{}` holds no story for #{tag}{}",
        db.display(),
        stories_hint(store)?
    )
}

/// The URIs of the posts `names` name in the story of `tag`; an unknown or ambiguous name
/// fails the whole command before anything changes.
pub fn resolve_posts(store: &Store, tag: &str, names: &[String]) -> Result<Vec<String>> {
    let mut uris = Vec::with_capacity(names.len());
    let mut problems = Vec::new();
    for name in names {
        match store.find_post(tag, name)? {
            PostMatch::One(uri) => uris.push(uri),
            PostMatch::None => problems.push(format!(
                "no post of #{tag} is `{name}` (give a post's URI, its permalink, or the start \
                 of either, as `tagstory render --format json` shows them)"
            )),
            PostMatch::Several(some) => problems.push(format!(
                "`{name}` names more than one post of #{tag}, such as {}; give more of it",
                some.iter()
                    .take(3)
                    .map(|u| format!("`{u}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    if problems.is_empty() {
        Ok(uris)
    } else {
        bail!("{}; nothing was changed", problems.join("; "))
    }
}

/// A Markdown file's text (`-`: standard input), which must be UTF-8 and not empty.
pub fn read_markdown(path: &Path) -> Result<String> {
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input as UTF-8 text")?;
        text
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read `{}` as UTF-8 text", path.display()))?
    };
    if text.trim().is_empty() {
        bail!("`{}` is empty", path.display());
    }
    Ok(text)
}

/// Untrusted text for a terminal: on one line, control characters (which could drive the
/// terminal) shown as spaces.
pub fn one_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
