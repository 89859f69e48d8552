//! The floor under issue 10's collect targets: the least any SQLite archive of a JSON Lines
//! file can do, timed on this machine. A dev-only example, not part of the CLI:
//!
//! ```text
//! cargo build --release --example floor
//! target/release/examples/floor mastodon-jsonl|twitter-v1 INPUT.jsonl NEW.db
//! ```
//!
//! One thread reads and parses each line (serde_json, borrowing, only the fields a post row
//! needs); another inserts one row per post (its URI unique, its source line kept) into a new
//! archive with tagstory's page size and cache, in one transaction; then the full-text index is
//! built in one statement and the transaction committed (with `--fts-inline`, each row is
//! indexed as it is inserted instead: cheaper when the inserting thread has time to spare). No sanitising, no normalising, no
//! hashtags, no threads, no deduplication beyond the URI key: what tagstory does on top of this
//! can only cost more. `--parse-only` times the reading and parsing alone; `--no-source` leaves
//! the source line out of the row and `--no-fts` the full-text index, to show what each costs.

use std::borrow::Cow;
use std::io::BufRead;
use std::sync::mpsc;
use std::time::Instant;

use serde::Deserialize;

/// What one post row holds: the fields a story needs to thread and show it, and its source.
struct Row {
    uri: String,
    author: String,
    created_at: String,
    parent: Option<String>,
    text: String,
    raw: String,
}

#[derive(Deserialize)]
struct Account<'a> {
    #[serde(borrow)]
    acct: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(borrow)]
    uri: Cow<'a, str>,
    #[serde(borrow)]
    created_at: Cow<'a, str>,
    #[serde(borrow)]
    in_reply_to_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    content: Cow<'a, str>,
    #[serde(borrow)]
    account: Account<'a>,
}

#[derive(Deserialize)]
struct User<'a> {
    #[serde(borrow)]
    screen_name: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Tweet<'a> {
    #[serde(borrow)]
    id_str: Cow<'a, str>,
    #[serde(borrow)]
    created_at: Cow<'a, str>,
    #[serde(borrow)]
    in_reply_to_status_id_str: Option<Cow<'a, str>>,
    #[serde(borrow)]
    full_text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user: User<'a>,
}

#[derive(Clone, Copy)]
enum Format {
    Mastodon,
    TwitterV1,
}

fn parse(format: Format, line: &str) -> serde_json::Result<Row> {
    Ok(match format {
        Format::Mastodon => {
            let s: Status<'_> = serde_json::from_str(line)?;
            Row {
                uri: s.uri.into_owned(),
                author: s.account.acct.into_owned(),
                created_at: s.created_at.into_owned(),
                parent: s.in_reply_to_id.map(Cow::into_owned),
                text: s.content.into_owned(),
                raw: line.to_string(),
            }
        }
        Format::TwitterV1 => {
            let t: Tweet<'_> = serde_json::from_str(line)?;
            Row {
                uri: t.id_str.into_owned(),
                author: t.user.screen_name.into_owned(),
                created_at: t.created_at.into_owned(),
                parent: t.in_reply_to_status_id_str.map(Cow::into_owned),
                text: t.full_text.or(t.text).unwrap_or_default().into_owned(),
                raw: line.to_string(),
            }
        }
    })
}

const SCHEMA: &str = "
CREATE TABLE posts (
    id INTEGER PRIMARY KEY, uri TEXT NOT NULL UNIQUE, author TEXT NOT NULL,
    created_at TEXT NOT NULL, parent TEXT, text TEXT NOT NULL, raw TEXT NOT NULL
);
CREATE VIRTUAL TABLE posts_fts USING fts5(
    text, content=\"posts\", content_rowid=\"id\", tokenize=\"unicode61 remove_diacritics 2\"
);";

type Batch = Vec<Row>;

/// Reads and parses `input` on this thread, sending rows in batches when `send` is given.
fn read(format: Format, input: &str, send: Option<mpsc::SyncSender<Batch>>) -> Result<u64, String> {
    let file = std::fs::File::open(input).map_err(|e| format!("{input}: {e}"))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    let (mut count, mut number) = (0u64, 0u64);
    let mut batch = Vec::with_capacity(256);
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("{input}: {e}"))?;
        if n == 0 {
            break;
        }
        number += 1;
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        let text = std::str::from_utf8(text).map_err(|e| format!("{input}:{number}: {e}"))?;
        let row = parse(format, text).map_err(|e| format!("{input}:{number}: {e}"))?;
        count += 1;
        if let Some(send) = &send {
            batch.push(row);
            if batch.len() == 256 {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(256));
                send.send(full)
                    .map_err(|_| "the writer stopped".to_string())?;
            }
        }
    }
    if let Some(send) = send
        && !batch.is_empty()
    {
        send.send(batch)
            .map_err(|_| "the writer stopped".to_string())?;
    }
    Ok(count)
}

