//! A tweet's body: its text with the entities (links, mentions, hashtags, media) placed by their
//! code-point indices, rendered as HTML and as plain text, and its media.

use super::*;

/// The parts of a tweet its text is made from: `full_text`, else `extended_tweet.full_text`
/// (streaming "compatibility plus", with that object's own entities and range), else `text`.
#[derive(Debug, Clone, Copy)]
pub struct Body<'a> {
    /// The text, still HTML-escaped.
    pub text: &'a str,
    /// `entities`.
    pub entities: Option<&'a Value>,
    /// `extended_entities`.
    pub extended_entities: Option<&'a Value>,
    /// `display_text_range`.
    pub display_text_range: Option<&'a Value>,
}

/// HTML and plain text made from a tweet's text and entities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Sanitised content HTML (`""` when nothing is left, as for a media-only tweet).
    pub html: String,
    /// Plain text: unescaped, `t.co` links replaced by their target, media links removed.
    pub text: String,
}

impl<'a> Body<'a> {
    /// Picks the text, entities and display range of `tweet`.
    pub fn of(tweet: &'a Object) -> Self {
        let from = |obj: &'a Object, text: &'a str| Body {
            text,
            entities: obj.get("entities"),
            extended_entities: obj.get("extended_entities"),
            display_text_range: obj.get("display_text_range"),
        };
        if let Some(text) = tweet.get("full_text").and_then(Value::as_str) {
            return from(tweet, text);
        }
        let extended = tweet.get("extended_tweet").and_then(Value::as_object);
        if let Some(ext) = extended
            && let Some(text) = ext.get("full_text").and_then(Value::as_str)
        {
            return from(ext, text);
        }
        from(
            tweet,
            tweet.get("text").and_then(Value::as_str).unwrap_or(""),
        )
    }

