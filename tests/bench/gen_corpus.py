#!/usr/bin/env python3
"""Benchmark corpus generator for tagstory (a dev-only tool, not part of the CLI).

Generates N posts of one hashtag conversation (#BenchTag) and writes them in every input
format tagstory reads from files, plus the forms two peer tools accept:

    python3 tests/bench/gen_corpus.py --posts 10000 --seed 1 --out target/bench/corpus-10000
    python3 tests/bench/gen_corpus.py --posts 1000 --seed 1 --check   # same seed, same bytes?

The same posts (same ids, texts, threads, media) appear in every format, so figures compare
formats and tools on the same conversation. What the corpus looks like:

- Threads: many short ones (a lone post, or a few replies), a few very deep chains (hundreds
  of replies, each answering the one before) and a few very wide ones (hundreds of direct
  replies to one root); threads interleave in time, as a busy hashtag does.
- About half of the posts carry #BenchTag; most others are replies in threads that hold a
  tagged post (tagstory keeps them as context); about a sixth are unrelated threads, which
  tagstory skips as untagged. `corpus.json` holds the exact counts, and `story` is what a
  collect must keep (every post of a thread with at least one tagged post).
- Text: realistic lengths (up to 280 characters, so the same text fits a tweet), @-mentions
  (a reply begins with its parent's author), other hashtags, links, `&`/`<` to escape,
  accents, CJK, Arabic and Hebrew (RTL), emoji with skin tones and ZWJ sequences; about one
  post in seven has 1-4 images, most with alt text; a few have a content warning.
- Everything is public (some unlisted), so every format yields the same story.

Output, under --out (choose with --formats; default all):

  mastodon-json      mastodon-api/statuses.json       Mastodon API statuses, one JSON array
                                                        (newest first, like a tag timeline)
  mastodon-jsonl     mastodon-api/statuses.jsonl      the same statuses, one per line
  mastodon-export    mastodon-export/outbox.json      one account's export: OrderedCollection
                     mastodon-export/actor.json         of Create{Note}, oldest first (every
                                                        post is that account's)
  twarc2             twarc2/tweets.jsonl              twarc 2: API v2 pages of 100 tweets
                                                        (`data`, `includes.users/tweets/media`)
  twitter-v1         twitter-v1/tweets.jsonl          Twitter v1.1 tweets (twarc 1, extended)
  twitter-archive    twitter-archive/data/tweets.js   an account archive (`window.YTD…`),
                     …/data/manifest.js, account.js     every tweet the account's
  twitter-to-sqlite  peers/twitter-to-sqlite/tweet.js the archive under the only name
                                                        twitter-to-sqlite 0.22 knows
  mastodon-archive   peers/mastodon-archive/bench.example.user.owner.json
                                                      mastodon-archive's file (`statuses`
                                                        are the Mastodon API statuses)

Deterministic: the same arguments give the same bytes (no clock, no hash order; each post's
content comes from its own seeded generator, so file order does not matter). Output is
streamed: memory holds a few small arrays per post, never the documents, so 1M posts fit in
well under 200 MB. Python 3.11 standard library only.
"""
import argparse
import array
import hashlib
import html
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from urllib.parse import quote
from datetime import datetime, timezone

TAG = "BenchTag"
LOCAL = "bench.example"
REMOTE_HOSTS = ["social.example", "mastodon.example.org", "fedi.example.net", "toot.example"]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
BASE_MS = 1772323200000  # 2026-03-01T00:00:00Z
TWITTER_EPOCH_MS = 1288834974657
TWARC2_PAGE = 100
MAX_TEXT = 270

FORMATS = {
    "mastodon-json": "mastodon-api/statuses.json",
    "mastodon-jsonl": "mastodon-api/statuses.jsonl",
    "mastodon-export": "mastodon-export/outbox.json",
    "twarc2": "twarc2/tweets.jsonl",
    "twitter-v1": "twitter-v1/tweets.jsonl",
    "twitter-archive": "twitter-archive/data/tweets.js",
    "twitter-to-sqlite": "peers/twitter-to-sqlite/tweet.js",
    "mastodon-archive": f"peers/mastodon-archive/{LOCAL}.user.owner.json",
}

WORDS = {
    "en": ("the we they talk listen about care patient doctor nurse appointment waiting list "
           "honestly today again first time really help please thank you this that what when "
           "because never always sometimes felt heard ignored kind brave story share thread "
           "question answer therapy medication side effects support friends family work sleep "
           "tired hope better worse week month year morning night read learned").split(),
    "fr": "déjà été très où garçon français naïve œuvre café élève reçu hôpital médecin écouté".split(),
    "de": "über Größe Mädchen schön Straße fünf Äpfel müssen Ärztin Geduld Gespräch heute".split(),
    "es": "niño mañana corazón acción también ¿qué ¡hola médica cita sueño gracias escuché".split(),
    "ja": "今日 は とても 大切な 会話 です 医者 に 話した ありがとう 東京 待合室 気持ち".split(),
    "zh": "我们 今天 讨论 这个 话题 非常 重要 医生 病人 谢谢 分享 经历".split(),
    "ar": "مرحبا شكرا اليوم الحديث مهم جدا الطبيب المريض القصة نسمع".split(),
    "he": "שלום תודה היום שיחה חשוב מאוד רופאה מטופל סיפור הקשבה".split(),
}
LANGS = ["en"] * 11 + ["fr", "de", "es", "es", "ja", "zh", "ar", "he"]
NO_SPACES = {"ja", "zh"}
EMOJI = ["🙂", "🎉", "👍🏽", "❤️", "🧵", "👩🏾‍⚕️", "🏳️‍🌈", "😂", "✨", "🇩🇪", "🤷‍♀️", "💬"]
ESCAPES = ["Q&A", "<3", "a > b", "R&D", "x < y"]
OTHER_TAGS = ["mentalhealth", "NHS", "Großbritannien", "日本語", "café", "thread", "caterday",
              "fediverse", "WaitingList", "أخبار"]
