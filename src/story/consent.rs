//! Consent applied to a story, once, for every output: who is shown under a pseudonym, whose
//! posts are left out, and scrubbing every trace of a pseudonymous author from the story —
//! byline, avatar, their posts' URIs and links (a post URI names its author), other posts'
//! `in_reply_to` and quotes that point at them, @-mentions and their names in anyone's text.
//!
//! Pseudonyms are numbered by first appearance over all the story's posts ("Participant 1" wrote
//! the earliest), and pseudonymous post ids (`anon:post:N`) by the post's place in time, so both
//! are the same in every render of the same story.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::sanitize::escape_html;
use crate::store::StoredPost;

/// What the curator says about authors who opted out of indexing (`render --consent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsentMode {
    /// Show them under a pseudonym.
    #[default]
    Default,
    /// Leave their posts out (replies stay, under a stub).
    Strict,
    /// Show them by name: the curator has their permission.
    Relaxed,
}

/// Who is anonymised or left out, and how to scrub them.
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// Everyone is anonymised (`--anonymize`).
    pub(super) full: bool,
    /// Authors (by URI) shown under a pseudonym.
    pub(super) anonymised: HashSet<String>,
    /// Authors (by URI) whose posts are left out for consent.
    pub(super) left_out: HashSet<String>,
    /// Pseudonyms by author URI (for every author, used only for the anonymised ones).
    pub(super) pseudonyms: HashMap<String, (usize, String)>,
    /// Pseudonymous ids by post URI, for the posts whose URI must not be shown.
    pub(super) post_ids: HashMap<String, String>,
    /// Finds the anonymised authors' handles and names in text.
    pub(super) scrubber: Option<Scrubber>,
}

impl Plan {
    /// The plan for `posts` (every post filed under the tag).
    pub(super) fn new(posts: &[StoredPost], mode: ConsentMode, anonymize: bool) -> Plan {
        let mut order: Vec<&StoredPost> = posts.iter().collect();
        order.sort_by(|a, b| (a.created_at, &a.uri).cmp(&(b.created_at, &b.uri)));
        let mut plan = Plan {
            full: anonymize,
            ..Plan::default()
        };
        for p in &order {
            let n = plan.pseudonyms.len() + 1;
            plan.pseudonyms
                .entry(p.author_uri.clone())
                .or_insert_with(|| (n, format!("Participant {n}")));
            let opted_out = p.author_noindex;
            if anonymize || (opted_out && mode == ConsentMode::Default) {
                plan.anonymised.insert(p.author_uri.clone());
            }
            if opted_out && mode == ConsentMode::Strict && !anonymize {
                plan.left_out.insert(p.author_uri.clone());
            }
        }
        for (i, p) in order.iter().enumerate() {
            if plan.anonymised.contains(&p.author_uri) || plan.left_out.contains(&p.author_uri) {
                plan.post_ids
                    .insert(p.uri.clone(), format!("anon:post:{}", i + 1));
            }
        }
        let hidden: Vec<&StoredPost> = order
            .iter()
            .copied()
            .filter(|p| {
                plan.anonymised.contains(&p.author_uri) || plan.left_out.contains(&p.author_uri)
            })
            .collect();
        plan.scrubber = Scrubber::new(&hidden, &plan.pseudonyms);
        plan
    }

    /// Whether anything is to be changed at all.
    pub(super) fn active(&self) -> bool {
        self.full || !self.anonymised.is_empty() || !self.left_out.is_empty()
    }

    /// A post URI as the story may show it.
    pub(super) fn post_uri(&self, uri: &str) -> String {
        self.post_ids
            .get(uri)
            .cloned()
            .unwrap_or_else(|| uri.to_string())
    }

    /// A reference to another post (parent, quote) as the story may show it: `None` when it
    /// must not be shown (a post outside the story names an author nobody can vouch for).
    pub(super) fn reference(&self, uri: &str, in_story: bool) -> Option<String> {
        match self.post_ids.get(uri) {
            Some(id) => Some(id.clone()),
            None if self.full && !in_story => None,
            None => Some(uri.to_string()),
        }
    }

    /// Untrusted text with every anonymised author's handles and names replaced.
    pub(super) fn text(&self, text: &str) -> String {
        match &self.scrubber {
            Some(s) => s.replace(text, false),
            None => text.to_string(),
        }
    }

