//! A v2 tweet's text with its entities placed by code-point offsets: spans, then pieces, then
//! HTML and plain text.

use super::*;

/// What an entity turns its stretch of text into.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    /// A link to `href`, shown as `display`.
    Link { href: String, display: String },
    /// A link to the tweet's own photo or video: dropped.
    OwnMedia,
    /// `@username`.
    Mention(String),
    /// `#tag`, as written in the entity.
    Hashtag(String),
}

/// An entity: code points `start..end` of the escaped text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Span {
    start: usize,
    end: usize,
    kind: Kind,
}

/// The usable entities, sorted and without overlaps, and the problems with the others (each a
/// pointer below `entities` and a message).
pub(super) fn spans(
    chars: &[char],
    entities: Option<&Object>,
    id: &str,
) -> (Vec<Span>, Vec<(String, String)>) {
    let mut spans = Vec::new();
    let mut problems = Vec::new();
    let Some(entities) = entities else {
        return (spans, problems);
    };
    for key in ["urls", "mentions", "hashtags"] {
        let list = entities.get(key).and_then(Value::as_array);
        for (i, entity) in list.into_iter().flatten().enumerate() {
            let at = format!("/{key}/{i}");
            let kind = match key {
                "urls" => link_kind(entity, id),
                "mentions" => entity
                    .as_object()
                    .and_then(username_of)
                    .map(|name| Kind::Mention(name.to_owned())),
                _ => str_of(entity.get("tag")).map(|tag| Kind::Hashtag(tag.to_owned())),
            };
            let Some(kind) = kind else {
                continue; // nothing to link: the text stays as it is
            };
            let offset = |k| {
                entity
                    .get(k)
                    .and_then(Value::as_u64)
                    .and_then(|n| usize::try_from(n).ok())
            };
            let (Some(mut start), Some(mut end)) = (offset("start"), offset("end")) else {
                problems.push((
                    at,
                    "entity ignored: it has no numeric `start` and `end`, so its text stays plain"
                        .to_owned(),
                ));
                continue;
            };
            // A link is checked by its t.co URL, and looked for when not where its offsets say.
            let tco: Option<Vec<char>> = str_of(entity.get("url")).map(|u| u.chars().collect());
            if let Some(tco) = &tco
                && chars.get(start..end) != Some(&tco[..])
                && let Some(found) = find(chars, tco)
            {
                (start, end) = (found, found + tco.len());
            }
            let fits = start < end
                && chars
                    .get(start..end)
                    .is_some_and(|w| written_as(w, &kind, tco.as_deref()));
            if !fits {
                problems.push((
                    at,
                    format!(
                        "entity ignored: its offsets {start}..{end} do not point at it in the \
                         text ({} characters), so its text stays plain",
                        chars.len()
                    ),
                ));
                continue;
            }
            spans.push(Span { start, end, kind });
        }
    }
    spans.sort_by_key(|span| (span.start, span.end));
    let mut kept: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        if kept.last().is_none_or(|last| span.start >= last.end) {
            kept.push(span);
        }
    }
    (kept, problems)
}

/// Whether the escaped text an entity covers is that entity: its `t.co` URL for a link,
/// `@name` for a mention, `#tag` for a hashtag (either with its full-width sign, case aside).
pub(super) fn written_as(written: &[char], kind: &Kind, tco: Option<&[char]>) -> bool {
    let as_text = || written.iter().collect::<String>();
    match kind {
        Kind::Link { .. } | Kind::OwnMedia => tco.is_none_or(|tco| written == tco),
        Kind::Mention(name) => as_text()
            .strip_prefix(['@', '＠'])
            .is_some_and(|rest| rest.eq_ignore_ascii_case(name)),
        Kind::Hashtag(tag) => as_text()
            .strip_prefix(['#', '＃'])
            .is_some_and(|rest| rest.to_lowercase() == tag.to_lowercase()),
    }
}

