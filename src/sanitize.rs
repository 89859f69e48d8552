//! The one place where untrusted HTML becomes HTML we are willing to put on a page.
//!
//! # Threat model
//! Post content, names, alt text and URLs come from strangers and from servers we do not control.
//! Content HTML goes through an allow-list (ammonia): only the inline and block tags Mastodon
//! itself allows survive, no `script`, `style`, `iframe`, `form`, event handlers or inline styles;
//! links and images may only point at `http`/`https` URLs (relative URLs, `javascript:` and
//! `data:` are dropped) and every link gets `rel="nofollow noopener ugc"`. Everything else that
//! reaches a page is text, escaped by the template engine, and URLs placed in attributes pass
//! [`safe_url`] first.
//!
//! Content is sanitised when collected (so the archive holds clean HTML) and again when rendered
//! (so a stricter policy applies to old archives too).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

mod canonical;
mod clean;
mod plain_url;

/// Tags Mastodon 4.2+ allows in content, plus headings-free block quoting and lists.
const ALLOWED_TAGS: &[&str] = &[
    "p",
    "br",
    "span",
    "a",
    "del",
    "s",
    "pre",
    "code",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "blockquote",
];

/// Classes that carry meaning in Mastodon's markup: mentions, hashtags and the
/// `invisible`/`ellipsis` spans that shorten long links.
const ALLOWED_CLASSES: &[&str] = &[
    "mention",
    "hashtag",
    "invisible",
    "ellipsis",
    "h-card",
    "u-url",
    "quote-inline",
];

/// The `rel` the sanitiser gives every link.
pub const LINK_REL: &str = "nofollow noopener ugc";

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    let classes: HashSet<&str> = ALLOWED_CLASSES.iter().copied().collect();
    builder
        .tags(ALLOWED_TAGS.iter().copied().collect())
        .clean_content_tags(["script", "style", "template", "textarea", "title"].into())
        .tag_attributes(HashMap::from([("a", HashSet::from(["href"]))]))
        .allowed_classes(HashMap::from([("a", classes.clone()), ("span", classes)]))
        .url_schemes(HashSet::from(["http", "https"]))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some(LINK_REL))
        .strip_comments(true);
    builder
});

/// A curator's Markdown (intro, note) as sanitised HTML: CommonMark with strikethrough, then
/// the same allow-list as post content, so raw HTML, `javascript:` links and images in it go.
pub fn markdown_to_html(markdown: &str) -> String {
    let options = pulldown_cmark::Options::ENABLE_STRIKETHROUGH;
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(
        &mut html,
        pulldown_cmark::Parser::new_ext(markdown, options),
    );
    sanitize_html(&html)
}

/// The most HTML sanitised as one document. The sanitiser builds a tree of the whole input,
/// some thirty times its size for dense markup (a 100 MB post took 3.2 GB); longer HTML is
/// sanitised in pieces of about this size, so memory stays bounded (see: issue 11).
pub const MAX_PIECE: usize = 1 << 20;

/// Sanitises untrusted content HTML with the allow-list described in the module docs. HTML
/// that is already exactly the sanitiser's output (an archive's content, sanitised when
/// collected) is recognised and returned as it is, without parsing it again.
///
/// HTML longer than [`MAX_PIECE`] is cut into pieces, each ending after a `</p>` where one
/// is near the limit (else before a `<`), and each piece sanitised on its own. Every piece's
/// output is a complete, clean fragment, so their concatenation is as safe as one would be:
/// at worst, markup cut at a boundary shows as text.
pub fn sanitize_html(html: &str) -> String {
    if clean::is_clean(html) {
        return html.to_string();
    }
    rewritten_or_sanitised(html)
}

/// Whether `html` is already exactly what [`sanitize_html`] returns for it (a strict
/// recogniser: it may say no to some clean HTML, never yes to HTML the sanitiser would change).
pub fn is_sanitised(html: &str) -> bool {
    clean::is_clean(html)
}

/// Like [`sanitize_html`], keeping the string itself when it is already clean.
pub fn sanitize_html_owned(html: String) -> String {
    if clean::is_clean(&html) {
        return html;
    }
    rewritten_or_sanitised(&html)
}

/// The sanitiser's output for `html`: written directly when `html` is simple markup (see
/// [`canonical`]) and the result is recognised as the sanitiser's own, else sanitised.
fn rewritten_or_sanitised(html: &str) -> String {
    match canonical::rewrite(html) {
        Some(rewritten) if clean::is_clean(&rewritten) => rewritten,
        _ => sanitize_fully(html),
    }
}

