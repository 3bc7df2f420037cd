#!/usr/bin/env bash
# Starts a fresh Rustmost (debug build, as the other e2e suites, so CI builds once) and runs Mattermost's official clients against it:
# @mattermost/client (npm) and mattermostdriver (PyPI). Installs both into caches when missing.
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
if [ ! -x "$cache/pyenv/bin/python" ]; then
  python3 -m venv "$cache/pyenv"
  "$cache/pyenv/bin/pip" install --quiet mattermostdriver==7.3.2
fi

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export RUSTMOST_URL="http://127.0.0.1:$port" ADMIN_PASSWORD="Admin-Passw0rd!"
MM_SERVICESETTINGS_LISTENADDRESS="127.0.0.1:$port" MM_CONFIG="$work/config.json" \
  MM_SQLSETTINGS_DATASOURCE="$work/rustmost.db" "$RUSTMOST_BIN" >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "$RUSTMOST_URL/api/v4/system/ping" >/dev/null && break; sleep 0.1; done
curl -sf -X POST "$RUSTMOST_URL/api/v4/users" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"email\":\"admin@example.com\",\"password\":\"$ADMIN_PASSWORD\"}" >/dev/null

node "$here/mattermost-client.mjs"
"$cache/pyenv/bin/python" -W ignore "$here/mattermostdriver_check.py"
echo "clients e2e: OK"
