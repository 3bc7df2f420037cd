// The chat view kept live by the WebSocket: another user's posts, reactions, edits, deletions
// and typing appear with no reload and no polling; channels the user is added to appear in the
// sidebar; a dropped connection shows "Reconnecting…" and resumes (connection_id +
// sequence_number) with nothing missed; a server restart is recovered from. Steps share one
// server and run in order; screenshots land in e2e/ui/artifacts/.
//
// E2E_UI_SKIP_MISSING=1 skips (with a reason) the steps whose API routes this build lacks.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, shot, http } from '../lib/harness.mjs';

const ADMIN = { username: 'sysadmin', email: 'sysadmin@example.com', password: 'Sysadmin-Passw0rd!' };
const BOB = { username: 'bob', email: 'bob@example.com', password: 'Bob-Passw0rd!' };
const WAIT = { timeout: 15000 };
// "Within a second or two": generous for a loaded 2-core machine, far below any polling period
// that could pass unnoticed (the page makes no posts request at all after loading; see below).
const LIVE = { timeout: 5000 };

let server;
let browser;
let page;
let api;
let adminToken;
let bobToken;
let admin;
let bob;
let team;
let channel;
let postLoads = 0; // GET /channels/{id}/posts made by the page
let opsId; // a channel bob creates and adds the admin to

