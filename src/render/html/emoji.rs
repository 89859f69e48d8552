//! Custom emoji: `:shortcode:` in sanitised HTML becomes an `<img>`, only for the shortcodes a
//! post lists, only with a safe URL, and only in text, never inside a tag.

use std::collections::HashMap;

use crate::model::CustomEmoji;
use crate::sanitize::{escape_html, safe_url};

/// The custom emoji a page may show, by shortcode: a shortcode of `[A-Za-z0-9_]+` only, and an
/// absolute http(s) URL ([`safe_url`]); the first of a shortcode wins. Values are the URLs,
/// normalised.
pub fn usable_emojis(emojis: &[CustomEmoji]) -> HashMap<&str, String> {
    let mut out = HashMap::new();
    for e in emojis {
        if !is_shortcode(&e.shortcode) || out.contains_key(e.shortcode.as_str()) {
            continue;
        }
        if let Some(url) = safe_url(&e.url) {
            out.insert(e.shortcode.as_str(), url);
        }
    }
    out
}

fn is_shortcode(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Replaces each `:shortcode:` of `emojis` (from [`usable_emojis`]) in the text of `html` by
/// its image. `html` must be serialised HTML as [`crate::sanitize::sanitize_html`] or [`escape_html`] write it
/// (`<` in text always escaped, attribute values quoted): only text between tags changes,
/// never a tag or an attribute.
pub fn emojify_html(html: &str, emojis: &HashMap<&str, String>) -> String {
    if emojis.is_empty() || !html.contains(':') {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        emojify_text(&mut out, &rest[..lt], emojis);
        let end = tag_end(&rest[lt..]).map_or(rest.len(), |e| lt + e);
        out.push_str(&rest[lt..end]);
        rest = &rest[end..];
    }
    emojify_text(&mut out, rest, emojis);
    out
}

/// The length of the tag at the start of `html` (which starts with `<`), up to and including
/// its `>`, skipping quoted attribute values; `None` if it never closes.
fn tag_end(html: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in html.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i + 1),
            (None, _) => {}
        }
    }
    None
}

/// Pushes HTML text `text` to `out` with known shortcodes replaced by images.
fn emojify_text(out: &mut String, text: &str, emojis: &HashMap<&str, String>) {
    let mut rest = text;
    while let Some(colon) = rest.find(':') {
        out.push_str(&rest[..colon]);
        let after = &rest[colon + 1..];
        let len = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let known = (len > 0 && after[len..].starts_with(':'))
            .then(|| emojis.get(&after[..len]))
            .flatten();
        match known {
            Some(url) => {
                let code = escape_html(&after[..len]);
                out.push_str(&format!(
                    "<img class=\"emoji\" src=\"{}\" alt=\":{code}:\" title=\":{code}:\" \
                     width=\"20\" height=\"20\">",
                    escape_html(url)
                ));
                rest = &after[len + 1..];
            }
            None => {
                out.push(':');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}
