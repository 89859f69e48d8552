//! Sanitised HTML (as [`crate::sanitize::sanitize_html`] writes it) to Markdown, and the
//! escaping that keeps untrusted text from becoming Markdown syntax.
//!
//! The input is always the sanitiser's serialisation: a small allow-list of tags, attribute
//! values double-quoted, `&`, `<`, `>` and `"` escaped as entities. So a small tokenizer reads
//! it exactly, and any other markup (which cannot occur) is read as text and escaped.
//!
//! Text is escaped by backslashing the ASCII punctuation that can start Markdown syntax
//! anywhere in a line (`\`, `` ` ``, `*`, `_`, `[`, `]`, `<`, `|`, `~`, `&`), and the
//! characters that only matter at the start of a line (`#`, `>`, `-`, `+`, `=`, `1.`, `1)`)
//! there; leading spaces (indented code) are dropped. `!` only makes an image before `[`, which
//! is always escaped, and hashtags, apostrophes and full stops stay as they are, so the file
//! reads as plain text.
//! Links are written only for http(s) URLs, inside `<…>` with `<`, `>` and spaces
//! percent-encoded, so no URL can end its own link.

use crate::sanitize::safe_url;

/// Escapes untrusted text that starts a line (see the module docs).
pub fn escape_text(text: &str) -> String {
    escape(text, true)
}

/// Escapes untrusted text that goes inside a line, after other text.
pub fn escape_inline(text: &str) -> String {
    escape(text, false)
}

fn escape(text: &str, at_line_start: bool) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    // CommonMark ends a line at `\r` as well as `\n`: a `\r` must start a line here too.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if i > 0 || at_line_start {
            // Leading spaces or a tab would make an indented code block.
            escape_line(&mut out, line.trim_start(), true);
        } else {
            escape_line(&mut out, line, at_line_start);
        }
    }
    out
}

fn escape_line(out: &mut String, line: &str, line_start: bool) {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    for (i, c) in line.char_indices() {
        let first = line_start && i == 0;
        // `1.` and `1)` start an ordered list item.
        let ordered_marker = line_start && digits > 0 && i == digits && matches!(c, '.' | ')');
        let syntax = matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '|' | '~' | '&' | '$'
        ) || (first && matches!(c, '#' | '>' | '-' | '+' | '='))
            || ordered_marker;
        if syntax {
            out.push('\\');
        }
        out.push(c);
    }
}

/// A link to `url` (when it is a safe http(s) URL) with already-escaped `label`; else the label.
pub fn link(label: &str, url: &str) -> String {
    match safe_url(url) {
        Some(url) => format!("[{label}](<{}>)", encode_destination(&url)),
        None => label.to_string(),
    }
}

/// A URL as a link destination inside `<…>`.
pub fn encode_destination(url: &str) -> String {
    url.replace('<', "%3C")
        .replace('>', "%3E")
        .replace(' ', "%20")
        .replace('\n', "%0A")
        .replace('\\', "%5C")
}

/// A piece of sanitised HTML.
#[derive(Debug, PartialEq)]
enum Token {
    Text(String),
    Open(String, Vec<(String, String)>),
    Close(String),
}

fn tokens(html: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(tag) = rest.strip_prefix('<')
            && let Some(end) = tag_end(tag)
        {
            let inner = &tag[..end];
            rest = &tag[end + 1..];
            if let Some(name) = inner.strip_prefix('/') {
                out.push(Token::Close(name.trim().to_ascii_lowercase()));
            } else {
                let inner = inner.trim_end_matches('/');
                let (name, attrs) = inner.split_once(' ').unwrap_or((inner, ""));
                out.push(Token::Open(name.to_ascii_lowercase(), attributes(attrs)));
            }
            continue;
        }
        let first = rest.chars().next().map_or(1, char::len_utf8);
        let next = rest[first..].find('<').map_or(rest.len(), |i| i + first);
        out.push(Token::Text(decode_entities(&rest[..next])));
        rest = &rest[next..];
    }
    out
}

