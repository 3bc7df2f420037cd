// Unit tests, run by node directly (no browser), for the WebSocket client (realtime.js) driven by
// a fake WebSocket and fake timers, and for the slash-command helpers (slash.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backoffMs, socketUrl, decodeField, createSocket,
} from '../../../crates/rustmost-server/web/static/js/realtime.js';
import { gotoTarget, toSuggestions } from '../../../crates/rustmost-server/web/static/js/slash.js';

const LOC = { protocol: 'http:', host: 'chat.example:8065' };

/** A fake WebSocket class recording every instance; the test opens, feeds and closes them. */
function fakeSockets() {
  const made = [];
  class FakeWS {
    constructor(url) {
      this.url = url;
      this.sent = [];
      this.closed = null;
      made.push(this);
    }
    send(s) { this.sent.push(JSON.parse(s)); }
    close(code, reason) {
      if (this.closed) return;
      this.closed = { code, reason };
      this.onclose && this.onclose({ code });
    }
    open() { this.onopen && this.onopen(); }
    feed(msg) { this.onmessage && this.onmessage({ data: JSON.stringify(msg) }); }
    drop() { this.close(1006, 'network'); }
  }
  return { FakeWS, made };
}

function fakeTimers() {
  let now = 0;
  let next = 1;
  const timers = new Map();
  return {
    setTimeout: (f, ms) => { const id = next++; timers.set(id, { at: now + ms, f }); return id; },
    clearTimeout: (id) => timers.delete(id),
    /** Runs every timer due within `ms`, in order. */
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].f();
      }
      now = end;
    },
    pending: () => [...timers.values()].map((t) => t.at - now),
  };
}

function setup() {
  const { FakeWS, made } = fakeSockets();
  const timers = fakeTimers();
  const sock = createSocket({ location: LOC, WebSocket: FakeWS, random: () => 0, ...timers });
  const got = [];
  sock.on((m) => got.push(m));
  return { sock, made, timers, got, events: () => got.filter((m) => m.type === 'event').map((m) => m.event) };
}

const hello = (id, seq = 0) => ({ event: 'hello', data: { connection_id: id }, seq });
const posted = (seq, msg) => ({ event: 'posted', data: { post: JSON.stringify({ id: 'p' + seq, message: msg }) }, broadcast: {}, seq });

test('socketUrl: ws or wss by page scheme; resume parameters only once an id is known', () => {
  assert.equal(socketUrl(LOC, '', 0), 'ws://chat.example:8065/api/v4/websocket');
  assert.equal(socketUrl({ protocol: 'https:', host: 'h' }, 'abc', 7), 'wss://h/api/v4/websocket?connection_id=abc&sequence_number=7');
});

test('backoffMs doubles from 0.5 s and stops at 5 s, with at most 25% jitter', () => {
  assert.equal(backoffMs(0, () => 0), 500);
  assert.equal(backoffMs(1, () => 0), 1000);
  assert.equal(backoffMs(3, () => 0), 4000);
  assert.equal(backoffMs(4, () => 0), 5000);
  assert.equal(backoffMs(20, () => 0), 5000);
  assert.equal(backoffMs(20, () => 0.999), 6249);
  assert.equal(backoffMs(-1, () => 0), 500);
});

test('decodeField parses the JSON strings events carry and leaves objects alone', () => {
  assert.deepEqual(decodeField('{"id":"x"}'), { id: 'x' });
  assert.deepEqual(decodeField({ id: 'y' }), { id: 'y' });
  assert.equal(decodeField('{broken'), null);
});

test('events are delivered in order; a drop reconnects with connection_id and the next sequence number', () => {
  const { sock, made, timers, got, events } = setup();
  sock.start();
  assert.equal(made.length, 1);
  assert.equal(made[0].url, 'ws://chat.example:8065/api/v4/websocket');
  made[0].open();
  assert.equal(sock.state, 'connecting', 'a fresh socket is connected at its hello, not at open');
  made[0].feed(hello('conn1'));
  made[0].feed(posted(1, 'a'));
  made[0].feed(posted(2, 'b'));
  assert.deepEqual(events().map((e) => e.event), ['hello', 'posted', 'posted']);
  assert.equal(sock.state, 'connected');

  made[0].drop();
  assert.equal(sock.state, 'reconnecting');
  assert.ok(got.some((m) => m.type === 'state' && m.state === 'reconnecting'));
  timers.advance(499);
  assert.equal(made.length, 1, 'waits out the backoff');
  timers.advance(1);
  assert.equal(made.length, 2);
  assert.equal(made[1].url, 'ws://chat.example:8065/api/v4/websocket?connection_id=conn1&sequence_number=3');
  made[1].open();
  assert.equal(sock.state, 'connected', 'a resumed socket is connected at open');
  // The server resumes: no hello, the next seq continues.
  made[1].feed(posted(3, 'c'));
  assert.deepEqual(events().map((e) => e.seq), [0, 1, 2, 3]);
  assert.equal(got.filter((m) => m.type === 'resync').length, 0);
});

