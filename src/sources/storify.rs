//! Storify stories (API v1, and the per-story JSON curators saved before Storify closed in May
//! 2018), brought back as a curated story. Field meanings: `FORMATS.md` §7.
//!
//! Accepted documents: the API envelope `{"content": {"sid", "elements": [...], ...}}` and a bare
//! story object with `sid` and `elements`. The story becomes an [`Item::Story`] (`permalink`,
//! `title`, `description` as sanitised HTML, `author` as the curator, `date.published`), then
//! every element, in the story's order (which is the curator's order, not time order):
//!
//! - `text`: the curator's words, an [`Curated::Note`] of `data.text` through
//!   [`sanitize_html`];
//! - a tweet (`source.name` `twitter` and a `…/status/ID` permalink, whatever the element type:
//!   `quote`, `link` or `image`): an [`Item::Post`] with the canonical Twitter URIs of
//!   [`status_uri`] and [`user_uri`] (so the same tweet collected from a Twitter archive or the
//!   API is the same row, and that fuller copy wins), followed by [`Curated::Post`]. The author
//!   comes from `attribution` and `source` (`userid`, `username`, `name`, avatar
//!   `attribution.thumbnail`), the time from `posted_at`, a picture from `data.image.src` (no
//!   alt text: the caption is the tweet's text, not a description of the picture);
//! - anything else (articles, Flickr photos, YouTube videos): a [`Curated::Note`] holding a link
//!   card built from `data.link` / `data.oembed` / `data.image` / `data.video` and the
//!   attribution: every value escaped, links only to absolute `http(s)` URLs (a
//!   protocol-relative `//host/…` URL is taken as `https:`), the whole through
//!   [`sanitize_html`]. Pictures and players are linked, not embedded: notes are sanitised
//!   content, which holds no images.
//!
//! # Tweet text
//! Storify kept a tweet's full text only in `data.quote.text` (or in `data.oembed.html` when it
//! managed to fetch the oEmbed, which it had stopped doing by 2013). When the oEmbed was empty,
//! the only text left is a truncated one: `data.image.caption` (`name:text ...`) or
//! `data.oembed.title` (`Twitter / name:text ...`). That text is kept without the
//! `Twitter / name:` prefix and the trailing ` ...` (in `text`; `content_html` ends it with `…`
//! so that a reader sees it stops short). A capture whose title is no tweet at all
//! (`Twitter / Twitter`, seen with `rest_api_url` ending in `id=undefined`) gives a post with
//! empty text: the tweet is still identified by its permalink.
//!
//! # Pages
//! The API returned a story `per_page` elements at a time (`page`, `per_page`; the page after the
//! last one has no elements), and each page saved is a file of its own, collected as its own
//! source. Every page names the same story (its `permalink`), so the pages add up to one
//! curated story. Entry positions are global: the `k`-th entry emitted from page `p` is at
//! `(p - 1) * per_page + k` ([`page_positions`]), so pages may be collected in any order. An
//! empty page after the first adds nothing.

use std::ops::Range;

use serde_json::{Map, Value};

use super::serde_util::{parse_time, pointer_join, str_of};
use super::tweet_v1::{kind_of, status_link_id, status_uri, user_uri};
use super::{FormatError, ItemSink, Problem, ProblemKind, SourceFormat};
use crate::model::{Author, Curated, Item, Media, Post, StoryInfo};
use crate::sanitize::{html_to_text, safe_url, sanitize_html};

/// A JSON object.
type Object = Map<String, Value>;

/// Storify API v1 stories.
pub struct Storify;

impl SourceFormat for Storify {
    const NAME: &'static str = "storify";

    fn sniff(doc: &Value) -> bool {
        story_of(doc).is_some()
    }

    fn parse(doc: &Value, sink: &mut dyn ItemSink) -> Result<(), FormatError> {
        let Some((story, base)) = story_of(doc) else {
            return Err(not_a_story(doc));
        };
        let elements = story
            .get("elements")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let positions = page_positions(story);
        if positions.as_ref().is_some_and(|p| p.start > 0) && elements.is_empty() {
            // The empty page that ends paging: nothing to add, and nothing to replace.
            return Ok(());
        }
        if let Some(range) = &positions {
            let room = range.end - range.start;
            if elements.len() as u64 > room {
                sink.warning(
                    pointer_join(base, "elements"),
                    Problem::new(
                        ProblemKind::Inconsistent,
                        format!(
                            "the page holds {} elements, more than its `per_page` of {room}; the \
                         next page's entries may take the place of the last ones",
                            elements.len()
                        ),
                    ),
                );
            }
        }
        sink.item(Item::Story(story_info(story, base)?));
        for (i, element) in elements.iter().enumerate() {
            let pointer = pointer_join(&pointer_join(base, "elements"), i);
            match element_items(element) {
                Ok(items) => items.into_iter().for_each(|item| sink.item(item)),
                Err(message) => sink.warning(pointer, message),
            }
        }
        Ok(())
    }
}

