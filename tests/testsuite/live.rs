//! Live collection against real HTTP servers on 127.0.0.1: the real binary fetches from an
//! axum server (started here, on real ports) that serves the project's Mastodon API fixtures
//! with real `Link` headers, plus faults; and from a real ActivityPub server (bovine-herd, see
//! `tests/live/`) when its virtualenv is installed.
//!
//! The fixtures are care.example's view of the conversation. Host 1 plays care.example (its
//! URLs are rewritten to `http://127.0.0.1:P1/`); host 2 plays every other server under a path
//! (`https://mind.example/…` becomes `http://127.0.0.1:P2/mind.example/…`), so the posts' own
//! servers can be asked for their conversations too. Host 2 alone knows the replies to H0
//! (`context-knock-first.json`): they only arrive through the cross-server context fetch.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, Uri};
use serde_json::{Value, json};

use crate::collect::api_sources;
use crate::support::{Archive, Run, fixture, nodes, shape};

const TAG: &str = "DearMentalHealthProfessionals";
const OTHER_HOSTS: &[&str] = &[
    "mind.example",
    "lumiere.example",
    "nafs.example",
    "peer.example",
    "gone.example",
];
/// care.example ids of posts the tests touch.
const A0: &str = "117126794575873100";
const H0_ORIGIN: &str = "117129620226106903";
const S2: &str = "117128576368693952";
const S6X: &str = "117130509098521333";
const NEW: &str = "117131000000000001";
/// Story posts the timeline and the contexts give before the edit and the deletion: the
/// sample's 47 and S6x.
const LIVE_STORY: i64 = 48;

/// What a host does wrong, for requests whose path (and query) contains `on`.
#[derive(Clone, Debug)]
enum Fault {
    /// `429` with `Retry-After: secs`, the first `times` times.
    TooMany { times: usize, secs: u64 },
    /// `500`, the first `times` times.
    ServerError { times: usize },
    /// The answer comes after this long.
    Slow(Duration),
    /// Half the body, then the connection drops.
    Truncated,
    /// `302` back and forth between two URLs.
    RedirectLoop,
    /// The `next` link points back at the first page.
    NextCycle,
    /// A body of this many bytes (valid JSON, streamed without a length).
    Oversized(usize),
    /// `text/html`.
    WrongType,
    /// `401`.
    Unauthorized,
}

#[derive(Default)]
struct Data {
    /// The hashtag timeline, newest first.
    timeline: Vec<Value>,
    /// Every status known, by id.
    statuses: HashMap<String, Value>,
    /// `/context` answers, by id.
    contexts: HashMap<String, Value>,
    /// Ids answering 404.
    gone: HashSet<String>,
}

struct HostState {
    port: u16,
    data: Mutex<Data>,
    faults: Mutex<Vec<(String, Fault, usize)>>,
    rate_limits: Mutex<Vec<(String, u64)>>,
    /// Every request's path and `Authorization` header.
    auth_log: Mutex<Vec<(String, Option<String>)>>,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: std::sync::atomic::AtomicUsize,
    max_in_flight: std::sync::atomic::AtomicUsize,
    log: Mutex<Vec<String>>,
}

/// One loopback server.
struct Host {
    state: Arc<HostState>,
}

impl Host {
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}/", self.state.port)
    }
    fn log(&self) -> Vec<String> {
        self.state.log.lock().unwrap().clone()
    }
    fn clear_log(&self) {
        self.state.log.lock().unwrap().clear();
    }
    fn fault(&self, on: &str, fault: Fault) {
        self.state
            .faults
            .lock()
            .unwrap()
            .push((on.to_owned(), fault, 0));
    }
    /// The next answer to a request whose path holds `on` says the budget is spent for `secs`.
    fn spend_budget(&self, on: &str, secs: u64) {
        self.state
            .rate_limits
            .lock()
            .unwrap()
            .push((on.to_owned(), secs));
    }
    fn data(&self) -> std::sync::MutexGuard<'_, Data> {
        self.state.data.lock().unwrap()
    }
}

/// Starts a server on a free port, in its own thread and runtime.
fn start_host() -> Host {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let state = Arc::new(HostState {
        port,
        data: Mutex::new(Data::default()),
        faults: Mutex::new(Vec::new()),
        rate_limits: Mutex::new(Vec::new()),
        auth_log: Mutex::new(Vec::new()),
        in_flight: Default::default(),
        max_in_flight: Default::default(),
        log: Mutex::new(Vec::new()),
    });
    let shared = state.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let app = axum::Router::new()
                .fallback(move |uri: Uri, headers: axum::http::HeaderMap| {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    shared
                        .auth_log
                        .lock()
                        .unwrap()
                        .push((uri.to_string(), auth));
                    handle(shared.clone(), uri)
                })
                .into_make_service();
            axum::serve(listener, app).await.unwrap();
        });
    });
    Host { state }
}

fn json_response(status: StatusCode, body: String, headers: &[(&str, String)]) -> Response<Body> {
    let mut r = Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8");
    for (k, v) in headers {
        r = r.header(*k, v.as_str());
    }
    r.body(Body::from(body)).unwrap()
}

