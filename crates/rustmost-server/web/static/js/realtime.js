// The WebSocket client (`/api/v4/websocket`): the session cookie authenticates the upgrade;
// events are handed to listeners in order; a lost connection is retried with backoff and
// resumed with `connection_id` + `sequence_number`, so the server replays what was missed. A
// `hello` with a different connection id means the server could not resume (restart, too long
// away): listeners get `resync` and reload over REST. No DOM here, so node tests drive it with
// a fake WebSocket and fake timers.

/**
 * Retry delay after `failures` consecutive failed attempts: 0.5 s doubling to 5 s, plus up to 25%
 * jitter. A reconnect costs the server one upgrade, so waiting longer would only keep a person
 * looking at "Reconnecting…" after the server is back.
 */
export function backoffMs(failures, random = Math.random) {
  const base = Math.min(5000, 500 * 2 ** Math.max(0, failures));
  return Math.round(base + base * 0.25 * random());
}

/** The socket URL for a page at `loc`, with resume parameters once a connection id is known. */
export function socketUrl(loc, connectionId, nextSeq) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  let url = `${scheme}//${loc.host}/api/v4/websocket`;
  if (connectionId) url += `?connection_id=${encodeURIComponent(connectionId)}&sequence_number=${nextSeq}`;
  return url;
}

/** Mattermost sends posts, reactions and channels inside events as JSON strings. */
export function decodeField(v) {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return null;
  }
}

const PING_EVERY_MS = 30000;
const PING_TIMEOUT_MS = 10000;

/**
 * A resumable connection. `opts`: `location`, `WebSocket` (constructor), `setTimeout`,
 * `clearTimeout`, `random` (all default to the browser's). Listeners: `on(fn)` gets
 * `{type: 'event', event}`, `{type: 'state', state}` ('connecting' | 'connected' |
 * 'reconnecting' | 'closed') and `{type: 'resync'}`.
 */
