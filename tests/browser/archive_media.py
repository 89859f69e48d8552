#!/usr/bin/env python3
"""Archives a picture for every http(s) attachment, avatar and emoji URL of a story, as
`tagstory media` would after fetching them, so the page checks can render an archived story
offline: the bundled sample's URLs are on `.example` hosts that no network serves.

    python3 tests/browser/archive_media.py ARCHIVE.db TAG

Each URL gets its own small PNG (a colour drawn from the URL's hash), written into the archive's
`blobs` and `media_files` tables with its SHA-256, as the store does.
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


def main():
    db, tag = sys.argv[1], sys.argv[2].lstrip("#").lower()
    conn = sqlite3.connect(db)
    urls = [r[0] for r in conn.execute(
        """SELECT m.url FROM media m JOIN story_posts s ON s.post_id = m.post_id AND s.tag = ?1
           UNION SELECT a.avatar_url FROM story_posts s JOIN posts p ON p.id = s.post_id
             JOIN authors a ON a.id = p.author_id WHERE s.tag = ?1 AND a.avatar_url IS NOT NULL
           UNION SELECT e.url FROM emojis e JOIN story_posts s ON s.post_id = e.post_id
             AND s.tag = ?1""", (tag,))]
    urls = [u for u in urls if u.startswith(("http://", "https://"))]
    now = "2026-12-01T00:00:00.000Z"
    for url in urls:
        digest = hashlib.sha256(url.encode()).digest()
        data = png(digest[:3])
        sha = hashlib.sha256(data).hexdigest()
        conn.execute("INSERT OR IGNORE INTO blobs (sha256, mime, size, data, stored_at) "
                     "VALUES (?, 'image/png', ?, ?, ?)", (sha, len(data), data, now))
        conn.execute("INSERT OR REPLACE INTO media_files (url, sha256, fetched_at, failure, "
                     "detail, failures) VALUES (?, ?, ?, NULL, NULL, 0)", (url, sha, now))
    conn.commit()
    print(f"archived a picture for {len(urls)} URLs")


if __name__ == "__main__":
    main()
