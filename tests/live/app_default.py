"""bovine-herd as shipped: authorized fetch, so unsigned GETs of actors and objects get 401."""
import os

from bovine_herd import BovineHerd
from quart import Quart

app = Quart(__name__)
BovineHerd(app, db_url=os.environ.get("BOVINE_DB_URL", "sqlite://bovine.sqlite3"))
