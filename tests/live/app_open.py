"""bovine-herd with anonymous GETs allowed (TESTING.md §1): objects and collections can be read
without an HTTP signature, as on a server with authorized fetch turned off."""
import os

from bovine_herd import BovineHerd
from bovine_herd.server.authorize import add_authorization
from quart import Quart, g, request

ANON = "https://anonymous.invalid/actor"


async def add_authorization_or_anonymous():
    await add_authorization()
    if request.method == "GET" and g.get("retriever") in (None, "NONE"):
        g.retriever = ANON


app = Quart(__name__)
BovineHerd(
    app,
    db_url=os.environ.get("BOVINE_DB_URL", "sqlite://bovine.sqlite3"),
    authorization_adder=add_authorization_or_anonymous,
)
