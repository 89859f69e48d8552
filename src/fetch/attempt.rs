//! One request and its answer: status, rate-limit headers, content type and the body read
//! within its limit. The retrying around it is in `mod.rs`.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;
use url::Url;

use super::{BACKOFF_BASE, FetchErrorKind, Fetched, Fetcher, HostState, headers, is_json_type};

impl Fetcher {
    /// One attempt: the whole body, within its limit.
    pub(super) async fn once(
        &self,
        url: &Url,
        ask: &Ask,
        host: &HostState,
    ) -> Result<Body, Attempt> {
        // The host name is checked before any connection (and the resolver checks again on
        // connecting), so no name can lead to a private address.
        match super::guard::check_host(url, self.options.allow_private_addresses).await {
            Ok(()) => {}
            Err(super::guard::HostProblem::Refused(why)) => {
                return Err(Attempt::Failed(FetchErrorKind::Refused(why)));
            }
            Err(super::guard::HostProblem::Unresolved(why)) => {
                return Err(Attempt::Failed(FetchErrorKind::Network(why)));
            }
        }
        let mut request = self.client.get(url.clone()).header(ACCEPT, ask.accept);
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
            .map(str::to_owned);
        if ask.json && !content_type.as_deref().is_some_and(is_json_type) {
            let shown = content_type.unwrap_or_else(|| "no content type".to_owned());
            return Err(Attempt::Failed(FetchErrorKind::ContentType(shown)));
        }
        let limit = ask.max_bytes;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(Attempt::Failed(FetchErrorKind::TooLarge(limit)));
        }
        let final_url = response.url().clone();
        let next = headers::link_next(response.headers(), &final_url);
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() as u64 + chunk.len() as u64 > limit {
                        return Err(Attempt::Failed(FetchErrorKind::TooLarge(limit)));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => {
                    return Err(Attempt::Failed(FetchErrorKind::Timeout(
                        self.options.timeout,
                    )));
                }
                Err(e) => {
                    let detail = format!("{} bytes read, then {}", bytes.len(), root_cause(&e));
                    return Err(Attempt::Failed(FetchErrorKind::Truncated(detail)));
                }
            }
        }
        Ok(Body {
            url: final_url,
            content_type,
            next,
            bytes,
        })
    }

    pub(super) fn classify(&self, e: &reqwest::Error) -> FetchErrorKind {
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
}

/// How one attempt ended, when not with a document.
pub(super) enum Attempt {
    Failed(FetchErrorKind),
    RetryAfter(Duration),
}

/// What a request asks for and accepts.
pub(super) struct Ask {
    /// The `Accept` header.
    pub(super) accept: &'static str,
    /// Refuse any content type but JSON's before reading the body.
    pub(super) json: bool,
    /// Largest body accepted.
    pub(super) max_bytes: u64,
}

/// A response body, read whole.
pub(super) struct Body {
    pub(super) url: Url,
    pub(super) content_type: Option<String>,
    pub(super) next: Option<Url>,
    pub(super) bytes: Vec<u8>,
}

pub(super) fn parse_json(body: Body) -> Result<Fetched, FetchErrorKind> {
    let value: Value = serde_json::from_slice(&body.bytes).map_err(|e| {
        if e.is_eof() {
            let read = body.bytes.len();
            FetchErrorKind::Truncated(format!("{read} bytes read, JSON unfinished"))
        } else {
            FetchErrorKind::Invalid(e.to_string())
        }
    })?;
    Ok(Fetched {
        url: body.url,
        value,
        next: body.next,
    })
}

/// The innermost error message, which is the informative one for reqwest errors.
pub(super) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}