export function createSocket(opts = {}) {
  const env = {
    location: opts.location || globalThis.location,
    WebSocket: opts.WebSocket || globalThis.WebSocket,
    setTimeout: opts.setTimeout || ((f, ms) => globalThis.setTimeout(f, ms)),
    clearTimeout: opts.clearTimeout || ((t) => globalThis.clearTimeout(t)),
    random: opts.random || Math.random,
  };
  const listeners = new Set();
  let ws = null;
  let connectionId = '';
  let nextSeq = 0; // the next event seq expected on this connection id
  let replySeq = 0;
  const pending = new Map(); // seq -> {resolve, reject, timer}
  let failures = 0;
  let retryTimer = null;
  let pingTimer = null;
  let state = 'closed';
  let stopped = true;
  let everConnected = false;

  const emit = (msg) => {
    for (const fn of [...listeners]) {
      try {
        fn(msg);
      } catch (e) {
        // a broken listener must not stop the others or the socket
        console.error(e);
      }
    }
  };
  const setState = (s) => {
    if (s === state) return;
    state = s;
    emit({ type: 'state', state: s });
  };

  function open() {
    env.clearTimeout(retryTimer);
    retryTimer = null;
    if (stopped) return;
    setState(everConnected ? 'reconnecting' : 'connecting');
    let sock;
    try {
      sock = new env.WebSocket(socketUrl(env.location, connectionId, nextSeq));
    } catch {
      scheduleRetry();
      return;
    }
    ws = sock;
    sock.onopen = () => {
      if (ws !== sock) return;
      failures = 0;
      everConnected = true;
      // A fresh socket counts as connected at its hello, when the server has registered it and
      // events flow; a resumed one at once, since the server queued what it missed.
      if (connectionId) setState('connected');
      schedulePing();
    };
    sock.onmessage = (m) => {
      if (ws !== sock) return;
      let msg;
      try {
        msg = JSON.parse(m.data);
      } catch {
        return;
      }
      onMessage(sock, msg);
    };
    sock.onclose = () => {
      if (ws !== sock) return;
      ws = null;
      dropPending('closed');
      env.clearTimeout(pingTimer);
      if (stopped) return;
      failures += 1;
      setState('reconnecting');
      scheduleRetry();
    };
    sock.onerror = () => {};
  }

  function onMessage(sock, msg) {
    if (msg.seq_reply !== undefined && msg.event === undefined) {
      const p = pending.get(msg.seq_reply);
      if (p) {
        pending.delete(msg.seq_reply);
        env.clearTimeout(p.timer);
        if (msg.status === 'OK') p.resolve(msg.data);
        else p.reject(msg.error || { message: 'failed' });
      }
      return;
    }
    if (typeof msg.event !== 'string') return;
    if (msg.event === 'hello') {
      const id = msg.data && msg.data.connection_id;
      const fresh = connectionId && id !== connectionId;
      connectionId = id || '';
      nextSeq = (msg.seq || 0) + 1;
      setState('connected');
      // A new id after an earlier one: whatever happened while away is lost; reload.
      if (fresh) emit({ type: 'resync' });
      emit({ type: 'event', event: msg });
      return;
    }
    if (typeof msg.seq === 'number') {
      if (msg.seq !== nextSeq) {
        // A gap: close and resume from the last event seen; the server replays the rest.
        sock.close(4001, 'sequence gap');
        return;
      }
      nextSeq = msg.seq + 1;
    }
    emit({ type: 'event', event: msg });
  }

  function scheduleRetry() {
    if (stopped || retryTimer) return;
    retryTimer = env.setTimeout(open, backoffMs(failures - 1, env.random));
  }

  function schedulePing() {
    env.clearTimeout(pingTimer);
    pingTimer = env.setTimeout(async () => {
      const sock = ws;
      if (!sock) return;
      try {
        await request('ping', {}, PING_TIMEOUT_MS);
        schedulePing();
      } catch {
        // No answer: the connection is dead even if the browser has not noticed.
        if (ws === sock) sock.close(4000, 'ping timeout');
      }
    }, PING_EVERY_MS);
  }

  function dropPending(reason) {
    for (const [, p] of pending) {
      env.clearTimeout(p.timer);
      p.reject({ message: reason });
    }
    pending.clear();
  }

  /** Sends an action; resolves with the reply's data, rejects on FAIL, timeout or no socket. */
  function request(action, data, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      if (!ws || state !== 'connected') {
        reject({ message: 'not connected' });
        return;
      }
      replySeq += 1;
      const seq = replySeq;
      const timer = env.setTimeout(() => {
        pending.delete(seq);
        reject({ message: 'timeout' });
      }, timeoutMs);
      pending.set(seq, { resolve, reject, timer });
      ws.send(JSON.stringify({ seq, action, data }));
    });
  }

  return {
    on(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    start() {
      if (!stopped) return;
      stopped = false;
      open();
    },
    stop() {
      stopped = true;
      env.clearTimeout(retryTimer);
      env.clearTimeout(pingTimer);
      retryTimer = null;
      const sock = ws;
      ws = null;
      dropPending('closed');
      if (sock) sock.close(1000, 'bye');
      connectionId = '';
      nextSeq = 0;
      everConnected = false;
      failures = 0;
      setState('closed');
    },
    /** Retries now instead of waiting out the backoff (the browser came back online). */
    retryNow() {
      if (!stopped && !ws) open();
    },
    request,
    /** Sends an action whose reply nobody waits for (typing). */
    send(action, data) {
      if (!ws || state !== 'connected') return false;
      replySeq += 1;
      ws.send(JSON.stringify({ seq: replySeq, action, data }));
      return true;
    },
    get state() {
      return state;
    },
    get connectionId() {
      return connectionId;
    },
  };
}

let shared = null;
/** The page's one socket, started on first use (the chat view) and stopped at logout. */
export function realtime() {
  if (!shared) {
    shared = createSocket();
    globalThis.addEventListener('online', () => shared.retryNow());
  }
  shared.start();
  return shared;
}

export function stopRealtime() {
  if (shared) shared.stop();
}