/// The story object of `doc` and its JSON pointer: `doc.content`, or `doc` itself, when it has
/// a `sid` and an `elements` array.
fn story_of(doc: &Value) -> Option<(&Object, &'static str)> {
    let is_story =
        |obj: &Object| obj.contains_key("sid") && obj.get("elements").is_some_and(Value::is_array);
    let obj = doc.as_object()?;
    match obj.get("content").and_then(Value::as_object) {
        Some(content) if is_story(content) => Some((content, "/content")),
        _ => is_story(obj).then_some((obj, "")),
    }
}

fn not_a_story(doc: &Value) -> FormatError {
    let error = doc.get("error");
    if let Some(message) = error
        .and_then(|e| str_of(e.get("message")).or_else(|| str_of(Some(e))))
        .or_else(|| error.map(|_| "no message"))
    {
        return FormatError::new(
            "/error",
            format!("this is a Storify error response, not a story: {message}"),
        );
    }
    FormatError::new(
        "",
        format!(
            "expected a Storify story (`{{\"content\": {{\"sid\", \"elements\": [...]}}}}` or a \
             story object with `sid` and `elements`), found {}",
            match doc {
                Value::Object(_) => "an object without those fields",
                other => kind_of(other),
            }
        ),
    )
}

/// The positions the entries of this page take in the whole story: from `(page - 1) *
/// per_page`, `per_page` of them. `None` when the document does not say it is a page (a whole
/// story: positions from 0, as many as it has).
pub fn page_positions(story: &Object) -> Option<Range<u64>> {
    let number = |key: &str| -> Option<u64> {
        match story.get(key)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    let (page, per_page) = (number("page")?, number("per_page")?);
    if page == 0 || per_page == 0 {
        return None;
    }
    let start = (page - 1).checked_mul(per_page)?;
    Some(start..start.checked_add(per_page)?)
}

fn story_info(story: &Object, base: &str) -> Result<StoryInfo, FormatError> {
    let author = story.get("author").and_then(Value::as_object);
    let username = author.and_then(|a| str_of(a.get("username")));
    let url = str_of(story.get("permalink"))
        .and_then(absolute_url)
        .or_else(|| {
            let slug = str_of(story.get("slug"))?;
            Some(format!("https://storify.com/{}/{slug}", username?))
        })
        .ok_or_else(|| {
            FormatError::new(
                pointer_join(base, "permalink"),
                "the story has no `permalink` (nor `author.username` and `slug` to make one)",
            )
        })?;
    let title = str_of(story.get("title"))
        .or_else(|| str_of(story.get("slug")))
        .map_or_else(|| "Storify story".to_owned(), |t| t.trim().to_owned());
    let curator = author.and_then(|a| {
        let name = str_of(a.get("name")).unwrap_or_default().trim().to_owned();
        let url = str_of(a.get("permalink"))
            .and_then(absolute_url)
            .or_else(|| username.map(|u| format!("https://storify.com/{u}")));
        (username.is_some() || !name.is_empty()).then(|| Author {
            uri: url.clone().unwrap_or_default(),
            handle: username.map(|u| format!("@{u}")).unwrap_or_default(),
            name,
            url,
            avatar: str_of(a.get("avatar")).and_then(absolute_url),
            ..Default::default()
        })
    });
    let date = story.get("date");
    Ok(StoryInfo {
        url,
        title,
        intro_html: str_of(story.get("description")).map_or_else(String::new, sanitize_html),
        curator,
        published_at: ["published", "created"]
            .into_iter()
            .find_map(|key| str_of(date?.get(key)).and_then(parse_time)),
        positions: page_positions(story),
    })
}

/// The items of one element: a tweet's post and its entry, or one note.
fn element_items(element: &Value) -> Result<Vec<Item>, Problem> {
    let Some(el) = element.as_object() else {
        return Err(Problem::shape(format!(
            "expected an element object, found {}",
            kind_of(element)
        )));
    };
    let kind = str_of(el.get("type")).unwrap_or("other");
    let data = el.get("data").and_then(Value::as_object);
    if kind == "text" {
        let text = data.and_then(|d| str_of(d.get("text")));
        let html = text
            .map(|t| sanitize_html(&headings_as_bold(t)))
            .unwrap_or_default();
        if html_to_text(&html).trim().is_empty() {
            return Err(Problem::missing("text element has no text"));
        }
        return Ok(vec![Item::Curated(Curated::Note { html })]);
    }
    let source = el.get("source").and_then(Value::as_object);
    let from_twitter = source.is_some_and(|s| str_of(s.get("name")) == Some("twitter"));
    let tweet_id = str_of(el.get("permalink")).and_then(status_link_id);
    if let (true, Some(id)) = (from_twitter, tweet_id) {
        let post = tweet_post(el, &id)?;
        let uri = post.uri.clone();
        return Ok(vec![
            Item::Post(Box::new(post)),
            Item::Curated(Curated::Post { uri }),
        ]);
    }
    let html = card_html(el, kind).ok_or_else(|| {
        Problem::missing(format!(
            "`{kind}` element has no title, link or picture to show"
        ))
    })?;
    Ok(vec![Item::Curated(Curated::Note { html })])
}

/// `<h1>`…`<h6>` as bold paragraphs: Storify's editor made headings of the curator's section
/// titles, which sanitised content does not allow (they would run into the next paragraph).
fn headings_as_bold(html: &str) -> String {
    let mut out = html.to_owned();
    for level in 1..=6 {
        for h in [format!("h{level}"), format!("H{level}")] {
            out = out
                .replace(&format!("<{h}>"), "<p><strong>")
                .replace(&format!("<{h} "), "<p><strong ")
                .replace(&format!("</{h}>"), "</strong></p>");
        }
    }
    out
}

/// The string at `path` (keys) under `obj`, if non-empty.
fn at<'a>(obj: &'a Object, path: &[&str]) -> Option<&'a str> {
    let (last, parents) = path.split_last()?;
    let mut here = obj;
    for key in parents {
        here = here.get(*key)?.as_object()?;
    }
    str_of(here.get(*last)).map(str::trim)
}