    /// Sanitised HTML with the links that name someone dropped (all links when everyone is
    /// anonymised), Mastodon's mention spans unwrapped so a mention is one text, and every
    /// anonymised author's handles and names replaced in the text.
    pub(super) fn html(&self, html: &str) -> String {
        if !self.active() {
            return html.to_string();
        }
        let mut out = String::with_capacity(html.len());
        let mut rest = html;
        // Text between dropped tags is one text (`@<span>ruth</span>` is `@ruth`), scrubbed
        // when a kept tag ends it.
        let mut text = String::new();
        // Closing tags to drop, as their opening tags were.
        let mut dropped: Vec<bool> = Vec::new();
        while let Some(lt) = rest.find('<') {
            text.push_str(&rest[..lt]);
            let end = rest[lt..].find('>').map_or(rest.len(), |e| lt + e + 1);
            let tag = &rest[lt..end];
            let name: String = tag
                .trim_start_matches(['<', '/'])
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            let closing = tag.starts_with("</");
            let keep = match name.as_str() {
                "span" => false,
                "a" if closing => !dropped.pop().unwrap_or(true),
                "a" => {
                    let drop = self.full || self.names_someone(tag);
                    dropped.push(drop);
                    !drop
                }
                _ => true,
            };
            if keep {
                self.push_text(&mut out, &std::mem::take(&mut text));
                out.push_str(tag);
            }
            rest = &rest[end..];
        }
        text.push_str(rest);
        self.push_text(&mut out, &text);
        out
    }

    fn push_text(&self, out: &mut String, escaped: &str) {
        match &self.scrubber {
            Some(s) => out.push_str(&s.replace(escaped, true)),
            None => out.push_str(escaped),
        }
    }

    fn names_someone(&self, tag: &str) -> bool {
        self.scrubber
            .as_ref()
            .is_some_and(|s| s.finds(&tag.to_lowercase()))
    }
}

/// Replaces handles, names and profile URLs of some authors by their pseudonyms.
#[derive(Debug)]
pub(super) struct Scrubber {
    finder: AhoCorasick,
    /// For each pattern: its pseudonym, and whether it must stand as a whole word.
    replacements: Vec<(String, bool)>,
}

impl Scrubber {
    fn new(posts: &[&StoredPost], pseudonyms: &HashMap<String, (usize, String)>) -> Option<Self> {
        let mut patterns: Vec<String> = Vec::new();
        let mut replacements = Vec::new();
        let mut seen = HashSet::new();
        let mut add = |pattern: String, pseudonym: &str, whole: bool| {
            let pattern = pattern.trim().to_string();
            if pattern.chars().count() < 3 || !seen.insert(pattern.to_lowercase()) {
                return;
            }
            // Aho-Corasick folds ASCII case only: the lower-case form covers the rest.
            for form in [pattern.clone(), pattern.to_lowercase()] {
                patterns.push(form.clone());
                replacements.push((pseudonym.to_string(), whole));
                let escaped = escape_html(&form);
                if escaped != form {
                    patterns.push(escaped);
                    replacements.push((pseudonym.to_string(), whole));
                }
            }
        };
        let mut done = HashSet::new();
        for p in posts {
            if !done.insert(p.author_uri.as_str()) {
                continue;
            }
            let Some((_, pseudonym)) = pseudonyms.get(&p.author_uri) else {
                continue;
            };
            add(p.author_uri.clone(), pseudonym, false);
            let handle = p.author_handle.trim();
            add(handle.to_string(), pseudonym, false);
            let local = handle.trim_start_matches('@');
            let local = local.split('@').next().unwrap_or(local);
            add(format!("@{local}"), pseudonym, true);
            add(local.to_string(), pseudonym, true);
            let name = p.author_name.trim();
            add(name.to_string(), pseudonym, false);
            for part in name.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-') {
                if part.chars().filter(|c| c.is_alphabetic()).count() >= 3 {
                    add(part.to_string(), pseudonym, true);
                }
            }
            if let Some(url) = &p.url
                && let Some(profile) = profile_of(url)
            {
                add(profile, pseudonym, false);
            }
        }
        if patterns.is_empty() {
            return None;
        }
        let finder = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok()?;
        Some(Scrubber {
            finder,
            replacements,
        })
    }

    fn finds(&self, text: &str) -> bool {
        self.finder.find_iter(text).next().is_some()
    }

    /// `text` with every match replaced; `html` when `text` is escaped HTML text.
    fn replace(&self, text: &str, html: bool) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for m in self.finder.find_iter(text) {
            let (pseudonym, whole) = &self.replacements[m.pattern().as_usize()];
            if *whole && !at_word_bounds(text, m.start(), m.end()) {
                continue;
            }
            out.push_str(&text[last..m.start()]);
            if html {
                out.push_str(&escape_html(pseudonym));
            } else {
                out.push_str(pseudonym);
            }
            last = m.end();
        }
        out.push_str(&text[last..]);
        out
    }
}

