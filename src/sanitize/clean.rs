//! Recognising HTML that is already exactly what the sanitiser writes, so that rendering an
//! archive (whose content was sanitised when collected) need not parse every post again.
//!
//! The recogniser is strict and only says yes to the sanitiser's own serialisation: allowed
//! tags, balanced; attributes double-quoted, only `href` (absolute http/https), `rel` (exactly
//! the sanitiser's) and allowed `class`es, on the elements that may carry them; text and values
//! with nothing unescaped but the serialiser's entities. Anything else — a comment, an unknown
//! tag or attribute, a stray `>` — goes through the full sanitiser. The property test checks the
//! one thing that matters: whatever it accepts, the sanitiser would return unchanged.

use super::{ALLOWED_CLASSES, ALLOWED_TAGS, LINK_REL};

/// Whether `html` is already in the sanitiser's canonical output form.
pub(super) fn is_clean(html: &str) -> bool {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = html;
    loop {
        let lt = memchr::memchr(b'<', rest.as_bytes()).unwrap_or(rest.len());
        if !clean_text(&rest[..lt]) {
            return false;
        }
        rest = &rest[lt..];
        if rest.is_empty() {
            return open.is_empty();
        }
        let Some(gt) = memchr::memchr(b'>', rest.as_bytes()) else {
            return false;
        };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            if open.pop() != Some(name) {
                return false;
            }
            continue;
        }
        let (name, attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        let Some(&name) = ALLOWED_TAGS.iter().find(|t| **t == name) else {
            return false;
        };
        if !clean_attributes(name, attrs) {
            return false;
        }
        // The HTML parser closes an open paragraph at a block, and an open item at the next
        // item, so such nesting is not kept as written.
        let block = matches!(name, "p" | "ul" | "ol" | "li" | "pre" | "blockquote");
        if block && open.contains(&"p") {
            return false;
        }
        if name == "li" && item_open(&open) {
            return false;
        }
        // The HTML parser drops a newline that opens a `pre`, so such text is not canonical.
        if name == "pre" && rest.starts_with(['\n', '\r']) {
            return false;
        }
        if name != "br" {
            open.push(name);
        }
    }
}

/// Whether an item is open that a new `li` would close: the nearest `li` before any list,
/// quote or `pre` (the elements that stop the parser's search).
fn item_open(open: &[&str]) -> bool {
    for &name in open.iter().rev() {
        match name {
            "li" => return true,
            "ul" | "ol" | "blockquote" | "pre" => return false,
            _ => {}
        }
    }
    false
}

/// Text as the serialiser writes it: no `<` or `>`, `&` only in its entities, and none of the
/// characters the parser or serialiser change (a carriage return becomes a line feed, a NUL is
/// dropped, a no-break space is written `&nbsp;`).
fn clean_text(text: &str) -> bool {
    plain(text, &["&amp;", "&lt;", "&gt;", "&nbsp;"])
}

/// No `<`, `>`, carriage return, NUL or raw no-break space, and `&` only in `entities`. One
/// pass over the bytes: every post's text goes through here when a story is rendered.
fn plain(text: &str, entities: &[&str]) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| match b {
        b'<' | b'>' | b'\r' | b'\0' => false,
        // U+00A0 is C2 A0 in UTF-8, and C2 only ever starts a character.
        0xc2 => bytes.get(i + 1) != Some(&0xa0),
        b'&' => entities
            .iter()
            .any(|e| bytes[i..].starts_with(e.as_bytes())),
        _ => true,
    })
}