before(async () => {
  server = await startServer();
  api = http(server.url);
  const a = await api.post('/users', null, { ...ADMIN });
  assert.equal(a.status, 201, JSON.stringify(a.json));
  adminToken = await api.login(ADMIN.username, ADMIN.password);
  admin = a.json;
  const b = await api.post('/users', adminToken, { ...BOB });
  assert.equal(b.status, 201, JSON.stringify(b.json));
  bob = b.json;
  bobToken = await api.login(BOB.username, BOB.password);
  team = (await api.post('/teams', adminToken, { name: 'live', display_name: 'Live', type: 'O' })).json;
  const m = await api.post(`/teams/${team.id}/members`, adminToken, { team_id: team.id, user_id: bob.id });
  assert.equal(m.status, 201, JSON.stringify(m.json));
  channel = (await api.post('/channels', adminToken, { team_id: team.id, name: 'alerts', display_name: 'Alerts', type: 'O' })).json;
  const cm = await api.post(`/channels/${channel.id}/members`, adminToken, { user_id: bob.id });
  assert.equal(cm.status, 201, JSON.stringify(cm.json));

  browser = await launchBrowser();
  page = browser.context.pages()[0] || await browser.context.newPage();
  page.setDefaultTimeout(10000);
  page.on('request', (r) => {
    if (/\/api\/v4\/channels\/[a-z0-9]+\/posts\?/.test(r.url())) postLoads += 1;
  });
  await page.goto(server.url + '/login');
  await page.getByLabel('Email or Username').fill(ADMIN.username);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('header.topbar').getByRole('button', { name: ADMIN.username, exact: true }).waitFor(WAIT);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function requireRoute(t, method, path) {
  const r = await api.call(method, path, null, method === 'GET' ? undefined : {});
  // No route at all is the router's 404; a path that exists for other methods is its 405.
  const missing = r.json && ((r.status === 404 && r.json.id === 'api.context.404.app_error') ||
    (r.status === 405 && r.json.id === 'api.context.405.app_error'));
  if (missing && process.env.E2E_UI_SKIP_MISSING === '1') {
    t.skip(`server has no ${method} /api/v4${path} yet`);
    return false;
  }
  return true;
}

const connected = () => page.locator('.chat-wrap[data-synced="true"]').waitFor(WAIT);
const banner = () => page.getByRole('status').filter({ hasText: 'Reconnecting…' });

/** A socket for bob from node (authentication_challenge with his token), collecting events. */
async function bobSocket() {
  if (typeof WebSocket === 'undefined') {
    throw new Error('needs a global WebSocket: Node >= 22, or node --experimental-websocket on Node 20 (run.sh passes it)');
  }
  const ws = new WebSocket(server.url.replace('http', 'ws') + '/api/v4/websocket');
  const events = [];
  ws.addEventListener('message', (m) => events.push(JSON.parse(m.data)));
  await new Promise((res, rej) => {
    ws.addEventListener('open', res);
    ws.addEventListener('error', rej);
  });
  ws.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token: bobToken } }));
  const until = async (pred, ms = 5000) => {
    const end = Date.now() + ms;
    for (;;) {
      const hit = events.find(pred);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`no such event in ${JSON.stringify(events.map((e) => e.event || e.seq_reply))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await until((e) => e.event === 'hello');
  return { ws, events, until };
}

test('another user posts, reacts, replies and deletes: each appears live with no reload', async () => {
  await page.goto(`${server.url}/live/channels/alerts`);
  await page.getByRole('heading', { name: /Alerts/ }).waitFor(WAIT);
  await connected();
  await page.evaluate(() => { window.__sameDocument = true; });
  const loadsBefore = postLoads;

  const p = await api.post('/posts', bobToken, { channel_id: channel.id, message: 'Deploy **started** by bob' });
  assert.equal(p.status, 201, JSON.stringify(p.json));
  const el = page.locator(`article[data-post-id="${p.json.id}"]`);
  await el.getByText('started', { exact: true }).waitFor(LIVE);
  assert.equal(await el.locator('.post-author').textContent(), 'bob');
  await shot(page, 'live-post');

  const r = await api.post('/reactions', bobToken, { user_id: bob.id, post_id: p.json.id, emoji_name: 'tada' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  await el.getByRole('button', { name: /tada reaction by bob, 1/ }).waitFor(LIVE);
  const gone = await api.call('DELETE', `/users/${bob.id}/posts/${p.json.id}/reactions/tada`, bobToken);
  assert.equal(gone.status, 200, JSON.stringify(gone.json));
  await el.getByRole('button', { name: /tada reaction/ }).waitFor({ state: 'detached', ...LIVE });
  await api.post('/reactions', bobToken, { user_id: bob.id, post_id: p.json.id, emoji_name: '+1' });
  await el.getByRole('button', { name: /\+1 reaction by bob, 1/ }).waitFor(LIVE);
  await shot(page, 'live-reaction');

  const reply = await api.post('/posts', bobToken, { channel_id: channel.id, root_id: p.json.id, message: 'Step 1 of 3 done' });
  await page.locator(`article[data-post-id="${reply.json.id}"]`).getByText('Commented on').waitFor(LIVE);
  await el.getByRole('button', { name: '1 reply' }).waitFor(LIVE);

  const del = await api.call('DELETE', `/posts/${reply.json.id}`, bobToken);
  assert.equal(del.status, 200, JSON.stringify(del.json));
  await page.locator(`article[data-post-id="${reply.json.id}"]`).waitFor({ state: 'detached', ...LIVE });

  assert.equal(postLoads, loadsBefore, 'the page loaded no posts over REST: events came from the socket');
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
  livePost = p.json;
  liveLoads = loadsBefore;
});

let livePost;
let liveLoads;

test('another user edits a post (PUT /posts/{id}/patch): the edit appears live', async (t) => {
  if (!await requireRoute(t, 'PUT', `/posts/${'a'.repeat(26)}/patch`)) return;
  const p = { json: livePost };
  const loadsBefore = liveLoads;
  const el = page.locator(`article[data-post-id="${p.json.id}"]`);
  const edit = await api.put(`/posts/${p.json.id}/patch`, bobToken, { message: 'Deploy **finished** by bob' });
  assert.equal(edit.status, 200, JSON.stringify(edit.json));
  await el.getByText('finished', { exact: true }).waitFor(LIVE);
  await el.getByText('(edited)').waitFor(LIVE);
  await shot(page, 'live-edit');
  assert.equal(postLoads, loadsBefore);
});

test('a burst of posts from several users, one of them new to the page, all appear in order', async () => {
  await connected();
  const c = await api.post('/users', adminToken, { username: 'carol', email: 'carol@example.com', password: 'Carol-Passw0rd!' });
  assert.equal(c.status, 201, JSON.stringify(c.json));
  await api.post(`/teams/${team.id}/members`, adminToken, { team_id: team.id, user_id: c.json.id });
  await api.post(`/channels/${channel.id}/members`, adminToken, { user_id: c.json.id });
  const carolToken = await api.login('carol', 'Carol-Passw0rd!');
  const sent = [];
  for (let i = 0; i < 30; i += 1) {
    const [token, who] = i % 3 === 0 ? [carolToken, 'carol'] : [bobToken, 'bob'];
    sent.push(api.post('/posts', token, { channel_id: channel.id, message: `burst ${i} from ${who}` }));
  }
  const ids = (await Promise.all(sent)).map((r) => r.json.id);
  for (const id of ids) await page.locator(`article[data-post-id="${id}"]`).waitFor(LIVE);
  const shown = await page.locator('.post-list article.post').evaluateAll((els) => els.map((e) => e.dataset.postId));
  const stored = (await api.get(`/channels/${channel.id}/posts?per_page=200`, adminToken)).json;
  const expected = stored.order.filter((id) => ids.includes(id)).reverse();
  assert.deepEqual(shown.filter((id) => ids.includes(id)), expected, 'in the server order');
  await page.locator(`article[data-post-id="${ids[0]}"] .post-author`).getByText('carol').waitFor(LIVE);
});

test('typing: the page shows "bob is typing…" and sends user_typing while the user types', async () => {
  const sock = await bobSocket();
  try {
    sock.ws.send(JSON.stringify({ seq: 2, action: 'user_typing', data: { channel_id: channel.id, parent_id: '' } }));
    await page.locator('.typing-indicator').getByText('bob is typing…').waitFor(LIVE);
    await shot(page, 'live-typing');
    const box = page.getByRole('textbox', { name: 'Write to Alerts' });
    await box.pressSequentially('hel');
    const typing = await sock.until((e) => e.event === 'typing' && e.data.user_id === admin.id);
    assert.equal(typing.broadcast.channel_id, channel.id);
    // A post from bob ends his typing line at once.
    await api.post('/posts', bobToken, { channel_id: channel.id, message: 'done typing' });
    await page.locator('.typing-indicator').getByText('bob is typing…').waitFor({ state: 'detached', ...LIVE });
    await box.fill('');
  } finally {
    sock.ws.close();
  }
});

test('the open thread shows a new reply and who is typing in it, live', async () => {
  await connected();
  const root = await api.post('/posts', bobToken, { channel_id: channel.id, message: 'Thread root for the panel' });
  const rootEl = page.locator(`article[data-post-id="${root.json.id}"]`);
  await rootEl.getByRole('button', { name: 'Reply' }).click();
  const thread = page.getByRole('complementary', { name: 'Thread' });
  await thread.getByText('Thread root for the panel').waitFor(WAIT);
  const sock = await bobSocket();
  try {
    sock.ws.send(JSON.stringify({ seq: 2, action: 'user_typing', data: { channel_id: channel.id, parent_id: root.json.id } }));
    await thread.locator('.typing-indicator').getByText('bob is typing…').waitFor(LIVE);
    // Typing in a thread is not typing in the channel.
    assert.equal(await page.locator('.channel-view .typing-indicator').textContent(), '');
  } finally {
    sock.ws.close();
  }
  const reply = await api.post('/posts', bobToken, { channel_id: channel.id, root_id: root.json.id, message: 'A live reply in the thread' });
  await thread.locator(`article[data-post-id="${reply.json.id}"]`).waitFor(LIVE);
  await thread.locator('.typing-indicator').getByText('bob is typing…').waitFor({ state: 'detached', ...LIVE });
  await shot(page, 'live-thread');
  await thread.getByRole('button', { name: 'Close thread' }).click();
});

test('sidebar: a channel the user is added to appears live, and is marked unread', async () => {
  await connected();
  const ops = await api.post('/channels', bobToken, { team_id: team.id, name: 'ops', display_name: 'Ops', type: 'O' });
  assert.equal(ops.status, 201, JSON.stringify(ops.json));
  opsId = ops.json.id;
  const sidebar = page.getByRole('navigation', { name: 'Teams and channels' });
  assert.equal(await sidebar.getByRole('link', { name: /Ops/ }).count(), 0);
  const add = await api.post(`/channels/${ops.json.id}/members`, bobToken, { user_id: admin.id });
  assert.equal(add.status, 201, JSON.stringify(add.json));
  await sidebar.getByRole('link', { name: /Ops/ }).waitFor(LIVE);
  // A post there marks it unread.
  await api.post('/posts', bobToken, { channel_id: ops.json.id, message: 'ops ping' });
  await sidebar.getByRole('link', { name: /Ops \(unread\)/ }).waitFor(LIVE);
  await shot(page, 'live-sidebar-channel');
  // Opening it clears the mark; a post in Alerts meanwhile marks Alerts.
  await sidebar.getByRole('link', { name: /Ops/ }).click();
  await page.getByRole('heading', { name: /Ops/ }).waitFor(WAIT);
  await page.locator('.post-list').getByText('ops ping').waitFor(WAIT);
  assert.equal(await sidebar.getByRole('link', { name: /Ops \(unread\)/ }).count(), 0);
  await connected();
  await api.post('/posts', bobToken, { channel_id: channel.id, message: 'meanwhile in alerts' });
  await sidebar.getByRole('link', { name: /Alerts \(unread\)/ }).click(LIVE);
  await page.locator('.post-list').getByText('meanwhile in alerts').waitFor(WAIT);
  assert.equal(await sidebar.getByRole('link', { name: /Alerts \(unread\)/ }).count(), 0);
  // Carol joining the team (previous step) posted in Town Square: still unread.
  await sidebar.getByRole('link', { name: /Town Square \(unread\)/ }).waitFor(LIVE);
});

test('a channel header changed by another member (/header) updates the open channel live', async () => {
  await connected();
  const r = await api.post('/commands/execute', bobToken, { channel_id: channel.id, command: '/header Deploy freeze until Friday' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  await page.locator('header.channel-header').getByText('Deploy freeze until Friday').waitFor(LIVE);
  await shot(page, 'live-channel-header');
});

test('sidebar: a new direct message (POST /channels/direct) appears live', async (t) => {
  if (!await requireRoute(t, 'POST', '/channels/direct')) return;
  const sidebar = page.getByRole('navigation', { name: 'Teams and channels' });
  const dm = await api.post('/channels/direct', bobToken, [bob.id, admin.id]);
  assert.equal(dm.status, 201, JSON.stringify(dm.json));
  await api.post('/posts', bobToken, { channel_id: dm.json.id, message: 'psst' });
  await sidebar.getByRole('link', { name: /@bob/ }).waitFor(LIVE);
  await shot(page, 'live-sidebar-dm');
});

test('removed from the open channel (DELETE /channels/{id}/members/{user_id}): the view says so and the sidebar drops it', async (t) => {
  if (!await requireRoute(t, 'DELETE', `/channels/${'a'.repeat(26)}/members/${'b'.repeat(26)}`)) return;
  await page.goto(`${server.url}/live/channels/ops`);
  await page.getByRole('heading', { name: /Ops/ }).waitFor(WAIT);
  await connected();
  const sidebar = page.getByRole('navigation', { name: 'Teams and channels' });
  const r = await api.call('DELETE', `/channels/${opsId}/members/${admin.id}`, bobToken);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  await page.getByText('You are no longer a member of this channel.').waitFor(LIVE);
  await sidebar.getByRole('link', { name: /Ops/ }).waitFor({ state: 'detached', ...LIVE });
  await shot(page, 'live-removed-from-channel');
});

test('a dropped connection shows "Reconnecting…", resumes with connection_id and sequence_number, and misses nothing', async () => {
  const urls = [];
  const helloIds = [];
  let sockets = [];
  let release;
  const gate = new Promise((r) => { release = r; });
  await page.routeWebSocket(/\/api\/v4\/websocket/, async (ws) => {
    urls.push(ws.url());
    const n = urls.length;
    if (n > 1) await gate; // the second connection waits until the test has posted
    const srv = ws.connectToServer();
    srv.onMessage((msg) => {
      try {
        const m = JSON.parse(msg);
        if (m.event === 'hello') helloIds.push({ n, id: m.data.connection_id });
      } catch {
        // not JSON; pass it on anyway
      }
      ws.send(msg);
    });
    sockets.push({ ws, srv });
  });
  try {
    await page.goto(`${server.url}/live/channels/alerts`);
    await connected();
    await page.evaluate(() => { window.__sameDocument = true; });
    // Something on the first connection, so the resume has a sequence number past the hello.
    const before1 = await api.post('/posts', bobToken, { channel_id: channel.id, message: 'before the drop' });
    await page.locator(`article[data-post-id="${before1.json.id}"]`).waitFor(LIVE);
    const loadsBefore = postLoads;

    const { ws, srv } = sockets[0];
    sockets = [];
    await srv.close();
    await ws.close({ code: 4999, reason: 'test drop' });
    await banner().waitFor(LIVE);
    await shot(page, 'live-reconnecting');
    const missed = await api.post('/posts', bobToken, { channel_id: channel.id, message: 'posted while the page was away' });
    assert.equal(missed.status, 201);
    release();
    await page.locator(`article[data-post-id="${missed.json.id}"]`).waitFor(WAIT);
    await banner().waitFor({ state: 'hidden', ...WAIT });
    await shot(page, 'live-resumed');

    assert.ok(urls.length >= 2, `reconnected (${urls.length} connections)`);
    const first = helloIds.find((x) => x.n === 1);
    const resumed = new URL(urls[urls.length - 1]);
    assert.equal(resumed.searchParams.get('connection_id'), first.id, 'resumed with the first connection id');
    assert.ok(Number(resumed.searchParams.get('sequence_number')) >= 2, `sequence_number ${resumed.search}`);
    assert.equal(helloIds.filter((x) => x.n > 1).length, 0, 'the server resumed the connection (no new hello)');
    assert.equal(postLoads, loadsBefore, 'the missed post came from the replay, not a reload');
    assert.equal(await page.evaluate(() => window.__sameDocument), true);
  } finally {
    release();
    await page.unrouteAll({ behavior: 'ignoreErrors' });
  }
});

test('a server restart: "Reconnecting…" while it is down, then the view reloads what it missed', async () => {
  await page.goto(`${server.url}/live/channels/alerts`);
  await connected();
  await page.evaluate(() => { window.__sameDocument = true; });
  const restarting = server.restart(1500);
  await banner().waitFor(WAIT);
  await shot(page, 'live-server-down');
  await restarting;
  // Posted before the page has reconnected: only the resync after the new hello can show it.
  const p = await api.post('/posts', bobToken, { channel_id: channel.id, message: 'after the restart' });
  assert.equal(p.status, 201, JSON.stringify(p.json));
  await page.locator(`article[data-post-id="${p.json.id}"]`).waitFor(WAIT);
  await banner().waitFor({ state: 'hidden', ...WAIT });
  await connected();
  assert.equal(await page.evaluate(() => window.__sameDocument), true);
  // And live again afterwards.
  const q = await api.post('/posts', bobToken, { channel_id: channel.id, message: 'live again' });
  await page.locator(`article[data-post-id="${q.json.id}"]`).waitFor(LIVE);
  await shot(page, 'live-after-restart');
});

test('with no team, a reconnect redraws nothing: the page (and an open menu) stays as it is', async () => {
  const e = await api.post('/users', adminToken, { username: 'erin', email: 'erin@example.com', password: 'Erin-Passw0rd!' });
  assert.equal(e.status, 201, JSON.stringify(e.json));
  const menu = (name) => page.locator('header.topbar').getByRole('button', { name, exact: true });
  await menu(ADMIN.username).click();
  await page.getByRole('menuitem', { name: 'Log Out' }).click();
  await page.getByLabel('Email or Username').fill('erin');
  await page.getByLabel('Password').fill('Erin-Passw0rd!');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'No teams yet' }).waitFor(WAIT);
  await connected();
  await page.evaluate(() => { document.querySelector('header.topbar').dataset.sameTopbar = 'yes'; });
  await menu('erin').click();
  await page.getByRole('menuitem', { name: 'Account Settings' }).waitFor(WAIT);
  const restarting = server.restart(500);
  await banner().waitFor(WAIT);
  await restarting;
  await banner().waitFor({ state: 'hidden', ...WAIT });
  await connected();
  assert.equal(await page.locator('header.topbar[data-same-topbar="yes"]').count(), 1, 'the page was not drawn again');
  assert.equal(await page.getByRole('menuitem', { name: 'Account Settings' }).isVisible(), true, 'the menu is still open');
});