fn at_word_bounds(text: &str, start: usize, end: usize) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let before = text[..start].chars().next_back().is_none_or(|c| !word(c));
    let after = text[end..].chars().next().is_none_or(|c| !word(c));
    before && after
}

/// The profile part of a Mastodon-style permalink (`https://host/@name/123` → `https://host/@name`).
fn profile_of(url: &str) -> Option<String> {
    let at = url.find("/@")?;
    let end = url[at + 2..].find('/').map_or(url.len(), |e| at + 2 + e);
    Some(url[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(
        uri: &str,
        author: &str,
        handle: &str,
        name: &str,
        minute: u32,
        noindex: bool,
    ) -> StoredPost {
        StoredPost {
            uri: uri.into(),
            url: Some(format!("https://s.example/{handle}/1")),
            author_uri: author.into(),
            author_handle: handle.into(),
            author_name: name.into(),
            author_avatar: None,
            created_at: chrono::DateTime::parse_from_rfc3339(&format!(
                "2026-08-20T10:{minute:02}:00Z"
            ))
            .unwrap()
            .with_timezone(&chrono::Utc),
            edited_at: None,
            content_html: String::new(),
            text: String::new(),
            language: None,
            in_reply_to: None,
            reply_to_unknown: false,
            sensitive: false,
            spoiler_text: None,
            tagged: true,
            media: Vec::new(),
            boosts: 0,
            quote_of: None,
            poll: None,
            emojis: Vec::new(),
            revisions: Vec::new(),
            replies_total: None,
            author_noindex: noindex,
        }
    }

    fn two() -> Vec<StoredPost> {
        vec![
            post(
                "https://s.example/users/ruth/1",
                "https://s.example/users/ruth",
                "@ruth@s.example",
                "Dr Ruth Hallam",
                1,
                true,
            ),
            post(
                "https://s.example/users/jun/1",
                "https://s.example/users/jun",
                "@jun@s.example",
                "Jun",
                0,
                false,
            ),
        ]
    }

    #[test]
    fn pseudonyms_follow_first_appearance_and_only_the_opted_out_by_default() {
        let plan = Plan::new(&two(), ConsentMode::Default, false);
        assert_eq!(
            plan.pseudonyms["https://s.example/users/jun"].1,
            "Participant 1"
        );
        assert_eq!(
            plan.pseudonyms["https://s.example/users/ruth"].1,
            "Participant 2"
        );
        assert!(plan.anonymised.contains("https://s.example/users/ruth"));
        assert!(!plan.anonymised.contains("https://s.example/users/jun"));
        assert_eq!(
            plan.post_uri("https://s.example/users/ruth/1"),
            "anon:post:2"
        );
        assert_eq!(
            plan.post_uri("https://s.example/users/jun/1"),
            "https://s.example/users/jun/1"
        );
        let relaxed = Plan::new(&two(), ConsentMode::Relaxed, false);
        assert!(!relaxed.active());
        let strict = Plan::new(&two(), ConsentMode::Strict, false);
        assert!(strict.left_out.contains("https://s.example/users/ruth"));
        assert!(strict.anonymised.is_empty());
    }

    #[test]
    fn mentions_names_and_profile_links_are_scrubbed_from_html_and_text() {
        let plan = Plan::new(&two(), ConsentMode::Default, false);
        let html = r#"<p><span class="h-card"><a href="https://s.example/@ruth" class="u-url mention" rel="nofollow noopener ugc">@<span>ruth</span></a></span> thanks, Ruth &amp; RUTH HALLAM! <a href="https://other.example/x" rel="nofollow noopener ugc">link</a> truthful</p>"#;
        let got = plan.html(html);
        assert_eq!(
            got,
            r#"<p>Participant 2 thanks, Participant 2 &amp; Participant 2 Participant 2! <a href="https://other.example/x" rel="nofollow noopener ugc">link</a> truthful</p>"#
        );
        assert_eq!(
            plan.text("@ruth@s.example and @Ruth, see https://s.example/@ruth"),
            "Participant 2 and Participant 2, see https://s.example/Participant 2"
        );
        // Everyone anonymised: every link goes, its text stays.
        let full = Plan::new(&two(), ConsentMode::Default, true);
        assert_eq!(
            full.html(r#"<p><a href="https://other.example/x">link</a> Jun</p>"#),
            "<p>link Participant 1</p>"
        );
        assert_eq!(full.reference("https://elsewhere.example/9", false), None);
    }
}