pub(super) fn link_kind(entity: &Value, id: &str) -> Option<Kind> {
    let tco = str_of(entity.get("url"));
    let expanded = str_of(entity.get("expanded_url"));
    let own_media = |url: &str| {
        ["photo", "video"]
            .iter()
            .any(|kind| url.contains(&format!("/status/{id}/{kind}/")))
    };
    if entity.get("media_key").is_some() || expanded.is_some_and(own_media) {
        return Some(Kind::OwnMedia);
    }
    let href = expanded.or(tco)?;
    let display = str_of(entity.get("display_url")).unwrap_or(href);
    Some(Kind::Link {
        href: href.to_owned(),
        display: display.to_owned(),
    })
}

/// The first position of `needle` in `hay`.
pub(super) fn find(hay: &[char], needle: &[char]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.windows(needle.len())
        .position(|window| window == needle)
}

/// The text cut at its entities, unescaped, trimmed.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Piece {
    Text(String),
    Link { href: String, display: String },
    Mention { name: String, written: String },
    Hashtag { tag: String, written: String },
}

pub(super) fn pieces(chars: &[char], spans: Vec<Span>) -> Vec<Piece> {
    let run = |from: usize, to: usize| -> String {
        unescape(
            &chars
                .get(from..to)
                .unwrap_or_default()
                .iter()
                .collect::<String>(),
        )
    };
    let mut out = Vec::new();
    let mut at = 0;
    for span in spans {
        out.push(Piece::Text(run(at, span.start)));
        let written = run(span.start, span.end);
        match span.kind {
            Kind::Link { href, display } => out.push(Piece::Link { href, display }),
            Kind::Mention(name) => out.push(Piece::Mention { name, written }),
            Kind::Hashtag(tag) => out.push(Piece::Hashtag { tag, written }),
            Kind::OwnMedia => {
                // Drop the space that separated the link from what came before.
                if let Some(Piece::Text(before)) = out.last_mut() {
                    let kept = before.trim_end_matches([' ', '\t']).len();
                    before.truncate(kept);
                }
            }
        }
        at = span.end;
    }
    out.push(Piece::Text(run(at, chars.len())));
    if let Some(Piece::Text(first)) = out.first_mut() {
        *first = first.trim_start().to_owned();
    }
    if let Some(Piece::Text(last)) = out.last_mut() {
        *last = last.trim_end().to_owned();
    }
    out.retain(|piece| !matches!(piece, Piece::Text(text) if text.is_empty()));
    out
}

/// Escapes text for HTML, newlines becoming `<br>`.
pub(super) fn escape(text: &str) -> String {
    escape_html(text).replace('\n', "<br>")
}

/// Percent-encodes a hashtag for a URL path: everything but ASCII letters, digits and `_`.
pub(super) fn encode_path(tag: &str) -> String {
    let mut out = String::with_capacity(tag.len());
    for b in tag.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(super) fn html_of(pieces: &[Piece]) -> String {
    if pieces.is_empty() {
        return String::new();
    }
    let mut html = String::from("<p>");
    for piece in pieces {
        match piece {
            Piece::Text(text) => html.push_str(&escape(&text.replace("\r\n", "\n"))),
            Piece::Link { href, display } => {
                html.push_str(&format!(
                    r#"<a href="{}" rel="{LINK_REL}">{}</a>"#,
                    escape(href),
                    escape(display)
                ));
            }
            Piece::Mention { name, written } => html.push_str(&format!(
                r#"<a href="{SITE}{name}" class="mention" rel="{LINK_REL}">{}</a>"#,
                escape(written)
            )),
            Piece::Hashtag { tag, written } => html.push_str(&format!(
                r#"<a href="{SITE}hashtag/{}" class="mention hashtag" rel="{LINK_REL}">{}</a>"#,
                encode_path(tag),
                escape(written)
            )),
        }
    }
    html.push_str("</p>");
    // Links carry the `rel` the sanitiser gives them, so that markup already in its form is
    // recognised at once, not rewritten and checked again (issue 10).
    sanitize_html_owned(html)
}

pub(super) fn text_of(pieces: &[Piece]) -> String {
    let mut text = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(run) => text.push_str(run),
            Piece::Link { href, .. } => text.push_str(href),
            Piece::Mention { written, .. } | Piece::Hashtag { written, .. } => {
                text.push_str(written);
            }
        }
    }
    text
}
