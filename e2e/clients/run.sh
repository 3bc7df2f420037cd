#!/usr/bin/env bash
# Starts a fresh Rustmost (debug build, as the other e2e suites, so CI builds once), and a second one
# serving TLS with a throwaway self-signed certificate, then runs real clients from the registries
# against them: @mattermost/client (REST and WebSocketClient), mattermostdriver (REST and its
# websocket), apprise and matterhook (incoming webhooks) and a mmpy-bot bot. Installs them into
# caches when missing (the Python venv is keyed by requirements.txt, so a change reinstalls).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${RUSTMOST_E2E_CACHE:-$HOME/.cache/rustmost-e2e}"
mkdir -p "$cache"

if [ -z "${RUSTMOST_BIN:-}" ]; then
  (cd "$root" && cargo build -p rustmost --quiet)
  RUSTMOST_BIN="$root/target/debug/rustmost"
fi
(cd "$here" && npm ci --no-audit --no-fund --silent)
venv="$cache/pyenv-$(sha256sum "$here/requirements.txt" | cut -c1-12)"
if [ ! -x "$venv/bin/python" ]; then
  rm -rf "$venv.tmp"
  python3 -m venv "$venv.tmp"
  "$venv.tmp/bin/pip" install --quiet -r "$here/requirements.txt"
  mv "$venv.tmp" "$venv"
fi
py() { "$venv/bin/python" -W ignore "$@"; }

work="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export ADMIN_PASSWORD="Admin-Passw0rd!"

# start NAME URL [VAR=VALUE...]: a server with its own data folder, and its first admin.
start() {
  local name="$1" url="$2"; shift 2
  local port="${url##*:}"
  mkdir -p "$work/$name"
  # Every check logs in as admin from 127.0.0.1: the per-address and per-account login limiter
  # is off, as in the API test harness.
  env "$@" MM_RATELIMITSETTINGS_LOGINMAXBURST=0 MM_RATELIMITSETTINGS_LOGINMAXBURSTPERACCOUNT=0 \
    MM_SERVICESETTINGS_LISTENADDRESS="127.0.0.1:$port" MM_CONFIG="$work/$name/config.json" \
    MM_SQLSETTINGS_DATASOURCE="$work/$name/rustmost.db" "$RUSTMOST_BIN" >"$work/$name/server.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -sf --cacert "$work/tls.crt" "$url/api/v4/system/ping" >/dev/null && break; sleep 0.1; done
  curl -sf --cacert "$work/tls.crt" -X POST "$url/api/v4/users" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"email\":\"admin@example.com\",\"password\":\"$ADMIN_PASSWORD\"}" >/dev/null
}

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
export RUSTMOST_URL="http://127.0.0.1:$(free_port)"
export RUSTMOST_TLS_URL="https://127.0.0.1:$(free_port)" RUSTMOST_TLS_CA="$work/tls.crt"
start plain "$RUSTMOST_URL"
start tls "$RUSTMOST_TLS_URL" MM_SERVICESETTINGS_CONNECTIONSECURITY=TLS \
  MM_SERVICESETTINGS_TLSCERTFILE="$work/tls.crt" MM_SERVICESETTINGS_TLSKEYFILE="$work/tls.key"

# Node 20 has a WebSocket global only behind a flag; later versions have it by default.
node_ws=()
node -e 'process.exit(typeof WebSocket === "function" ? 0 : 1)' || node_ws=(--experimental-websocket)

node "$here/mattermost-client.mjs"
node "${node_ws[@]}" --no-warnings "$here/websocket-client.mjs" | grep -v '^websocket \|^got connection id'
py "$here/mattermostdriver_check.py"
py "$here/mattermostdriver_websocket_check.py"
py "$here/integrations_check.py"
MMPY_BOT_LOG="$work/mmpy-bot.log" py "$here/mmpy_bot_check.py" || { tail -30 "$work/mmpy-bot.log"; exit 1; }
echo "clients e2e: OK"
