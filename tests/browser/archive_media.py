#!/usr/bin/env python3
"""Archives a file for every http(s) attachment, poster, avatar and emoji URL of a story, as
`tagstory media` would after fetching them, so the page checks can render an archived story
offline: the bundled sample's URLs are on `.example` hosts that no network serves.

    python3 tests/browser/archive_media.py ARCHIVE.db TAG

Each picture URL (avatars, emoji, image attachments, posters and covers) gets its own small PNG
(a colour drawn from the URL's hash), a video or sound the first bytes of an MP4 or MP3 file,
written into the archive's `blobs` and `media_files` tables with its SHA-256, as the store does.
"""

import hashlib
import sqlite3
import struct
import sys
import zlib


def png(rgb, size=48):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * size
    raw = zlib.compress(row * size)
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def stand_in(kind, digest):
    """Bytes of the right family for an attachment of `kind`: a picture drawn from the URL's
    hash, or the start of an MP4 or MP3 file (the page checks look at pictures only)."""
    if kind in ("video", "gifv"):
        return "video/mp4", b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2" + digest
    if kind == "audio":
        return "audio/mpeg", b"ID3\x03\0\0\0\0\0\0" + digest
    return "image/png", png(digest[:3])


def main():
    db, tag = sys.argv[1], sys.argv[2].lstrip("#").lower()
    conn = sqlite3.connect(db)
    rows = conn.execute(
        """SELECT m.url, m.kind FROM media m
             JOIN story_posts s ON s.post_id = m.post_id AND s.tag = ?1
           UNION SELECT m.preview_url, 'image' FROM media m
             JOIN story_posts s ON s.post_id = m.post_id AND s.tag = ?1
             WHERE m.preview_url IS NOT NULL
           UNION SELECT a.avatar_url, 'image' FROM story_posts s JOIN posts p ON p.id = s.post_id
             JOIN authors a ON a.id = p.author_id WHERE s.tag = ?1 AND a.avatar_url IS NOT NULL
           UNION SELECT e.url, 'image' FROM emojis e JOIN story_posts s ON s.post_id = e.post_id
             AND s.tag = ?1""", (tag,)).fetchall()
    rows = [(u, kind) for u, kind in rows if u.startswith(("http://", "https://"))]
    urls = [u for u, _ in rows]
    now = "2026-12-01T00:00:00.000Z"
    for url, kind in rows:
        digest = hashlib.sha256(url.encode()).digest()
        mime, data = stand_in(kind, digest)
        sha = hashlib.sha256(data).hexdigest()
        conn.execute("INSERT OR IGNORE INTO blobs (sha256, mime, size, data, stored_at) "
                     "VALUES (?, ?, ?, ?, ?)", (sha, mime, len(data), data, now))
        conn.execute("INSERT OR REPLACE INTO media_files (url, sha256, fetched_at, failure, "
                     "detail, failures) VALUES (?, ?, ?, NULL, NULL, 0)", (url, sha, now))
    conn.commit()
    print(f"archived a picture for {len(urls)} URLs")


if __name__ == "__main__":
    main()