fn clean_attributes(tag: &str, attrs: &str) -> bool {
    let mut rest = attrs;
    let (mut href, mut rel) = (false, false);
    while !rest.is_empty() {
        // Names are plain: a name cut at the first `=` without a `"` after it is no name
        // allowed below, so looking no further answers the same.
        let Some(eq) = memchr::memchr(b'=', rest.as_bytes()) else {
            return false;
        };
        let (name, after) = (&rest[..eq], &rest[eq + 1..]);
        let Some(after) = after.strip_prefix('"') else {
            return false;
        };
        let Some(close) = memchr::memchr(b'"', after.as_bytes()) else {
            return false;
        };
        let value = &after[..close];
        rest = after[close + 1..]
            .strip_prefix(' ')
            .unwrap_or(&after[close + 1..]);
        if !plain(value, &["&amp;", "&quot;", "&nbsp;"]) {
            return false;
        }
        let ok = match (tag, name) {
            ("a", "href") => {
                href = true;
                absolute_http(value)
            }
            ("a", "rel") => {
                rel = true;
                value == LINK_REL
            }
            ("a" | "span", "class") => {
                !value.is_empty() && value.split(' ').all(|c| ALLOWED_CLASSES.contains(&c))
            }
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    // The sanitiser gives every link its `rel`, and unwraps a link without `href`.
    tag != "a" || (href && rel)
}

fn absolute_http(value: &str) -> bool {
    let decoded = if value.contains('&') {
        std::borrow::Cow::Owned(value.replace("&amp;", "&"))
    } else {
        std::borrow::Cow::Borrowed(value)
    };
    let starts = |scheme: &str| {
        decoded
            .get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
    };
    (starts("https://") || starts("http://"))
        && !decoded.contains(['&', ' ', '\t', '\n', '\r', '\\'])
        && (super::plain_url::is_plain(&decoded)
            || url::Url::parse(&decoded).is_ok_and(|u| u.as_str() == decoded))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::is_clean;
    use crate::sanitize::sanitize_fully as sanitize_html;

    #[test]
    fn the_sanitisers_output_is_recognised() {
        for input in [
            "<li>an item alone</li><ul><li>a<ul><li>nested</li></ul></li></ul>",
            r#"<p>Hello <a href="https://a.example/x" class="mention hashtag">#<span>tag</span></a> &amp; you<br>bye</p>"#,
            r#"<p><span class="h-card"><a href="https://s.example/@ruth" class="u-url mention">@<span>ruth</span></a></span> hi</p>"#,
            "<ul><li>a</li><li><em>b</em> &lt; c</li></ul><blockquote><p>q</p></blockquote>",
        ] {
            let clean = sanitize_html(input);
            assert!(is_clean(&clean), "{clean}");
            assert_eq!(sanitize_html(&clean), clean);
        }
    }

    #[test]
    fn anything_else_is_not() {
        for html in [
            "<p>unclosed",
            "<p>a</em>",
            "<script>x</script>",
            "<p onclick=\"x\">a</p>",
            r#"<a href="javascript:alert(1)" rel="nofollow noopener ugc">x</a>"#,
            r#"<a href="https://a.example/">no rel</a>"#,
            r#"<a rel="nofollow noopener ugc">no href</a>"#,
            r#"<span class="evil">x</span>"#,
            "<!-- c --><p>x</p>",
            "<p>a > b</p>",
            "<p>&#60;script&#62;</p>",
            "<p style=\"color:red\">x</p>",
            "<img src=\"https://a.example/i.png\">",
            // What the parser changes: nesting it closes, characters it rewrites or drops.
            "<p><ul><li>a</li></ul></p>",
            "<p><p>a</p></p>",
            "<p><blockquote>q</blockquote></p>",
            "<ul><li>a<li>b</li></li></ul>",
            "<ul><li><em>a<li>b</li></em></li></ul>",
            "<p><li>a</li></p>",
            "<p>a\rb</p>",
            "<p>a\r\nb</p>",
            "<p>a\u{a0}b</p>",
            "<p>a\0b</p>",
        ] {
            assert!(!is_clean(html), "{html:?}");
            assert_ne!(sanitize_html(html), html, "the sanitiser changes {html:?}");
        }
    }

    fn fragment() -> impl Strategy<Value = String> {
        let atoms = prop::sample::select(vec![
            "<p>",
            "</p>",
            "<br>",
            "<a href=\"https://a.example/p?q=1&amp;r=2\" rel=\"nofollow noopener ugc\">",
            "<a href=\"javascript:x\" rel=\"nofollow noopener ugc\">",
            "</a>",
            "<span class=\"invisible\">",
            "<span class=\"h-card\">",
            "</span>",
            "<em>",
            "</em>",
            "<strong>",
            "</strong>",
            "<ul>",
            "<li>",
            "</li>",
            "</ul>",
            "text",
            " ",
            "&amp;",
            "&lt;",
            "&gt;",
            "&nbsp;",
            "&quot;",
            "\"",
            "'",
            ">",
            "<script>",
            "</script>",
            "<p title=\"x\">",
            "<a href=\"https://a.example/\">",
            "<blockquote>",
            "</blockquote>",
            "<pre>",
            "<code>",
            "</code>",
            "</pre>",
            "\n",
            "<b>",
            "</b>",
            "é",
            "<del>",
            "</del>",
            "<ol>",
            "</ol>",
            "\r",
            "\r\n",
            "\u{a0}",
            "\0",
            "\u{c}",
            "\t",
        ]);
        prop::collection::vec(atoms, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Whatever the recogniser accepts, the full sanitiser returns unchanged.
        #[test]
        fn accepted_html_is_a_fixed_point_of_the_sanitiser(html in fragment()) {
            if is_clean(&html) {
                prop_assert_eq!(sanitize_html(&html), html);
            }
        }

        /// And the sanitiser's own output is accepted (so the fast path is taken on archives).
        #[test]
        fn sanitised_html_is_mostly_recognised(html in fragment()) {
            let clean = sanitize_html(&html);
            if is_clean(&clean) {
                prop_assert_eq!(sanitize_html(&clean), clean);
            }
        }
    }
}
