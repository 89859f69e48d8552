//! `tagstory render`: assemble the story of a tag and write it as HTML, JSON, Markdown or JSON
//! Lines — one file, or a folder that holds the page, its archived media and the other forms.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use super::render_files::{embedded_pictures, write_folder};
use super::{Outcome, plural, read_archive, stories_hint};
use crate::cli::{ConsentArg, FormatArg, OrderArg, RenderArgs};
use crate::render::html::MediaLinks;
use crate::render::{OutputFormat, html, json, markdown};
use crate::store::Store;
use crate::story::{self, Clock, ConsentMode, Input, LocalFile, Options, Order, Story};
use crate::tag;

/// Runs `render`.
pub fn run(args: &RenderArgs) -> Result<Outcome> {
    let tag = tag::normalize(&args.tag);
    let clock = Clock::named(&args.timezone)?;
    let (store, input) =
        read_archive(&args.db, &args.tag, |store| input_of(store, &args.db, &tag))?;
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
    let story = Arc::new(story::assemble(&tag, input, &options));
    let format = match args.format {
        FormatArg::Html => OutputFormat::Html,
        FormatArg::Json => OutputFormat::Json,
        FormatArg::Markdown => OutputFormat::Markdown,
        FormatArg::Jsonl => OutputFormat::Jsonl,
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| format!("{}.{}", file_stem(&display_tag, &tag), format.extension()));
    if out != "-" && (out.ends_with('/') || Path::new(&out).is_dir()) {
        let written = write_folder(&store, &story, Path::new(&out), args.page_size)?;
        let pages = if written.pages > 0 {
            format!(
                ", {} (threads-N.html)",
                plural(written.pages, "thread page")
            )
        } else {
            String::new()
        };
        eprintln!(
            "wrote {out}: index.html{pages}, story.json, story.md and {} in media/ ({}), {}",
            plural(written.files, "file"),
            size_text(written.bytes),
            plural(story.overview.post_count, "post")
        );
        report_consent(args, &story);
        return Ok(Outcome::Done);
    }
    if format == OutputFormat::Html && out != "-" && story.overview.post_count > args.page_size {
        eprintln!(
            "note: {} make a long page; render to a folder (--out DIR/) to split it into an index \
             and thread pages of about {} posts",
            plural(story.overview.post_count, "post"),
            args.page_size
        );
    }
    let mut size = 0u64;
    super::output::write_output_with(&out, |w| {
        let mut w = Counting { inner: w, bytes: 0 };
        match format {
            OutputFormat::Html => {
                let media = Arc::new(single_page_media(&store, &story, args.embed_limit)?);
                html::write_story(&mut w, &story, &media)
                    .context("cannot render the story page")?;
            }
            OutputFormat::Json => json::write_story(&mut w, &story)?,
            OutputFormat::Markdown => markdown::write_story(&mut w, &story)?,
            OutputFormat::Jsonl => json::write_lines(&mut w, &story)?,
        }
        size = w.bytes;
        Ok(())
    })?;
    if out != "-" {
        let o = &story.overview;
        let hidden = if o.hidden_count > 0 {
            format!(
                ", {} left out by the curator",
                plural(o.hidden_count, "post")
            )
        } else {
            String::new()
        };
        eprintln!(
            "wrote {out}: {}{hidden}, {size} bytes",
            plural(o.post_count, "post"),
        );
    }
    report_consent(args, &story);
    Ok(Outcome::Done)
}

/// The story of `tag` and everything shown beside it.
fn input_of(store: &Store, db: &Path, tag: &str) -> Result<Input> {
    let posts = store.load_story(tag)?;
    if posts.is_empty() {
        bail!(
            "the archive `{}` holds no story for #{tag}{}",
            db.display(),
            stories_hint(store)?
        );
    }
    let (deleted, not_stored_for_consent) = store.consent_counts(tag)?;
    let urls = if store.has_archived_media()? {
        store.media_urls_of_story(tag)?
    } else {
        Vec::new()
    };
    let files = store
        .archived_media(urls.iter().map(|u| &u.url))?
        .into_iter()
        .map(|(url, a)| {
            let file = LocalFile {
                sha256: a.sha256,
                mime: a.mime,
                size: a.size,
            };
            (url, file)
        })
        .collect();
    Ok(Input {
        posts,
        curations: store.load_curations(tag)?,
        curator: store.load_curator(tag)?,
        sources: store.load_sources(tag)?,
        deleted,
        not_stored_for_consent,
        files,
    })
}

/// A writer that counts what passes through it.
struct Counting<'a> {
    inner: &'a mut dyn Write,
    bytes: u64,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The pictures a single page carries inside it: every archived one, when together they fit
/// `limit`; otherwise none, said, with the way to keep them (a folder).
fn single_page_media(store: &Store, story: &Story, limit: u64) -> Result<MediaLinks> {
    let pictures: Vec<&LocalFile> = story
        .files_shown()
        .into_iter()
        .filter(|f| f.is_picture())
        .collect();
    let total: u64 = pictures.iter().map(|f| f.size).sum();
    if pictures.is_empty() {
        return Ok(MediaLinks::None);
    }
    if total > limit {
        eprintln!(
            "note: the story's {} archived pictures take {}, over --embed-limit ({}): the page \
             shows their descriptions instead; render to a folder (--out DIR/) to keep them",
            pictures.len(),
            size_text(total),
            size_text(limit)
        );
        return Ok(MediaLinks::None);
    }
    Ok(MediaLinks::Embedded(embedded_pictures(store, &pictures)?))
}

fn report_consent(args: &RenderArgs, story: &Story) {
    let d = &story.datasheet;
    if d.anonymised > 0 || d.left_out_for_consent > 0 || d.not_stored_for_consent > 0 {
        eprintln!(
            "consent: {} shown under a pseudonym{}; {} left out (--consent strict); {} never \
             stored (author asked not to be archived)",
            plural(d.anonymised, "author"),
            if args.anonymize { " (--anonymize)" } else { "" },
            plural(d.left_out_for_consent, "post"),
            plural(d.not_stored_for_consent, "post"),
        );
    }
}

/// `1.2 MB`, `340 kB`, `12 bytes`.
pub fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.0} kB", b as f64 / 1e3),
        b => plural(b, "byte"),
    }
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
