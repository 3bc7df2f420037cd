#!/usr/bin/env bash
# Real n8n against Rustmost, end to end (issues 4 and 11).
#
# Installs n8n 2.8.4 from npm (cached outside the repository), builds and starts Rustmost on a
# temporary SQLite database with a local SMTP sink, then runs e2e.py, which sets the stage over
# the API, drives n8n's Mattermost node through every operation, the credential test and the 4
# loaders, and checks each result against Rustmost's state; then a slash command and outgoing
# webhooks call n8n Webhook-trigger workflows, which answer in the channel.
#
# Environment:
#   N8N_DIR       where n8n is installed (default ~/.cache/rustmost-n8n; reused when its
#                 package-lock.json matches the one committed here)
#   RUSTMOST_BIN  a prebuilt server binary (default: `cargo build -p rustmost`, debug)
#   E2E_WORK      a folder for the databases and logs (default: a new temporary folder)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
N8N_DIR=${N8N_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/rustmost-n8n}
WORK=${E2E_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/rustmost-n8n-e2e.XXXXXX")}
mkdir -p "$WORK"

die() { echo "e2e/n8n: $*" >&2; exit 1; }
step() { echo "== $*"; }

# ---- tools ------------------------------------------------------------------------------------
command -v node >/dev/null || die "node is required (n8n 2.8.4 needs Node >= 20.19 and <= 24)"
command -v npm >/dev/null || die "npm is required"
command -v python3 >/dev/null || die "python3 is required"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  die "node $(node --version) is too old: n8n 2.8.4 needs >= 20.19"

# ---- n8n --------------------------------------------------------------------------------------
# The lockfile pins the whole tree; package.json overrides n8n-nodes-base's `xlsx`, which
# otherwise points outside the npm registry and makes the install hang.
if [[ -x "$N8N_DIR/node_modules/.bin/n8n" ]] && cmp -s "$HERE/package-lock.json" "$N8N_DIR/package-lock.json"; then
  step "n8n: using the install in $N8N_DIR"
else
  step "n8n: npm ci into $N8N_DIR (about 2.3 GB, a few minutes)"
  mkdir -p "$N8N_DIR"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$N8N_DIR/"
  (cd "$N8N_DIR" && npm ci --omit=dev --no-audit --no-fund --loglevel=error) || die "npm ci of n8n failed"
fi
N8N_VERSION=$(node -p "require('$N8N_DIR/node_modules/n8n/package.json').version")
[[ "$N8N_VERSION" == "2.8.4" ]] || die "expected n8n 2.8.4 in $N8N_DIR, found $N8N_VERSION"

# ---- Rustmost ---------------------------------------------------------------------------------
if [[ -z "${RUSTMOST_BIN:-}" ]]; then
  step "build: cargo build -p rustmost"
  (cd "$ROOT" && cargo build -p rustmost --quiet)
  RUSTMOST_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/rustmost"
fi
[[ -x "$RUSTMOST_BIN" ]] || die "no server binary at $RUSTMOST_BIN"

# Four distinct free loopback ports: Rustmost, SMTP, n8n's REST server, n8n's task broker.
read -r RM_PORT SMTP_PORT N8N_PORT BROKER_PORT < <(python3 - <<'EOF'
import socket
socks = []
for _ in range(4):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(*(s.getsockname()[1] for s in socks))
EOF
)

PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $rc -ne 0 ]]; then
    echo "e2e/n8n: FAILED; logs and databases are in $WORK" >&2
  elif [[ -z "${E2E_WORK:-}" ]]; then
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT

step "start: SMTP sink on 127.0.0.1:$SMTP_PORT"
python3 "$HERE/smtp_sink.py" "$SMTP_PORT" "$WORK/mail" >"$WORK/smtp.log" 2>&1 &
PIDS+=($!)

step "start: Rustmost on 127.0.0.1:$RM_PORT"
mkdir -p "$WORK/rustmost"
MM_SERVICESETTINGS_LISTENADDRESS="127.0.0.1:$RM_PORT" \
  MM_SQLSETTINGS_DATASOURCE="$WORK/rustmost/rustmost.db" \
  MM_CONFIG="$WORK/rustmost/config.json" \
  RUSTMOST_LOG="${RUSTMOST_LOG:-info,sqlx=warn}" \
  "$RUSTMOST_BIN" >"$WORK/rustmost.log" 2>&1 &
PIDS+=($!)

ready=
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$RM_PORT/api/v4/system/ping', timeout=1)" 2>/dev/null &&
    [[ -s "$WORK/smtp.log" ]]; then
    ready=1
    break
  fi
  kill -0 "${PIDS[1]}" 2>/dev/null || die "Rustmost exited at start; see $WORK/rustmost.log"
  sleep 0.2
done
[[ -n "$ready" ]] || die "Rustmost or the SMTP sink did not come up in 20 s; see $WORK/*.log"

python3 "$HERE/e2e.py" \
  --rustmost-port "$RM_PORT" --smtp-port "$SMTP_PORT" --mail-dir "$WORK/mail" \
  --n8n-bin "$N8N_DIR/node_modules/.bin" --n8n-port "$N8N_PORT" --broker-port "$BROKER_PORT" \
  --work "$WORK"
