//! What the media tests serve: a loopback HTTP server giving fixed files and counting every
//! request, and real picture and video bytes made here from their specifications.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Response, StatusCode, Uri};

/// The files a server gives: path → (content type, bytes).
pub type Files = HashMap<String, (&'static str, Vec<u8>)>;

/// A loopback server giving fixed files and counting every request.
pub struct FileServer {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FileServer {
    pub fn start(files: Files) -> FileServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let log = requests.clone();
        let files = Arc::new(files);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = axum::Router::new().fallback(move |uri: Uri| {
                    log.lock().unwrap().push(uri.path().to_owned());
                    let file = files.get(uri.path()).cloned();
                    async move { answer(file) }
                });
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        FileServer {
            port,
            requests,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Stops the server: nothing answers on its port any more.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn answer(file: Option<(&'static str, Vec<u8>)>) -> Response<Body> {
    match file {
        Some((content_type, bytes)) => Response::builder()
            .header("content-type", content_type)
            .body(Body::from(bytes))
            .unwrap(),
        None => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header("content-type", "text/html")
            .body(Body::from("<!DOCTYPE html><title>Not found</title>"))
            .unwrap(),
    }
}

// ---- real picture bytes ------------------------------------------------------------------------

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// A valid PNG of `width` × 1 pixels of one colour (truecolour, 8 bits, an uncompressed
/// deflate block), written from the PNG specification.
pub fn png(width: u32, rgb: [u8; 3]) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1A\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&1u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let mut row = vec![0u8]; // filter: none
    for _ in 0..width {
        row.extend_from_slice(&rgb);
    }
    let len = row.len() as u16;
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&len.to_le_bytes());
    zlib.extend_from_slice(&(!len).to_le_bytes());
    zlib.extend_from_slice(&row);
    zlib.extend_from_slice(&adler32(&row).to_be_bytes());
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A valid 1 × 1 GIF (one white pixel).
pub fn gif() -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&[1, 0, 1, 0, 0x80, 0, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0]);
    out.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B]);
    out
}

/// The start of an MPEG-4 file (an `ftyp` box), padded to `len` bytes.
pub fn mp4(len: usize) -> Vec<u8> {
    let mut out = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2".to_vec();
    out.resize(len, 0);
    out
}

/// An MP3 file: an ID3v2 tag header, then silence, `len` bytes in all.
pub fn mp3(len: usize) -> Vec<u8> {
    let mut out = b"ID3\x03\x00\x00\x00\x00\x00\x00".to_vec();
    out.resize(len, 0);
    out
}