/// Where a tag that starts after `<` ends (its `>`, outside quoted values).
fn tag_end(tag: &str) -> Option<usize> {
    if !tag.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/') {
        return None;
    }
    let mut quoted = false;
    for (i, b) in tag.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'>' if !quoted => return Some(i),
            b'<' if !quoted => return None,
            _ => {}
        }
    }
    None
}

fn attributes(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].trim().to_ascii_lowercase();
        let after = &rest[eq + 2..];
        let Some(close) = after.find('"') else { break };
        out.push((name, decode_entities(&after[..close])));
        rest = after[close + 1..].trim_start();
    }
    out
}

/// Decodes the entities a serialiser writes (`&amp;` `&lt;` `&gt;` `&quot;` `&nbsp;`,
/// numeric); anything else stays as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest
            .char_indices()
            .take(12)
            .find_map(|(i, c)| (c == ';').then_some(i))
        else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..semi];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
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

/// Converts sanitised HTML to Markdown blocks separated by blank lines.
pub fn to_markdown(html: &str) -> String {
    let mut w = Writer::default();
    for token in tokens(html) {
        w.token(token);
    }
    w.finish()
}

#[derive(Default)]
struct Writer {
    blocks: Vec<String>,
    line: String,
    /// Open lists: `None` for a bullet list, `Some(n)` for the next number of an ordered one.
    lists: Vec<Option<u64>>,
    quote: usize,
    link: Option<(String, String)>,
    invisible: usize,
    code: Option<String>,
    pre: bool,
    ellipsis: bool,
    /// Nothing written yet on the current line (of the block, list item or after a break).
    fresh: bool,
}

impl Writer {
    fn token(&mut self, token: Token) {
        match token {
            Token::Text(text) => self.text(&text),
            Token::Open(name, attrs) => self.open(&name, &attrs),
            Token::Close(name) => self.close(&name),
        }
    }

    fn push(&mut self, s: &str) {
        if let Some((_, label)) = &mut self.link {
            label.push_str(s);
        } else {
            self.line.push_str(s);
        }
    }

    fn text(&mut self, text: &str) {
        if self.invisible > 0 {
            return;
        }
        if let Some(code) = &mut self.code {
            code.push_str(text);
            return;
        }
        let flat: String = text
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        let at_start = self.link.is_none() && (self.fresh || self.line.is_empty());
        let flat = if at_start { flat.trim_start() } else { &flat };
        if flat.is_empty() {
            return;
        }
        let escaped = escape(flat, at_start);
        self.push(&escaped);
        self.fresh = false;
    }

