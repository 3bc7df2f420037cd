// The guide (seed-mattermost-credentials.md) walked click by click in headless Chromium against
// a real rustmost binary, plus bots, token disable/delete and the chat view. Each step leaves a
// screenshot in e2e/ui/artifacts/. Steps share one server and run in order.
//
// E2E_UI_SKIP_MISSING=1 skips (with a reason) the steps whose API routes this build lacks;
// without it every step must pass.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, shot, http } from '../lib/harness.mjs';

const ADMIN = { username: 'sysadmin', email: 'sysadmin@example.com', password: 'Sysadmin-Passw0rd!' };
const ALICE = { username: 'alice', email: 'alice@example.com', password: 'Alice-Passw0rd!' };
const WAIT = { timeout: 15000 };

let server;
let browser;
let page;
let api;
let adminToken;
let aliceId;

before(async () => {
  server = await startServer();
  api = http(server.url);
  browser = await launchBrowser();
  page = browser.context.pages()[0] || await browser.context.newPage();
  page.setDefaultTimeout(10000);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** Skips the step when the server has no such route and E2E_UI_SKIP_MISSING=1. */
async function requireRoute(t, method, path) {
  const r = await api.call(method, path, null, method === 'GET' ? undefined : {});
  const missing = r.status === 404 && r.json && r.json.id === 'api.context.404.app_error';
  if (missing && process.env.E2E_UI_SKIP_MISSING === '1') {
    t.skip(`server has no ${method} /api/v4${path} yet`);
    return false;
  }
  return true;
}

function userMenu(username) {
  return page.locator('header.topbar').getByRole('button', { name: username, exact: true });
}

async function openMenuItem(username, item) {
  await userMenu(username).click();
  await page.getByRole('menuitem', { name: item }).click();
}

async function logInAs(user) {
  await page.goto(server.url + '/login');
  await page.getByLabel('Email or Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await userMenu(user.username).waitFor(WAIT);
}

async function logOut(username) {
  await openMenuItem(username, 'Log Out');
  await page.getByRole('button', { name: 'Log in' }).waitFor(WAIT);
}

async function meWithToken(token) {
  return api.get('/users/me', token);
}

test('the UI is served at / and client routes fall back to the app', async () => {
  const r = await fetch(server.url + '/some/client/route');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/html/);
  const api404 = await api.get('/nonexistent');
  assert.equal(api404.status, 404);
  assert.equal(api404.json.id, 'api.context.404.app_error');
});

test('first run: sign up the first user, who becomes the system admin; log out and in', async () => {
  await page.goto(server.url + '/');
  await page.getByRole('button', { name: 'Log in' }).waitFor(WAIT);
  await shot(page, 'login-page');
  await page.getByRole('link', { name: 'Create one now.' }).click();
  await page.getByLabel("What's your email address?").fill(ADMIN.email);
  await page.getByLabel('Choose your username').fill(ADMIN.username);
  await page.getByLabel('Choose your password').fill(ADMIN.password);
  await shot(page, 'signup-filled');
  await page.getByRole('button', { name: 'Create Account' }).click();
  await userMenu(ADMIN.username).waitFor(WAIT);
  await shot(page, 'signed-up-home');
  adminToken = await api.login(ADMIN.username, ADMIN.password);
  const me = await api.get('/users/me', adminToken);
  assert.match(me.json.roles, /system_admin/);

  await logOut(ADMIN.username);
  // A wrong password shows the server's AppError message.
  await page.getByLabel('Email or Username').fill(ADMIN.username);
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  const bad = await api.call('POST', '/users/login', null, { login_id: ADMIN.username, password: 'wrong-password' });
  await page.getByRole('alert').filter({ hasText: bad.json.message }).waitFor(WAIT);
  await shot(page, 'login-error');
  await logInAs(ADMIN);
});

test('the username menu works from the keyboard', async () => {
  const btn = userMenu(ADMIN.username);
  await btn.focus();
  await page.keyboard.press('ArrowDown');
  const first = page.getByRole('menuitem', { name: 'Account Settings' });
  await first.waitFor(WAIT);
  assert.equal(await first.evaluate((el) => el === document.activeElement), true);
  await page.getByRole('menuitem', { name: 'System Console' }).waitFor(WAIT);
  await shot(page, 'username-menu');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Account Settings' });
  await dialog.waitFor(WAIT);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await btn.evaluate((el) => el === document.activeElement), true);
});

test('admin: Account Settings explains that personal access tokens are disabled', async () => {
  await openMenuItem(ADMIN.username, 'Account Settings');
  const dialog = page.getByRole('dialog', { name: 'Account Settings' });
  await dialog.getByRole('tab', { name: 'Security' }).click();
  const section = dialog.getByRole('region', { name: 'Personal Access Tokens' });
  await section.getByText('Personal access tokens are disabled on this server').waitFor(WAIT);
  assert.equal(await section.getByRole('button', { name: 'Edit' }).count(), 0);
  await shot(page, 'settings-tokens-disabled');
  await page.keyboard.press('Escape');
});

test('guide FAQ 1-5: System Console > Integration Management > Enable Personal Access Tokens > Save', async () => {
  await openMenuItem(ADMIN.username, 'System Console');
  await page.getByRole('navigation', { name: 'System Console' }).waitFor(WAIT);
  await page.getByRole('link', { name: 'Integration Management' }).click();
  await page.getByRole('heading', { name: 'Integration Management' }).waitFor(WAIT);
  const group = page.getByRole('group', { name: 'Enable Personal Access Tokens:' });
  assert.equal(await group.getByRole('radio', { name: 'False' }).isChecked(), true);
  await group.getByRole('radio', { name: 'True' }).check();
  await shot(page, 'console-enable-pats');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor(WAIT);
  await shot(page, 'console-pats-saved');
  const cfg = await api.get('/config', adminToken);
  assert.equal(cfg.json.ServiceSettings.EnableUserAccessTokens, true);
});

test('System Console > Integrations > Bot Accounts > Enable Bot Account Creation > Save', async () => {
  await page.getByRole('link', { name: 'Bot Accounts', exact: true }).click();
  await page.getByRole('heading', { name: 'Bot Accounts', exact: true }).waitFor(WAIT);
  await page.getByRole('group', { name: 'Enable Bot Account Creation:' }).getByRole('radio', { name: 'True' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor(WAIT);
  await shot(page, 'console-bots-enabled');
  const cfg = await api.get('/config', adminToken);
  assert.equal(cfg.json.ServiceSettings.EnableBotAccountCreation, true);
});

test('guide FAQ 6-9: Users > Member > Manage Roles > Allow this account to generate personal access tokens > Save', async () => {
  const created = await api.post('/users', adminToken, { ...ALICE });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  aliceId = created.json.id;
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  await page.getByRole('heading', { name: 'Users', exact: true }).waitFor(WAIT);
  await page.getByRole('searchbox', { name: 'Search users' }).fill('ali');
  const row = page.locator(`tr[data-username="${ALICE.username}"]`);
  await row.waitFor(WAIT);
  assert.equal(await page.locator(`tr[data-username="${ADMIN.username}"]`).count(), 0, 'search filters the list');
  await shot(page, 'console-users-search');
  await row.getByRole('button', { name: 'Member' }).click();
  await shot(page, 'console-member-menu');
  await page.getByRole('menuitem', { name: 'Manage Roles' }).click();
  const dialog = page.getByRole('dialog', { name: 'Manage Roles' });
  await dialog.getByRole('checkbox', { name: /Allow this account to generate personal access tokens/ }).check();
  await dialog.getByRole('checkbox', { name: /post:channels/ }).check();
  await shot(page, 'manage-roles');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  const u = await api.get(`/users/${aliceId}`, adminToken);
  assert.deepEqual(u.json.roles.split(' ').sort(), ['system_post_all_public', 'system_user', 'system_user_access_token']);
});

test('System Console > Users: deactivate and activate a user', async () => {
  const row = page.locator(`tr[data-username="${ALICE.username}"]`);
  await row.getByRole('button', { name: 'Member' }).click();
  await page.getByRole('menuitem', { name: 'Deactivate' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
  await row.getByRole('cell', { name: 'Inactive' }).waitFor(WAIT);
  await shot(page, 'console-user-deactivated');
  assert.ok((await api.get(`/users/${aliceId}`, adminToken)).json.delete_at > 0);
  await row.getByRole('button', { name: 'Member' }).click();
  await page.getByRole('menuitem', { name: 'Activate' }).click();
  await row.getByRole('cell', { name: 'Active', exact: true }).waitFor(WAIT);
  assert.equal((await api.get(`/users/${aliceId}`, adminToken)).json.delete_at, 0);
});

let aliceToken;
let aliceTokenId;

test('guide steps 1-8: the user creates a token and it authenticates GET /api/v4/users/me', async (t) => {
  if (!await requireRoute(t, 'GET', `/users/${'a'.repeat(26)}/tokens`)) return;
  await logOut(ADMIN.username);
  await logInAs(ALICE);
  await shot(page, 'alice-home');
  // 1. Click on your username on the top left corner and select 'Account Settings'.
  await openMenuItem(ALICE.username, 'Account Settings');
  const dialog = page.getByRole('dialog', { name: 'Account Settings' });
  // 2. Security tab.
  await dialog.getByRole('tab', { name: 'Security' }).click();
  const section = dialog.getByRole('region', { name: 'Personal Access Tokens' });
  await shot(page, 'settings-security');
  // 3. Edit in the Personal Access Tokens section.
  await section.getByRole('button', { name: 'Edit' }).click();
  // 4. Create Token.
  await section.getByRole('button', { name: 'Create Token' }).click();
  // 5. Token Description.
  await section.getByLabel('Token Description').fill('n8n');
  await shot(page, 'token-description');
  // 6. Save.
  await section.getByRole('button', { name: 'Save' }).click();
  // 7. Yes, Create (a non-admin sees no System Admin warning).
  const confirm = page.getByRole('dialog', { name: 'Create Personal Access Token' });
  await confirm.waitFor(WAIT);
  await shot(page, 'token-confirm');
  await confirm.getByRole('button', { name: 'Yes, Create' }).click();
  // 8. The Access Token, shown once, apart from the Token ID.
  const secret = section.getByRole('textbox', { name: 'Access Token' });
  await secret.waitFor(WAIT);
  aliceToken = await secret.inputValue();
  aliceTokenId = (await section.locator('.created-token-id').textContent()).trim();
  // The list beside the secret already shows the new token, with no reload.
  await section.locator(`li[data-token-id="${aliceTokenId}"]`, { hasText: 'Token Description: n8n' }).waitFor(WAIT);
  assert.equal(await section.getByText('No personal access tokens').count(), 0);
  await shot(page, 'token-created');
  assert.ok(aliceToken.length >= 26, `token ${aliceToken.length} chars`);
  assert.notEqual(aliceToken, aliceTokenId);
  await section.getByRole('button', { name: 'Copy' }).click();
  await section.getByText(/Copied|Select the token/).waitFor(WAIT);

  const me = await meWithToken(aliceToken);
  assert.equal(me.status, 200, JSON.stringify(me.json));
  assert.equal(me.json.id, aliceId);
  assert.equal(me.json.username, ALICE.username);
});

test('token disable, enable and delete from Account Settings', async (t) => {
  if (!aliceToken) {
    t.skip('no token was created in the previous step');
    return;
  }
  const section = page.getByRole('dialog', { name: 'Account Settings' }).getByRole('region', { name: 'Personal Access Tokens' });
  await section.getByRole('button', { name: 'Done' }).click();
  const item = section.locator(`li[data-token-id="${aliceTokenId}"]`);
  await item.getByText('n8n').waitFor(WAIT);
  await item.getByText(/Expires: Never/).waitFor(WAIT);
  await item.getByRole('button', { name: 'Disable' }).click();
  await item.getByText('Disabled', { exact: true }).waitFor(WAIT);
  await shot(page, 'token-disabled');
  assert.equal((await meWithToken(aliceToken)).status, 401);

  await item.getByRole('button', { name: 'Enable' }).click();
  await item.getByText('Active', { exact: true }).waitFor(WAIT);
  assert.equal((await meWithToken(aliceToken)).status, 200);

  await item.getByRole('button', { name: 'Delete' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete Token?' });
  await shot(page, 'token-delete-confirm');
  await confirm.getByRole('button', { name: 'Yes, Delete' }).click();
  await item.waitFor({ state: 'detached' });
  await shot(page, 'token-deleted');
  assert.equal((await meWithToken(aliceToken)).status, 401);
  await page.keyboard.press('Escape');
  await logOut(ALICE.username);
  await logInAs(ADMIN);
});

test('a token with an expiry shows it; a system admin sees the System Admin warning', async (t) => {
  if (!await requireRoute(t, 'GET', `/users/${'a'.repeat(26)}/tokens`)) return;
  if (!await userMenu(ADMIN.username).isVisible()) await logInAs(ADMIN);
  await openMenuItem(ADMIN.username, 'Account Settings');
  const dialog = page.getByRole('dialog', { name: 'Account Settings' });
  await dialog.getByRole('tab', { name: 'Security' }).click();
  const section = dialog.getByRole('region', { name: 'Personal Access Tokens' });
  await section.getByRole('button', { name: 'Edit' }).click();
  await section.getByRole('button', { name: 'Create Token' }).click();
  await section.getByLabel('Token Description').fill('admin-30d');
  await section.getByLabel('Expires').selectOption('30');
  await section.getByRole('button', { name: 'Save' }).click();
  const confirm = page.getByRole('dialog', { name: 'Create System Admin Personal Access Token' });
  await confirm.getByText('You are generating a personal access token with System Admin permissions.').waitFor(WAIT);
  await shot(page, 'admin-token-warning');
  await confirm.getByRole('button', { name: 'Yes, Create' }).click();
  const token = await section.getByRole('textbox', { name: 'Access Token' }).inputValue();
  const list = await api.get('/users/me/tokens', token);
  assert.equal(list.status, 200);
  const mine = list.json.find((x) => x.description === 'admin-30d');
  const days = (mine.expires_at - Date.now()) / 86400000;
  assert.ok(days > 29 && days <= 30, `expires_at ${mine.expires_at} is about 30 days out`);
  await section.getByRole('button', { name: 'Done' }).click();
  await section.locator('li', { hasText: 'admin-30d' }).getByText(/^Expires: /).waitFor(WAIT);
  await shot(page, 'admin-token-list');
  await page.keyboard.press('Escape');
});

test('Integrations > Bot Accounts: create a bot, create and revoke its token, disable and enable it', async (t) => {
  if (!await requireRoute(t, 'GET', '/bots')) return;
  await openMenuItem(ADMIN.username, 'Integrations');
  await page.getByRole('heading', { name: 'Integrations', exact: true }).waitFor(WAIT);
  await page.getByRole('navigation', { name: 'Integrations' }).getByRole('link', { name: 'Bot Accounts' }).click();
  await page.getByRole('heading', { name: 'Bot Accounts', exact: true }).waitFor(WAIT);
  await page.getByRole('button', { name: 'Add Bot Account' }).click();
  const form = page.getByRole('form', { name: 'Add Bot Account' });
  await form.getByLabel('Username').fill('n8nbot');
  await form.getByLabel('Display Name').fill('n8n');
  await form.getByLabel('Description').fill('Posts from n8n workflows');
  await shot(page, 'bot-form');
  await form.getByRole('button', { name: 'Create Bot Account' }).click();
  const card = page.locator('article[data-bot="n8nbot"]');
  await card.waitFor(WAIT);
  // Each bot offers Create New Token, as Mattermost labels it; the form opens at once.
  await card.getByRole('button', { name: 'Create New Token' }).click();
  await card.getByLabel('Token Description').fill('n8n workflow');
  await card.getByRole('button', { name: 'Save' }).click();
  const secret = card.getByRole('textbox', { name: 'Access Token' });
  await secret.waitFor(WAIT);
  const botToken = await secret.inputValue();
  const botTokenId = (await card.locator('.created-token-id').textContent()).trim();
  await card.locator(`li[data-token-id="${botTokenId}"]`, { hasText: 'Token Description: n8n workflow' }).waitFor(WAIT);
  assert.equal(await card.getByText('No personal access tokens').count(), 0);
  await shot(page, 'bot-token-created');
  const me = await meWithToken(botToken);
  assert.equal(me.status, 200, JSON.stringify(me.json));
  assert.equal(me.json.username, 'n8nbot');
  assert.equal(me.json.is_bot, true);

  await card.getByRole('button', { name: 'Done' }).click();
  const item = card.locator('li.token-item', { hasText: 'n8n workflow' });
  await item.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete Token?' }).getByRole('button', { name: 'Yes, Delete' }).click();
  await item.waitFor({ state: 'detached' });
  assert.equal((await meWithToken(botToken)).status, 401);

  await card.getByRole('button', { name: 'Disable' }).click();
  const disabled = page.locator('article[data-bot="n8nbot"]');
  await disabled.getByRole('button', { name: 'Enable' }).waitFor(WAIT);
  await shot(page, 'bot-disabled');
  const bot = (await api.get('/bots?include_deleted=true', adminToken)).json.find((b) => b.username === 'n8nbot');
  assert.ok(bot.delete_at > 0);
  await disabled.getByRole('button', { name: 'Enable' }).click();
  await page.locator('article[data-bot="n8nbot"]').getByRole('button', { name: 'Disable' }).waitFor(WAIT);
  const again = (await api.get('/bots?include_deleted=true', adminToken)).json.find((b) => b.username === 'n8nbot');
  assert.equal(again.delete_at, 0);
});

test('chat: a post made through the API appears without a reload, with attachment, reply and reaction', async (t) => {
  if (!await requireRoute(t, 'POST', '/teams')) return;
  if (!await requireRoute(t, 'POST', '/posts')) return;
  const team = await api.post('/teams', adminToken, { name: 'automation', display_name: 'Automation', type: 'O' });
  assert.equal(team.status, 201, JSON.stringify(team.json));
  const channel = await api.post('/channels', adminToken, {
    team_id: team.json.id, name: 'alerts', display_name: 'Alerts', type: 'O',
  });
  assert.equal(channel.status, 201, JSON.stringify(channel.json));
  await page.goto(`${server.url}/automation/channels/alerts`);
  await page.getByRole('heading', { name: /Alerts/ }).waitFor(WAIT);
  await shot(page, 'chat-empty-channel');

  const posted = await api.post('/posts', adminToken, {
    channel_id: channel.json.id,
    message: 'Workflow **finished** from the API',
    props: {
      attachments: [{
        fallback: 'Build passed',
        color: 'good',
        pretext: 'n8n says',
        title: 'Build passed',
        title_link: 'https://example.com/build/42',
        text: 'All 42 checks succeeded',
        fields: [{ title: 'Branch', value: 'main', short: true }, { title: 'Duration', value: '3m', short: true }],
      }],
    },
  });
  assert.equal(posted.status, 201, JSON.stringify(posted.json));
  const postEl = page.locator(`article[data-post-id="${posted.json.id}"]`);
  await postEl.waitFor(WAIT); // no reload: the view hears it on the WebSocket
  await postEl.getByText('finished', { exact: true }).waitFor(WAIT);
  await postEl.getByRole('link', { name: 'Build passed' }).waitFor(WAIT);
  await postEl.getByText('All 42 checks succeeded').waitFor(WAIT);
  await postEl.getByText('Branch').waitFor(WAIT);
  await shot(page, 'chat-api-post');

  const reply = await api.post('/posts', adminToken, {
    channel_id: channel.json.id, root_id: posted.json.id, message: 'A reply from the API',
  });
  assert.equal(reply.status, 201, JSON.stringify(reply.json));
  await page.locator(`article[data-post-id="${reply.json.id}"]`).getByText('Commented on').waitFor(WAIT);

  const me = await api.get('/users/me', adminToken);
  const reaction = await api.post('/reactions', adminToken, {
    user_id: me.json.id, post_id: posted.json.id, emoji_name: '+1',
  });
  assert.equal(reaction.status, 200, JSON.stringify(reaction.json));
  await postEl.getByRole('button', { name: /\+1 reaction by sysadmin, 1/ }).waitFor(WAIT);
  await shot(page, 'chat-reply-reaction');

  // Posting from the UI goes through the API too.
  const box = page.getByRole('textbox', { name: 'Write to Alerts' });
  await box.fill('Typed in the browser');
  await box.press('Enter');
  await page.locator('.post-list').getByText('Typed in the browser').waitFor(WAIT);
  const list = await api.get(`/channels/${channel.json.id}/posts`, adminToken);
  assert.ok(Object.values(list.json.posts).some((p) => p.message === 'Typed in the browser'));

  // The thread panel shows the root and its reply.
  await postEl.getByRole('button', { name: /1 reply/ }).click();
  const thread = page.getByRole('complementary', { name: 'Thread' });
  await thread.getByText('A reply from the API').waitFor(WAIT);
  await shot(page, 'chat-thread');

  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'chat-phone-width');
  await page.setViewportSize({ width: 1280, height: 800 });
});

/**
 * Serves the client config with the two override switches set, and the channel's posts with
 * `from_webhook` added to the post `hookPostId` (as the server marks an incoming webhook's posts),
 * then reloads the page so the UI reads both afresh.
 */
async function withOverrides(url, { usernameOn, iconOn, hookPostId, hookProps = {} }) {
  await page.unrouteAll({ behavior: 'wait' });
  await page.route(/\/api\/v4\/config\/client\?format=old$/, async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    json.EnablePostUsernameOverride = String(usernameOn);
    json.EnablePostIconOverride = String(iconOn);
    await route.fulfill({ response, json });
  });
  if (hookPostId) {
    await page.route(/\/api\/v4\/channels\/[a-z0-9]+\/posts\?/, async (route) => {
      const response = await route.fetch();
      const json = await response.json();
      // As an incoming webhook's post looks: the server keeps override props only on those.
      const p = json.posts && json.posts[hookPostId];
      if (p) Object.assign(p.props, { from_webhook: 'true', ...hookProps });
      await route.fulfill({ response, json });
    });
  }
  await page.goto(url);
}

test('chat: username and icon overrides show only on webhook posts the server config allows', async (t) => {
  if (!await requireRoute(t, 'POST', '/posts')) return;
  const team = (await api.get('/teams/name/automation', adminToken)).json;
  const channel = (await api.get(`/teams/${team.id}/channels/name/alerts`, adminToken)).json;
  const icon = `${server.url}/static/favicon.svg`;
  const forged = await api.post('/posts', adminToken, {
    channel_id: channel.id,
    message: 'Pretending to be someone else',
    props: { override_username: 'Grafana', override_icon_url: icon, from_webhook: 'true', from_bot: 'true' },
  });
  assert.equal(forged.status, 201, JSON.stringify(forged.json));
  // The server keeps none of a person's author props.
  for (const k of ['override_username', 'override_icon_url', 'from_webhook', 'from_bot']) {
    assert.equal((forged.json.props || {})[k], undefined, k);
  }
  const hookProps = { override_username: 'Grafana', override_icon_url: icon };
  const url = `${server.url}/automation/channels/alerts`;
  const el = page.locator(`article[data-post-id="${forged.json.id}"]`);
  const author = el.locator('.post-author');
  try {
    // A plain user's post: the server dropped from_webhook, so even with both switches on the
    // real author shows, without a BOT tag or the icon.
    await withOverrides(url, { usernameOn: true, iconOn: true });
    await el.waitFor(WAIT);
    assert.equal(await author.textContent(), ADMIN.username);
    assert.equal(await el.getByText('BOT', { exact: true }).count(), 0);
    assert.equal(await el.locator('img.avatar').count(), 0);

    // The same post marked as a webhook's, switches on: the override and the BOT tag.
    await withOverrides(url, { usernameOn: true, iconOn: true, hookPostId: forged.json.id, hookProps });
    await el.locator('img.avatar').waitFor(WAIT);
    assert.equal(await author.textContent(), 'Grafana');
    assert.equal(await el.locator('img.avatar').getAttribute('src'), icon);
    await el.getByText('BOT', { exact: true }).waitFor(WAIT);
    await shot(page, 'chat-webhook-override');

    // A webhook's post while the server turns overrides off: the real author.
    await withOverrides(url, { usernameOn: false, iconOn: false, hookPostId: forged.json.id, hookProps });
    await el.getByText('BOT', { exact: true }).waitFor(WAIT);
    assert.equal(await author.textContent(), ADMIN.username);
    assert.equal(await el.locator('img.avatar').count(), 0);
  } finally {
    await page.unrouteAll({ behavior: 'wait' });
  }
});

test('readable at phone width: console and account settings', async () => {
  if (!await userMenu(ADMIN.username).isVisible()) await logInAs(ADMIN);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(server.url + '/admin_console/user_management/users');
  await page.getByRole('heading', { name: 'Users', exact: true }).waitFor(WAIT);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `page is ${overflow}px wider than the phone screen`);
  await shot(page, 'phone-console-users');
  await openMenuItem(ADMIN.username, 'Account Settings');
  await page.getByRole('dialog', { name: 'Account Settings' }).getByRole('tab', { name: 'Security' }).click();
  await shot(page, 'phone-account-settings');
  await page.keyboard.press('Escape');
  await page.setViewportSize({ width: 1280, height: 800 });
});