test('a new connection id after a drop asks listeners to resync', () => {
  const { sock, made, timers, got } = setup();
  sock.start();
  made[0].open();
  made[0].feed(hello('conn1'));
  made[0].drop();
  timers.advance(1000);
  made[1].open();
  made[1].feed(hello('conn2'));
  assert.equal(got.filter((m) => m.type === 'resync').length, 1);
  made[1].feed(posted(1, 'x'));
  assert.equal(made[1].closed, null, 'seq restarts with the new connection');
});

test('a gap in seq closes the socket and resumes from the last event seen', () => {
  const { sock, made, timers, events } = setup();
  sock.start();
  made[0].open();
  made[0].feed(hello('c1'));
  made[0].feed(posted(1, 'a'));
  made[0].feed(posted(3, 'skipped one'));
  assert.equal(made[0].closed.code, 4001);
  assert.deepEqual(events().map((e) => e.seq), [0, 1], 'the out-of-order event is not delivered');
  timers.advance(1000);
  assert.match(made[1].url, /connection_id=c1&sequence_number=2$/);
});

test('failed attempts back off further; a successful open resets the backoff', () => {
  const { sock, made, timers } = setup();
  sock.start();
  made[0].drop(); // never opened
  timers.advance(500);
  made[1].drop();
  assert.deepEqual(timers.pending(), [1000]);
  timers.advance(1000);
  made[2].drop();
  assert.deepEqual(timers.pending(), [2000]);
  timers.advance(2000);
  made[3].open();
  made[3].drop();
  assert.deepEqual(timers.pending().filter((ms) => ms <= 5000), [500]);
});

test('request() gets its seq_reply; an unanswered ping closes the socket', async () => {
  const { sock, made, timers } = setup();
  sock.start();
  made[0].open();
  made[0].feed(hello('c1'));
  const r = sock.request('get_statuses', {});
  const sent = made[0].sent.at(-1);
  assert.equal(sent.action, 'get_statuses');
  made[0].feed({ status: 'OK', seq_reply: sent.seq, data: { u1: 'online' } });
  assert.deepEqual(await r, { u1: 'online' });

  const fail = sock.request('user_typing', {});
  made[0].feed({ status: 'FAIL', seq_reply: made[0].sent.at(-1).seq, error: { id: 'x' } });
  await assert.rejects(fail);

  timers.advance(30000); // the keepalive ping goes out
  assert.equal(made[0].sent.at(-1).action, 'ping');
  timers.advance(10000); // and is never answered
  await new Promise((res) => setImmediate(res));
  assert.equal(made[0].closed.code, 4000);
});

test('stop() closes for good and forgets the connection id', () => {
  const { sock, made, timers } = setup();
  sock.start();
  made[0].open();
  made[0].feed(hello('c1'));
  sock.stop();
  assert.equal(made[0].closed.code, 1000);
  timers.advance(60000);
  assert.equal(made.length, 1, 'no reconnect after stop');
  sock.start();
  assert.equal(made[1].url, 'ws://chat.example:8065/api/v4/websocket');
  assert.equal(sock.send('user_typing', {}), false, 'nothing is sent before open');
});

test('gotoTarget: same-site paths navigate inside the app, http(s) elsewhere opens, anything else is ignored', () => {
  const origin = 'http://chat.example:8065';
  assert.deepEqual(gotoTarget('http://chat.example:8065/t/channels/ops', origin), { internal: '/t/channels/ops' });
  assert.deepEqual(gotoTarget('/t/channels/ops?x=1', origin), { internal: '/t/channels/ops?x=1' });
  assert.deepEqual(gotoTarget('https://example.org/docs', origin), { external: 'https://example.org/docs' });
  assert.equal(gotoTarget('//evil.example/x', origin), null);
  assert.equal(gotoTarget('javascript:alert(1)', origin), null);
  assert.equal(gotoTarget('data:text/html,x', origin), null);
  assert.equal(gotoTarget('', origin), null);
  assert.equal(gotoTarget(undefined, origin), null);
});

test('toSuggestions turns the server suggestions into composer items', () => {
  const got = toSuggestions([
    { Complete: 'echo', Suggestion: '/echo', Hint: '[message] [delay in seconds]', Description: 'Echo back text' },
    { Complete: '/away', Suggestion: 'away', Hint: '', Description: '' },
    { nonsense: true },
  ]);
  assert.deepEqual(got, [
    { complete: '/echo ', label: '/echo', hint: '[message] [delay in seconds]', description: 'Echo back text' },
    { complete: '/away ', label: '/away', hint: '', description: '' },
  ]);
  assert.deepEqual(toSuggestions(null), []);
});
