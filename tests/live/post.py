"""Posts a small #fedistory conversation through bovine's client-to-server API.

Usage: post.py BASE SECRET N_FILLER. Prints one line per post: status, activity id, object id.
The @context must map Hashtag (bovine stores the tag type as "b1" otherwise).
"""
import asyncio
import sys
from datetime import datetime, timezone

from bovine import BovineClient

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def now():
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


async def main(domain, secret, filler):
    async with BovineClient(domain=domain, secret=secret) as client:
        actor = client.information["id"]

        async def post(content, tags, in_reply_to=None):
            note = {
                "type": "Note",
                "attributedTo": actor,
                "content": content,
                "published": now(),
                "to": [PUBLIC],
                "cc": [client.information["followers"]],
                "tag": [
                    {"type": "Hashtag", "name": "#" + t, "href": f"{domain}/tags/{t}"}
                    for t in tags
                ],
            }
            if in_reply_to:
                note["inReplyTo"] = in_reply_to
            act = {
                "@context": ["https://www.w3.org/ns/activitystreams", {"Hashtag": "as:Hashtag"}],
                "type": "Create",
                "actor": actor,
                "to": note["to"],
                "cc": note["cc"],
                "object": note,
            }
            resp = await client.send_to_outbox(act)
            created = await client.get(resp.headers["location"])
            obj = created["object"]
            obj_id = obj if isinstance(obj, str) else obj["id"]
            print(resp.status, resp.headers["location"], obj_id, flush=True)
            return obj_id

        root = await post(
            f'<p>Kickoff of the story <a href="{domain}/tags/fedistory">#fedistory</a></p>',
            ["fedistory"],
        )
        reply = await post("<p>A reply in the thread</p>", [], in_reply_to=root)
        await post("<p>Reply to the reply #fedistory</p>", ["fedistory"], in_reply_to=reply)
        await post("<p>Unrelated post #other</p>", ["other"])
        for i in range(filler):
            await post(f"<p>Filler {i} #fedistory</p>", ["fedistory"])


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0))
