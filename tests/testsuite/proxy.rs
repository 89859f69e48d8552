//! The private-address guard with a proxy configured (see: issue 11): `HTTP_PROXY` made
//! tagstory hand host names to the proxy unchecked, so `collect http://localhost:PORT/…`
//! succeeded without `--allow-private-addresses`. A real loopback server plays both the proxy
//! and the target, and logs every request it gets.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Response, Uri};
use serde_json::json;

use crate::support::{Archive, Run};

/// Starts a server on a free port that answers every request with an ActivityPub Note naming
/// `http://localhost:PORT/note`; returns the port and the log of request targets (a proxied
/// request arrives with its absolute URL).
fn start_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let note = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("http://localhost:{port}/note"),
        "type": "Note",
        "attributedTo": format!("http://localhost:{port}/users/ana"),
        "content": "<p>Through a proxy #ProxyTest</p>",
        "published": "2025-01-01T00:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "tag": [{"type": "Hashtag", "name": "#ProxyTest"}]
    })
    .to_string();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let app = axum::Router::new()
                .fallback(move |uri: Uri| {
                    seen.lock().expect("log").push(uri.to_string());
                    let note = note.clone();
                    async move {
                        Response::builder()
                            .header("content-type", "application/activity+json")
                            .body(Body::from(note))
                            .expect("response")
                    }
                })
                .into_make_service();
            axum::serve(listener, app).await.expect("serve");
        });
    });
    (port, log)
}

fn collect_via_proxy(archive: &Archive, proxy: &str, url: &str, extra: &[&str]) -> Run {
    let out = assert_cmd::Command::cargo_bin("tagstory")
        .expect("binary built")
        .env_remove("TAGSTORY_DB")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("HTTP_PROXY", proxy)
        .env("http_proxy", proxy)
        .env("ALL_PROXY", proxy)
        .args([
            "collect",
            "--tag",
            "ProxyTest",
            "--no-context",
            "--refresh",
            "0",
        ])
        .arg("--db")
        .arg(&archive.db)
        .arg(url)
        .args(extra)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

/// See: issue 11. Behind `HTTP_PROXY`, a host name that means this machine is refused before
/// anything is sent, to the proxy or anywhere.
#[test]
fn a_proxy_does_not_open_localhost_without_the_flag() {
    let (port, log) = start_server();
    let archive = Archive::new();
    let proxy = format!("http://127.0.0.1:{port}");
    let url = format!("http://localhost:{port}/note");
    let run = collect_via_proxy(&archive, &proxy, &url, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("`localhost`") && run.stderr.contains("--allow-private-addresses"),
        "{}",
        run.stderr
    );
    assert!(
        log.lock().expect("log").is_empty(),
        "nothing reached the server"
    );
}

/// No proxy is used at all: with the flag, the same URL is fetched directly from the server
/// (a request for the path, not a proxied absolute URL) although `HTTP_PROXY` names a port
/// where nothing listens.
#[test]
fn the_proxy_settings_are_ignored() {
    let (port, log) = start_server();
    let archive = Archive::new();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let proxy = format!("http://{}", dead.local_addr().expect("addr"));
    drop(dead);
    let url = format!("http://localhost:{port}/note");
    let run = collect_via_proxy(&archive, &proxy, &url, &["--allow-private-addresses"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(archive.count("SELECT count(*) FROM posts"), 1);
    assert_eq!(
        log.lock().expect("log").first().map(String::as_str),
        Some("/note")
    );
}
