//! The HTML page of a story: one self-contained file, rendered with minijinja from the
//! embedded `templates/story.html`. Autoescaping is on for every value; only the HTML that the
//! story stage sanitised or the page view (`page.rs`) built from escaped parts is marked safe in
//! the template.

mod chart;
mod emoji;
mod page;
mod thread;
mod views;

pub use emoji::{emojify_html, usable_emojis};
pub use page::{Layout, MAX_NESTING, anchor_of, excerpt, page_view, page_view_in, thread_roots};
pub use views::*;

use minijinja::{AutoEscape, Environment, Output, State, UndefinedBehavior, Value};

use crate::sanitize::escape_html;
use std::sync::Arc;

use crate::story::Story;

const STORY_TEMPLATE: &str = include_str!("../../../templates/story.html");

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_formatter(format_value);
    env.add_template("story.html", STORY_TEMPLATE)
        .expect("the embedded template is checked by the test suite");
    env
}

/// Escapes strings for HTML text and quoted attributes. minijinja's own HTML escaping also
/// turns every `/` into `&#x2f;`, which is valid but makes the archived page's links unreadable
/// to anyone (or any tool) reading its source in years to come.
fn format_value(
    out: &mut Output<'_>,
    state: &State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let Some(text) = value.as_str().filter(|_| !value.is_safe()) else {
        return minijinja::escape_formatter(out, state, value);
    };
    out.write_str(&escape_html(text))
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
}

/// Where a page finds the story's archived files. A page never references a remote file: what
/// is not archived (or not embedded) shows its description instead.
#[derive(Debug, Clone, Default)]
pub enum MediaLinks {
    /// Nowhere: every picture shows its description.
    #[default]
    None,
    /// In `media/` beside the page (a folder).
    Folder,
    /// Inside the page: `data:` URIs by SHA-256.
    Embedded(std::collections::HashMap<String, String>),
}

/// Renders the page of `story`, its archived files found as `media` says.
pub fn render_story(
    story: &Arc<Story>,
    media: &Arc<MediaLinks>,
) -> Result<String, minijinja::Error> {
    let mut out = Vec::new();
    write_story(&mut out, story, media)?;
    String::from_utf8(out)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
}

/// Writes the page of `story` to `out` as it is rendered, thread by thread.
pub fn write_story(
    out: &mut dyn std::io::Write,
    story: &Arc<Story>,
    media: &Arc<MediaLinks>,
) -> Result<(), minijinja::Error> {
    write_page(out, story, media, &Arc::new(Layout::default()))
}

/// Writes one page of a story laid out as `layout` says (see [`Layout`]).
pub fn write_page(
    out: &mut dyn std::io::Write,
    story: &Arc<Story>,
    media: &Arc<MediaLinks>,
    layout: &Arc<Layout>,
) -> Result<(), minijinja::Error> {
    let story = page_view_in(story, media, layout);
    environment()
        .get_template("story.html")?
        .render_captured_to(minijinja::context! { story }, out)?;
    Ok(())
}

#[cfg(test)]
mod tests;