fn tweet_post(el: &Object, id: &str) -> Result<Post, Problem> {
    let attribution = |key: &str| at(el, &["attribution", key]);
    let source = |key: &str| at(el, &["source", key]);
    let from_permalink = str_of(el.get("permalink"))
        .and_then(|p| url::Url::parse(p).ok())
        .and_then(|u| Some(u.path_segments()?.next()?.to_owned()));
    let username = source("username")
        .or_else(|| attribution("username"))
        .map(str::to_owned)
        .or(from_permalink)
        .ok_or_else(|| {
            Problem::missing(format!("tweet `{id}` names no author (`source.username`)"))
        })?;
    let profile = format!("https://twitter.com/{username}");
    let author = Author {
        uri: source("userid")
            .filter(|u| u.bytes().all(|b| b.is_ascii_digit()))
            .map_or_else(|| profile.clone(), user_uri),
        handle: format!("@{username}"),
        name: attribution("name")
            .or_else(|| at(el, &["data", "oembed", "author_name"]))
            .unwrap_or_default()
            .to_owned(),
        url: Some(profile),
        avatar: attribution("thumbnail").and_then(absolute_url),
        ..Default::default()
    };
    let created_at = str_of(el.get("posted_at"))
        .and_then(parse_time)
        .ok_or_else(|| Problem::unreadable(format!("tweet `{id}` has no readable `posted_at`")))?;
    let (text, cut) = tweet_text(el, &username);
    let content_html = if text.is_empty() {
        String::new()
    } else {
        // The page says the text stops short; the plain text stays as Storify kept it.
        let more = if cut { "…" } else { "" };
        sanitize_html(&format!("<p>{}{more}</p>", escape(&text)))
    };
    let media = at(el, &["data", "image", "src"])
        .and_then(absolute_url)
        .map(|url| Media {
            url,
            kind: "image".to_owned(),
            alt: None,
            width: None,
            height: None,
            preview: None,
        })
        .into_iter()
        .collect();
    Ok(Post {
        uri: status_uri(id),
        url: str_of(el.get("permalink")).and_then(absolute_url),
        author,
        created_at,
        edited_at: None,
        content_html,
        text,
        language: None,
        in_reply_to: None,
        in_reply_to_local: None,
        local_id: None,
        conversation: None,
        sensitive: false,
        spoiler_text: None,
        tags: Vec::new(),
        has_structured_tags: false,
        media,
        quote_of: None,
        poll: None,
        emojis: Vec::new(),
        source_json: serde_json::to_string(el).map_err(|e| {
            Problem::unreadable(format!("tweet `{id}` cannot be serialised again: {e}"))
        })?,
        reply_count: crate::store::reply_count_of(el),
    })
}

/// A tweet's text: `data.quote.text` in full, else the truncated caption or oEmbed title
/// without its `name:` prefix and ` ...` (see the module docs); `""` when none is a tweet's.
/// The flag tells whether a ` ...` was cut off.
fn tweet_text(el: &Object, username: &str) -> (String, bool) {
    if let Some(full) = at(el, &["data", "quote", "text"]) {
        return (full.to_owned(), false);
    }
    let caption = at(el, &["data", "image", "caption"]).map(|c| without_name(c, username, false));
    let titles = [
        at(el, &["data", "oembed", "title"]),
        at(el, &["data", "link", "title"]),
    ];
    let titled = titles.into_iter().flatten().find_map(|t| {
        let rest = t.strip_prefix("Twitter / ")?;
        without_name(rest, username, true)
    });
    caption
        .flatten()
        .or(titled)
        .map(|t| {
            let t = t.trim_end();
            match t.strip_suffix(" ...") {
                Some(kept) => (kept.trim().to_owned(), true),
                None => (t.trim().to_owned(), false),
            }
        })
        .unwrap_or_default()
}

