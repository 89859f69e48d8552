//! Recognising, without parsing, a URL that is already what the `url` crate would make of it.
//!
//! Rendering a story checks every link, avatar and media URL of every post (that it is an
//! absolute http(s) URL in normal form), and parsing them all was 6% of rendering 100,000
//! posts (issue 10). Most are plain: a lowercase scheme and host, and a path, query and
//! fragment of characters the parser keeps as they are. [`is_plain`] says so for those, and
//! only those; anything else is left to the parser. The property test below holds it to the
//! parser's own answer.

/// Characters a path keeps as they are: unreserved, sub-delimiters, `:`, `@` and `%` (the
/// parser never re-encodes an escape, valid or not).
fn path_char(b: u8) -> bool {
    PATH_CHARS[usize::from(b)]
}

/// [`path_char`] by byte: every byte of every URL of every post is looked up (issue 10).
const PATH_CHARS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let others = b"-._~!$&'()*+,;=:@%/";
    let mut i = 0;
    while i < others.len() {
        table[others[i] as usize] = true;
        i += 1;
    }
    table
};

/// Characters a query or fragment keeps: as a path, less `'` (which a query of an http(s)
/// URL encodes) and with `?`.
fn query_char(b: u8) -> bool {
    b != b'\'' && (path_char(b) || b == b'?')
}

/// Whether `url` is an absolute `http` or `https` URL that the `url` crate parses and
/// serialises to exactly itself. `false` says nothing: the URL may still be one.
pub(crate) fn is_plain(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    // Without a path the parser adds `/`.
    let Some(slash) = rest.find('/') else {
        return false;
    };
    let (host, rest) = rest.split_at(slash);
    if !plain_host(host) {
        return false;
    }
    let (path, rest) = rest.split_at(rest.find(['?', '#']).unwrap_or(rest.len()));
    if !path.bytes().all(path_char) || path.split('/').any(is_dot_segment) {
        return false;
    }
    let (query, fragment) = match rest.find('#') {
        Some(hash) => (&rest[..hash], Some(&rest[hash + 1..])),
        None => (rest, None),
    };
    // An empty query or fragment is kept or dropped by rules not worth following here.
    let query = match query.strip_prefix('?') {
        Some(q) => !q.is_empty() && q.bytes().all(query_char),
        None => query.is_empty(),
    };
    query && fragment.is_none_or(|f| !f.is_empty() && f.bytes().all(query_char))
}

/// A host the parser keeps as it is: lowercase ASCII labels of letters, digits and `-`, none
/// empty, none an internationalised (`xn--`) label it would check, and a last label that
/// begins with a letter, so that the host cannot be read as an IPv4 address.
fn plain_host(host: &str) -> bool {
    let plain_label = |label: &str| {
        !label.is_empty()
            && !label.starts_with("xn--")
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    host.split('.').all(plain_label)
        && host
            .rsplit('.')
            .next()
            .is_some_and(|last| last.as_bytes()[0].is_ascii_lowercase())
}

/// A path segment the parser would resolve away: `.` or `..`, either dot maybe written `%2e`.
fn is_dot_segment(segment: &str) -> bool {
    let dot = |b: &[u8]| b == b"." || b.eq_ignore_ascii_case(b"%2e");
    let s = segment.as_bytes();
    // None is longer than `%2e%2e`.
    s.len() <= 6 && ((1..s.len()).any(|cut| dot(&s[..cut]) && dot(&s[cut..])) || dot(s))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::is_plain;

    /// The `url` crate's answer: an http(s) URL with a host, serialised as written.
    fn parser_keeps(url: &str) -> bool {
        url::Url::parse(url).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.as_str() == url
        })
    }

    #[test]
    fn plain_urls_are_recognised_and_others_left_to_the_parser() {
        for url in [
            "https://care.example/@ruth/117126794575873100",
            "https://care.example/tags/dearmentalhealthprofessionals",
            "http://a-b.example/x/y?q=1&r=%20#top",
            "https://twitter.com/i/web/status/1234",
        ] {
            assert!(is_plain(url), "{url}");
            assert!(parser_keeps(url), "{url}");
        }
        for url in [
            "https://care.example",
            "HTTPS://care.example/",
            "https://Care.example/",
            "https://care.example:443/",
            "https://127.0.0.1/",
            "https://care.0x7f/",
            "https://xn--nxasmq6b.example/",
            "https://care.example/a/../b",
            "https://care.example/a/%2E%2e/b",
            "https://care.example/a b",
            "https://care.example/a\\b",
            "https://care.example/é",
            "https://care.example/?",
            "https://care.example/#",
            "https://user@care.example/",
            "javascript://care.example/",
        ] {
            assert!(!is_plain(url), "{url}");
        }
    }

    /// Mostly plain URLs, each part now and then with what a parser would change or refuse.
    fn url_like() -> impl Strategy<Value = String> {
        let scheme = prop_oneof![
            6 => Just("https://"),
            3 => Just("http://"),
            1 => prop::sample::select(vec!["HTTP://", "ftp://", "https:/", "https:///"]),
        ];
        let host = prop_oneof![
            4 => "[a-z][a-z0-9\\-]{0,4}(\\.[a-z0-9\\-]{1,4}){0,2}\\.[a-z][a-z0-9]{0,3}",
            1 => "[a-zA-Z0-9.\\-_]{0,6}(xn--)?[a-z0-9.\\-]{0,8}(:[0-9]{0,4})?(@a)?",
        ];
        let segment = prop_oneof![
            4 => "[a-zA-Z0-9.%\\-_~!$&'()*+,;=:@]{0,6}",
            1 => "[a-zA-Z0-9.%|^`{}\\[\\]\\\\ \"<>é]{0,6}",
        ];
        let path = prop::collection::vec(segment, 0..4)
            .prop_map(|s| s.iter().map(|seg| format!("/{seg}")).collect::<String>());
        let tail = prop_oneof![
            3 => Just(String::new()),
            1 => "\\?[a-z0-9.%&=?/'#]{0,5}",
            1 => "#[a-z0-9.%#?/'`]{0,5}",
            1 => "\\?[a-z0-9=&]{0,4}#[a-z0-9 ]{0,4}",
        ];
        (scheme, host, path, tail).prop_map(|(s, h, p, t)| format!("{s}{h}{p}{t}"))
    }

    #[test]
    fn the_generated_urls_are_often_plain() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let plain = (0..2000)
            .filter(|_| is_plain(&url_like().new_tree(&mut runner).unwrap().current()))
            .count();
        // Else the property below would say little about the URLs it recognises.
        assert!(plain > 200, "{plain} of 2000");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Never plain where the parser would change the URL or refuse it.
        #[test]
        fn plain_urls_are_what_the_parser_makes_of_them(url in url_like()) {
            if is_plain(&url) {
                prop_assert!(parser_keeps(&url), "{url}");
            }
        }
    }
}
