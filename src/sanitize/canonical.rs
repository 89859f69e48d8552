//! Writing the sanitiser's output directly for the simple markup Mastodon and most fediverse
//! servers send, without building a tree (issue 10: the full sanitiser was a third of the time
//! spent reading a Mastodon status).
//!
//! The rewriter takes only markup whose tree is its tags as written: paragraphs at the top
//! level, and inside them text, line breaks and inline elements (`a`, `span`, `em`, …), closed
//! in order, no link inside a link. Tags and attribute names in lower case, values
//! double-quoted, text with only the common entities. For such markup the HTML parser's tree
//! has exactly these elements and this text, so the sanitiser's output is that tree without
//! the attributes it does not allow, every link given its `rel`: the rewriter drops
//! `target`, `translate` and `rel`, adds the `rel`, and writes text as the serialiser does.
//! The result is used only when [`super::clean::is_clean`] accepts it; anything else (a list,
//! a quote, an entity or attribute it does not know, a stray `>`) goes to the sanitiser.

use super::{ALLOWED_TAGS, LINK_REL};

/// Inline elements the rewriter takes inside a paragraph.
const INLINE: &[&str] = &[
    "a", "span", "del", "s", "code", "em", "strong", "b", "i", "u",
];

/// Attributes the sanitiser removes that the rewriter may drop.
const DROPPED: &[&str] = &["target", "translate", "rel"];