/// `text` without its leading `username:`. With `required` (an oEmbed title), any screen name
/// may lead, and text without one is no tweet's text (`None`); without (a caption), text that
/// does not start with `username:` is kept whole.
fn without_name<'a>(text: &'a str, username: &str, required: bool) -> Option<&'a str> {
    let stripped = text.split_once(':').and_then(|(name, rest)| {
        let is_name = name.eq_ignore_ascii_case(username)
            || (required
                && !name.is_empty()
                && name.len() <= 15
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        is_name.then_some(rest)
    });
    match stripped {
        Some(rest) => Some(rest.trim_start()),
        None if required => None,
        None => Some(text),
    }
}

/// The sanitised HTML of a link card for an element that is not a tweet; `None` when it has
/// nothing to show.
fn card_html(el: &Object, kind: &str) -> Option<String> {
    let data = |path: &[&str]| el.get("data")?.as_object().and_then(|d| at(d, path));
    let title = data(&["link", "title"])
        .or_else(|| data(&["oembed", "title"]))
        .or_else(|| data(&["video", "title"]))
        .or_else(|| data(&["image", "caption"]))
        .or_else(|| at(el, &["attribution", "title"]));
    let description = data(&["link", "description"])
        .or_else(|| data(&["oembed", "description"]))
        .or_else(|| data(&["video", "description"]))
        .filter(|d| Some(*d) != title);
    let link = str_of(el.get("permalink"))
        .or_else(|| data(&["link", "url"]))
        .or_else(|| data(&["oembed", "url"]))
        .and_then(absolute_url);
    let (media, media_label) = match kind {
        "image" => (data(&["image", "src"]), "View the picture"),
        "video" => (data(&["video", "src"]), "Play the video"),
        _ => (None, ""),
    };
    let media = media.and_then(absolute_url);
    if title.is_none() && link.is_none() && media.is_none() {
        return None;
    }
    let mut html = String::from("<blockquote>");
    let heading = title.map(|t| format!("<strong>{}</strong>", escape(t)));
    match (heading, &link) {
        (Some(h), Some(url)) => html += &format!("<p><a href=\"{}\">{h}</a></p>", escape(url)),
        (Some(h), None) => html += &format!("<p>{h}</p>"),
        (None, Some(url)) => {
            html += &format!("<p><a href=\"{}\">{}</a></p>", escape(url), escape(url));
        }
        (None, None) => {}
    }
    if let Some(d) = description {
        html += &format!("<p>{}</p>", escape(d));
    }
    if let Some(url) = &media {
        html += &format!("<p><a href=\"{}\">{media_label}</a></p>", escape(url));
    }
    let what = match kind {
        "image" => "Picture",
        "video" => "Video",
        _ => "Link",
    };
    let by = at(el, &["attribution", "name"]);
    let site = at(el, &["source", "name"]).map(site_name);
    let credit = match (by, site) {
        (Some(by), Some(site)) => Some(format!("{what} by {} on {}", escape(by), escape(&site))),
        (Some(by), None) => Some(format!("{what} by {}", escape(by))),
        (None, Some(site)) => Some(format!("{what} on {}", escape(&site))),
        (None, None) => None,
    };
    if let Some(credit) = credit {
        html += &format!("<p>{credit}</p>");
    }
    html += "</blockquote>";
    Some(sanitize_html(&html))
}

/// How a site Storify named by its `source.name` writes its own name.
fn site_name(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "youtube" => "YouTube".to_owned(),
        "flickr" => "Flickr".to_owned(),
        "twitter" => "Twitter".to_owned(),
        "facebook" => "Facebook".to_owned(),
        "instagram" => "Instagram".to_owned(),
        "storify" => "Storify".to_owned(),
        "vimeo" => "Vimeo".to_owned(),
        "soundcloud" => "SoundCloud".to_owned(),
        _ => name.to_owned(),
    }
}

/// An absolute http(s) URL: a protocol-relative `//host/…` one is taken as `https:`.
fn absolute_url(url: &str) -> Option<String> {
    let url = url.trim();
    match url.strip_prefix("//") {
        Some(rest) => safe_url(&format!("https://{rest}")),
        None => safe_url(url),
    }
}

/// Escapes text for HTML text and double-quoted attribute values.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests;
