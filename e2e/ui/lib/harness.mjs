// Test harness: starts the rustmost binary on a free loopback port with a temp config and
// SQLite database, launches Debian's headless Chromium through playwright-core, and offers
// small helpers for screenshots and direct API calls (to check what the UI did over HTTP).

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../..');
export const artifactsDir = resolve(here, '../artifacts');

function freePort() {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

function findBinary() {
  if (process.env.RUSTMOST_BIN) return process.env.RUSTMOST_BIN;
  for (const p of ['target/debug/rustmost', 'target/release/rustmost']) {
    const full = join(repoRoot, p);
    if (existsSync(full)) return full;
  }
  throw new Error('rustmost binary not found: run `cargo build -p rustmost` or set RUSTMOST_BIN');
}

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'rustmost-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    RUSTMOST_LOG: process.env.RUSTMOST_LOG || 'warn',
    MM_CONFIG: join(dir, 'config.json'),
    MM_SQLSETTINGS_DATASOURCE: join(dir, 'rustmost.db'),
    MM_SERVICESETTINGS_LISTENADDRESS: `127.0.0.1:${port}`,
    MM_SERVICESETTINGS_SITEURL: url,
    // The suite logs the same accounts in and out many times a minute from one address; the
    // login limiter (tested by the API tests) would refuse it, as it should a person doing so.
    MM_RATELIMITSETTINGS_LOGINMAXBURST: '0',
    MM_RATELIMITSETTINGS_LOGINMAXBURSTPERACCOUNT: '0',
  };
  let log = '';
  let proc = null;
  const spawnServer = async () => {
    proc = spawn(findBinary(), [], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const mine = proc;
    mine.stdout.on('data', (d) => { log += d; });
    mine.stderr.on('data', (d) => { log += d; });
    const deadline = Date.now() + 30000;
    for (;;) {
      if (mine.exitCode !== null) throw new Error(`rustmost exited early (${mine.exitCode}):\n${log}`);
      try {
        const r = await fetch(url + '/api/v4/system/ping');
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`rustmost did not answer on ${url}:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async () => {
    const p = proc;
    if (!p) return;
    proc = null;
    p.kill('SIGTERM');
    await new Promise((r) => {
      if (p.exitCode !== null || p.signalCode !== null) return r();
      const t = setTimeout(() => { p.kill('SIGKILL'); r(); }, 5000);
      p.on('exit', () => { clearTimeout(t); r(); });
      return undefined;
    });
  };
  await spawnServer();
  return {
    url,
    log: () => log,
    /**
     * Stops the server and starts it again on the same port and database (sessions survive);
     * `downMs` is how long it stays down, so a client can be seen noticing.
     */
    async restart(downMs = 0) {
      await kill();
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      await spawnServer();
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Chromium with a fresh profile directory (Playwright's persistent context owns it). */
export async function launchBrowser(viewport = { width: 1280, height: 800 }) {
  const profile = mkdtempSync(join(tmpdir(), 'rustmost-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    viewport,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  if (process.env.E2E_UI_WEB_FROM_DISK === '1') await serveWebFromDisk(context);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * For working on the UI only: answers /static/ requests from the working tree instead of the
 * files compiled into the binary, so a changed script needs no rebuild. CI never sets it.
 */
async function serveWebFromDisk(context) {
  const webDir = join(repoRoot, 'crates/rustmost-server/web');
  const types = { '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
  await context.route(/\/static\/[^?]+$/, async (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = join(webDir, path);
    if (!file.startsWith(webDir + '/') || !existsSync(file)) return route.continue();
    return route.fulfill({
      status: 200,
      contentType: types[extname(file)] || 'application/octet-stream',
      body: readFileSync(file),
    });
  });
}

let shotNo = 0;
/** Saves a full-page screenshot as artifacts/NN-name.png. */
export async function shot(page, name) {
  mkdirSync(artifactsDir, { recursive: true });
  shotNo += 1;
  const file = join(artifactsDir, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A plain HTTP client for checking the server directly (Bearer token, no cookies). */
export function http(base) {
  const call = async (method, path, token, body) => {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(base + '/api/v4' + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    return { status: r.status, json, headers: r.headers };
  };
  return {
    call,
    get: (p, t) => call('GET', p, t),
    post: (p, t, b) => call('POST', p, t, b ?? {}),
    put: (p, t, b) => call('PUT', p, t, b),
    /** Logs in over HTTP and returns the session token from the `Token` header. */
    async login(loginId, password) {
      const r = await call('POST', '/users/login', null, { login_id: loginId, password });
      if (r.status !== 200) throw new Error(`login ${loginId}: ${r.status} ${JSON.stringify(r.json)}`);
      return r.headers.get('token');
    },
  };
}