FIRST = ["Ana", "José", "Zoë", "Björn", "Chloé", "Kim", "Sam", "Noor", "李雷", "محمد", "Dana",
         "Łukasz", "Ngozi", "Ravi", "Ōta", "Maëlle"]
LAST = ["Silva", "Müller", "O'Brien", "Nguyễn", "Kowalska", "Haddad", "Tanaka", "Smith", "Ørsted"]
ALT = ["A waiting room with empty chairs", "Screenshot of a letter from the clinic",
       "Handwritten note: “you are not alone”", "A cat asleep on a keyboard",
       "Chart of waiting times by month, rising", "Photo of a sunrise over rooftops"]


# ---------------------------------------------------------------------------------------------
# Structure: who replies to whom, who wrote what, which posts carry the tag.


class Corpus:
    """The thread structure of N posts, in time order (a post's parent comes before it).

    Per post only small arrays are kept: parent index (-1 for a root), thread, author,
    tagged flag, thread root, reply count. Texts are made on demand by `content(i)`."""

    def __init__(self, posts, seed, all_in_story=False):
        self.n, self.seed, self.all_in_story = posts, seed, all_in_story
        self.users = max(40, posts // 25)
        self.span_ms = max(7 * 86400 * 1000, posts)
        rng = random.Random(seed)
        self.parent = array.array("q", [-1]) * posts
        self.root = array.array("q", [0]) * posts
        self.author = array.array("q", [0]) * posts
        self.replies = array.array("l", [0]) * posts
        self.tagged = bytearray(posts)
        self.in_story = bytearray(posts)
        self._user_cache = {}
        self.stats = {"threads": 0, "deep_threads": 0, "wide_threads": 0, "max_depth": 0,
                      "max_direct_replies": 0, "largest_thread": 0}
        self._build(rng)

    def _plan(self, rng):
        """Thread kinds and sizes adding up to N, in the order they start."""
        n, plan = self.n, []
        big = max(1, n // 25000)
        cap = max(2, n // 10)
        for _ in range(big):
            plan.append(("deep", min(cap, rng.randint(200, 800))))
            plan.append(("wide", min(cap, rng.randint(300, 2000))))
        left = n - sum(size for _, size in plan)
        while left < 0:  # tiny corpora: shrink the big threads
            kind, size = plan.pop()
            left += size
        short = []
        while left > 0:
            r = rng.random()
            if r < 0.45:
                size = 1
            elif r < 0.95:
                size = 2 + min(int(rng.expovariate(0.35)), 40)
            else:
                size = rng.randint(20, 120)
            size = min(size, left)
            short.append(("short", size))
            left -= size
        # Big threads start early, spread among the short ones.
        for item in plan:
            short.insert(rng.randrange(0, max(1, len(short) // 3)), item)
        return short

    def _build(self, rng):
        plan = self._plan(rng)
        self.stats["threads"] = len(plan)
        self.stats["deep_threads"] = sum(1 for k, _ in plan if k == "deep")
        self.stats["wide_threads"] = sum(1 for k, _ in plan if k == "wide")
        active, next_thread, i = [], 0, 0
        while i < self.n:
            while len(active) < 48 and next_thread < len(plan):
                kind, size = plan[next_thread]
                related = kind != "short" or rng.random() >= 0.2 or self.all_in_story
                active.append({"kind": kind, "size": size, "posts": [], "related": related,
                               "id": next_thread})
                next_thread += 1
            t = active[rng.randrange(len(active))]
            self._emit(rng, t, i)
            i += 1
            if len(t["posts"]) == t["size"]:
                self._close(t)
                active.remove(t)
        for t in active:
            self._close(t)

    def _emit(self, rng, t, i):
        posts = t["posts"]
        if not posts:
            parent, depth = -1, 0
        elif t["kind"] == "deep":
            k = len(posts) - 1 if rng.random() < 0.9 else rng.randrange(max(0, len(posts) - 10), len(posts))
            parent, depth = posts[k]
        elif t["kind"] == "wide":
            parent, depth = posts[0] if rng.random() < 0.85 else posts[rng.randrange(len(posts))]
        else:
            k = len(posts) - 1 if rng.random() < 0.6 else rng.randrange(len(posts))
            parent, depth = posts[k]
        if parent >= 0:
            depth += 1
            self.parent[i] = parent
            self.root[i] = self.root[parent]
            self.replies[parent] += 1
        else:
            self.root[i] = i
        self.stats["max_depth"] = max(self.stats["max_depth"], depth)
        self.author[i] = min(self.users - 1, int(self.users * rng.random() ** 2.2))
        if t["related"]:
            if parent < 0:
                self.tagged[i] = rng.random() < 0.85
            else:
                # A thread whose root is untagged gets its tag in the first reply.
                self.tagged[i] = rng.random() < 0.55 or (len(posts) == 1 and not self.tagged[posts[0][0]])
        posts.append((i, depth))

    def _close(self, t):
        idx = [i for i, _ in t["posts"]]
        if t["related"] and len(idx) == 1:
            self.tagged[idx[0]] = 1
        keep = any(self.tagged[i] for i in idx)
        for i in idx:
            self.in_story[i] = keep
        self.stats["largest_thread"] = max(self.stats["largest_thread"], len(idx))
        if idx:
            self.stats["max_direct_replies"] = max(self.stats["max_direct_replies"], self.replies[idx[0]])

    def counts(self):
        tagged = sum(self.tagged)
        story = sum(self.in_story)
        return {"posts": self.n, "tagged": tagged, "context": story - tagged,
                "unrelated": self.n - story, "story": story}

    # --- identities ------------------------------------------------------------------------

    def ms(self, i):
        return BASE_MS + (i * self.span_ms) // self.n

    def mastodon_id(self, i):
        return str((self.ms(i) << 16) | (i & 0xFFFF))

    def tweet_id(self, i):
        return ((self.ms(i) - TWITTER_EPOCH_MS) << 22) | (i & 0x3FFFFF)

    def user(self, u):
        """Name, host, display name and Twitter id of user `u` (u = -1: the account owner)."""
        cached = self._user_cache.get(u)
        if cached is None:
            cached = self._user_cache[u] = self._make_user(u)
        return cached

    def _make_user(self, u):
        if u < 0:
            return {"username": "owner", "host": LOCAL, "display": "Bench Owner 🧵",
                    "tid": 1000001, "mid": "1"}
        r = random.Random(self.seed * 7919 + u)
        first, last = r.choice(FIRST), r.choice(LAST)
        base = "".join(c for c in (first + last).lower() if c.isascii() and c.isalnum()) or "user"
        host = LOCAL if u % 5 else REMOTE_HOSTS[u % len(REMOTE_HOSTS)]
        return {"username": f"{base[:9]}{u}", "host": host, "display": f"{first} {last}",
                "tid": 2000000 + u * 7919, "mid": str(100000 + u)}

    # --- content ---------------------------------------------------------------------------

    def content(self, i):
        """The post's language, segments, media and content warning, from its own generator.

        Segments are ("text", str), ("mention", user), ("tag", name) and ("link", url); `lead`
        counts the segments of a reply's leading @mentions (Twitter hides them)."""
        r = random.Random(self.seed * 1000003 + i)
        lang = r.choice(LANGS)
        prefix = []
        p = self.parent[i]
        if p >= 0:
            prefix += [("mention", self.author[p]), ("text", " ")]
            if r.random() < 0.15:
                prefix += [("mention", r.randrange(self.users)), ("text", " ")]
        target = int(min(MAX_TEXT - 70, 15 + r.lognormvariate(4.1, 0.7)))
        words, size = [], 0
        while size < target:
            roll = r.random()
            if roll < 0.04:
                w = r.choice(EMOJI)
            elif roll < 0.055:
                w = r.choice(ESCAPES)
            elif roll < 0.3 and lang not in NO_SPACES and lang != "en":
                w = r.choice(WORDS["en"])
            else:
                w = r.choice(WORDS[lang])
            words.append(w)
            size += len(w) + 1
        sep = "" if lang in NO_SPACES else " "
        if r.random() < 0.1 and len(words) > 2:  # a mention in the middle of the text
            cut = r.randrange(1, len(words) - 1)
            body = [("text", sep.join(words[:cut]) + " "), ("mention", r.randrange(self.users)),
                    ("text", " " + sep.join(words[cut:]))]
        else:
            body = [("text", sep.join(words))]
        if r.random() < 0.1:
            body += [("text", " "), ("link", f"https://news.example.org/{lang}/{i % 997}/story-{i}")]
        tags = []
        if self.tagged[i]:
            tags.append(r.choice([TAG, TAG, TAG, "benchtag", "BENCHTAG"]))
        if r.random() < 0.3 or (not tags and self._needs_server_clue(i)):
            tags.append(r.choice(OTHER_TAGS))
        if tags and r.random() < 0.3:
            body = [("tag", tags.pop(0)), ("text", " ")] + body
        for t in tags:
            body += [("text", " "), ("tag", t)]
        if r.random() < 0.12:
            body.append(("text", " " + r.choice(EMOJI)))
        media = []
        if r.random() < 0.14:
            for k in range(r.choice([1, 1, 1, 2, 2, 3, 4])):
                alt = r.choice(ALT) if r.random() < 0.7 else None
                media.append({"n": k, "w": r.choice([640, 1024, 1200, 1600]),
                              "h": r.choice([480, 768, 900, 1200]), "alt": alt})
        cw = "mental health, medication" if r.random() < 0.04 else None
        unlisted = r.random() < 0.08
        return {"lang": lang, "segs": prefix + body, "lead": len(prefix), "media": media, "cw": cw,
                "unlisted": unlisted, "favs": int(r.expovariate(0.3)), "boosts": int(r.expovariate(0.6))}

    def _needs_server_clue(self, i):
        """A status by a remote account names its issuing server (for its local ids) only
        through a hashtag page or a local mention: give such posts a hashtag."""
        return self.user(self.author[i])["host"] != LOCAL


# ---------------------------------------------------------------------------------------------
# Rendering: Mastodon HTML and Twitter text with entities.


def profile(u):
    return f"https://{u['host']}/@{u['username']}"


def actor_uri(u):
    return f"https://{u['host']}/users/{u['username']}"


def mastodon_html(c, segs):
    out = []
    for kind, value in segs:
        if kind == "text":
            out.append(html.escape(value))
        elif kind == "mention":
            u = c.user(value)
            out.append(f'<span class="h-card" translate="no"><a href="{profile(u)}" class="u-url mention">'
                       f'@<span>{u["username"]}</span></a></span>')
        elif kind == "tag":
            out.append(f'<a href="https://{LOCAL}/tags/{quote(value.lower())}" class="mention hashtag" '
                       f'rel="tag">#<span>{html.escape(value)}</span></a>')
        elif kind == "link":
            rest = value.split("://", 1)[1]
            out.append(f'<a href="{value}" target="_blank" rel="nofollow noopener" translate="no">'
                       f'<span class="invisible">https://</span><span class="ellipsis">{rest[:23]}</span>'
                       f'<span class="invisible">{rest[23:]}</span></a>')
    return "<p>" + "".join(out).strip() + "</p>"


def twitter_text(c, x, screen_name_of):
    """Escaped text, v1.1-style entities (code-point indices over the escaped text) and where
    the displayed text starts (after a reply's leading @mentions)."""
    text, ents, hidden = "", {"hashtags": [], "user_mentions": [], "urls": []}, 0
    for pos, (kind, value) in enumerate(x["segs"]):
        if pos == x["lead"]:
            hidden = len(text)
        start = len(text)
        if kind == "text":
            text += html.escape(value, quote=False)
        elif kind == "mention":
            u = c.user(value)
            name = screen_name_of(u)
            text += "@" + name
            ents["user_mentions"].append({"screen_name": name, "name": u["display"], "id": u["tid"],
                                          "id_str": str(u["tid"]), "indices": [start, len(text)]})
        elif kind == "tag":
            text += "#" + value
            ents["hashtags"].append({"text": value, "indices": [start, len(text)]})
        elif kind == "link":
            tco = "https://t.co/" + hashlib.sha1(value.encode()).hexdigest()[:10]
            text += tco
            rest = value.split("://", 1)[1]
            ents["urls"].append({"url": tco, "expanded_url": value,
                                 "display_url": rest[:26] + ("…" if len(rest) > 26 else ""),
                                 "indices": [start, len(text)]})
    return text.rstrip(), ents, hidden


def screen_name(u):
    return u["username"][:15]


def iso_ms(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def twitter_time(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%a %b %d %H:%M:%S +0000 %Y")


# ---------------------------------------------------------------------------------------------
# Mastodon REST API statuses, export and mastodon-archive.


def mastodon_account(c, u_index):
    u = c.user(u_index)
    acct = u["username"] if u["host"] == LOCAL else f"{u['username']}@{u['host']}"
    return {
        "id": u["mid"], "username": u["username"], "acct": acct, "display_name": u["display"],
        "locked": False, "bot": False, "discoverable": True, "group": False,
        "created_at": "2022-11-05T00:00:00.000Z",
        "note": f"<p>Here for the conversation. {html.escape(u['display'])}</p>",
        "url": profile(u), "uri": actor_uri(u),
        "avatar": f"https://files.{LOCAL}/accounts/avatars/{u['mid']}/original/a.png",
        "avatar_static": f"https://files.{LOCAL}/accounts/avatars/{u['mid']}/original/a.png",
        "header": f"https://{LOCAL}/headers/original/missing.png",
        "header_static": f"https://{LOCAL}/headers/original/missing.png",
        "followers_count": 10 + u_index % 900, "following_count": 20 + u_index % 300,
        "statuses_count": 100 + u_index % 5000, "last_status_at": "2026-03-07",
        "hide_collections": False, "emojis": [], "fields": [],
    }


def status_uri(c, i, owner=False):
    u = c.user(-1 if owner else c.author[i])
    return f"https://{u['host']}/users/{u['username']}/statuses/{c.mastodon_id(i)}"


def mastodon_media(c, i, m):
    mid = f"{c.mastodon_id(i)}{m['n']}"
    base = f"https://files.{LOCAL}/media_attachments/files/{mid}"
    return {"id": mid, "type": "image", "url": f"{base}/original/photo.jpg",
            "preview_url": f"{base}/small/photo.jpg", "remote_url": None, "preview_remote_url": None,
            "text_url": None, "meta": {"original": {"width": m["w"], "height": m["h"],
                                                    "size": f"{m['w']}x{m['h']}", "aspect": m["w"] / m["h"]},
                                       "focus": {"x": 0.0, "y": 0.0}},
            "description": m["alt"], "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH"}


def mastodon_status(c, i):
    """Status `i` as bench.example's REST API serves it."""
    x = c.content(i)
    u = c.user(c.author[i])
    p = c.parent[i]
    sid = c.mastodon_id(i)
    mentions = []
    for kind, value in x["segs"]:
        if kind == "mention":
            m = c.user(value)
            acct = m["username"] if m["host"] == LOCAL else f"{m['username']}@{m['host']}"
            mentions.append({"id": m["mid"], "username": m["username"], "url": profile(m), "acct": acct})
    return {
        "id": sid, "created_at": iso_ms(c.ms(i)),
        "in_reply_to_id": c.mastodon_id(p) if p >= 0 else None,
        "in_reply_to_account_id": c.user(c.author[p])["mid"] if p >= 0 else None,
        "sensitive": x["cw"] is not None or (bool(x["media"]) and i % 13 == 0),
        "spoiler_text": x["cw"] or "", "visibility": "unlisted" if x["unlisted"] else "public",
        "language": x["lang"], "uri": status_uri(c, i), "url": f"{profile(u)}/{sid}",
        "replies_count": c.replies[i], "reblogs_count": x["boosts"], "favourites_count": x["favs"],
        "quotes_count": 0, "edited_at": None, "content": mastodon_html(c, x["segs"]),
        "reblog": None, "application": None, "account": mastodon_account(c, c.author[i]),
        "media_attachments": [mastodon_media(c, i, m) for m in x["media"]],
        "mentions": mentions,
        "tags": [{"name": v.lower(), "url": f"https://{LOCAL}/tags/{quote(v.lower())}"}
                 for k, v in x["segs"] if k == "tag"],
        "emojis": [], "quote": None, "card": None, "poll": None,
    }


def rails_json(obj):
    """JSON as Rails writes it: UTF-8, compact, `<`, `>` and `&` escaped as \\u003c…"""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def newest_first(c):
    return range(c.n - 1, -1, -1)


def write_mastodon_json(c, f):
    f.write("[")
    for k, i in enumerate(newest_first(c)):
        f.write(("," if k else "") + rails_json(mastodon_status(c, i)))
    f.write("]")


def write_mastodon_jsonl(c, f):
    for i in newest_first(c):
        f.write(rails_json(mastodon_status(c, i)) + "\n")


def write_mastodon_archive(c, f):
    owner = mastodon_account(c, -1)
    f.write('{\n  "account": ' + json.dumps(owner) + ',\n  "statuses": [\n')
    for k, i in enumerate(newest_first(c)):
        f.write((",\n" if k else "") + json.dumps(mastodon_status(c, i), indent=2))
    f.write('\n  ],\n  "favourites": [],\n  "bookmarks": [],\n  "mentions": []\n}\n')


def ap_note(c, i):
    """Status `i` as the owner's Create{Note} in a Mastodon account export."""
    x = c.content(i)
    owner = c.user(-1)
    me = actor_uri(owner)
    uri = status_uri(c, i, owner=True)
    p = c.parent[i]
    parent = status_uri(c, p, owner=True) if p >= 0 else None
    tags = []
    for kind, value in x["segs"]:
        if kind == "mention":
            m = c.user(value)
            tags.append({"type": "Mention", "href": actor_uri(m), "name": f"@{m['username']}@{m['host']}"})
        elif kind == "tag":
            tags.append({"type": "Hashtag", "href": f"https://{LOCAL}/tags/{quote(value.lower())}", "name": "#" + value})
    to, cc = [PUBLIC], [me + "/followers"]
    if x["unlisted"]:
        to, cc = cc, to
    published = iso_ms(c.ms(i))[:19] + "Z"
    content = mastodon_html(c, x["segs"])
    note = {
        "id": uri, "type": "Note", "summary": x["cw"], "inReplyTo": parent, "published": published,
        "url": f"https://{LOCAL}/@owner/{c.mastodon_id(i)}", "attributedTo": me, "to": to, "cc": cc,
        "sensitive": x["cw"] is not None, "atomUri": uri, "inReplyToAtomUri": parent,
        "conversation": f"tag:{LOCAL},2026-03-01:objectId={c.root[i]}:objectType=Conversation",
        "content": content, "contentMap": {x["lang"]: content},
        "attachment": [{"type": "Document", "mediaType": "image/jpeg",
                        "url": f"/media_attachments/files/{c.mastodon_id(i)}{m['n']}/original/photo.jpg",
                        "name": m["alt"], "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH",
                        "width": m["w"], "height": m["h"]} for m in x["media"]],
        "tag": tags,
        "replies": {"id": uri + "/replies", "type": "Collection",
                    "first": {"type": "CollectionPage", "next": uri + "/replies?only_other_accounts=true&page=true",
                              "partOf": uri + "/replies", "items": []}},
    }
    return {"id": uri + "/activity", "type": "Create", "actor": me, "published": published,
            "to": to, "cc": cc, "object": note}


AS_CONTEXT = ["https://www.w3.org/ns/activitystreams", {
    "ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri",
    "inReplyToAtomUri": "ostatus:inReplyToAtomUri", "conversation": "ostatus:conversation",
    "sensitive": "as:sensitive", "toot": "http://joinmastodon.org/ns#", "Hashtag": "as:Hashtag",
    "blurhash": "toot:blurhash"}]


def write_outbox(c, f):
    head = {"@context": AS_CONTEXT, "id": "outbox.json", "type": "OrderedCollection", "totalItems": c.n}
    f.write(json.dumps(head, ensure_ascii=False)[:-1] + ',"orderedItems":[')
    for i in range(c.n):
        f.write(("," if i else "") + json.dumps(ap_note(c, i), ensure_ascii=False, separators=(",", ":")))
    f.write("]}")


def actor_json(c):
    me = actor_uri(c.user(-1))
    return {"@context": AS_CONTEXT, "id": me, "type": "Person", "following": me + "/following",
            "followers": me + "/followers", "inbox": me + "/inbox", "outbox": "outbox.json",
            "preferredUsername": "owner", "name": "Bench Owner 🧵",
            "summary": "<p>The account whose export this is.</p>", "url": f"https://{LOCAL}/@owner",
            "manuallyApprovesFollowers": False, "discoverable": True, "published": "2022-11-05T00:00:00Z",
            "publicKey": {"id": me + "#main-key", "owner": me, "publicKeyPem": "-----BEGIN PUBLIC KEY-----\n…"},
            "icon": {"type": "Image", "mediaType": "image/png", "url": "avatar.png"}}


# ---------------------------------------------------------------------------------------------
# Twitter: v1.1 (twarc 1), account archive, v2 (twarc 2).


def v1_user(c, u_index):
    u = c.user(u_index)
    return {"id": u["tid"], "id_str": str(u["tid"]), "name": u["display"], "screen_name": screen_name(u),
            "location": "", "description": "Here for the conversation.", "url": None,
            "entities": {"description": {"urls": []}}, "protected": False,
            "followers_count": 10 + u_index % 900, "friends_count": 20 + u_index % 300, "listed_count": 0,
            "created_at": "Sat Nov 05 00:00:00 +0000 2022", "favourites_count": 0, "utc_offset": None,
            "time_zone": None, "geo_enabled": False, "verified": False,
            "statuses_count": 100 + u_index % 5000, "lang": None,
            "profile_image_url": f"http://pbs.twimg.com/profile_images/{u['tid']}/a_normal.png",
            "profile_image_url_https": f"https://pbs.twimg.com/profile_images/{u['tid']}/a_normal.png",
            "default_profile": True}


def v1_media(c, i, x, tco, start, end, name, alt_text=True):
    out = []
    tid = c.tweet_id(i)
    for m in x["media"]:
        mid = tid + m["n"] + 1
        item = {"id": mid, "id_str": str(mid), "indices": [start, end],
                "media_url": f"http://pbs.twimg.com/media/B{mid:x}.jpg",
                "media_url_https": f"https://pbs.twimg.com/media/B{mid:x}.jpg",
                "url": tco, "display_url": f"pic.twitter.com/{tco[-10:]}",
                "expanded_url": f"https://twitter.com/{name}/status/{tid}/photo/{m['n'] + 1}",
                "type": "photo", "sizes": {"large": {"w": m["w"], "h": m["h"], "resize": "fit"}}}
        if alt_text:
            item["ext_alt_text"] = m["alt"]
        out.append(item)
    return out


def v1_tweet(c, i, owner=False):
    """Tweet `i` as API v1.1 (extended mode) returns it; `owner`: as its archive holds it."""
    x = c.content(i)
    u_index = -1 if owner else c.author[i]
    name = screen_name(c.user(u_index))
    text, ents, hidden = twitter_text(c, x, screen_name)
    shown = len(text)
    tid = c.tweet_id(i)
    tweet = {"created_at": twitter_time(c.ms(i)), "id": tid, "id_str": str(tid), "full_text": text,
             "truncated": False, "display_text_range": [hidden, shown], "entities": ents}
    if x["media"]:
        tco = "https://t.co/m" + hashlib.sha1(str(tid).encode()).hexdigest()[:9]
        start = len(text) + 1
        tweet["full_text"] = text = f"{text} {tco}"
        media = v1_media(c, i, x, tco, start, len(text), name, alt_text=not owner)
        ents["media"] = media[:1]
        tweet["extended_entities"] = {"media": media}
    ents["symbols"] = []
    p = c.parent[i]
    pu = c.user(-1 if owner else c.author[p]) if p >= 0 else None
    tweet.update({
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "in_reply_to_status_id": c.tweet_id(p) if p >= 0 else None,
        "in_reply_to_status_id_str": str(c.tweet_id(p)) if p >= 0 else None,
        "in_reply_to_user_id": pu["tid"] if pu else None,
        "in_reply_to_user_id_str": str(pu["tid"]) if pu else None,
        "in_reply_to_screen_name": screen_name(pu) if pu else None,
    })
    if not owner:
        tweet["user"] = v1_user(c, u_index)
    tweet.update({"geo": None, "coordinates": None, "place": None, "contributors": None,
                  "is_quote_status": False, "retweet_count": x["boosts"], "favorite_count": x["favs"],
                  "favorited": False, "retweeted": False, "possibly_sensitive": x["cw"] is not None,
                  "lang": x["lang"]})
    return tweet


def stringify_numbers(v):
    """The archive writes every number as a string."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return [stringify_numbers(e) for e in v]
    if isinstance(v, dict):
        return {k: stringify_numbers(e) for k, e in v.items()}
    return v


def archive_tweet(c, i):
    t = v1_tweet(c, i, owner=True)
    for key in ("geo", "coordinates", "place", "contributors", "in_reply_to_status_id",
                "in_reply_to_status_id_str", "in_reply_to_user_id", "in_reply_to_user_id_str",
                "in_reply_to_screen_name"):
        if t.get(key) is None:
            del t[key]
    t = stringify_numbers(t)
    t["edit_info"] = {"initial": {"editTweetIds": [t["id_str"]], "editableUntil": "2026-03-01T01:00:00.000Z",
                                  "editsRemaining": "5", "isEditEligible": True}}
    return {"tweet": t}


def jackson(obj):
    """JSON as the Twitter archive writes it: `"key" : value`, two-space indent."""
    return json.dumps(obj, ensure_ascii=False, indent=2, separators=(",", " : "))


def write_tweets_js(c, f):
    f.write("window.YTD.tweets.part0 = [ ")
    for k, i in enumerate(newest_first(c)):
        f.write((", " if k else "") + jackson(archive_tweet(c, i)))
    f.write(" ]")


def write_archive_extras(c, data_dir):
    owner = c.user(-1)
    manifest = {"userInfo": {"accountId": str(owner["tid"]), "userName": screen_name(owner),
                             "displayName": owner["display"]},
                "archiveInfo": {"sizeBytes": "0", "generationDate": "2026-03-08T00:00:00.000Z",
                                "isPartialArchive": False, "maxPartSizeBytes": "53687091200"},
                "readmeInfo": {"fileName": "data/README.txt", "directory": "data/", "name": "README.txt"},
                "dataTypes": {"tweets": {"mediaDirectory": "data/tweets_media", "files": [
                    {"fileName": "data/tweets.js", "globalName": "YTD.tweets.part0", "count": str(c.n)}]}}}
    with open(os.path.join(data_dir, "manifest.js"), "w", encoding="utf-8") as f:
        f.write("window.__THAR_CONFIG = " + jackson(manifest))
    account = [{"account": {"email": "owner@bench.example", "createdVia": "web",
                            "username": screen_name(owner), "accountId": str(owner["tid"]),
                            "createdAt": "2022-11-05T00:00:00.000Z", "accountDisplayName": owner["display"]}}]
    with open(os.path.join(data_dir, "account.js"), "w", encoding="utf-8") as f:
        f.write("window.YTD.account.part0 = " + jackson(account))


def v2_tweet(c, i):
    x = c.content(i)
    text, ents, _ = twitter_text(c, x, screen_name)
    tid = str(c.tweet_id(i))
    v2ents = {}
    if ents["hashtags"]:
        v2ents["hashtags"] = [{"start": h["indices"][0], "end": h["indices"][1], "tag": h["text"]}
                              for h in ents["hashtags"]]
    if ents["user_mentions"]:
        v2ents["mentions"] = [{"start": m["indices"][0], "end": m["indices"][1], "username": m["screen_name"],
                               "id": m["id_str"]} for m in ents["user_mentions"]]
    urls = [{"start": u["indices"][0], "end": u["indices"][1], "url": u["url"], "expanded_url": u["expanded_url"],
             "display_url": u["display_url"]} for u in ents["urls"]]
    keys = [f"3_{int(tid) + m['n'] + 1}" for m in x["media"]]
    if x["media"]:
        tco = "https://t.co/m" + hashlib.sha1(tid.encode()).hexdigest()[:9]
        start = len(text) + 1
        text = f"{text} {tco}"
        urls += [{"start": start, "end": len(text), "url": tco,
                  "expanded_url": f"https://twitter.com/{screen_name(c.user(c.author[i]))}/status/{tid}/photo/1",
                  "display_url": f"pic.twitter.com/{tco[-10:]}", "media_key": k} for k in keys]
    if urls:
        v2ents["urls"] = urls
    p = c.parent[i]
    tweet = {"id": tid, "text": text, "author_id": str(c.user(c.author[i])["tid"]),
             "created_at": iso_ms(c.ms(i)), "conversation_id": str(c.tweet_id(c.root[i])),
             "lang": x["lang"], "possibly_sensitive": x["cw"] is not None, "reply_settings": "everyone",
             "edit_history_tweet_ids": [tid],
             "edit_controls": {"edits_remaining": 5, "is_edit_eligible": True,
                               "editable_until": iso_ms(c.ms(i) + 3600000)},
             "public_metrics": {"retweet_count": x["boosts"], "reply_count": c.replies[i],
                                "like_count": x["favs"], "quote_count": 0, "bookmark_count": 0,
                                "impression_count": 10 * x["favs"] + 7}}
    if v2ents:
        tweet["entities"] = v2ents
    if p >= 0:
        tweet["in_reply_to_user_id"] = str(c.user(c.author[p])["tid"])
        tweet["referenced_tweets"] = [{"type": "replied_to", "id": str(c.tweet_id(p))}]
    if keys:
        tweet["attachments"] = {"media_keys": keys}
    media = [{"media_key": k, "type": "photo", "url": f"https://pbs.twimg.com/media/F{k[2:]}.jpg",
              "width": m["w"], "height": m["h"], **({"alt_text": m["alt"]} if m["alt"] else {})}
             for k, m in zip(keys, x["media"])]
    return tweet, media


def v2_user(c, u_index):
    u = c.user(u_index)
    return {"id": str(u["tid"]), "username": screen_name(u), "name": u["display"],
            "created_at": "2022-11-05T00:00:00.000Z", "description": "Here for the conversation.",
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{u['tid']}/a_normal.png",
            "protected": False, "verified": False,
            "public_metrics": {"followers_count": 10 + u_index % 900, "following_count": 20 + u_index % 300,
                               "tweet_count": 100 + u_index % 5000, "listed_count": 0}}


def write_twarc2(c, f):
    """Pages of a `search/all` for #BenchTag, newest first; referenced parents in includes."""
    start = c.n - 1
    page_no = 0
    while start >= 0:
        page = list(range(start, max(-1, start - TWARC2_PAGE), -1))
        start -= len(page)
        data, media, users, inc = [], [], {}, []
        in_page = set(page)
        for i in page:
            tweet, m = v2_tweet(c, i)
            data.append(tweet)
            media += m
            users.setdefault(c.author[i], None)
            p = c.parent[i]
            if p >= 0 and p not in in_page and p not in inc:
                inc.append(p)
        inc_tweets = []
        for p in inc:
            tweet, m = v2_tweet(c, p)
            inc_tweets.append(tweet)
            media += m
            users.setdefault(c.author[p], None)
        includes = {"users": [v2_user(c, u) for u in users]}
        if inc_tweets:
            includes["tweets"] = inc_tweets
        if media:
            includes["media"] = media
        page_no += 1
        meta = {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"], "result_count": len(data)}
        if start >= 0:
            meta["next_token"] = f"b26v89c19zqg8o3f{page_no:08d}"
        doc = {"data": data, "includes": includes, "meta": meta,
               "__twarc": {"url": f"https://api.twitter.com/2/tweets/search/all?query=%23{TAG}&max_results=100",
                           "version": "2.14.0", "retrieved_at": "2026-03-08T00:00:00+00:00"}}
        f.write(json.dumps(doc) + "\n")


def write_v1(c, f):
    for i in range(c.n):  # a stream: oldest first
        f.write(json.dumps(v1_tweet(c, i)) + "\n")


# ---------------------------------------------------------------------------------------------
# Driver.


def write_format(c, fmt, out):
    path = os.path.join(out, FORMATS[fmt])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if fmt == "twitter-to-sqlite":
        archive = os.path.join(out, FORMATS["twitter-archive"])
        if os.path.exists(archive) and getattr(c, "archive_written", False):
            if os.path.exists(path):
                os.remove(path)
            try:
                os.link(archive, path)
            except OSError:
                shutil.copyfile(archive, path)
            return path
    writer = {"mastodon-json": write_mastodon_json, "mastodon-jsonl": write_mastodon_jsonl,
              "mastodon-export": write_outbox, "twarc2": write_twarc2, "twitter-v1": write_v1,
              "twitter-archive": write_tweets_js, "twitter-to-sqlite": write_tweets_js,
              "mastodon-archive": write_mastodon_archive}[fmt]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        writer(c, f)
    if fmt == "mastodon-export":
        with open(os.path.join(os.path.dirname(path), "actor.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(actor_json(c), ensure_ascii=False))
    if fmt == "twitter-archive":
        write_archive_extras(c, os.path.dirname(path))
        c.archive_written = True
    return path


def generate(posts, seed, out, formats, quiet=False, all_in_story=False):
    c = Corpus(posts, seed, all_in_story)
    os.makedirs(out, exist_ok=True)
    files = {}
    for fmt in formats:
        path = write_format(c, fmt, out)
        files[fmt] = {"path": os.path.relpath(path, out), "bytes": os.path.getsize(path)}
        if not quiet:
            print(f"{fmt:18} {files[fmt]['bytes'] / 1e6:9.1f} MB  {path}", file=sys.stderr)
    manifest = {"generator": "tests/bench/gen_corpus.py", "seed": seed, "tag": TAG,
                "all_in_story": all_in_story,
                "counts": c.counts(), "shape": c.stats, "users": c.users, "files": files,
                "collect": {"twitter-archive": "collect the folder twitter-archive/ (or data/tweets.js)"}}
    with open(os.path.join(out, "corpus.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    return manifest


def digest_tree(root):
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            h.update(os.path.relpath(path, root).encode() + b"\0")
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
    return h.hexdigest()


def check(posts, seed, formats):
    """Generates twice (the second time in another process) and compares every byte."""
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        generate(posts, seed, a, formats, quiet=True)
        # The second run in a process of its own, with other string hashes.
        cmd = [sys.executable, os.path.abspath(__file__), "--posts", str(posts), "--seed", str(seed),
               "--out", b, "--formats", *formats]
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL,
                       env={**os.environ, "PYTHONHASHSEED": str(seed + 12345)})
        da, db = digest_tree(a), digest_tree(b)
        other = tempfile.mkdtemp()
        try:
            generate(posts, seed + 1, other, formats, quiet=True)
            dc = digest_tree(other)
        finally:
            shutil.rmtree(other)
    print(f"seed {seed}, run 1: {da}\nseed {seed}, run 2: {db}\nseed {seed + 1}:        {dc}")
    if da != db:
        sys.exit("NOT deterministic: two runs with the same seed differ")
    if da == dc:
        sys.exit("suspicious: a different seed gave the same bytes")
    print("ok: same seed, same bytes; another seed, other bytes")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, required=True, help="how many posts (N)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="output folder (created)")
    ap.add_argument("--formats", nargs="+", default=list(FORMATS), choices=list(FORMATS), metavar="FORMAT",
                    help="which files to write (default: all): " + ", ".join(FORMATS))
    ap.add_argument("--all-in-story", action="store_true",
                    help="no unrelated threads: every post belongs to the story (for render benchmarks)")
    ap.add_argument("--check", action="store_true",
                    help="generate twice in temporary folders and check the bytes are identical")
    args = ap.parse_args()
    if args.posts < 1:
        ap.error("--posts must be at least 1")
    if args.check:
        return check(args.posts, args.seed, args.formats)
    if not args.out:
        ap.error("--out is required (or --check)")
    m = generate(args.posts, args.seed, args.out, args.formats, all_in_story=args.all_in_story)
    print(json.dumps(m["counts"]), file=sys.stderr)


if __name__ == "__main__":
    main()
