#!/usr/bin/env bash
# A real ActivityPub server for the live tests: bovine-herd (PyPI) on 127.0.0.1.
#
#   tests/live/bovine.sh install          create the virtualenv (~25 s cold; no-op when present)
#   tests/live/bovine.sh start WORK PORT APP [FILLER]
#                                         start it (APP: app_open = anonymous GETs allowed,
#                                         app_default = authorized fetch), register alice, post
#                                         a conversation; prints ACTOR=…, PID=…, then the posts
#
# The virtualenv lives in $TAGSTORY_BOVINE_VENV (default: target/bovine-venv), where the
# Rust test looks for it; without it the test is skipped with a message.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VENV=${TAGSTORY_BOVINE_VENV:-$HERE/../../target/bovine-venv}

case "${1:-}" in
install)
    if [ ! -x "$VENV/bin/hypercorn" ]; then
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q --no-cache-dir bovine-herd==0.5.19 bovine-tool==0.5.6 hypercorn==0.18.0
    fi
    ;;
start)
    WORK=$2 PORT=$3 APP=$4 FILLER=${5:-0}
    BASE=http://127.0.0.1:$PORT
    export BOVINE_DB_URL="sqlite://$WORK/bovine.sqlite3"
    cd "$WORK"
    PYTHONPATH="$HERE" "$VENV/bin/hypercorn" "$APP:app" -b "127.0.0.1:$PORT" > "$WORK/server.log" 2>&1 &
    echo "PID=$!"
    for _ in $(seq 1 100); do
        curl -sf --max-time 2 -o /dev/null "$BASE/.well-known/nodeinfo" && break
        sleep 0.1
    done
    BN=$("$VENV/bin/python" -m bovine_tool.register alice --domain "$BASE" | sed -n 's/^Bovine name: //p')
    SECRET=$("$VENV/bin/python" -m bovine_tool.manage "$BN" --new_did_key | sed -n 's/^Your new secret: //p')
    "$VENV/bin/python" "$HERE/post.py" "$BASE" "$SECRET" "$FILLER" > "$WORK/posts.txt"
    ACTOR=$(curl -s --max-time 5 "$BASE/.well-known/webfinger?resource=acct:alice@127.0.0.1:$PORT" |
        "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["links"][0]["href"])')
    echo "ACTOR=$ACTOR"
    cat "$WORK/posts.txt"
    ;;
*)
    sed -n '2,11p' "$0"
    exit 2
    ;;
esac