    /// `hashtags[].text`, normalised, without duplicates, in source order.
    pub fn tags(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let names = self
            .entities
            .and_then(|e| e.get("hashtags"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .take(MAX_ENTITIES)
            .filter_map(|h| str_of(h.get("text")));
        for name in names {
            let tag = normalize(name);
            if !tag.is_empty() && !out.contains(&tag) {
                out.push(tag);
            }
        }
        out
    }

    /// Attachments from `extended_entities.media`, else `entities.media`.
    pub fn media(&self) -> Vec<Media> {
        let list = |v: Option<&'a Value>| v.and_then(|e| e.get("media")).and_then(Value::as_array);
        list(self.extended_entities)
            .or_else(|| list(self.entities))
            .into_iter()
            .flatten()
            .filter_map(media_of)
            .collect()
    }

    /// The displayed text as HTML and as plain text.
    pub fn render(&self) -> Rendered {
        let chars: Vec<char> = self.text.chars().collect();
        let (from, to) = self.display_range(chars.len());
        let spans = spans_of(self.text, &chars, self.entities, self.extended_entities);
        let mut segments = Vec::new();
        let mut pos = from;
        for span in spans.into_iter().filter(|s| s.start >= from && s.end <= to) {
            segments.push(Segment::Text(unescape(&collect(&chars, pos, span.start))));
            segments.push(span.kind);
            pos = span.end;
        }
        segments.push(Segment::Text(unescape(&collect(&chars, pos, to))));
        trim_segments(&mut segments);
        render_segments(&segments)
    }

    /// `display_text_range` as code-point offsets, or the whole text when it is absent or
    /// makes no sense.
    fn display_range(&self, len: usize) -> (usize, usize) {
        let range = self
            .display_text_range
            .and_then(Value::as_array)
            .and_then(|r| Some((index(r.first()?)?, index(r.get(1)?)?)));
        match range {
            Some((from, to)) if from <= to && from <= len => (from, to.min(len)),
            _ => (0, len),
        }
    }
}

pub(super) fn media_of(m: &Value) -> Option<Media> {
    let kind = match str_of(m.get("type")) {
        Some("photo") => "image",
        Some("video") => "video",
        Some("animated_gif") => "gifv",
        _ => "unknown",
    };
    let image = str_of(m.get("media_url_https")).or_else(|| str_of(m.get("media_url")));
    let moving = matches!(kind, "video" | "gifv");
    let url = if moving {
        best_variant(m).or(image)
    } else {
        image
    }?;
    // A video's `media_url_https` is its poster frame.
    let preview = image.filter(|p| moving && *p != url);
    let (width, height) = match m.get("original_info") {
        Some(info) if info.get("width").is_some() => (info.get("width"), info.get("height")),
        _ => {
            let large = m.get("sizes").and_then(|s| s.get("large"));
            (
                large.and_then(|l| l.get("w")),
                large.and_then(|l| l.get("h")),
            )
        }
    };
    Some(Media {
        url: url.to_owned(),
        kind: kind.to_owned(),
        alt: str_of(m.get("ext_alt_text")).map(str::to_owned),
        width: width.and_then(index).and_then(|n| u32::try_from(n).ok()),
        height: height.and_then(index).and_then(|n| u32::try_from(n).ok()),
        preview: preview.map(str::to_owned),
    })
}

/// The highest-bitrate `video/mp4` variant's URL, else the first variant's.
pub(super) fn best_variant(m: &Value) -> Option<&str> {
    let variants = m.get("video_info")?.get("variants")?.as_array()?;
    let bitrate = |v: &Value| v.get("bitrate").and_then(index).unwrap_or(0);
    variants
        .iter()
        .filter(|v| str_of(v.get("content_type")) == Some("video/mp4"))
        .filter(|v| str_of(v.get("url")).is_some())
        .max_by_key(|v| bitrate(v))
        .or_else(|| variants.first())
        .and_then(|v| str_of(v.get("url")))
}

/// A non-negative index or size, as a JSON number or (archives) a decimal string.
pub(super) fn index(v: &Value) -> Option<usize> {
    match v {
        Value::Number(n) => usize::try_from(n.as_u64()?).ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// One piece of displayed text.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Segment {
    /// Unescaped text.
    Text(String),
    /// A `t.co` link: shown as `display`, pointing at (and written out in text as) `target`.
    Link { target: String, display: String },
    /// `@name`, as written, and the account's screen name.
    Mention {
        written: String,
        screen_name: String,
    },
    /// `#tag`, as written, and the tag.
    Hashtag { written: String, tag: String },
    /// A media link, shown as an attachment instead.
    Media,
}

/// An entity placed in the text: `[start, end)` in code points.
#[derive(Debug)]
pub(super) struct Span {
    start: usize,
    end: usize,
    kind: Segment,
}

/// The entities whose place in the text could be confirmed, sorted and without overlaps.
pub(super) fn spans_of(
    text: &str,
    chars: &[char],
    entities: Option<&Value>,
    extended: Option<&Value>,
) -> Vec<Span> {
    let list = |v: Option<&Value>, key: &str| -> Vec<Value> {
        let all = v.and_then(|e| e.get(key)).and_then(Value::as_array);
        all.into_iter()
            .flatten()
            .take(MAX_ENTITIES)
            .cloned()
            .collect()
    };
    let mut placed: Vec<Span> = Vec::new();
    let mut unplaced_links: Vec<(String, Segment)> = Vec::new();
    let place = |placed: &mut Vec<Span>, start: usize, end: usize, kind: Segment| {
        if !placed.iter().any(|s| start < s.end && s.start < end) {
            placed.push(Span { start, end, kind });
        }
    };
    for m in list(entities, "user_mentions") {
        let Some(name) = str_of(m.get("screen_name")) else {
            continue;
        };
        if let Some((start, end)) = indices(&m, chars)
            && let Some(written) = matching(chars, start, end, |w| {
                w.strip_prefix(['@', '＠'])
                    .is_some_and(|rest| rest.eq_ignore_ascii_case(name))
            })
        {
            let kind = Segment::Mention {
                written,
                screen_name: name.to_owned(),
            };
            place(&mut placed, start, end, kind);
        }
    }
    for h in list(entities, "hashtags") {
        let Some(tag) = str_of(h.get("text")) else {
            continue;
        };
        if let Some((start, end)) = indices(&h, chars)
            && let Some(written) = matching(chars, start, end, |w| {
                w.strip_prefix(['#', '＃'])
                    .is_some_and(|rest| rest.to_lowercase() == tag.to_lowercase())
            })
        {
            let kind = Segment::Hashtag {
                written,
                tag: tag.to_owned(),
            };
            place(&mut placed, start, end, kind);
        }
    }
    let media = {
        let ext = list(extended, "media");
        if ext.is_empty() {
            list(entities, "media")
        } else {
            ext
        }
    };
    let links = list(entities, "urls")
        .into_iter()
        .map(|u| (u, false))
        .chain(media.into_iter().map(|m| (m, true)));
    for (link, is_media) in links {
        let Some(tco) = str_of(link.get("url")) else {
            continue;
        };
        let kind = if is_media {
            Segment::Media
        } else {
            let target = str_of(link.get("expanded_url")).unwrap_or(tco);
            Segment::Link {
                target: target.to_owned(),
                display: str_of(link.get("display_url")).unwrap_or(target).to_owned(),
            }
        };
        let at = indices(&link, chars).filter(|&(start, end)| {
            matching(chars, start, end, |w| w == tco).is_some()
                && !placed.iter().any(|s| start < s.end && s.start < end)
        });
        match at {
            Some((start, end)) => place(&mut placed, start, end, kind),
            None => unplaced_links.push((tco.to_owned(), kind)),
        }
    }
    // Links whose indices are wrong: look for the `t.co` URL itself.
    for (tco, kind) in unplaced_links {
        let len = tco.chars().count();
        // Byte offsets of the matches, turned into code-point offsets as the scan goes.
        let (mut byte, mut start) = (0, 0);
        let found = text.match_indices(tco.as_str()).find_map(|(at, _)| {
            start += text.get(byte..at).unwrap_or_default().chars().count();
            byte = at;
            let end = start + len;
            (!placed.iter().any(|s| start < s.end && s.start < end)).then_some(start)
        });
        if let Some(start) = found {
            place(&mut placed, start, start + len, kind);
        }
    }
    placed.sort_by_key(|s| s.start);
    placed
}

/// An entity's `indices`, when they lie inside the text and in order.
pub(super) fn indices(entity: &Value, chars: &[char]) -> Option<(usize, usize)> {
    let pair = entity.get("indices")?.as_array()?;
    let start = index(pair.first()?)?;
    let end = index(pair.get(1)?)?;
    (start < end && end <= chars.len()).then_some((start, end))
}

/// The text at `[start, end)` when `ok` accepts it.
pub(super) fn matching(
    chars: &[char],
    start: usize,
    end: usize,
    ok: impl Fn(&str) -> bool,
) -> Option<String> {
    let written = collect(chars, start, end);
    ok(&written).then_some(written)
}

/// The code points `[start, end)` as a string; empty when out of range.
pub(super) fn collect(chars: &[char], start: usize, end: usize) -> String {
    chars.get(start..end).unwrap_or_default().iter().collect()
}

/// Undoes Twitter's escaping of `&`, `<` and `>`, once: `&amp;lt;` becomes `&lt;`, and a raw
/// `&` (old tweets) stays.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let entity = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>')]
            .into_iter()
            .find(|(entity, _)| rest.starts_with(entity));
        match entity {
            Some((entity, c)) => {
                out.push(c);
                rest = &rest[entity.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Drops the whitespace a removed media link or hidden prefix leaves at either end.
pub(super) fn trim_segments(segments: &mut Vec<Segment>) {
    segments.retain(|s| !matches!(s, Segment::Media));
    let mut merged: Vec<Segment> = Vec::with_capacity(segments.len());
    for segment in segments.drain(..) {
        match (merged.last_mut(), segment) {
            (Some(Segment::Text(prev)), Segment::Text(next)) => prev.push_str(&next),
            (_, segment) => merged.push(segment),
        }
    }
    if let Some(Segment::Text(first)) = merged.first_mut() {
        *first = first.trim_start().to_owned();
    }
    if let Some(Segment::Text(last)) = merged.last_mut() {
        *last = last.trim_end().to_owned();
    }
    merged.retain(|s| !matches!(s, Segment::Text(t) if t.is_empty()));
    *segments = merged;
}

pub(super) fn render_segments(segments: &[Segment]) -> Rendered {
    let mut text = String::new();
    for segment in segments {
        match segment {
            Segment::Text(t) => text.push_str(t),
            Segment::Link { target, .. } => text.push_str(target),
            Segment::Mention { written, .. } | Segment::Hashtag { written, .. } => {
                text.push_str(written);
            }
            Segment::Media => {}
        }
    }
    let html = match canonical_html(segments) {
        Some(html) if html.is_empty() => html,
        // Written as the sanitiser would write it, so it need not be parsed again: most
        // tweets have a link, a mention or a hashtag, whose `rel` kept them from the
        // sanitiser's fast path (a third of the parser's time, issue 10).
        Some(html) if crate::sanitize::is_sanitised(&html) => html,
        _ => {
            let html = escaped_html(segments);
            if html.is_empty() {
                html
            } else {
                sanitize_html(&format!("<p>{html}</p>"))
            }
        }
    };
    Rendered {
        html,
        text: text.trim().to_owned(),
    }
}

/// The segments as HTML to sanitise.
fn escaped_html(segments: &[Segment]) -> String {
    let mut html = String::new();
    for segment in segments {
        match segment {
            Segment::Text(t) => {
                html.push_str(&escape_html(t).replace("\r\n", "\n").replace('\n', "<br>"));
            }
            Segment::Link { target, display } => {
                html.push_str(&format!(
                    "<a href=\"{}\">{}</a>",
                    escape_html(target),
                    escape_html(display)
                ));
            }
            Segment::Mention {
                written,
                screen_name,
            } => {
                html.push_str(&format!(
                    "<a href=\"{}\" class=\"mention\">{}</a>",
                    escape_html(&profile_link("", screen_name)),
                    escape_html(written)
                ));
            }
            Segment::Hashtag { written, tag } => {
                html.push_str(&format!(
                    "<a href=\"{}\" class=\"mention hashtag\">{}</a>",
                    escape_html(&profile_link("hashtag", tag)),
                    escape_html(written)
                ));
            }
            Segment::Media => {}
        }
    }
    html
}

/// The sanitiser's output for [`escaped_html`]'s, written directly: the same elements and
/// text, with its escaping and every link's `rel`, wrapped in `<p>` (`""` when empty). `None`
/// when a text holds what the sanitiser's parser would change (a control character, a lone
/// CR) or writes as an entity (a no-break space): those take the sanitiser.
fn canonical_html(segments: &[Segment]) -> Option<String> {
    let mut html = String::from("<p>");
    let link = |html: &mut String, href: &str, class: &str, display: &str| {
        html.push_str("<a href=\"");
        canonical(html, href, true)?;
        html.push('"');
        html.push_str(class);
        html.push_str(" rel=\"");
        html.push_str(crate::sanitize::LINK_REL);
        html.push_str("\">");
        canonical(html, display, false)?;
        html.push_str("</a>");
        Some(())
    };
    for segment in segments {
        match segment {
            Segment::Text(t) => canonical(&mut html, t, false)?,
            Segment::Link { target, display } => link(&mut html, target, "", display)?,
            Segment::Mention {
                written,
                screen_name,
            } => link(
                &mut html,
                &profile_link("", screen_name),
                " class=\"mention\"",
                written,
            )?,
            Segment::Hashtag { written, tag } => link(
                &mut html,
                &profile_link("hashtag", tag),
                " class=\"mention hashtag\"",
                written,
            )?,
            Segment::Media => {}
        }
    }
    if html.len() == "<p>".len() {
        return Some(String::new());
    }
    html.push_str("</p>");
    Some(html)
}

/// Appends `s` escaped as the sanitiser's serialiser escapes text (`attribute`: a quoted
/// attribute value), a CRLF or LF in text as `<br>`; `None` for what only the sanitiser
/// takes (see [`canonical_html`]).
fn canonical(html: &mut String, s: &str, attribute: bool) -> Option<()> {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => html.push_str("&amp;"),
            '"' if attribute => html.push_str("&quot;"),
            '<' if !attribute => html.push_str("&lt;"),
            '>' if !attribute => html.push_str("&gt;"),
            '\r' if !attribute && chars.peek() == Some(&'\n') => {}
            '\n' if !attribute => html.push_str("<br>"),
            '\u{a0}' => return None,
            c if c.is_control() && c != '\t' => return None,
            c => html.push(c),
        }
    }
    Some(())
}

/// `https://twitter.com/[dir/]name`, with `name` percent-encoded as one path segment.
pub(super) fn profile_link(dir: &str, name: &str) -> String {
    let mut url = url::Url::parse("https://twitter.com/").expect("constant URL parses");
    if let Ok(mut path) = url.path_segments_mut() {
        path.clear();
        if !dir.is_empty() {
            path.push(dir);
        }
        path.push(name);
    }
    url.to_string()
}
