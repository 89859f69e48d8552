//! Fetching JSON over HTTP, politely and safely. The only asynchronous code of tagstory: a
//! [`Fetcher`] owns one reqwest client and a current-thread tokio runtime and offers blocking
//! calls, so everything else stays synchronous.
//!
//! - **Polite:** a User-Agent naming tagstory and its version; at most
//!   [`MAX_IN_FLIGHT_PER_HOST`] requests at a time per host; `429` waits for `Retry-After`, and
//!   Mastodon's `X-RateLimit-Remaining: 0` holds the host back until `X-RateLimit-Reset`; `5xx`,
//!   timeouts, dropped connections and cut-off bodies are retried with capped exponential
//!   back-off and jitter.
//! - **Safe:** only `http`/`https`; private, loopback and link-local addresses refused (every
//!   address a name resolves to is checked before the request and again on connecting,
//!   redirects included) unless allowed; no proxy, whatever `HTTP_PROXY` says; a response-size
//!   cap enforced while the body streams in; a redirect limit with loop detection; no cookies;
//!   a content-type check; JSON parsed with serde_json's recursion limit. The caller parses the
//!   result with the same code as files: fetched data is untrusted input.

mod guard;
mod headers;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde_json::Value;
use tokio::sync::Semaphore;
use url::Url;

pub use guard::is_public;
pub use headers::{link_next, link_rel};

/// Per-request timeout (connect, headers and body), overridable with `--timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest response body accepted, overridable with `--max-response-bytes`.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
/// Redirects followed per request, overridable with `--max-redirects`.
pub const DEFAULT_MAX_REDIRECTS: usize = 5;
/// Pages read per paged source (timeline, outbox, replies), overridable with `--max-pages`.
pub const DEFAULT_MAX_PAGES: usize = 100;
/// Retries after a `5xx`, a timeout or a network error, overridable with `--retries`.
pub const DEFAULT_RETRIES: u32 = 3;
/// Longest wait honoured for `Retry-After` or a rate-limit reset, overridable with
/// `--max-wait`; a server asking for more fails the request.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(300);
/// Requests in flight at once to one host.
pub const MAX_IN_FLIGHT_PER_HOST: usize = 2;
/// First back-off delay; doubled on each retry.
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// Longest back-off delay (before jitter).
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// `Accept` for ActivityPub objects.
pub const ACCEPT_AS2: &str = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
/// `Accept` for the Mastodon REST API.
pub const ACCEPT_JSON: &str = "application/json";

/// What a request asks for, which sets `Accept` and the content types accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// An ActivityStreams document.
    ActivityPub,
    /// Mastodon REST API JSON.
    RestApi,
}

/// How a [`Fetcher`] behaves.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Largest body accepted, in bytes.
    pub max_response_bytes: u64,
    /// Redirects followed per request.
    pub max_redirects: usize,
    /// Retries of transient failures.
    pub retries: u32,
    /// Longest `Retry-After` or rate-limit wait honoured.
    pub max_wait: Duration,
    /// Fetch from private, loopback and link-local addresses too.
    pub allow_private_addresses: bool,
    /// Bearer token, sent only to `token_hosts`.
    pub token: Option<String>,
    /// The hosts (`host` or `host:port`) the token is for: those of the URLs the user gave. A
    /// token must never reach the other servers a conversation leads to.
    pub token_hosts: Vec<String>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            retries: DEFAULT_RETRIES,
            max_wait: DEFAULT_MAX_WAIT,
            allow_private_addresses: false,
            token: None,
            token_hosts: Vec::new(),
        }
    }
}

