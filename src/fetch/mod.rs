//! Fetching JSON documents and media files over HTTP, politely and safely. The only asynchronous code of tagstory: a
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
//!   result with the same code as files: fetched data is untrusted input. Media files come back
//!   as bytes, unparsed and unjudged: `crate::media` checks what they are.

mod attempt;
mod error;
mod guard;
mod headers;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use serde_json::Value;
use tokio::sync::Semaphore;
use url::Url;

use attempt::{Ask, Attempt, Body, parse_json};
pub use error::{FetchError, FetchErrorKind};
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
/// Files in flight at once in all, across hosts ([`Fetcher::get_bytes_each`]).
pub const MAX_IN_FLIGHT: usize = 8;
/// First back-off delay; doubled on each retry.
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// Longest back-off delay (before jitter).
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// `Accept` for ActivityPub objects.
pub const ACCEPT_AS2: &str = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
/// `Accept` for the Mastodon REST API.
pub const ACCEPT_JSON: &str = "application/json";
/// `Accept` for media files.
pub const ACCEPT_MEDIA: &str = "image/*, video/*, audio/*;q=0.9, */*;q=0.5";

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

/// A fetched file: its bytes as served, not looked at.
#[derive(Debug, Clone)]
pub struct FetchedBytes {
    /// Where it was finally fetched from (after redirects).
    pub url: Url,
    /// The `Content-Type` the server gave, if any (a claim, not a fact).
    pub content_type: Option<String>,
    /// The body.
    pub bytes: Vec<u8>,
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

    /// Fetches files, each `(url, largest body accepted)`, at most [`MAX_IN_FLIGHT_PER_HOST`]
    /// per host and [`MAX_IN_FLIGHT`] in all, and hands each result to `each` as it arrives,
    /// with its index in `asks`. The bytes are returned as served, whatever their content
    /// type: the caller checks what they are. An error from `each` stops the run.
    pub fn get_bytes_each<E>(
        &self,
        asks: &[(Url, u64)],
        mut each: impl FnMut(usize, Result<FetchedBytes, FetchError>) -> Result<(), E>,
    ) -> Result<(), E> {
        use futures_util::StreamExt;
        self.runtime.block_on(async {
            let mut results = futures_util::stream::iter(asks.iter().enumerate())
                .map(|(i, (url, max))| async move { (i, self.fetch_bytes(url, *max).await) })
                .buffer_unordered(MAX_IN_FLIGHT);
            while let Some((i, result)) = results.next().await {
                each(i, result)?;
            }
            Ok(())
        })
    }

    async fn fetch(&self, url: &Url, want: Want) -> Result<Fetched, FetchError> {
        let ask = Ask {
            accept: match want {
                Want::ActivityPub => ACCEPT_AS2,
                Want::RestApi => ACCEPT_JSON,
            },
            json: true,
            max_bytes: self.options.max_response_bytes,
        };
        self.retrying(url, &ask, parse_json).await
    }

    async fn fetch_bytes(&self, url: &Url, max_bytes: u64) -> Result<FetchedBytes, FetchError> {
        let ask = Ask {
            accept: ACCEPT_MEDIA,
            json: false,
            max_bytes,
        };
        self.retrying(url, &ask, |body| {
            Ok(FetchedBytes {
                url: body.url,
                content_type: body.content_type,
                bytes: body.bytes,
            })
        })
        .await
    }

    /// Asks until an attempt succeeds, fails for good, or the retries are spent; `finish`
    /// turns a body into the result (a failure there can be retried too: a cut-off JSON).
    async fn retrying<T>(
        &self,
        url: &Url,
        ask: &Ask,
        finish: impl Fn(Body) -> Result<T, FetchErrorKind>,
    ) -> Result<T, FetchError> {
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
                self.once(url, ask, &host).await
            };
            let kind = match outcome.and_then(|body| finish(body).map_err(Attempt::Failed)) {
                Ok(done) => return Ok(done),
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
