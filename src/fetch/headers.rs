//! Reading the response headers that steer fetching: `Link` (Mastodon paging), `Retry-After`
//! and Mastodon's `X-RateLimit-*`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use url::Url;

/// The target of `rel="next"` in a `Link` header, resolved against `base`.
pub fn link_next(headers: &HeaderMap, base: &Url) -> Option<Url> {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| link_rel(v, "next"))
        .and_then(|target| base.join(&target).ok())
}

/// The target of the link with relation `rel` in one `Link` header value
/// (`<https://…?max_id=1>; rel="next", <…>; rel="prev"`).
pub fn link_rel(value: &str, rel: &str) -> Option<String> {
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        let params_end = after.find('<').unwrap_or(after.len());
        let params = after[..params_end].trim().trim_end_matches(',');
        let matches = params.split(';').any(|p| {
            let Some((key, val)) = p.trim().split_once('=') else {
                return false;
            };
            key.trim().eq_ignore_ascii_case("rel")
                && val
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case(rel))
        });
        if matches {
            return Some(target.trim().to_owned());
        }
        rest = &after[params_end..];
    }
    None
}

/// How long `Retry-After` asks to wait (seconds or an HTTP date), from `now`.
pub(super) fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((when - now).to_std().unwrap_or_default())
}

/// When Mastodon's `X-RateLimit-*` headers say the budget is spent, how long until it resets.
pub(super) fn rate_limit_wait(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let get = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    let remaining: u64 = get("x-ratelimit-remaining")?.parse().ok()?;
    if remaining > 0 {
        return None;
    }
    let reset = DateTime::parse_from_rfc3339(get("x-ratelimit-reset")?)
        .ok()?
        .with_timezone(&Utc);
    Some((reset - now).to_std().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn link_header_relations() {
        let v = "<https://m.example/api/v1/timelines/tag/x?max_id=10>; rel=\"next\", \
                 <https://m.example/api/v1/timelines/tag/x?min_id=20>; rel=\"prev\"";
        assert_eq!(
            link_rel(v, "next").as_deref(),
            Some("https://m.example/api/v1/timelines/tag/x?max_id=10")
        );
        assert_eq!(
            link_rel(v, "prev").as_deref(),
            Some("https://m.example/api/v1/timelines/tag/x?min_id=20")
        );
        assert_eq!(link_rel("<a,b>; rel=next", "next").as_deref(), Some("a,b"));
        assert_eq!(link_rel("<x>; rel=\"prev\"", "next"), None);
        let mut headers = HeaderMap::new();
        headers.insert("link", HeaderValue::from_static("</p2>; rel=\"next\""));
        let base = Url::parse("http://h.example/p1").unwrap();
        assert_eq!(
            link_next(&headers, &base).unwrap().as_str(),
            "http://h.example/p2"
        );
    }

    #[test]
    fn waits_from_headers() {
        let now = DateTime::parse_from_rfc3339("2026-08-21T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(3)));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Fri, 21 Aug 2026 00:00:10 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(10)));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_static("2026-08-21T00:00:05.000Z"),
        );
        assert_eq!(rate_limit_wait(&h, now), Some(Duration::from_secs(5)));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("12"));
        assert_eq!(rate_limit_wait(&h, now), None);
    }
}