/// Answers like [`respond`], and says the rate-limit budget is spent (Mastodon's
/// `X-RateLimit-Remaining: 0`, resetting in the given seconds) on the first answer to a request
/// whose path holds a string given to [`Host::spend_budget`].
async fn handle(state: Arc<HostState>, uri: Uri) -> Response<Body> {
    let spent = {
        let mut limits = state.rate_limits.lock().unwrap();
        let hit = limits
            .iter()
            .position(|(on, _)| uri.to_string().contains(on.as_str()));
        hit.map(|i| limits.remove(i).1)
    };
    use std::sync::atomic::Ordering::SeqCst;
    let now = state.in_flight.fetch_add(1, SeqCst) + 1;
    state.max_in_flight.fetch_max(now, SeqCst);
    let mut response = respond(state.clone(), uri).await;
    state.in_flight.fetch_sub(1, SeqCst);
    if let Some(secs) = spent {
        let reset = chrono::Utc::now() + chrono::Duration::seconds(secs as i64);
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", HeaderValue::from_static("300"));
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        headers.insert(
            "x-ratelimit-reset",
            HeaderValue::from_str(&reset.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap(),
        );
    }
    response
}

async fn respond(state: Arc<HostState>, uri: Uri) -> Response<Body> {
    let path_q = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    state.log.lock().unwrap().push(path_q.clone());
    let fault = {
        let mut faults = state.faults.lock().unwrap();
        faults
            .iter_mut()
            .find(|(on, _, _)| path_q.contains(on.as_str()))
            .map(|(_, f, hits)| {
                *hits += 1;
                (f.clone(), *hits)
            })
    };
    let mut slow = None;
    let mut oversized = None;
    let mut truncate = false;
    let mut next_cycle = false;
    match fault {
        Some((Fault::TooMany { times, secs }, hits)) if hits <= times => {
            return json_response(
                StatusCode::TOO_MANY_REQUESTS,
                "{\"error\":\"Too many requests\"}".into(),
                &[("retry-after", secs.to_string())],
            );
        }
        Some((Fault::ServerError { times }, hits)) if hits <= times => {
            return json_response(StatusCode::INTERNAL_SERVER_ERROR, "{}".into(), &[]);
        }
        Some((Fault::Unauthorized, _)) => {
            return json_response(
                StatusCode::UNAUTHORIZED,
                "{\"error\":\"signature\"}".into(),
                &[],
            );
        }
        Some((Fault::RedirectLoop, _)) => {
            let target = if path_q.contains("hop=1") {
                uri.path().to_owned()
            } else {
                format!("{}?hop=1", uri.path())
            };
            return Response::builder()
                .status(StatusCode::FOUND)
                .header("location", target)
                .body(Body::empty())
                .unwrap();
        }
        Some((Fault::WrongType, _)) => {
            return Response::builder()
                .header("content-type", "text/html; charset=utf-8")
                .body(Body::from("<html><body>Log in</body></html>"))
                .unwrap();
        }
        Some((Fault::Slow(d), _)) => slow = Some(d),
        Some((Fault::Oversized(n), _)) => oversized = Some(n),
        Some((Fault::Truncated, _)) => truncate = true,
        Some((Fault::NextCycle, _)) => next_cycle = true,
        _ => {}
    }
    if let Some(d) = slow {
        tokio::time::sleep(d).await;
    }
    if let Some(n) = oversized {
        let chunk = format!("[{}", " ".repeat(64 * 1024));
        let chunks = n / chunk.len() + 1;
        let stream =
            futures_util::stream::iter(std::iter::repeat_n(chunk, chunks).enumerate().map(
                |(i, c)| Ok::<_, std::io::Error>(if i == 0 { c } else { c.replace('[', " ") }),
            ));
        return Response::builder()
            .header("content-type", "application/json")
            .body(Body::from_stream(stream))
            .unwrap();
    }
    // Route on what follows `/api/v1/` (host 2 serves other servers under a path prefix).
    let path = uri.path();
    let Some(api) = path.find("/api/v1/").map(|i| &path[i + 8..]) else {
        return json_response(
            StatusCode::NOT_FOUND,
            "{\"error\":\"Record not found\"}".into(),
            &[],
        );
    };
    let query: HashMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let data = state.data.lock().unwrap();
    let segments: Vec<&str> = api.split('/').collect();
    let (body, headers) = match segments.as_slice() {
        ["timelines", "tag", _name] => {
            let num = |k: &str| query.get(k).and_then(|v| v.parse::<u128>().ok());
            let limit = num("limit").unwrap_or(20).min(20) as usize;
            let page: Vec<Value> = data
                .timeline
                .iter()
                .filter(|s| {
                    let id: u128 = s["id"].as_str().unwrap().parse().unwrap();
                    num("max_id").is_none_or(|m| id < m) && num("since_id").is_none_or(|m| id > m)
                })
                .take(limit)
                .cloned()
                .collect();
            let mut headers = Vec::new();
            if let Some(last) = page.last() {
                let next = if next_cycle && query.contains_key("max_id") {
                    format!("http://127.0.0.1:{}{}?limit=40", state.port, path)
                } else {
                    format!(
                        "http://127.0.0.1:{}{}?max_id={}",
                        state.port,
                        path,
                        last["id"].as_str().unwrap()
                    )
                };
                headers.push(("link", format!("<{next}>; rel=\"next\"")));
            }
            (Value::Array(page).to_string(), headers)
        }
        ["statuses", id] => {
            if data.gone.contains(*id) {
                return json_response(
                    StatusCode::NOT_FOUND,
                    "{\"error\":\"Record not found\"}".into(),
                    &[],
                );
            }
            match data.statuses.get(*id) {
                Some(s) => (s.to_string(), Vec::new()),
                None => {
                    return json_response(
                        StatusCode::NOT_FOUND,
                        "{\"error\":\"Record not found\"}".into(),
                        &[],
                    );
                }
            }
        }
        ["statuses", id, "context"] => {
            let empty = json!({"ancestors": [], "descendants": []});
            (
                data.contexts.get(*id).unwrap_or(&empty).to_string(),
                Vec::new(),
            )
        }
        _ => return json_response(StatusCode::NOT_FOUND, "{}".into(), &[]),
    };
    drop(data);
    if truncate {
        let half = body.as_bytes()[..body.len() / 2].to_vec();
        // Half the body goes out first; then the connection drops.
        let stream = futures_util::stream::unfold(0, move |step| {
            let half = half.clone();
            async move {
                match step {
                    0 => Some((Ok(half), 1)),
                    1 => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        Some((Err(std::io::Error::other("dropped")), 2))
                    }
                    _ => None,
                }
            }
        });
        let mut r = Response::builder()
            .header("content-type", "application/json")
            .header("content-length", body.len().to_string())
            .body(Body::from_stream(stream))
            .unwrap();
        r.headers_mut()
            .insert("x-fault", HeaderValue::from_static("truncated"));
        return r;
    }
    json_response(StatusCode::OK, body, &headers)
}

/// The two hosts, loaded with the fixtures (first-run state: before the edit and the deletion).
struct Fediverse {
    care: Host,
    others: Host,
}