/// The full sanitiser: parse, keep what the allow-list allows, serialise (in pieces when long).
fn sanitize_fully(html: &str) -> String {
    if html.len() <= MAX_PIECE {
        return clean_piece(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while !rest.is_empty() {
        let cut = piece_end(rest);
        out.push_str(&clean_piece(&rest[..cut]));
        rest = &rest[cut..];
    }
    out
}

fn clean_piece(html: &str) -> String {
    keep_pre_newline(line_feeds_only(unwrap_dead_links(
        &CLEANER.clean(html).to_string(),
    )))
}

/// A character reference to a carriage return (`&#13;`) comes out of the parser as a raw CR,
/// which the serialiser writes as it is; parsed again it would be a line feed, so the output
/// would change on every pass. Written as the line feed it becomes.
fn line_feeds_only(html: String) -> String {
    if html.contains('\r') {
        html.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        html
    }
}

/// An HTML parser drops a newline right after `<pre>`, so a `<pre>` whose text starts with one
/// must be written with one more (as the HTML serialisation algorithm says; the sanitiser's
/// serialiser does not), or each pass through the sanitiser loses a line. The sanitiser's
/// `<pre>` has no attributes, and a literal `<` in text is always escaped.
fn keep_pre_newline(html: String) -> String {
    if html.contains("<pre>\n") {
        html.replace("<pre>\n", "<pre>\n\n")
    } else {
        html
    }
}

/// Where the next piece of `html` ends: all of it when short; else just after the last
/// `</p>` in the second half of the first [`MAX_PIECE`] bytes, or at the last `<` there,
/// or at a character boundary.
fn piece_end(html: &str) -> usize {
    if html.len() <= MAX_PIECE {
        return html.len();
    }
    let boundary = |mut at: usize| {
        while !html.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let (start, limit) = (boundary(MAX_PIECE / 2), boundary(MAX_PIECE));
    let window = &html[start..limit];
    if let Some(at) = window.rfind("</p>") {
        return start + at + "</p>".len();
    }
    match window.rfind('<') {
        Some(at) => start + at,
        None => limit,
    }
}

/// Replaces each `<a>` whose `href` the sanitiser removed (a `javascript:` or relative link)
/// by its text: a link that goes nowhere is invalid HTML and misleads the reader. Relies on the
/// sanitiser's serialisation: attributes quoted, and no `<a>` inside another.
fn unwrap_dead_links(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<a") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('>') else {
            break;
        };
        let attrs = &after[..end];
        let is_anchor_tag = attrs.is_empty() || attrs.starts_with(' ');
        out.push_str(&rest[..start]);
        if !is_anchor_tag || attrs.contains(" href=\"") {
            out.push_str(&rest[start..start + 3 + end]);
            rest = &rest[start + 3 + end..];
            continue;
        }
        rest = &after[end + 1..];
        let close = rest.find("</a>").unwrap_or(rest.len());
        out.push_str(&rest[..close]);
        rest = rest.get(close + 4..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Escapes text for HTML text and quoted attributes: `&`, `<`, `>`, `"` and `'`.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped_html(&mut out, text);
    out
}

/// Appends `text` to `out` escaped as [`escape_html`] does, so a page built piece by piece
/// need not make a string for each piece.
pub fn push_escaped_html(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// Returns `url` if it is an absolute `http` or `https` URL, normalised; `None` otherwise.
pub fn safe_url(url: &str) -> Option<String> {
    let url = url.trim();
    if plain_url::is_plain(url) {
        return Some(url.to_string());
    }
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https")
        .then(|| parsed.host().is_some())
        .filter(|has_host| *has_host)
        .map(|_| parsed.to_string())
}

/// Plain text of HTML that [`sanitize_html`] produced: paragraphs become blank lines, `<br>` a
/// newline, list items a line each, entities decoded. Relies on the sanitiser's serialised
/// form (quoted attributes, `<` and `&` always escaped in text), so it must not be given raw HTML.
pub fn html_to_text(sanitized: &str) -> String {
    let mut out = String::with_capacity(sanitized.len());
    let mut rest = sanitized;
    while let Some(lt) = rest.find('<') {
        push_decoded(&mut out, &rest[..lt]);
        let Some(gt) = rest[lt..].find('>') else {
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        rest = &rest[lt + gt + 1..];
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        match (tag.starts_with('/'), name) {
            (false, "br") => out.push('\n'),
            (true, "p" | "blockquote" | "pre" | "ul" | "ol") => out.push_str("\n\n"),
            (false, "li") => out.push_str("\n- "),
            _ => {}
        }
    }
    push_decoded(&mut out, rest);
    tidy_lines(&out)
}

fn push_decoded(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let entity = rest.find(';').map(|end| &rest[..=end]);
        let decoded = entity.and_then(|e| decode_entity(e).map(|c| (c, e.len())));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

fn decode_entity(entity: &str) -> Option<char> {
    let body = entity.strip_prefix('&')?.strip_suffix(';')?;
    match body {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{00A0}'),
        _ => {
            let num = body.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// Trims each line's end, collapses runs of blank lines to one, and trims the whole.
fn tidy_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.trim().lines().map(str::trim_end) {
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_active_content() {
        let hostile = r#"<p onclick="steal()">Hi<script>alert(1)</script><style>p{}</style>
            <img src=x onerror=alert(2)><iframe src="https://evil.example"></iframe>
            <a href="javascript:alert(3)">js</a><a href="data:text/html,x">data</a>
            <form action="https://evil.example"><input name=q></form>
            <span style="color:red" class="evil mention">s</span></p>"#;
        let clean = sanitize_html(hostile);
        for banned in [
            "<script",
            "alert(1)",
            "onclick",
            "onerror",
            "<img",
            "<iframe",
            "javascript:",
            "data:",
            "<form",
            "<input",
            "<style",
            "style=",
            "evil",
        ] {
            assert!(!clean.contains(banned), "{banned:?} survived in {clean}");
        }
        assert!(
            clean.contains(r#"<span class="mention">s</span>"#),
            "{clean}"
        );
    }

    #[test]
    fn links_get_rel_and_dead_links_become_text() {
        let clean = sanitize_html(
            r#"<p><a href="https://a.example/x">a</a> <a href="/rel">b<b>!</b></a> <a href="javascript:x()" class="mention">c</a> <abbr>d</abbr></p>"#,
        );
        assert_eq!(
            clean,
            r#"<p><a href="https://a.example/x" rel="nofollow noopener ugc">a</a> b<b>!</b> c d</p>"#
        );
    }

    #[test]
    fn text_keeps_paragraphs_lines_and_full_links() {
        let html = sanitize_html(
            "<p>Dear &amp; <b>kind</b> people,<br>thank you</p><p>see <a href=\"https://x.example/long/path\">\
             <span class=\"invisible\">https://</span><span class=\"ellipsis\">x.example/lo</span>\
             <span class=\"invisible\">ng/path</span></a> 1 &lt; 2</p>",
        );
        assert_eq!(
            html_to_text(&html),
            "Dear & kind people,\nthank you\n\nsee https://x.example/long/path 1 < 2"
        );
    }

    #[test]
    fn a_carriage_return_by_reference_is_a_line_feed_so_sanitising_again_changes_nothing() {
        // Found by the `sanitize` fuzz target.
        for input in [
            "&#xd[2[12d\nA+*",
            "<p>a&#13;b</p>",
            "<pre>&#13;x</pre>",
            "a&#13;&#10;b",
        ] {
            let once = sanitize_html(input);
            assert!(!once.contains('\r'), "{once:?}");
            assert_eq!(sanitize_html(&once), once, "{input:?}");
        }
    }

    #[test]
    fn safe_url_accepts_only_absolute_http() {
        assert_eq!(
            safe_url("https://a.example/p?q=1").as_deref(),
            Some("https://a.example/p?q=1")
        );
        assert_eq!(
            safe_url("http://a.example").as_deref(),
            Some("http://a.example/")
        );
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AA",
            "avatar.jpg",
            "/x",
            "",
            "file:///etc/passwd",
        ] {
            assert_eq!(safe_url(bad), None, "{bad}");
        }
    }

    /// See: issue 11. A 100 MB post peaked at 3.2 GB while sanitised as one tree. Long HTML
    /// is sanitised in pieces: the same clean output where pieces end between paragraphs,
    /// nothing active where a cut falls inside markup.
    #[test]
    fn long_html_is_sanitised_in_pieces_of_bounded_size() {
        let paragraph = "<p>a <b>b</b> <a href=\"https://a.example/\" onclick=\"x\">c</a></p>";
        let long = paragraph.repeat(3 * MAX_PIECE / paragraph.len());
        let clean = sanitize_html(&long);
        let one = sanitize_html(paragraph);
        assert_eq!(clean, one.repeat(3 * MAX_PIECE / paragraph.len()));
        // No paragraph to cut after, and a script and multi-byte text across every boundary.
        let hostile = format!("é<script>{}</script>", "<i>é</i>".repeat(MAX_PIECE / 4));
        let clean = sanitize_html(&hostile);
        assert!(!clean.contains("<script"), "a script survived");
        assert_eq!(piece_end("é".repeat(MAX_PIECE).as_str()) % 2, 0);
    }

    /// Found by the `sanitize` fuzz target: `<pre>` followed by a NUL and a newline kept the
    /// newline, which the next pass (at render) then read as the one a parser drops, so
    /// sanitising twice lost it.
    #[test]
    fn sanitising_is_idempotent_for_a_pre_starting_with_a_newline() {
        for html in [
            "<pre>\0\r",
            "<pre>\n\nx</pre>",
            "<pre>\0\n\n\nx",
            "<p>a</p><pre>\u{1}\nb</pre>",
        ] {
            let once = sanitize_html(html);
            assert_eq!(sanitize_html(&once), once, "{html:?}");
        }
    }
}
