//! Checks that an output holds nothing a reader's browser or Markdown viewer would run or
//! follow somewhere unsafe. HTML is read by html5ever's tokenizer, as a browser reads it
//! (entities decoded, attributes split the way a browser splits them, `<style>`, `<title>`
//! and `<textarea>` read as raw text); Markdown by pulldown-cmark with every extension on.
//! Each check returns the problems it found, empty when the output is clean.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use serde_json::Value;

/// Elements that must never appear in a page: they run script, load a document, submit,
/// redirect or re-base links.
const BANNED: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "input",
    "button", "textarea", "select", "math", "link", "portal", "template", "noembed",
];

/// Attributes whose value a browser follows or loads as a URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "data",
    "background",
    "cite",
    "ping",
    "srcset",
    "xlink:href",
    "longdesc",
    "manifest",
    "codebase",
];

/// Elements inside the overview chart, the one SVG tagstory itself draws.
const CHART_ELEMENTS: &[&str] = &["line", "rect", "title"];

/// Problems with an HTML document or fragment. With `page`, it is a whole tagstory page: the
/// overview chart (`<svg class="chart">` holding only lines, rectangles and titles) is allowed
/// there; in a fragment any `<svg>` is a problem.
pub fn html(text: &str, page: bool) -> Vec<String> {
    let sink = Audit {
        page,
        problems: RefCell::new(Vec::new()),
        in_chart: RefCell::new(false),
        raw: RefCell::new(None),
    };
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(text));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.problems.into_inner()
}

struct Audit {
    page: bool,
    problems: RefCell<Vec<String>>,
    in_chart: RefCell<bool>,
    /// Inside `<style>` (its text is checked as CSS).
    raw: RefCell<Option<String>>,
}

impl Audit {
    fn problem(&self, p: String) {
        self.problems.borrow_mut().push(p);
    }

    fn start(&self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if BANNED.contains(&name) {
            self.problem(format!("<{name}> element"));
        }
        if name == "meta" {
            let refresh = tag.attrs.iter().any(|a| {
                &*a.name.local == "http-equiv" && a.value.trim().eq_ignore_ascii_case("refresh")
            });
            if refresh {
                self.problem("<meta http-equiv=refresh>".into());
            }
        }
        let chart = self.page
            && name == "svg"
            && tag
                .attrs
                .iter()
                .any(|a| &*a.name.local == "class" && &*a.value == "chart");
        if name == "svg" && !chart {
            self.problem("<svg> element".into());
        }
        if *self.in_chart.borrow() && !CHART_ELEMENTS.contains(&name) {
            self.problem(format!("<{name}> inside the chart"));
        }
        if chart {
            *self.in_chart.borrow_mut() = true;
        }
        for attr in &tag.attrs {
            let attr_name = (*attr.name.local).to_ascii_lowercase();
            if attr_name.starts_with("on") {
                self.problem(format!("event handler attribute {attr_name}= on <{name}>"));
            }
            if URL_ATTRIBUTES.contains(&attr_name.as_str()) && !safe_link(&attr.value) {
                self.problem(format!("<{name} {attr_name}={:?}>", &*attr.value));
            }
            if attr_name == "style" {
                self.css(&attr.value);
            }
        }
        match name {
            "style" => {
                *self.raw.borrow_mut() = Some(String::new());
                TokenSinkResult::RawData(RawKind::Rawtext)
            }
            "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            "xmp" | "noembed" | "noframes" | "iframe" => TokenSinkResult::RawData(RawKind::Rawtext),
            "plaintext" => TokenSinkResult::Plaintext,
            _ => TokenSinkResult::Continue,
        }
    }

    fn end(&self, tag: &Tag) {
        if &*tag.name == "svg" {
            *self.in_chart.borrow_mut() = false;
        }
        if &*tag.name == "style" {
            let css = self.raw.borrow_mut().take().unwrap_or_default();
            self.css(&css);
        }
    }

    fn css(&self, css: &str) {
        let css = css.to_ascii_lowercase();
        for bad in ["expression", "url(", "@import", "javascript:", "behavior"] {
            if css.contains(bad) {
                self.problem(format!("CSS with {bad}"));
            }
        }
    }
}

impl TokenSink for Audit {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => return self.start(&tag),
            Token::TagToken(tag) => self.end(&tag),
            Token::CharacterTokens(text) => {
                if let Some(css) = self.raw.borrow_mut().as_mut() {
                    css.push_str(&text);
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// Whether a browser following `url` stays on the web: an absolute http(s) URL, or one
/// relative to the page (`#anchor`, a path), which has no scheme to smuggle.
pub fn safe_link(url: &str) -> bool {
    // Browsers drop ASCII tabs and newlines anywhere in a URL and trim controls and spaces.
    let cleaned: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let cleaned = cleaned.trim_matches(|c: char| c <= ' ');
    match cleaned.find(':') {
        None => true,
        Some(colon) => {
            let scheme = &cleaned[..colon];
            let is_scheme = scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic());
            if !is_scheme {
                // A colon after `/`, `?` or `#`: a relative URL.
                return cleaned[..colon].contains(['/', '?', '#']);
            }
            scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
        }
    }
}

/// Problems with a Markdown document as a viewer shows it: any HTML, any image, any link
/// that is not http(s); and the HTML pulldown-cmark makes of it passes [`html`].
pub fn markdown(md: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let mut problems = Vec::new();
    for event in Parser::new_ext(md, Options::all()) {
        match event {
            Event::Html(h) | Event::InlineHtml(h) => problems.push(format!("HTML {h:?}")),
            Event::Start(Tag::Image { dest_url, .. }) => {
                problems.push(format!("image {dest_url:?}"));
            }
            Event::Start(Tag::Link { dest_url, .. }) if !is_http(&dest_url) => {
                problems.push(format!("link to {dest_url:?}"));
            }
            _ => {}
        }
    }
    let mut rendered = String::new();
    pulldown_cmark::html::push_html(&mut rendered, Parser::new_ext(md, Options::all()));
    problems.extend(html(&rendered, false));
    problems
}

/// The extensions of a common viewer (GitHub's): tables, footnotes, strikethrough, task
/// lists, alerts, heading attributes.
fn viewer_options() -> pulldown_cmark::Options {
    use pulldown_cmark::Options;
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_GFM
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Problems with escaped untrusted text: read by a common viewer it must be text only, no
/// link, image, HTML, emphasis, or any block but a paragraph (no heading, list, quote, code
/// or table).
pub fn markdown_text_only(md: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag};
    let mut problems = Vec::new();
    for event in Parser::new_ext(md, viewer_options()) {
        match event {
            Event::Start(Tag::Paragraph) | Event::End(_) => {}
            Event::Text(_) | Event::SoftBreak | Event::HardBreak => {}
            other => problems.push(format!("{other:?}")),
        }
    }
    problems
}

fn is_http(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Problems with the URLs of a JSON output: every `url` (a post's, a medium's) is an http(s)
/// URL or null, at any depth.
pub fn json_urls(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut stack = vec![doc];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let bad = match v {
                        Value::String(s) => k == "url" && !is_http(s),
                        Value::Null => false,
                        _ => k == "url",
                    };
                    if bad {
                        problems.push(format!("\"url\": {v}"));
                    }
                    stack.push(v);
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    problems
}