impl Fediverse {
    fn start() -> Fediverse {
        let care = start_host();
        let others = start_host();
        let fed = Fediverse { care, others };
        let load = |name: &str| -> Value {
            let text = std::fs::read_to_string(fixture(&format!("mastodon-api/{name}"))).unwrap();
            serde_json::from_str(&fed.rewrite(&text)).unwrap()
        };
        let mut timeline: Vec<Value> = load("timeline-page1.json").as_array().unwrap().clone();
        timeline.extend(
            load("timeline-page2.json")
                .as_array()
                .unwrap()
                .iter()
                .cloned(),
        );
        let mut statuses = HashMap::new();
        let index = |s: &Value, statuses: &mut HashMap<String, Value>| {
            statuses.insert(s["id"].as_str().unwrap().to_owned(), s.clone());
            if s["reblog"].is_object() {
                statuses.insert(
                    s["reblog"]["id"].as_str().unwrap().to_owned(),
                    s["reblog"].clone(),
                );
            }
        };
        for s in &timeline {
            index(s, &mut statuses);
        }
        let asked = [
            ("context-names.json", A0),
            ("context-gp-selfthread.json", "117127131955256860"),
            ("context-carers.json", "117127311123457015"),
            ("context-first-appointment.json", "117127605023919362"),
            ("context-side-effects.json", "117127981170701109"),
            ("context-peer-workers.json", "117128862905678920"),
            ("context-knock-first.json", H0_ORIGIN),
        ];
        let mut care_contexts = HashMap::new();
        let mut other_contexts = HashMap::new();
        for (file, id) in asked {
            let ctx = load(file);
            for key in ["ancestors", "descendants"] {
                for s in ctx[key].as_array().unwrap() {
                    index(s, &mut statuses);
                }
            }
            // Only H0's own server knows its replies.
            if id == H0_ORIGIN {
                other_contexts.insert(id.to_owned(), ctx);
            } else {
                care_contexts.insert(id.to_owned(), ctx);
            }
        }
        {
            let mut d = fed.care.data();
            d.timeline = timeline;
            d.statuses = statuses.clone();
            d.contexts = care_contexts;
        }
        {
            let mut d = fed.others.data();
            d.statuses = statuses;
            d.contexts = other_contexts;
        }
        fed
    }

    /// Fixture URLs → loopback URLs.
    fn rewrite(&self, text: &str) -> String {
        let mut out = text.replace("https://care.example/", &self.care.base());
        for host in OTHER_HOSTS {
            out = out.replace(
                &format!("https://{host}/"),
                &format!("{}{host}/", self.others.base()),
            );
        }
        out
    }

    /// Loopback URLs → fixture URLs.
    fn unrewrite(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for host in OTHER_HOSTS {
            out = out.replace(
                &format!("{}{host}/", self.others.base()),
                &format!("https://{host}/"),
            );
        }
        out.replace(&self.care.base(), "https://care.example/")
    }

    fn tag_url(&self) -> String {
        format!("{}tags/{TAG}", self.care.base())
    }

    /// The second state: S2 edited, S6x deleted, one new tagged post at the top.
    fn advance(&self) {
        let edited_text =
            std::fs::read_to_string(fixture("mastodon-api/status-edited.json")).unwrap();
        let edited: Value = serde_json::from_str(&self.rewrite(&edited_text)).unwrap();
        let mut d = self.care.data();
        let mut new = d.timeline[0].clone();
        let new_uri = format!("{}users/ruth/statuses/{NEW}", self.care.base());
        new["id"] = json!(NEW);
        new["uri"] = json!(new_uri);
        new["url"] = json!(format!("{}@ruth/{NEW}", self.care.base()));
        new["created_at"] = json!("2026-08-21T03:00:00.000Z");
        new["content"] = json!("<p>One more thing. #DearMentalHealthProfessionals</p>");
        new["media_attachments"] = json!([]);
        d.timeline.retain(|s| s["id"] != S6X);
        d.timeline.insert(0, new.clone());
        d.statuses.insert(NEW.to_owned(), new);
        d.statuses.insert(S2.to_owned(), edited);
        d.gone.insert(S6X.to_owned());
    }

    fn collect(&self, archive: &Archive, extra: &[&str]) -> Run {
        collect_url(archive, TAG, &self.tag_url(), extra)
    }
}

/// `collect --tag TAG URL --allow-private-addresses EXTRA...` into `archive` (the test servers
/// are on loopback).
fn collect_url(archive: &Archive, tag: &str, url: &str, extra: &[&str]) -> Run {
    let db = archive.db.to_string_lossy().into_owned();
    let mut args = vec![
        "collect",
        "--tag",
        tag,
        "--db",
        &db,
        url,
        "--allow-private-addresses",
    ];
    args.extend_from_slice(extra);
    archive.tagstory(&args)
}

/// `(uri, depth, tagged, boosts)` of every post, and the thread shapes, with fixture URIs.
type Outline = (Vec<(String, usize, bool, i64)>, Vec<String>);

fn outline(story: &Value) -> Outline {
    let mut posts: Vec<_> = nodes(story)
        .into_iter()
        .map(|(n, depth)| {
            (
                n["uri"].as_str().unwrap().to_owned(),
                depth,
                n["tagged"].as_bool().unwrap(),
                n["boosts"].as_i64().unwrap(),
            )
        })
        .collect();
    posts.sort();
    let shapes = story["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| shape(t, &|u| u.rsplit('/').next().unwrap().to_owned()))
        .collect();
    (posts, shapes)
}

/// The story the same files give when collected as files (without the edit and the deletion).
fn file_story() -> Value {
    let archive = Archive::new();
    let sources: Vec<_> = api_sources()
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("status-"))
        .collect();
    let paths: Vec<&std::path::Path> = sources.iter().map(|p| p.as_path()).collect();
    archive.collect_ok(TAG, &paths);
    archive.story_json(TAG)
}

fn live_story(fed: &Fediverse, archive: &Archive) -> Value {
    let story = archive.story_json(TAG);
    serde_json::from_str(&fed.unrewrite(&story.to_string())).unwrap()
}