/// A fetched JSON document.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Where it was finally fetched from (after redirects).
    pub url: Url,
    /// The document.
    pub value: Value,
    /// The `Link: <…>; rel="next"` target, if any.
    pub next: Option<Url>,
}

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
    fn retryable(&self) -> bool {
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

/// The HTTP client, its runtime, and what it knows about each host.
pub struct Fetcher {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    /// `Authorization: Bearer …` for the token's own hosts.
    authorization: Option<HeaderValue>,
    options: FetchOptions,
    hosts: Mutex<HashMap<String, Arc<HostState>>>,
    requests: AtomicU64,
    seed: AtomicU64,
}

/// One host's request slots and rate-limit hold.
struct HostState {
    slots: Semaphore,
    not_before: Mutex<Option<Instant>>,
}

impl Fetcher {
    /// Builds the client once.
    pub fn new(options: FetchOptions) -> anyhow::Result<Fetcher> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let max_redirects = options.max_redirects;
        let allow_private = options.allow_private_addresses;
        let redirect = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                let message = format!("more than {max_redirects} redirects (--max-redirects)");
                return attempt.error(message);
            }
            if attempt.previous().contains(attempt.url()) {
                let message = format!("redirect loop back to {}", attempt.url());
                return attempt.error(message);
            }
            match guard::refusal(attempt.url(), allow_private) {
                Some(why) => {
                    let message = format!("to {}: {why}", attempt.url());
                    attempt.error(message)
                }
                None => attempt.follow(),
            }
        });
        let authorization = match &options.token {
            Some(token) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
                    .map_err(|_| {
                        anyhow::anyhow!("the --token holds characters not allowed in a header")
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let client = reqwest::Client::builder()
            .user_agent(user_agent())
            .redirect(redirect)
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .dns_resolver(Arc::new(guard::GuardedResolver { allow_private }))
            // A proxy resolves host names itself, so the guard would never see them and
            // `HTTP_PROXY` would open every private address (see: issue 11). tagstory fetches
            // public servers directly.
            .no_proxy()
            .https_only(false)
            .build()?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
            | 1;
        Ok(Fetcher {
            runtime,
            client,
            authorization,
            options,
            hosts: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
            seed: AtomicU64::new(seed),
        })
    }

    /// The options it was built with.
    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// HTTP requests made so far (retries included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Fetches one JSON document.
    pub fn get(&self, url: &Url, want: Want) -> Result<Fetched, FetchError> {
        self.runtime.block_on(self.fetch(url, want))
    }

    /// Fetches several documents at once (still at most [`MAX_IN_FLIGHT_PER_HOST`] per host),
    /// results in the order asked.
    pub fn get_all(&self, urls: &[(Url, Want)]) -> Vec<Result<Fetched, FetchError>> {
        let futures = urls.iter().map(|(url, want)| self.fetch(url, *want));
        self.runtime
            .block_on(futures_util::future::join_all(futures))
    }

    async fn fetch(&self, url: &Url, want: Want) -> Result<Fetched, FetchError> {
        let fail = |kind, attempts| FetchError {
            url: url.to_string(),
            kind,
            attempts,
        };
        if let Some(why) = guard::refusal(url, self.options.allow_private_addresses) {
            return Err(fail(FetchErrorKind::Refused(why), 0));
        }
        let host = self.host(url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = {
                let _slot = host.slots.acquire().await.expect("never closed");
                let hold = *host.not_before.lock().expect("not poisoned");
                if let Some(until) = hold {
                    tokio::time::sleep_until(until.into()).await;
                }
                self.requests.fetch_add(1, Ordering::Relaxed);
                self.once(url, want, &host).await
            };
            let kind = match outcome {
                Ok(fetched) => return Ok(fetched),
                Err(Attempt::Failed(kind)) => kind,
                Err(Attempt::RetryAfter(wait)) => {
                    if wait > self.options.max_wait {
                        return Err(fail(FetchErrorKind::RateLimited(Some(wait)), attempt));
                    }
                    if attempt > self.options.retries {
                        return Err(fail(FetchErrorKind::RateLimited(None), attempt));
                    }
                    tokio::time::sleep(wait).await;
                    continue;
                }
            };
            if !kind.retryable() || attempt > self.options.retries {
                return Err(fail(kind, attempt));
            }
            tokio::time::sleep(self.backoff(attempt)).await;
        }
    }

    /// One attempt.
    async fn once(&self, url: &Url, want: Want, host: &HostState) -> Result<Fetched, Attempt> {
        match guard::check_host(url, self.options.allow_private_addresses).await {
            Ok(()) => {}
            Err(guard::HostProblem::Refused(why)) => {
                return Err(Attempt::Failed(FetchErrorKind::Refused(why)));
            }
            Err(guard::HostProblem::Unresolved(why)) => {
                return Err(Attempt::Failed(FetchErrorKind::Network(why)));
            }
        }
        let accept = match want {
            Want::ActivityPub => ACCEPT_AS2,
            Want::RestApi => ACCEPT_JSON,
        };
        let mut request = self.client.get(url.clone()).header(ACCEPT, accept);
        // Redirects to another host drop the header (reqwest), so it stays with its server.
        if let Some(value) = &self.authorization
            && crate::urls::authority(url.as_str())
                .is_some_and(|host| self.options.token_hosts.contains(&host))
        {
            request = request.header(AUTHORIZATION, value.clone());
        }
        let mut response = request
            .send()
            .await
            .map_err(|e| Attempt::Failed(self.classify(&e)))?;
        let now = chrono::Utc::now();
        if let Some(wait) = headers::rate_limit_wait(response.headers(), now) {
            let wait = wait.min(self.options.max_wait);
            *host.not_before.lock().expect("not poisoned") = Some(Instant::now() + wait);
        }
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = headers::retry_after(response.headers(), now)
                .or_else(|| headers::rate_limit_wait(response.headers(), now))
                .unwrap_or(BACKOFF_BASE);
            return Err(Attempt::RetryAfter(wait));
        }
        if !status.is_success() {
            let kind = match status.as_u16() {
                404 | 410 => FetchErrorKind::Gone(status.as_u16()),
                401 | 403 => FetchErrorKind::Unauthorized(status.as_u16()),
                s => FetchErrorKind::Status(s),
            };
            return Err(Attempt::Failed(kind));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if !is_json_type(&content_type) {
            let shown = if content_type.is_empty() {
                "no content type"
            } else {
                &content_type
            };
            return Err(Attempt::Failed(FetchErrorKind::ContentType(
                shown.to_owned(),
            )));
        }
        let limit = self.options.max_response_bytes;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(Attempt::Failed(FetchErrorKind::TooLarge(limit)));
        }
        let final_url = response.url().clone();
        let next = headers::link_next(response.headers(), &final_url);
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > limit {
                        return Err(Attempt::Failed(FetchErrorKind::TooLarge(limit)));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => {
                    return Err(Attempt::Failed(FetchErrorKind::Timeout(
                        self.options.timeout,
                    )));
                }
                Err(e) => {
                    let detail = format!("{} bytes read, then {}", body.len(), root_cause(&e));
                    return Err(Attempt::Failed(FetchErrorKind::Truncated(detail)));
                }
            }
        }
        let value: Value = serde_json::from_slice(&body).map_err(|e| {
            Attempt::Failed(if e.is_eof() {
                FetchErrorKind::Truncated(format!("{} bytes read, JSON unfinished", body.len()))
            } else {
                FetchErrorKind::Invalid(e.to_string())
            })
        })?;
        Ok(Fetched {
            url: final_url,
            value,
            next,
        })
    }

    fn classify(&self, e: &reqwest::Error) -> FetchErrorKind {
        if e.is_redirect() {
            return FetchErrorKind::Redirect(root_cause(e));
        }
        if e.is_timeout() {
            return FetchErrorKind::Timeout(self.options.timeout);
        }
        let cause = root_cause(e);
        if cause.contains("--allow-private-addresses") {
            return FetchErrorKind::Refused(cause);
        }
        FetchErrorKind::Network(cause)
    }

    fn host(&self, url: &Url) -> Arc<HostState> {
        let key = format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        let mut hosts = self.hosts.lock().expect("not poisoned");
        hosts
            .entry(key)
            .or_insert_with(|| {
                Arc::new(HostState {
                    slots: Semaphore::new(MAX_IN_FLIGHT_PER_HOST),
                    not_before: Mutex::new(None),
                })
            })
            .clone()
    }

    /// Capped exponential back-off with up to 50 % jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = BACKOFF_BASE
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(BACKOFF_CAP);
        // xorshift: jitter needs no cryptographic randomness.
        let mut x = self.seed.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed.store(x, Ordering::Relaxed);
        let jitter = base.mul_f64((x % 1000) as f64 / 2000.0);
        base + jitter
    }
}

/// How one attempt ended, when not with a document.
enum Attempt {
    Failed(FetchErrorKind),
    RetryAfter(Duration),
}

/// `tagstory/VERSION (+homepage)`.
pub fn user_agent() -> String {
    format!(
        "tagstory/{} (+https://github.com/tagstory/tagstory)",
        env!("CARGO_PKG_VERSION")
    )
}

fn is_json_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence == "application/activity+json"
        || essence == "application/ld+json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The innermost error message, which is the informative one for reqwest errors.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json_type("application/json; charset=utf-8"));
        assert!(is_json_type("application/activity+json"));
        assert!(is_json_type(
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        ));
        assert!(!is_json_type("text/html; charset=utf-8"));
        assert!(!is_json_type(""));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let f = Fetcher::new(FetchOptions::default()).unwrap();
        let first = f.backoff(1);
        assert!(first >= BACKOFF_BASE && first <= BACKOFF_BASE * 3 / 2);
        assert!(f.backoff(3) >= BACKOFF_BASE * 4);
        assert!(f.backoff(30) <= BACKOFF_CAP * 3 / 2);
    }
}