    fn open(&mut self, name: &str, attrs: &[(String, String)]) {
        let class = attrs
            .iter()
            .find(|(k, _)| k == "class")
            .map_or("", |(_, v)| v.as_str());
        match name {
            "p" => self.end_block(),
            "br" => {
                if self.link.is_some() {
                    self.push(" ");
                } else {
                    self.push("  \n");
                    self.fresh = true;
                }
            }
            "blockquote" => {
                self.end_block();
                self.quote += 1;
            }
            "ul" => {
                self.end_block();
                self.lists.push(None);
            }
            "ol" => {
                self.end_block();
                self.lists.push(Some(1));
            }
            "li" => {
                self.end_block();
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ => "- ".to_string(),
                };
                self.line = format!("{}{marker}", "  ".repeat(depth));
                self.fresh = true;
            }
            "a" => {
                let href = attrs
                    .iter()
                    .find(|(k, _)| k == "href")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                self.link = Some((href, String::new()));
            }
            "strong" | "b" => self.push("**"),
            "em" | "i" => self.push("*"),
            "del" | "s" => self.push("~~"),
            "pre" => {
                self.end_block();
                self.pre = true;
                self.code = Some(String::new());
            }
            "code" if !self.pre => self.code = Some(String::new()),
            "span" if class.split(' ').any(|c| c == "invisible") => self.invisible += 1,
            "span" if class.split(' ').any(|c| c == "ellipsis") => self.ellipsis = true,
            _ => {}
        }
    }

    fn close(&mut self, name: &str) {
        match name {
            "p" | "li" => self.end_block(),
            "blockquote" => {
                self.end_block();
                self.quote = self.quote.saturating_sub(1);
            }
            "ul" | "ol" => {
                self.end_block();
                self.lists.pop();
            }
            "a" => {
                if let Some((href, label)) = self.link.take() {
                    let label = if label.trim().is_empty() {
                        escape_inline(&href)
                    } else {
                        label
                    };
                    let written = link(&label, &href);
                    self.line.push_str(&written);
                }
            }
            "strong" | "b" => self.push("**"),
            "em" | "i" => self.push("*"),
            "del" | "s" => self.push("~~"),
            "pre" => {
                if let Some(code) = self.code.take() {
                    let fence = "`".repeat(longest_run(&code, '`').max(2) + 1);
                    let body = code.trim_end_matches('\n');
                    self.blocks
                        .push(self.quoted(&format!("{fence}\n{body}\n{fence}")));
                }
                self.pre = false;
            }
            "code" if !self.pre => {
                if let Some(code) = self.code.take() {
                    let flat = code.replace('\n', " ");
                    let ticks = "`".repeat(longest_run(&flat, '`') + 1);
                    self.push(&format!("{ticks} {flat} {ticks}"));
                }
            }
            "span" if self.invisible > 0 => self.invisible -= 1,
            "span" if self.ellipsis => {
                self.ellipsis = false;
                self.push("…");
            }
            _ => {}
        }
    }

    fn quoted(&self, block: &str) -> String {
        if self.quote == 0 {
            return block.to_string();
        }
        let prefix = "> ".repeat(self.quote);
        block
            .lines()
            .map(|l| format!("{prefix}{l}").trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn end_block(&mut self) {
        if let Some((href, label)) = self.link.take() {
            self.line.push_str(&link(&label, &href));
        }
        let line = std::mem::take(&mut self.line);
        self.fresh = true;
        if !line.trim().is_empty() {
            let block = self.quoted(line.trim_end());
            self.blocks.push(block);
        }
    }

    fn finish(mut self) -> String {
        if let Some(code) = self.code.take() {
            self.push(&escape_text(&code));
        }
        self.end_block();
        let mut out = String::new();
        for (i, b) in self.blocks.iter().enumerate() {
            if i > 0 {
                let list_item = |s: &str| {
                    let t = s.trim_start_matches("> ").trim_start();
                    t.starts_with("- ")
                        || t.split_once(". ")
                            .is_some_and(|(n, _)| n.bytes().all(|b| b.is_ascii_digit()))
                };
                let tight = list_item(b) && list_item(&self.blocks[i - 1]);
                out.push_str(if tight { "\n" } else { "\n\n" });
            }
            out.push_str(b);
        }
        out
    }
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sanitize::sanitize_html;

    fn md(html: &str) -> String {
        to_markdown(&sanitize_html(html))
    }

    #[test]
    fn paragraphs_links_and_emphasis() {
        assert_eq!(
            md(
                r#"<p>Hello <strong>you</strong> &amp; <a href="https://a.example/x y">me</a></p><p>Two<br>lines</p>"#
            ),
            "Hello **you** \\& [me](<https://a.example/x%20y>)\n\nTwo  \nlines"
        );
    }

    #[test]
    fn mastodon_links_drop_their_invisible_parts() {
        let html = r#"<p><a href="https://example.com/very/long/path" rel="nofollow noopener noreferrer" target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.com/very</span><span class="invisible">/long/path</span></a> <a href="https://s.example/tags/care" class="mention hashtag">#<span>care</span></a></p>"#;
        assert_eq!(
            md(html),
            "[example.com/very…](<https://example.com/very/long/path>) [#care](<https://s.example/tags/care>)"
        );
    }

    /// Found by the `markdown` fuzz target: viewers with math (GitHub's `$$…$$`) let a math
    /// span swallow the backtick that opens a code span, and what followed became HTML.
    #[test]
    fn dollars_are_escaped_so_no_math_span_opens() {
        let text = "$$r0eal; and $x$";
        let escaped = escape_text(text);
        assert_eq!(escaped, r"\$\$r0eal; and \$x\$");
        let math =
            pulldown_cmark::Parser::new_ext(&escaped, pulldown_cmark::Options::all()).any(|e| {
                matches!(
                    e,
                    pulldown_cmark::Event::InlineMath(_) | pulldown_cmark::Event::DisplayMath(_)
                )
            });
        assert!(!math, "{escaped}");
    }

    /// Found by the `markdown` fuzz target: a `\r` ends a line in CommonMark, so `\r>` made a
    /// block quote (and `\r#` a heading) that escaping by `\n` lines did not see.
    #[test]
    fn a_carriage_return_starts_a_line_that_is_escaped() {
        for text in ["a\r> quote", "a\r# heading", "a\r\n- item", "a\r\r    code"] {
            for escaped in [escape_text(text), escape_inline(text)] {
                let events: Vec<_> = pulldown_cmark::Parser::new(&escaped).collect();
                let blocks = events.iter().any(|e| {
                    matches!(
                        e,
                        pulldown_cmark::Event::Start(
                            pulldown_cmark::Tag::BlockQuote(_)
                                | pulldown_cmark::Tag::Heading { .. }
                                | pulldown_cmark::Tag::List(_)
                                | pulldown_cmark::Tag::CodeBlock(_)
                        )
                    )
                });
                assert!(!blocks, "{text:?} became syntax: {escaped:?}");
            }
        }
    }

    /// Found by the `markdown` fuzz target: a tab (or four spaces) at the start of the first
    /// line made an indented code block; only later lines had their indentation dropped.
    #[test]
    fn text_starting_a_line_with_a_tab_or_spaces_is_not_code() {
        for text in ["\tcode", "    code", " \t code\n\tmore"] {
            let escaped = escape_text(text);
            let events: Vec<_> = pulldown_cmark::Parser::new(&escaped).collect();
            assert!(
                !events.iter().any(|e| matches!(
                    e,
                    pulldown_cmark::Event::Start(pulldown_cmark::Tag::CodeBlock(_))
                )),
                "{text:?} became code: {escaped:?}"
            );
        }
    }

    #[test]
    fn hostile_text_cannot_become_markdown() {
        let text = "[click](javascript:alert(1)) ![x](https://evil.example/t.png) <script>x</script>\n# Heading\n- item\n1. one\n    code\n> quote\n*bold* _it_ `tick` | a | &lt; ~~s~~ <https://a.example>";
        let escaped = escape_text(text);
        // Every character that could open syntax is escaped.
        for bad in [
            "[click]", "![x]", "\n#", "\n-", "\n1.", "\n>", "*bold*", "_it_", "`tick`", "~~",
        ] {
            assert!(!escaped.contains(bad), "{bad} in {escaped}");
        }
        assert!(escaped.contains("\n1\\. one"));
        assert!(escaped.contains("\ncode"), "indentation dropped: {escaped}");
        // Rendered by a real CommonMark parser, it is all text: no link, image, HTML or heading.
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&escaped));
        for tag in [
            "<a ",
            "<img",
            "<script",
            "<h1",
            "<li",
            "<code",
            "<em",
            "<strong",
            "<del",
            "<blockquote",
        ] {
            assert!(!html.contains(tag), "{tag} in {html}");
        }
    }

    #[test]
    fn links_only_for_http_and_never_broken_out_of() {
        assert_eq!(link("x", "javascript:alert(1)"), "x");
        assert_eq!(
            link("x", "https://a.example/a>b<c"),
            "[x](<https://a.example/a%3Eb%3Cc>)"
        );
        let mut html = String::new();
        let md = format!("{} after", link("x", "https://a.example/)](<javascript:1>"));
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&md));
        assert_eq!(html.matches("<a ").count(), 1, "{html}");
        assert!(!html.contains("javascript:1\""), "{html}");
    }

    #[test]
    fn lists_quotes_and_code() {
        assert_eq!(
            md(
                "<ul><li>a</li><li>b</li></ul><blockquote><p>q</p></blockquote><pre><code>x ``` y</code></pre>"
            ),
            "- a\n- b\n\n> q\n\n````\nx ``` y\n````"
        );
        assert_eq!(md("<ol><li>a</li><li>b</li></ol>"), "1. a\n2. b");
    }
}
