//! Hashtag normalisation and matching: the one place where "is this post tagged TAG" is decided.
//!
//! Mastodon stores a tag's `name` as NFKC, lower-cased, ASCII-folded and stripped of characters
//! that cannot be part of a tag (`HashtagNormalizer`); we do the same so that `#Qualitätskatzen`,
//! `#QUALITATSKATZEN` and the full-width `＃qualitätskatzen` are one tag. The folding only removes
//! combining accents from Latin letters: other scripts keep their marks.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Characters Mastodon allows inside a tag besides letters, marks and digits.
const TAG_SEPARATORS: [char; 4] = ['_', '\u{00B7}', '\u{30FB}', '\u{200C}'];

/// Normalises a tag as Mastodon does: without a leading `#`/`＃`, NFKC, lower case, Latin
/// accents folded, characters that cannot be in a tag removed.
pub fn normalize(tag: &str) -> String {
    let nfkc: String = tag.trim().nfkc().collect();
    let bare = nfkc.trim_start_matches('#');
    let lower = bare.to_lowercase();
    fold_latin_accents(&lower)
        .chars()
        .filter(|&c| is_tag_char(c))
        .collect()
}

fn fold_latin_accents(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut base_is_ascii = false;
    for c in s.nfd() {
        if is_combining_mark(c) {
            if !base_is_ascii {
                out.push(c);
            }
            continue;
        }
        base_is_ascii = c.is_ascii();
        out.push(c);
    }
    out.nfc().collect()
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c) || TAG_SEPARATORS.contains(&c)
}

/// Every hashtag written in plain `text`, normalised, in order of appearance. A tag starts at `#`
/// or `＃` that does not follow a letter, digit, `/`, `=`, `)` or `&` (so URLs fragments and HTML
/// entities are not tags) and must contain a letter, as Mastodon's `Tag::Naming` requires.
pub fn hashtags_in_text(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let starts_tag = matches!(c, '#' | '＃')
            && !prev.is_some_and(|p| p.is_alphanumeric() || matches!(p, '/' | '=' | ')' | '&'));
        prev = Some(c);
        if !starts_tag {
            continue;
        }
        let start = i + c.len_utf8();
        let mut end = start;
        while let Some(&(j, d)) = chars.peek() {
            if !is_tag_char(d) {
                break;
            }
            end = j + d.len_utf8();
            prev = Some(d);
            chars.next();
        }
        let word = &text[start..end];
        if word.chars().any(char::is_alphabetic) {
            let tag = normalize(word);
            if !found.contains(&tag) {
                found.push(tag);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_mastodon() {
        for (input, want) in [
            (
                "DearMentalHealthProfessionals",
                "dearmentalhealthprofessionals",
            ),
            (
                "#DearMentalHealthProfessionals",
                "dearmentalhealthprofessionals",
            ),
            ("＃ＤｅａｒＭＨＰ", "dearmhp"),
            ("Qualitätskatzen", "qualitatskatzen"),
            ("CAFÉ", "cafe"),
            ("  #spaced ", "spaced"),
            ("صحة_نفسية", "صحة_نفسية"),
            ("日本・語", "日本・語"),
            ("with-dash", "withdash"),
        ] {
            assert_eq!(normalize(input), want, "normalize({input:?})");
        }
    }

    #[test]
    fn normalize_is_idempotent() {
        for s in ["Ünïcödé", "#ＡＢＣ", "straße", "İstanbul", "ǅemal"] {
            let once = normalize(s);
            assert_eq!(normalize(&once), once, "{s:?}");
        }
    }

    #[test]
    fn finds_tags_as_whole_words_only() {
        let text = "Thank you #DearMentalHealthProfessionals! see https://x.example/#anchor \
                    and a&#39;b, #DearMentalHealthProfessionalsToo, #2013 (#Care) ＃Ｆｕｌｌ";
        assert_eq!(
            hashtags_in_text(text),
            [
                "dearmentalhealthprofessionals",
                "dearmentalhealthprofessionalstoo",
                "care",
                "full"
            ]
        );
    }
}