/// What the archive leaves out (`--no-source`, `--no-fts`), and how it is indexed.
#[derive(Clone, Copy)]
struct Options {
    no_source: bool,
    no_fts: bool,
    fts_inline: bool,
}

fn write(
    db: &str,
    rows: mpsc::Receiver<Batch>,
    options: Options,
) -> rusqlite::Result<(u64, f64, f64, f64)> {
    let conn = rusqlite::Connection::open(db)?;
    conn.pragma_update(None, "page_size", 16 * 1024)?;
    conn.pragma_update(None, "cache_size", -16 * 1024)?;
    conn.execute_batch(SCHEMA)?;
    let started = Instant::now();
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let mut count = 0u64;
    {
        let mut insert = conn.prepare(
            "INSERT INTO posts (uri, author, created_at, parent, text, raw) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (uri) DO NOTHING",
        )?;
        let mut index = conn.prepare("INSERT INTO posts_fts (rowid, text) VALUES (?1, ?2)")?;
        for batch in rows {
            for row in batch {
                let raw = if options.no_source { "" } else { &row.raw };
                let new = insert.execute((
                    &row.uri,
                    &row.author,
                    &row.created_at,
                    &row.parent,
                    &row.text,
                    raw,
                ))?;
                count += 1;
                if new == 1 && options.fts_inline && !options.no_fts {
                    index.execute((conn.last_insert_rowid(), &row.text))?;
                }
            }
        }
    }
    let inserted = started.elapsed().as_secs_f64();
    if !options.no_fts && !options.fts_inline {
        conn.execute_batch("INSERT INTO posts_fts (posts_fts) VALUES ('rebuild')")?;
    }
    let indexed = started.elapsed().as_secs_f64();
    conn.execute_batch("COMMIT")?;
    let committed = started.elapsed().as_secs_f64();
    Ok((count, inserted, indexed - inserted, committed - indexed))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    const FLAGS: [&str; 5] = [
        "--parse-only",
        "--no-source",
        "--no-fts",
        "--fts-inline",
        "--fts-rebuild",
    ];
    if let Some(unknown) = args
        .iter()
        .find(|a| a.starts_with("--") && !FLAGS.contains(&a.as_str()))
    {
        eprintln!("floor: unknown option `{unknown}`");
        std::process::exit(2);
    }
    let flag = |name: &str| args.iter().any(|a| a == name);
    let parse_only = flag("--parse-only");
    let options = Options {
        no_source: flag("--no-source"),
        no_fts: flag("--no-fts"),
        fts_inline: flag("--fts-inline"),
    };
    let args: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let (format, input) = match args.as_slice() {
        [f, i, ..] if f.as_str() == "mastodon-jsonl" => (Format::Mastodon, i.as_str()),
        [f, i, ..] if f.as_str() == "twitter-v1" => (Format::TwitterV1, i.as_str()),
        _ => {
            eprintln!(
                "usage: floor mastodon-jsonl|twitter-v1 INPUT.jsonl NEW.db \\
                 [--parse-only] [--no-source] [--no-fts] [--fts-inline|--fts-rebuild]"
            );
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    if parse_only {
        match read(format, input, None) {
            Ok(n) => println!(
                "parsed {n} posts in {:.2} s",
                started.elapsed().as_secs_f64()
            ),
            Err(e) => {
                eprintln!("floor: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let Some(db) = args.get(2) else {
        eprintln!("floor: no archive named");
        std::process::exit(2);
    };
    let (send, rows) = mpsc::sync_channel(16);
    let db = db.to_string();
    let writer = std::thread::spawn(move || write(&db, rows, options));
    let read = read(format, input, Some(send));
    let written = writer.join().expect("the writing thread panicked");
    match (read, written) {
        (Ok(_), Ok((n, inserted, fts, commit))) => {
            let total = started.elapsed().as_secs_f64();
            println!(
                "{n} posts in {total:.2} s ({:.0} posts/s): read, parse and insert {inserted:.2} s, \
                 full-text index {fts:.2} s, commit {commit:.2} s",
                n as f64 / total
            );
        }
        (Err(e), _) => {
            eprintln!("floor: {e}");
            std::process::exit(1);
        }
        (_, Err(e)) => {
            eprintln!("floor: {e}");
            std::process::exit(1);
        }
    }
}
