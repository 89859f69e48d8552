//! Bluesky rich text: facets (links, mentions, tags) placed by UTF-8 byte offsets, rendered as
//! HTML and as plain text.

use super::*;

/// What a facet makes of its range of text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Feature<'a> {
    Link(&'a str),
    Mention(&'a str),
    Tag(&'a str),
}

/// A facet that may be rendered: a non-empty byte range of the text on character boundaries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Span<'a> {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) feature: Feature<'a>,
}

/// The facets that can be rendered, in text order. Facets with a bad range or no known
/// feature are dropped, and so is one that overlaps an earlier one (the lexicon forbids
/// overlaps).
pub(super) fn facet_spans<'a>(text: &str, facets: Option<&'a Value>) -> Vec<Span<'a>> {
    let offset = |index: Option<&Value>, key: &str| {
        let n = index?.get(key)?.as_u64()?;
        usize::try_from(n).ok()
    };
    let mut spans: Vec<Span<'a>> = facets
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|facet| {
            let index = facet.get("index");
            let start = offset(index, "byteStart")?;
            let end = offset(index, "byteEnd")?;
            // `is_char_boundary` is false past the end, so this also checks the range.
            let valid = start < end && text.is_char_boundary(start) && text.is_char_boundary(end);
            let feature = facet
                .get("features")?
                .as_array()?
                .iter()
                .find_map(feature_of)?;
            valid.then_some(Span {
                start,
                end,
                feature,
            })
        })
        .collect();
    spans.sort_by_key(|span| span.start);
    let mut end = 0;
    spans.retain(|span| {
        let keep = span.start >= end;
        if keep {
            end = span.end;
        }
        keep
    });
    spans
}

/// The first feature of a facet that tagstory renders. A feature without `$type` (not seen,
/// but cheap to allow) is recognised by its one field.
pub(super) fn feature_of(feature: &Value) -> Option<Feature<'_>> {
    let ty = str_of(feature.get("$type")).unwrap_or_default();
    let field = |key| str_of(feature.get(key));
    match ty {
        "app.bsky.richtext.facet#link" => field("uri").map(Feature::Link),
        "app.bsky.richtext.facet#mention" => field("did").map(Feature::Mention),
        "app.bsky.richtext.facet#tag" => field("tag").map(Feature::Tag),
        "" => field("uri")
            .map(Feature::Link)
            .or_else(|| field("did").map(Feature::Mention))
            .or_else(|| field("tag").map(Feature::Tag)),
        _ => None,
    }
}

/// Content HTML (before sanitising): one paragraph, text escaped, newlines as `<br>`, facets as
/// links shaped like Mastodon's mentions and hashtags.
pub(super) fn facets_html(text: &str, spans: &[Span<'_>]) -> String {
    let mut html = String::with_capacity(text.len() * 2);
    html.push_str("<p>");
    let mut at = 0;
    for span in spans {
        push_escaped(&mut html, text.get(at..span.start).unwrap_or_default());
        match span.feature {
            Feature::Link(uri) => {
                html.push_str("<a href=\"");
                push_escaped(&mut html, uri);
                html.push_str("\">");
            }
            Feature::Mention(did) => {
                html.push_str("<a href=\"");
                push_escaped(&mut html, &format!("{WEB}/profile/{did}"));
                html.push_str("\" class=\"mention\">");
            }
            Feature::Tag(tag) => {
                html.push_str("<a href=\"");
                push_escaped(&mut html, &hashtag_url(tag));
                html.push_str("\" class=\"mention hashtag\">");
            }
        }
        push_escaped(
            &mut html,
            text.get(span.start..span.end).unwrap_or_default(),
        );
        html.push_str("</a>");
        at = span.end;
    }
    push_escaped(&mut html, text.get(at..).unwrap_or_default());
    html.push_str("</p>");
    html
}

pub(super) fn push_escaped(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            '\n' => html.push_str("<br>"),
            '\r' => {}
            c => html.push(c),
        }
    }
}

/// `https://bsky.app/hashtag/<tag>`, the tag percent-encoded as a path segment.
pub(super) fn hashtag_url(tag: &str) -> String {
    let tag = tag.trim().trim_start_matches(['#', '＃']);
    match url::Url::parse(&format!("{WEB}/hashtag/")) {
        Ok(mut url) => {
            if let Ok(mut segments) = url.path_segments_mut() {
                segments.pop_if_empty().push(tag);
            }
            url.to_string()
        }
        Err(_) => format!("{WEB}/hashtag/{tag}"),
    }
}

/// `record.text` with each link's shortened visible text (clients write
/// `example.com/a-long-pa...` for the full URL) replaced by the URL itself, trimmed.
pub(super) fn plain_text(text: &str, spans: &[Span<'_>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in spans {
        let Feature::Link(uri) = span.feature else {
            continue;
        };
        let visible = text.get(span.start..span.end).unwrap_or_default();
        if !is_shortened(visible, uri) {
            continue;
        }
        out.push_str(text.get(at..span.start).unwrap_or_default());
        out.push_str(uri);
        at = span.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out.trim().to_owned()
}

/// Whether `visible` is `uri` with its scheme, `www.` or tail left off (and maybe an ellipsis
/// added), rather than the URI itself or unrelated words.
pub(super) fn is_shortened(visible: &str, uri: &str) -> bool {
    let bare = |s: &str| {
        let s = s.trim();
        let s = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
        s.strip_prefix("www.").unwrap_or(s).to_owned()
    };
    let shown = visible.trim();
    let shown = shown
        .strip_suffix("...")
        .or_else(|| shown.strip_suffix('…'))
        .unwrap_or(shown);
    let (shown, full) = (bare(shown), bare(uri));
    visible.trim() != uri.trim() && !shown.is_empty() && full.starts_with(&shown)
}
