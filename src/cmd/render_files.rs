//! The files a render writes besides one page: a folder (`index.html`, `story.json`,
//! `story.md`, `media/`), and the pictures a single page embeds.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use base64::Engine;

use crate::render::html::MediaLinks;
use crate::render::{html, json, markdown};
use crate::store::Store;
use crate::story::{LocalFile, Story};

/// What a folder render wrote into `media/`.
pub(super) struct Written {
    /// Files written or already there.
    pub(super) files: usize,
    /// Their bytes.
    pub(super) bytes: u64,
    /// Thread pages beside the index (none when the story fits one page).
    pub(super) pages: usize,
}

/// Writes the story as a folder that opens from disk or any static server with the network
/// unplugged: the page, every archived file it shows (named by content, so an unchanged file is
/// never written twice), and the JSON and Markdown forms beside it.
pub(super) fn write_folder(
    store: &Store,
    story: &Arc<Story>,
    dir: &Path,
    page_size: usize,
) -> Result<Written> {
    let media = dir.join("media");
    std::fs::create_dir_all(&media)
        .with_context(|| format!("cannot create the folder `{}`", media.display()))?;
    let mut written = Written {
        files: 0,
        bytes: 0,
        pages: 0,
    };
    for file in story.files_shown() {
        let path = media.join(file.name());
        written.files += 1;
        written.bytes += file.size;
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == file.size) {
            continue;
        }
        let bytes = blob(store, file)?;
        super::output::write_output(&path.to_string_lossy(), &bytes)?;
    }
    let folder = Arc::new(MediaLinks::Folder);
    let mut layout = html::Layout::split(story, &html::thread_roots(story), page_size.max(1));
    written.pages = layout.pages.len();
    super::output::write_output_with(&dir.join("index.html").to_string_lossy(), |w| {
        html::write_page(w, story, &folder, &Arc::new(layout.clone()))
            .context("cannot render the story page")
    })?;
    for page in 0..layout.pages.len() {
        layout.current = Some(page);
        let file = dir.join(html::Layout::file(page));
        super::output::write_output_with(&file.to_string_lossy(), |w| {
            html::write_page(w, story, &folder, &Arc::new(layout.clone()))
                .context("cannot render a thread page")
        })?;
    }
    super::output::write_output_with(&dir.join("story.json").to_string_lossy(), |w| {
        Ok(json::write_story(w, story)?)
    })?;
    super::output::write_output_with(&dir.join("story.md").to_string_lossy(), |w| {
        Ok(markdown::write_story(w, story)?)
    })?;
    Ok(written)
}

/// `data:` URIs of `pictures`, by SHA-256.
pub(super) fn embedded_pictures(
    store: &Store,
    pictures: &[&LocalFile],
) -> Result<HashMap<String, String>> {
    let mut uris = HashMap::with_capacity(pictures.len());
    for file in pictures {
        let bytes = blob(store, file)?;
        let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
        uris.insert(
            file.sha256.clone(),
            format!("data:{};base64,{data}", file.mime),
        );
    }
    Ok(uris)
}

/// The bytes of an archived file, checked against their hash: a page never shows bytes the
/// archive did not vouch for.
fn blob(store: &Store, file: &LocalFile) -> Result<Vec<u8>> {
    let Some(bytes) = store.blob(&file.sha256)? else {
        bail!(
            "the archive lists the file {} but does not hold it",
            file.sha256
        );
    };
    if crate::store::sha256_hex(&bytes) != file.sha256 {
        bail!("the archived file {} does not match its hash", file.sha256);
    }
    Ok(bytes)
}
