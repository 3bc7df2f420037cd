#!/usr/bin/env bash
# Browser tests: installs Debian's Chromium if missing, builds the rustmost binary, installs
# playwright-core from the lockfile and walks the guide in headless Chromium. Screenshots land
# in e2e/ui/artifacts/. Set E2E_UI_SKIP_MISSING=1 to skip steps whose API routes a build lacks;
# E2E_UI_WEB_FROM_DISK=1 serves /static/ from the working tree (UI work without rebuilding).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# The emoji font only makes reactions legible in the screenshots.
need=()
if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then need+=(chromium); fi
if ! dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; then need+=(fonts-noto-color-emoji); fi
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ -z "${RUSTMOST_BIN:-}" ]; then
  (cd "$root" && cargo build -p rustmost)
  export RUSTMOST_BIN="$root/target/debug/rustmost"
fi
cd "$here"
npm ci --no-audit --no-fund --loglevel=error
rm -rf artifacts
# Node 20 has WebSocket only behind this flag (the live tests open a second user's socket).
node --experimental-websocket --test --test-concurrency=1 tests/