/// The sanitiser's output for `html`, when `html` is simple enough to write it directly.
pub(super) fn rewrite(html: &str) -> Option<String> {
    let mut out = String::with_capacity(html.len() + html.len() / 4);
    // The open elements, outermost first.
    let mut open: Vec<&str> = Vec::new();
    let mut rest = html;
    loop {
        let lt = rest.find('<').unwrap_or(rest.len());
        text(&mut out, &rest[..lt])?;
        rest = &rest[lt..];
        if rest.is_empty() {
            return open.is_empty().then_some(out);
        }
        let gt = rest.find('>')?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            if open.pop() != Some(name) {
                return None;
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
            continue;
        }
        let tag = tag
            .strip_suffix(" /")
            .filter(|_| tag.starts_with("br"))
            .unwrap_or(tag);
        let (name, attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        let name = *ALLOWED_TAGS.iter().find(|t| **t == name)?;
        match name {
            "p" if open.is_empty() => {}
            "br" if !open.is_empty() => {}
            _ if INLINE.contains(&name) && !open.is_empty() => {
                if name == "a" && open.contains(&"a") {
                    return None;
                }
            }
            _ => return None,
        }
        out.push('<');
        out.push_str(name);
        attributes(&mut out, name, attrs)?;
        out.push('>');
        if name != "br" {
            open.push(name);
        }
    }
}

/// Appends text as the serialiser writes it: the parser decodes the entities, the serialiser
/// escapes `&`, `<`, `>` and the no-break space again and nothing else.
fn text(out: &mut String, text: &str) -> Option<()> {
    let mut rest = text;
    while let Some(i) = rest.find(['&', '>', '\r', '\0']) {
        plain(out, &rest[..i])?;
        rest = &rest[i..];
        let (entity, written) = [
            ("&amp;", "&amp;"),
            ("&lt;", "&lt;"),
            ("&gt;", "&gt;"),
            ("&nbsp;", "&nbsp;"),
            ("&quot;", "\""),
            ("&#39;", "'"),
            ("&#x27;", "'"),
        ]
        .into_iter()
        .find(|(entity, _)| rest.starts_with(entity))?;
        out.push_str(written);
        rest = &rest[entity.len()..];
    }
    plain(out, rest)
}

/// Text without entities; `None` for what the parser would change or the serialiser would
/// write otherwise (a control character, a no-break space).
fn plain(out: &mut String, text: &str) -> Option<()> {
    if text
        .chars()
        .any(|c| c == '\u{a0}' || (c.is_control() && c != '\n' && c != '\t'))
    {
        return None;
    }
    out.push_str(text);
    Some(())
}

/// Appends the attributes the sanitiser keeps, as it writes them: `href` and `class` where
/// it allows them, in their order, then a link's `rel`. Each attribute at most once.
fn attributes(out: &mut String, tag: &str, attrs: &str) -> Option<()> {
    let mut seen: Vec<&str> = Vec::new();
    let mut rest = attrs;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"")?;
        let close = after.find('"')?;
        let value = &after[..close];
        rest = after[close + 1..]
            .strip_prefix(' ')
            .unwrap_or(&after[close + 1..]);
        if seen.contains(&name) || value.contains(['<', '>']) {
            return None;
        }
        seen.push(name);
        match (tag, name) {
            ("a", "href") | ("a" | "span", "class") => {
                out.push(' ');
                out.push_str(name);
                out.push_str("=\"");
                out.push_str(value);
                out.push('"');
            }
            (_, name) if DROPPED.contains(&name) && (tag == "a" || name == "translate") => {}
            _ => return None,
        }
    }
    if tag == "a" {
        out.push_str(" rel=\"");
        out.push_str(LINK_REL);
        out.push('"');
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::rewrite;
    use crate::sanitize::clean::is_clean;
    use crate::sanitize::sanitize_fully;

    /// The rewrite, when it is taken, is the sanitiser's output.
    fn check(html: &str) -> bool {
        match rewrite(html).filter(|r| is_clean(r)) {
            Some(r) => {
                assert_eq!(r, sanitize_fully(html), "{html}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn mastodon_markup_is_written_directly() {
        for html in [
            r#"<p><span class="h-card" translate="no"><a href="https://bench.example/@ravi" class="u-url mention">@<span>ravi</span></a></span> hi <a href="https://bench.example/tags/fediverse" class="mention hashtag" rel="tag">#<span>fediverse</span></a></p>"#,
            r#"<p>Q&amp;A a &gt; b it&#39;s &quot;so&quot;<br />next<br>line <a href="https://news.example.org/en/298/story-99998" target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">https://</span><span class="ellipsis">news.example.org/en/298</span><span class="invisible">/story-99998</span></a></p><p>two</p>"#,
            "<p>plain</p>\n<p><em>x</em> <strong>y</strong> <code>z</code></p>",
        ] {
            assert!(check(html), "not taken: {html}");
        }
    }

    #[test]
    fn other_markup_goes_to_the_sanitiser() {
        for html in [
            "<p><ul><li>a</li></ul></p>",
            "<p><p>a</p></p>",
            "<p><a href=\"https://a.example/\"><a href=\"https://b.example/\">x</a></a></p>",
            "<blockquote><p>q</p></blockquote>",
            "<p>a &copy; b</p>",
            "<p>a\u{a0}b</p>",
            "<p>a\rb</p>",
            "<p class=\"mention\">x</p>",
            "<p><span class=\"evil\">x</span></p>",
            "<p><a href='https://a.example/'>x</a></p>",
            "<p><a href=\"https://a.example/\" href=\"https://b.example/\">x</a></p>",
            "<p><A href=\"https://a.example/\">x</A></p>",
            "<p><span target=\"_blank\">x</span></p>",
            "<p><a href=\"javascript:x\">x</a></p>",
            "<br>",
            "text <em>x</em>",
        ] {
            assert!(!check(html), "taken: {html}");
        }
    }

    fn fragment() -> impl Strategy<Value = String> {
        let atoms = prop::sample::select(vec![
            "<p>",
            "</p>",
            "<br>",
            "<br />",
            "<a href=\"https://a.example/p?q=1&amp;r=2\" class=\"mention hashtag\" rel=\"tag\">",
            "<a href=\"https://a.example/x\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\">",
            "<a href=\"javascript:x\">",
            "<a href=\"https://a.example/\">",
            "<a class=\"u-url mention\">",
            "</a>",
            "<span class=\"invisible\">",
            "<span class=\"h-card\" translate=\"no\">",
            "<span translate=\"no\">",
            "<span class=\"foo\">",
            "<span>",
            "</span>",
            "<em>",
            "</em>",
            "<strong>",
            "</strong>",
            "<code>",
            "</code>",
            "<ul>",
            "<li>",
            "</li>",
            "</ul>",
            "<pre>",
            "</pre>",
            "<blockquote>",
            "</blockquote>",
            "text",
            " ",
            "&amp;",
            "&lt;",
            "&gt;",
            "&nbsp;",
            "&quot;",
            "&#39;",
            "&#x27;",
            "&copy;",
            "\"",
            "'",
            ">",
            "\n",
            "\t",
            "\r",
            "\u{a0}",
            "é",
            "<script>",
            "</script>",
        ]);
        prop::collection::vec(atoms, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        /// Whatever the rewriter writes and the recogniser accepts is the sanitiser's output.
        #[test]
        fn a_rewrite_is_the_sanitisers_output(html in fragment()) {
            if let Some(r) = rewrite(&html).filter(|r| is_clean(r)) {
                prop_assert_eq!(r, sanitize_fully(&html));
            }
        }
    }
}
