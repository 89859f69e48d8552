//! Why a request failed: the typed error every fetch returns, carrying the URL, the kind and
//! how many attempts were made.

use std::time::Duration;

/// A request that failed for good.
#[derive(Debug, Clone)]
pub struct FetchError {
    /// The URL asked for.
    pub url: String,
    /// What went wrong the last time.
    pub kind: FetchErrorKind,
    /// How many attempts were made.
    pub attempts: u32,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.url, self.kind)?;
        if self.attempts > 1 {
            write!(f, " (gave up after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for FetchError {}

/// What went wrong with a request.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchErrorKind {
    /// Not fetched at all (scheme, private address).
    #[error("refused: {0}")]
    Refused(String),
    /// `404` or `410`: the object does not exist (any more).
    #[error("HTTP {0}: not found or deleted")]
    Gone(u16),
    /// `401`/`403`.
    #[error(
        "HTTP {0}: the server refuses anonymous fetches; it probably wants signed requests \
         (ActivityPub \"authorized fetch\" / secure mode), which tagstory does not make. Pass a \
         --token (or TAGSTORY_TOKEN) if it is a Mastodon API that accepts one, or collect \
         through another server's /tags/NAME page or from an export"
    )]
    Unauthorized(u16),
    /// `429` with a wait longer than allowed, or still `429` after the retries.
    #[error("HTTP 429: rate limited{}", wait_text(.0))]
    RateLimited(Option<Duration>),
    /// Any other status.
    #[error("HTTP {0}")]
    Status(u16),
    /// No complete answer within the timeout.
    #[error("no complete answer within {} s (--timeout)", .0.as_secs_f32())]
    Timeout(Duration),
    /// The body is larger than allowed.
    #[error("the response is larger than {0} bytes (--max-response-bytes); not read")]
    TooLarge(u64),
    /// Not JSON by its content type.
    #[error("expected JSON, but the response is `{0}`")]
    ContentType(String),
    /// The body stopped early.
    #[error("the response body was cut off: {0}")]
    Truncated(String),
    /// The body is not JSON.
    #[error("the response is not valid JSON: {0}")]
    Invalid(String),
    /// Too many redirects, a loop, or a redirect somewhere not allowed.
    #[error("redirect refused: {0}")]
    Redirect(String),
    /// Connecting or talking to the server failed.
    #[error("network error: {0}")]
    Network(String),
}

fn wait_text(wait: &Option<Duration>) -> String {
    wait.map(|w| {
        format!(
            "; the server asks to wait {} s, more than --max-wait allows",
            w.as_secs()
        )
    })
    .unwrap_or_default()
}

impl FetchErrorKind {
    pub(super) fn retryable(&self) -> bool {
        match self {
            FetchErrorKind::Status(s) => *s >= 500,
            FetchErrorKind::Timeout(_)
            | FetchErrorKind::Truncated(_)
            | FetchErrorKind::Network(_)
            | FetchErrorKind::RateLimited(None) => true,
            _ => false,
        }
    }
}