fn timeline_requests(log: &[String]) -> Vec<&String> {
    log.iter()
        .filter(|l| l.contains("/timelines/tag/"))
        .collect()
}

#[test]
fn a_hashtag_timeline_gives_the_whole_conversation_then_only_what_is_new() {
    let fed = Fediverse::start();
    let archive = Archive::new();
    let run = fed.collect(&archive, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let story = live_story(&fed, &archive);
    // The same story as the files give: 47 posts and S6x, threads drawn alike.
    assert_eq!(outline(&story), outline(&file_story()));
    assert_eq!(story["post_count"], LIVE_STORY);
    // Two timeline pages (20 + 14) and the empty one after them.
    let log = fed.care.log();
    let pages = timeline_requests(&log);
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages[1].contains(second_page()), "{pages:?}");
    // H0's replies came from its own server only.
    assert!(
        fed.others.log().iter().any(|l| l.contains(&format!(
            "lumiere.example/api/v1/statuses/{H0_ORIGIN}/context"
        ))),
        "{:?}",
        fed.others.log()
    );
    let h0 = nodes(&story)
        .into_iter()
        .find(|(n, _)| n["uri"].as_str().unwrap().ends_with("/117129620226106903"))
        .unwrap()
        .0
        .clone();
    assert_eq!(
        h0["replies"][0]["replies"].as_array().unwrap().len(),
        1,
        "H0(H1(H2))"
    );
    assert!(run.stderr.contains("(live, "), "{}", run.stderr);
    // The cursor remembers the newest status.
    assert_eq!(
        archive.count("SELECT count(*) FROM cursors WHERE newest_id = '117130907156517186'"),
        1
    );

    // Second run: a new post, an edit and a deletion; only the new page is fetched.
    fed.advance();
    fed.care.clear_log();
    let run = fed.collect(&archive, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let log = fed.care.log();
    let pages = timeline_requests(&log);
    assert!(!pages.is_empty() && pages.len() <= 2, "{pages:?}");
    assert!(
        pages
            .iter()
            .all(|p| p.contains("since_id=117130907156517186")),
        "{pages:?}"
    );
    let story = live_story(&fed, &archive);
    let uris: Vec<String> = nodes(&story)
        .iter()
        .map(|(n, _)| n["uri"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(story["post_count"], LIVE_STORY, "47 + the new post");
    assert!(uris.iter().any(|u| u.ends_with(NEW)));
    assert!(
        !uris.iter().any(|u| u.ends_with("/117130509098521333")),
        "S6x deleted"
    );
    let s2 = nodes(&story)
        .into_iter()
        .find(|(n, _)| n["uri"].as_str().unwrap().ends_with("/117128576368658709"))
        .unwrap()
        .0
        .clone();
    assert!(
        s2["text"].as_str().unwrap().contains("Grüße aus Köln"),
        "{s2}"
    );
    assert_eq!(archive.count("SELECT count(*) FROM tombstones"), 1);
    assert!(
        run.stderr.contains("refresh of recent posts"),
        "{}",
        run.stderr
    );
}

#[test]
fn no_context_takes_only_the_timeline() {
    let fed = Fediverse::start();
    let archive = Archive::new();
    let run = fed.collect(&archive, &["--no-context", "--quiet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // 29 tagged posts, no context requests.
    assert_eq!(archive.story_json(TAG)["post_count"], 29);
    assert!(!fed.care.log().iter().any(|l| l.contains("/context")));
    assert!(!run.stderr.contains("fetched "), "quiet: {}", run.stderr);
}

#[test]
fn limit_and_since_bound_a_run() {
    let fed = Fediverse::start();
    let archive = Archive::new();
    let run = fed.collect(&archive, &["--no-context", "--limit", "5"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(archive.count("SELECT count(*) FROM story_posts"), 5);
    let archive = Archive::new();
    let run = fed.collect(
        &archive,
        &["--no-context", "--since", "2026-08-20T20:00:00Z"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let times: Vec<String> = {
        let conn = rusqlite::Connection::open(&archive.db).unwrap();
        let mut stmt = conn.prepare("SELECT created_at FROM posts").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert!(
        !times.is_empty() && times.iter().all(|t| t.as_str() >= "2026-08-20T20:00"),
        "{times:?}"
    );
}

#[test]
fn private_addresses_are_refused_without_the_flag() {
    let fed = Fediverse::start();
    let archive = Archive::new();
    let db = archive.db.to_string_lossy().into_owned();
    let run = archive.tagstory(&["collect", "--tag", TAG, "--db", &db, &fed.tag_url()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("--allow-private-addresses"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&fed.tag_url().replace("tags/", "api/v1/timelines/tag/")),
        "{}",
        run.stderr
    );
    assert!(fed.care.log().is_empty(), "nothing was fetched");
    // A name that resolves to a loopback address is refused after resolution too.
    let by_name = fed.tag_url().replace("127.0.0.1", "localhost");
    let run = archive.tagstory(&["collect", "--tag", TAG, "--db", &db, &by_name]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("--allow-private-addresses"),
        "{}",
        run.stderr
    );
    assert!(fed.care.log().is_empty(), "nothing was fetched");
}

/// Runs a collect with one fault and returns the run and the story's post count.
fn with_fault(on: &str, fault: Fault, extra: &[&str]) -> (Run, i64, Fediverse) {
    let fed = Fediverse::start();
    fed.care.fault(on, fault);
    let archive = Archive::new();
    let run = fed.collect(&archive, extra);
    let count = archive.count("SELECT count(*) FROM story_posts");
    (run, count, fed)
}

/// The query of the second timeline page: `max_id` = the last id of the first (D1).
fn second_page() -> &'static str {
    "max_id=117127605023919362"
}

#[test]
fn too_many_requests_waits_for_retry_after() {
    let started = Instant::now();
    let (run, count, fed) =
        with_fault("/timelines/tag/", Fault::TooMany { times: 1, secs: 1 }, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count, LIVE_STORY);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(timeline_requests(&fed.care.log()).len(), 4, "one retry");
}

#[test]
fn a_server_error_is_retried() {
    let context = format!("statuses/{A0}/context");
    let (run, count, fed) = with_fault(&context, Fault::ServerError { times: 1 }, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count, LIVE_STORY);
    assert_eq!(
        fed.care
            .log()
            .iter()
            .filter(|l| l.contains(&context))
            .count(),
        2
    );
}

/// A0's context holds these untagged posts (A2, A3, A5, A6, A9, A10), so losing it loses 6.
const WITHOUT_A0_CONTEXT: i64 = LIVE_STORY - 6;

fn assert_failed_clearly(run: &Run, url_part: &str, words: &str) {
    assert_eq!(run.code, 3, "some data is missing: {}", run.stderr);
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("error:") && l.contains(url_part))
        .unwrap_or_else(|| panic!("no error naming {url_part}:\n{}", run.stderr));
    assert!(line.contains(words), "{line}");
}

#[test]
fn a_response_slower_than_the_timeout_is_abandoned() {
    let context = format!("statuses/{A0}/context");
    let (run, count, _fed) = with_fault(
        &context,
        Fault::Slow(Duration::from_secs(5)),
        &["--timeout", "0.5", "--retries", "1"],
    );
    assert_eq!(count, WITHOUT_A0_CONTEXT);
    assert_failed_clearly(&run, &context, "no complete answer within 0.5 s");
    assert!(
        run.stderr.contains("gave up after 2 attempts"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_truncated_body_is_not_taken() {
    let (run, count, _fed) = with_fault(second_page(), Fault::Truncated, &["--retries", "1"]);
    // Page 1 is kept with its conversations; page 2's posts are missing.
    assert!(count > 20 && count < LIVE_STORY, "{count}");
    assert_failed_clearly(&run, second_page(), "cut off");
}

#[test]
fn a_redirect_loop_is_stopped() {
    let context = format!("statuses/{A0}/context");
    let (run, count, _fed) = with_fault(&context, Fault::RedirectLoop, &[]);
    assert_eq!(count, WITHOUT_A0_CONTEXT);
    assert_failed_clearly(&run, &context, "redirect");
}

#[test]
fn a_next_link_that_cycles_is_stopped() {
    let (run, count, fed) = with_fault("/timelines/tag/", Fault::NextCycle, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count, LIVE_STORY, "both pages were read before the cycle");
    assert!(run.stderr.contains("leads back to"), "{}", run.stderr);
    assert!(timeline_requests(&fed.care.log()).len() <= 3);
}

#[test]
fn an_oversized_body_is_refused() {
    let (run, count, _fed) = with_fault(
        second_page(),
        Fault::Oversized(3_000_000),
        &["--max-response-bytes", "1000000"],
    );
    assert!(count > 20 && count < LIVE_STORY, "{count}");
    assert_failed_clearly(&run, second_page(), "larger than 1000000 bytes");
}

#[test]
fn a_wrong_content_type_is_refused() {
    let context = format!("statuses/{A0}/context");
    let (run, count, _fed) = with_fault(&context, Fault::WrongType, &[]);
    assert_eq!(count, WITHOUT_A0_CONTEXT);
    assert_failed_clearly(
        &run,
        &context,
        "expected JSON, but the response is `text/html",
    );
}

#[test]
fn a_server_wanting_signatures_is_named() {
    let (run, count, _fed) = with_fault("/timelines/tag/", Fault::Unauthorized, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(count, 0);
    assert!(run.stderr.contains("HTTP 401"), "{}", run.stderr);
    assert!(run.stderr.contains("signed requests"), "{}", run.stderr);
}

// ---- A real ActivityPub server: bovine-herd -------------------------------------------------

/// A bovine-herd server started by `tests/live/bovine.sh`, stopped (by its pid) when dropped.
struct Bovine {
    pid: String,
    actor: String,
    /// Object ids in posting order: root, untagged reply, tagged reply to the reply, #other,
    /// then the fillers.
    objects: Vec<String>,
    _work: tempfile::TempDir,
}

impl Drop for Bovine {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").arg(&self.pid).status();
    }
}

/// Starts bovine-herd with `app` (`app_open`, `app_default`), or says why not and returns
/// `None` when its virtualenv is not installed (`tests/live/bovine.sh install`).
fn bovine(app: &str) -> Option<Bovine> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = std::env::var_os("TAGSTORY_BOVINE_VENV")
        .map_or_else(|| root.join("target/bovine-venv"), std::path::PathBuf::from);
    if !venv.join("bin/hypercorn").exists() {
        crate::support::skipped(&format!(
            "no bovine-herd virtualenv at {} (run tests/live/bovine.sh install)",
            venv.display()
        ));
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let work = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(root.join("tests/live/bovine.sh"))
        .env("TAGSTORY_BOVINE_VENV", &venv)
        .args([
            "start",
            &work.path().to_string_lossy(),
            &port.to_string(),
            app,
            "12",
        ])
        .output()
        .expect("bovine.sh runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let pid = stdout
        .lines()
        .find_map(|l| l.strip_prefix("PID="))
        .unwrap_or_else(|| {
            panic!(
                "bovine did not start: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .to_owned();
    let started = Bovine {
        pid,
        actor: String::new(),
        objects: Vec::new(),
        _work: work,
    };
    assert!(
        out.status.success(),
        "bovine.sh failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let actor = stdout
        .lines()
        .find_map(|l| l.strip_prefix("ACTOR="))
        .expect("actor")
        .to_owned();
    let objects = stdout
        .lines()
        .filter(|l| l.starts_with("201 "))
        .map(|l| l.split(' ').nth(2).unwrap().to_owned())
        .collect();
    let mut started = started;
    started.actor = actor;
    started.objects = objects;
    Some(started)
}

fn collect_as2(archive: &Archive, url: &str) -> Run {
    collect_url(archive, "fedistory", url, &[])
}

fn get_as2(url: &str) -> Value {
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "--max-time",
            "5",
            "-H",
            "Accept: application/activity+json",
            url,
        ])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// root(reply(reply-to-reply)) and 12 fillers; `#other` stays out.
fn assert_bovine_story(archive: &Archive, server: &Bovine) {
    let story = archive.story_json("fedistory");
    assert_eq!(story["post_count"], 15, "{story}");
    let root = story["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["uri"] == server.objects[0].as_str())
        .expect("the root is a thread");
    let shape = shape(root, &|u| {
        server
            .objects
            .iter()
            .position(|o| o == u)
            .unwrap()
            .to_string()
    });
    assert_eq!(shape, "0(1(2))");
    assert_eq!(
        root["replies"][0]["tagged"], false,
        "the untagged reply is context"
    );
    assert!(
        !nodes(&story)
            .iter()
            .any(|(n, _)| n["uri"] == server.objects[3].as_str())
    );
}

#[test]
fn a_real_activitypub_server_by_actor_and_by_outbox() {
    let Some(server) = bovine("app_open") else {
        return;
    };
    // The quirks this server shows, so the test keeps meaning what it says.
    let outbox_url = get_as2(&server.actor)["outbox"]
        .as_str()
        .unwrap()
        .to_owned();
    let outbox = get_as2(&outbox_url);
    assert!(outbox["first"].is_string(), "paged outbox: {outbox}");
    let note = get_as2(&server.objects[0]);
    assert_eq!(note["to"], "as:Public");
    assert!(note["tag"].is_object(), "a single tag object: {note}");
    assert!(note["replies"].is_string());

    let by_actor = Archive::new();
    let run = collect_as2(&by_actor, &server.actor);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_bovine_story(&by_actor, &server);
    assert!(!run.stderr.contains("bare reference"), "{}", run.stderr);

    let by_outbox = Archive::new();
    let run = collect_as2(&by_outbox, &outbox_url);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_bovine_story(&by_outbox, &server);
    // Paged down to the empty last page.
    assert!(run.stderr.contains("?first=1"), "{}", run.stderr);

    // Again: nothing new, the first page already archived stops the paging.
    let again = collect_as2(&by_outbox, &outbox_url);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains(" 0 new,"), "{}", again.stderr);
    assert!(
        !again.stderr.contains("min_id="),
        "stopped at page 1: {}",
        again.stderr
    );
    assert_bovine_story(&by_outbox, &server);

    // A single Note: its replies collections bring the thread below it.
    let one = Archive::new();
    let run = collect_as2(&one, &server.objects[0]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        one.story_json("fedistory")["post_count"],
        3,
        "{}",
        run.stderr
    );
}

#[test]
fn a_real_server_demanding_signatures_gets_a_clear_message() {
    let Some(server) = bovine("app_default") else {
        return;
    };
    let archive = Archive::new();
    let run = collect_as2(&archive, &server.actor);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("HTTP 401"))
        .unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(line.contains(&server.actor), "{line}");
    assert!(line.contains("signed requests"), "{line}");
}

/// A run that stops half-way (here a page that cannot be read) is resumed by the next one from
/// the page where it stopped: the older pages are not skipped because the newest were kept.
#[test]
fn an_interrupted_run_is_resumed_where_it_stopped() {
    let fed = Fediverse::start();
    fed.care.fault(second_page(), Fault::Truncated);
    let archive = Archive::new();
    let first = fed.collect(&archive, &["--retries", "0"]);
    assert_eq!(first.code, 3, "{}", first.stderr);
    let partial = archive.count("SELECT count(*) FROM story_posts");
    assert!(partial < LIVE_STORY, "{partial}");

    fed.care.state.faults.lock().unwrap().clear();
    fed.care.clear_log();
    let second = fed.collect(&archive, &[]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.stderr.contains("resuming"), "{}", second.stderr);
    assert_eq!(
        archive.count("SELECT count(*) FROM story_posts"),
        LIVE_STORY
    );
    let log = fed.care.log();
    let pages = timeline_requests(&log);
    assert!(
        pages[0].contains(second_page()),
        "resumes at page 2: {pages:?}"
    );
    assert!(
        pages.iter().skip(1).any(|p| p.contains("since_id")),
        "then asks only for what is newer: {pages:?}"
    );

    // And once complete, a third run asks only for what is new.
    fed.care.clear_log();
    let third = fed.collect(&archive, &[]);
    assert_eq!(third.code, 0, "{}", third.stderr);
    let log = fed.care.log();
    let pages = timeline_requests(&log);
    assert!(pages.iter().all(|p| p.contains("since_id")), "{pages:?}");
}

/// Mastodon's `X-RateLimit-Remaining: 0` holds every request to that host until the reset.
#[test]
fn a_spent_rate_limit_budget_holds_the_host_until_it_resets() {
    let quick = Fediverse::start();
    let started = Instant::now();
    assert_eq!(quick.collect(&Archive::new(), &[]).code, 0);
    let unhindered = started.elapsed();

    let fed = Fediverse::start();
    fed.care.spend_budget("/timelines/tag/", 2);
    let archive = Archive::new();
    let started = Instant::now();
    let run = fed.collect(&archive, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        archive.count("SELECT count(*) FROM story_posts"),
        LIVE_STORY
    );
    // The reset is two seconds away: the run waits for it. A loaded machine makes both runs
    // slower, so the margin over the unhindered run is kept below the hold itself.
    assert!(
        started.elapsed()
            >= (unhindered + Duration::from_millis(1000)).max(Duration::from_millis(1800)),
        "held back: {:?} against {unhindered:?}",
        started.elapsed()
    );
}

/// Real captured Mastodon JSON (`../shared/corpus/mastodon-api/`), served with a real `Link`
/// header, is collected live as it is from a file.
#[test]
fn a_real_captured_tag_timeline_is_collected_live() {
    let Some(path) = crate::support::corpus("mastodon-api/tag-timeline-hoot.json") else {
        return;
    };
    let statuses: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let host = start_host();
    host.data().timeline = statuses;
    let archive = Archive::new();
    let url = format!("{}tags/hoot", host.base());
    let run = collect_url(&archive, "hoot", &url, &["--no-context"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let story = archive.story_json("hoot");
    assert_eq!(story["post_count"], 1);
    let post = &story["threads"][0];
    assert_eq!(
        post["uri"],
        "http://localhost:3000/ap/users/117020566092212359/statuses/117020593741189701"
    );
    assert_eq!(
        post["author"]["handle"],
        "@mastodonpy_test_2@localhost:3000"
    );
    let log = host.log();
    assert!(
        log.iter().any(|l| l.contains("max_id=117020593741189701")),
        "followed Link: {log:?}"
    );
}

/// Serves fixed documents, by path, as `application/activity+json`, on a free port; `docs`
/// builds them from the server's base URL (`http://127.0.0.1:PORT`), which they name.
fn serve_documents(docs: impl FnOnce(&str) -> HashMap<String, Value>) -> String {
    serve_changing_documents(docs).0
}

/// [`serve_documents`], with the documents left open to change between requests.
fn serve_changing_documents(
    docs: impl FnOnce(&str) -> HashMap<String, Value>,
) -> (String, Arc<Mutex<HashMap<String, Value>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let docs = Arc::new(Mutex::new(docs(&base)));
    let served = docs.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let app = axum::Router::new()
                .fallback(move |uri: Uri| {
                    let docs = docs.clone();
                    async move {
                        let doc = docs.lock().unwrap().get(uri.path()).cloned();
                        match doc {
                            Some(doc) => Response::builder()
                                .header("content-type", "application/activity+json")
                                .body(Body::from(doc.to_string()))
                                .unwrap(),
                            None => json_response(StatusCode::NOT_FOUND, "{}".into(), &[]),
                        }
                    }
                })
                .into_make_service();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (base, served)
}

/// An outbox's boost names the boosted post by id only: it is fetched, kept when it carries the
/// tag, and the boost counts once; a boosted post that cannot be fetched is only a note.
#[test]
fn a_boosted_post_given_by_id_is_fetched() {
    let public = "https://www.w3.org/ns/activitystreams#Public";
    let base = serve_documents(|b| {
        let announce = |n: u32, object: String| {
            json!({"id": format!("{b}/users/bo/boosts/{n}"), "type": "Announce",
                   "actor": format!("{b}/users/bo"), "published": "2026-08-20T12:00:00Z",
                   "to": [public], "object": object})
        };
        HashMap::from([
            (
                "/users/bo/outbox".to_owned(),
                json!({"@context": "https://www.w3.org/ns/activitystreams",
                       "id": format!("{b}/users/bo/outbox"), "type": "OrderedCollection",
                       "totalItems": 2, "orderedItems": [
                           announce(1, format!("{b}/notes/1")),
                           announce(2, format!("{b}/notes/gone"))]}),
            ),
            (
                "/notes/1".to_owned(),
                json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{b}/notes/1"),
                       "type": "Note", "attributedTo": format!("{b}/users/ann"),
                       "published": "2026-08-20T11:00:00Z", "to": [public],
                       "content": "<p>Ask me my name. #DearMentalHealthProfessionals</p>",
                       "tag": [{"type": "Hashtag", "name": "#DearMentalHealthProfessionals"}]}),
            ),
        ])
    });
    let archive = Archive::new();
    let run = collect_url(&archive, TAG, &format!("{base}/users/bo/outbox"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("the boosted post could not be fetched"),
        "{}",
        run.stderr
    );
    let story = archive.story_json(TAG);
    assert_eq!(story["post_count"], 1);
    assert_eq!(story["threads"][0]["uri"], format!("{base}/notes/1"));
    assert_eq!(story["threads"][0]["boosts"], 1);
}

/// A server without Mastodon's API (404 on `/api/v1/timelines/tag/…`) is read as ActivityPub:
/// its `/tags/NAME` collection, with the notes it names by id.
#[test]
fn a_tag_page_without_the_mastodon_api_is_read_as_activitypub() {
    let public = "https://www.w3.org/ns/activitystreams#Public";
    let base = serve_documents(|b| {
        let note = |n: u32, reply: Option<u32>, tagged: bool| {
            let mut note = json!({"@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{b}/notes/{n}"), "type": "Note",
                "attributedTo": format!("{b}/users/u{n}"),
                "published": format!("2026-08-20T1{n}:00:00Z"), "to": public,
                "content": format!("<p>note {n}{}</p>", if tagged { " #Kept" } else { "" }),
                "tag": if tagged { json!({"type": "Hashtag", "name": "#Kept"}) } else { json!([]) }});
            if let Some(r) = reply {
                note["inReplyTo"] = json!(format!("{b}/notes/{r}"));
            }
            note
        };
        HashMap::from([
            (
                "/tags/kept".to_owned(),
                json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{b}/tags/kept"),
                       "type": "OrderedCollection", "totalItems": 1,
                       "orderedItems": [format!("{b}/notes/2")]}),
            ),
            ("/notes/1".to_owned(), note(1, None, false)),
            ("/notes/2".to_owned(), note(2, Some(1), true)),
        ])
    });
    let archive = Archive::new();
    let run = collect_url(&archive, "kept", &format!("{base}/tags/kept"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("reading `") && run.stderr.contains("as ActivityPub"),
        "{}",
        run.stderr
    );
    let story = archive.story_json("kept");
    assert_eq!(
        story["post_count"], 2,
        "the tagged reply and, as context, its parent"
    );
    assert_eq!(story["threads"][0]["uri"], format!("{base}/notes/1"));
    assert_eq!(
        story["threads"][0]["replies"][0]["uri"],
        format!("{base}/notes/2")
    );
}

/// A second run fetches recent posts again: an edit on an ActivityPub server replaces the
/// stored version, and a post that answers 404 is recorded as deleted.
#[test]
fn edits_and_deletions_on_an_activitypub_server_are_picked_up() {
    let public = "https://www.w3.org/ns/activitystreams#Public";
    let note = |b: &str, n: u32, text: &str| {
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{b}/notes/{n}"),
               "type": "Note", "attributedTo": format!("{b}/users/u"),
               "published": format!("2026-08-20T1{n}:00:00Z"), "to": [public],
               "content": format!("<p>{text} #Kept</p>"),
               "tag": [{"type": "Hashtag", "name": "#Kept"}]})
    };
    let (base, docs) = serve_changing_documents(|b| {
        HashMap::from([
            (
                "/users/u/outbox".to_owned(),
                json!({"@context": "https://www.w3.org/ns/activitystreams",
                       "id": format!("{b}/users/u/outbox"), "type": "OrderedCollection",
                       "totalItems": 2, "orderedItems": [format!("{b}/notes/1"), format!("{b}/notes/2")]}),
            ),
            ("/notes/1".to_owned(), note(b, 1, "first words")),
            ("/notes/2".to_owned(), note(b, 2, "regretted words")),
        ])
    });
    let archive = Archive::new();
    let url = format!("{base}/users/u/outbox");
    let collect = || collect_url(&archive, "kept", &url, &[]);
    assert_eq!(collect().code, 0);
    assert_eq!(archive.story_json("kept")["post_count"], 2);

    {
        let mut d = docs.lock().unwrap();
        let mut edited = note(&base, 1, "better words");
        edited["updated"] = json!("2026-08-21T09:00:00Z");
        d.insert("/notes/1".to_owned(), edited);
        d.remove("/notes/2");
    }
    let run = collect();
    assert!(run.code == 0 || run.code == 3, "{}", run.stderr);
    let story = archive.story_json("kept");
    assert_eq!(story["post_count"], 1, "the deleted post is gone");
    assert_eq!(story["threads"][0]["text"], "better words #Kept");
    assert_eq!(
        archive.count(&format!(
            "SELECT count(*) FROM tombstones WHERE uri = '{base}/notes/2'"
        )),
        1
    );
}

/// At most two requests are in flight to one host, however many conversations are fetched.
#[test]
fn at_most_two_requests_at_a_time_per_host() {
    let fed = Fediverse::start();
    // Slow answers make overlapping requests visible.
    fed.care
        .fault("/context", Fault::Slow(Duration::from_millis(150)));
    let archive = Archive::new();
    let run = fed.collect(&archive, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        archive.count("SELECT count(*) FROM story_posts"),
        LIVE_STORY
    );
    let most = fed
        .care
        .state
        .max_in_flight
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(most, 2, "requests in flight to one host at once");
}

/// On a terminal, progress is a bar (posts, pages, current host); in a pipe, plain lines; with
/// `--quiet`, nothing. The terminal is a real pseudo-terminal from `script` (util-linux).
#[test]
fn progress_is_a_bar_on_a_terminal_and_lines_in_a_pipe() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        crate::support::skipped("`script` (util-linux) not present to give a terminal");
        return;
    }
    let fed = Fediverse::start();
    let archive = Archive::new();
    let db = archive.db.to_string_lossy().into_owned();
    let bin = assert_cmd::cargo::cargo_bin("tagstory");
    let command = format!(
        "{} collect --tag {TAG} --db {db} {} --allow-private-addresses --no-context",
        bin.display(),
        fed.tag_url()
    );
    let out = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .output()
        .unwrap();
    let terminal = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{terminal}");
    assert!(
        terminal.contains("127.0.0.1: ") && terminal.contains(" pages"),
        "a bar: {terminal}"
    );
    assert!(
        !terminal.contains("fetched http"),
        "no log lines under the bar: {terminal}"
    );

    let piped = fed.collect(&Archive::new(), &["--no-context"]);
    assert!(piped.stderr.contains("fetched http"), "{}", piped.stderr);
    let quiet = fed.collect(&Archive::new(), &["--no-context", "--quiet"]);
    assert!(!quiet.stderr.contains("fetched http"), "{}", quiet.stderr);
}

/// `--token` (or `TAGSTORY_TOKEN`) goes to the server the user named, and never to the other
/// servers a conversation leads to.
#[test]
fn a_token_goes_only_to_the_server_it_is_for() {
    for (flag, env) in [(true, false), (false, true)] {
        let fed = Fediverse::start();
        let archive = Archive::new();
        let db = archive.db.to_string_lossy().into_owned();
        let url = fed.tag_url();
        let mut args = vec![
            "collect",
            "--tag",
            TAG,
            "--db",
            &db,
            &url,
            "--allow-private-addresses",
        ];
        if flag {
            args.extend(["--token", "s3cret"]);
        }
        let mut command = assert_cmd::Command::cargo_bin("tagstory").unwrap();
        command.args(&args);
        if env {
            command.env("TAGSTORY_TOKEN", "s3cret");
        }
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let care = fed.care.state.auth_log.lock().unwrap().clone();
        assert!(!care.is_empty());
        assert!(
            care.iter()
                .all(|(_, auth)| auth.as_deref() == Some("Bearer s3cret")),
            "every request to the named server carries the token: {care:?}"
        );
        let other = fed.others.state.auth_log.lock().unwrap().clone();
        assert!(
            !other.is_empty(),
            "the conversation reached the second server"
        );
        assert!(
            other.iter().all(|(_, auth)| auth.is_none()),
            "token leaked: {other:?}"
        );
    }
}

/// A run killed mid-way (SIGKILL, no chance to clean up) keeps every page it had committed, and
/// the next run resumes and completes the story.
#[test]
fn a_killed_run_keeps_its_pages_and_the_next_one_completes() {
    let fed = Fediverse::start();
    // Page 2 answers slowly: the run is killed while it waits, after page 1 is committed.
    fed.care
        .fault(second_page(), Fault::Slow(Duration::from_secs(30)));
    let archive = Archive::new();
    let db = archive.db.to_string_lossy().into_owned();
    let url = fed.tag_url();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tagstory"))
        .args([
            "collect",
            "--tag",
            TAG,
            "--db",
            &db,
            &url,
            "--allow-private-addresses",
            "--no-context",
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !fed.care.log().iter().any(|l| l.contains(second_page())) {
        assert!(Instant::now() < deadline, "never reached page 2");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let kept = archive.count("SELECT count(*) FROM story_posts");
    assert!(kept > 0, "page 1 was committed before the kill");
    let integrity: String = rusqlite::Connection::open(&archive.db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");

    fed.care.state.faults.lock().unwrap().clear();
    let run = fed.collect(&archive, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("resuming"), "{}", run.stderr);
    assert_eq!(
        archive.count("SELECT count(*) FROM story_posts"),
        LIVE_STORY
    );
}
