// Integrations through the UI, on Mattermost's click paths: the System Console switches, then
// Integrations > Incoming Webhooks / Outgoing Webhooks / Slash Commands (add, the URL or token
// shown once, edit, regenerate, delete), a post sent to a hook URL appearing live, and `/` in
// the message box (suggestions, /echo, an ephemeral answer, goto_location). Steps share one
// server and run in order; screenshots land in e2e/ui/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, shot, http } from '../lib/harness.mjs';

const ADMIN = { username: 'sysadmin', email: 'sysadmin@example.com', password: 'Sysadmin-Passw0rd!' };
const WAIT = { timeout: 15000 };
const LIVE = { timeout: 5000 };

let server;
let browser;
let page;
let api;
let adminToken;
let team;
let channel;

before(async () => {
  server = await startServer();
  api = http(server.url);
  const a = await api.post('/users', null, { ...ADMIN });
  assert.equal(a.status, 201, JSON.stringify(a.json));
  adminToken = await api.login(ADMIN.username, ADMIN.password);
  team = (await api.post('/teams', adminToken, { name: 'ops', display_name: 'Ops', type: 'O' })).json;
  channel = (await api.post('/channels', adminToken, { team_id: team.id, name: 'alerts', display_name: 'Alerts', type: 'O' })).json;
  await api.post('/channels', adminToken, { team_id: team.id, name: 'deploys', display_name: 'Deploys', type: 'O' });

  browser = await launchBrowser();
  page = browser.context.pages()[0] || await browser.context.newPage();
  page.setDefaultTimeout(10000);
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

async function openMenuItem(item) {
  await page.locator('header.topbar').getByRole('button', { name: ADMIN.username, exact: true }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

const integrationsNav = () => page.getByRole('navigation', { name: 'Integrations' });
const connected = () => page.locator('.chat-wrap[data-synced="true"]').waitFor(WAIT);

async function setSwitch(label, value) {
  const group = page.getByRole('group', { name: `${label}:` });
  await group.getByRole('radio', { name: value ? 'True' : 'False' }).check();
}

test('System Console > Integration Management: the webhook, command and override switches save to the config', async () => {
  await openMenuItem('System Console');
  await page.getByRole('link', { name: 'Integration Management' }).click();
  await page.getByRole('heading', { name: 'Integration Management' }).waitFor(WAIT);
  for (const label of ['Enable Incoming Webhooks', 'Enable Outgoing Webhooks', 'Enable Custom Slash Commands',
    'Enable integrations to override usernames', 'Enable integrations to override profile picture icons',
    'Enable Personal Access Tokens']) {
    await page.getByRole('group', { name: `${label}:` }).waitFor(WAIT);
  }
  const cfg0 = (await api.get('/config', adminToken)).json.ServiceSettings;
  const groupValue = async (label) => page.getByRole('group', { name: `${label}:` }).getByRole('radio', { name: 'True' }).isChecked();
  assert.equal(await groupValue('Enable Incoming Webhooks'), cfg0.EnableIncomingWebhooks);
  assert.equal(await groupValue('Enable integrations to override usernames'), cfg0.EnablePostUsernameOverride);

  // Commands off and the username override on, then commands back on.
  await setSwitch('Enable Custom Slash Commands', false);
  await setSwitch('Enable integrations to override usernames', true);
  await shot(page, 'console-integration-switches');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor(WAIT);
  let cfg = (await api.get('/config', adminToken)).json.ServiceSettings;
  assert.equal(cfg.EnableCommands, false);
  assert.equal(cfg.EnablePostUsernameOverride, true);
  const refused = await api.post('/commands', adminToken, { team_id: team.id, trigger: 'x', url: 'https://example.com/x', method: 'P' });
  assert.equal(refused.status, 501, 'the switch really is off');

  // The Slash Commands page says so while it is off.
  await page.goto(`${server.url}/ops/integrations/commands/installed`);
  await page.getByText('Custom slash commands have been disabled by the system admin.').waitFor(WAIT);
  assert.equal(await page.getByRole('button', { name: 'Add Slash Command' }).isDisabled(), true);

  await page.goto(`${server.url}/admin_console/integrations/integration_management`);
  await setSwitch('Enable Custom Slash Commands', true);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor(WAIT);
  cfg = (await api.get('/config', adminToken)).json.ServiceSettings;
  assert.equal(cfg.EnableCommands, true);
});

let hookUrl;
let hookId;

test('Integrations > Incoming Webhooks > Add: the URL is shown once saved, and a POST to it appears live in the channel', async () => {
  await page.goto(`${server.url}/ops/channels/alerts`);
  await connected();
  await openMenuItem('Integrations');
  await page.getByRole('heading', { name: 'Integrations', exact: true }).waitFor(WAIT);
  await shot(page, 'integrations-landing');
  await integrationsNav().getByRole('link', { name: 'Incoming Webhooks' }).click();
  await page.getByText('No incoming webhooks.').waitFor(WAIT);
  await page.getByRole('button', { name: 'Add Incoming Webhook' }).click();
  const form = page.getByRole('form', { name: 'Add incoming webhook' });
  await form.getByLabel('Title', { exact: true }).fill('Grafana');
  await form.getByLabel('Description', { exact: true }).fill('Alerts from Grafana');
  await form.getByLabel('Channel', { exact: true }).selectOption({ label: 'Alerts' });
  await form.getByLabel('Lock to this channel').check();
  // The username override is on (previous step), so its field shows; the icon's does not.
  await form.getByLabel('Username').fill('grafana');
  assert.equal(await form.getByLabel('Profile Picture').count(), 0);
  await shot(page, 'incoming-webhook-form');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Setup Successful' }).waitFor(WAIT);
  hookUrl = await page.getByRole('textbox', { name: 'URL' }).inputValue();
  assert.match(hookUrl, new RegExp(`^${server.url}/hooks/[a-z0-9]{26}$`));
  hookId = hookUrl.split('/').pop();
  await shot(page, 'incoming-webhook-created');
  const stored = await api.get(`/hooks/incoming/${hookId}`, adminToken);
  assert.equal(stored.status, 200);
  assert.equal(stored.json.display_name, 'Grafana');
  assert.equal(stored.json.channel_id, channel.id);
  assert.equal(stored.json.channel_locked, true);
  assert.equal(stored.json.username, 'grafana');

  await page.getByRole('button', { name: 'Done' }).click();
  const item = page.locator(`article[data-id="${hookId}"]`);
  await item.getByText(hookUrl).waitFor(WAIT);
  await item.getByText('Never used').waitFor(WAIT);

  // Now the channel, and a POST to the hook from outside.
  await page.goto(`${server.url}/ops/channels/alerts`);
  await connected();
  const sent = await fetch(hookUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ text: 'CPU **above 90%** on db-1', username: 'grafana-bot' }),
  });
  assert.equal(sent.status, 200);
  assert.equal(await sent.text(), 'ok');
  const post = page.locator('article.post', { hasText: 'on db-1' });
  await post.getByText('above 90%', { exact: true }).waitFor(LIVE);
  await post.getByText('BOT', { exact: true }).waitFor(LIVE);
  assert.equal(await post.locator('.post-author').textContent(), 'grafana-bot');
  await shot(page, 'incoming-webhook-post');
});

test('Incoming Webhooks: edit, regenerate the URL, delete', async () => {
  await page.goto(`${server.url}/ops/integrations/incoming_webhooks`);
  const item = page.locator(`article[data-id="${hookId}"]`);
  await item.getByText('Last used').waitFor(WAIT);
  await item.getByRole('button', { name: 'Edit' }).click();
  const form = page.getByRole('form', { name: 'Edit incoming webhook' });
  assert.equal(await form.getByLabel('Title', { exact: true }).inputValue(), 'Grafana');
  await form.getByLabel('Title', { exact: true }).fill('Grafana (prod)');
  await form.getByLabel('Channel', { exact: true }).selectOption({ label: 'Deploys' });
  await form.getByRole('button', { name: 'Update' }).click();
  await item.getByRole('heading', { name: 'Grafana (prod)' }).waitFor(WAIT);
  await item.getByText('Deploys').waitFor(WAIT);
  const stored = (await api.get(`/hooks/incoming/${hookId}`, adminToken)).json;
  assert.equal(stored.display_name, 'Grafana (prod)');
  assert.notEqual(stored.channel_id, channel.id);

  await item.getByRole('button', { name: 'Regenerate URL' }).click();
  await page.getByRole('dialog', { name: 'Regenerate URL?' }).getByRole('button', { name: 'Regenerate URL' }).click();
  await item.waitFor({ state: 'detached' });
  const list = (await api.get(`/hooks/incoming?team_id=${team.id}`, adminToken)).json;
  assert.equal(list.length, 1);
  const newId = list[0].id;
  assert.notEqual(newId, hookId);
  const fresh = page.locator(`article[data-id="${newId}"]`);
  await fresh.getByText(`${server.url}/hooks/${newId}`).waitFor(WAIT);
  const old = await fetch(hookUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"x"}' });
  assert.equal(old.status, 400, 'the old URL no longer works');
  await shot(page, 'incoming-webhook-regenerated');

  await fresh.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete incoming webhook?' }).getByRole('button', { name: 'Delete' }).click();
  await page.getByText('No incoming webhooks.').waitFor(WAIT);
  assert.equal((await api.get(`/hooks/incoming/${newId}`, adminToken)).status, 404);
});

test('Integrations > Outgoing Webhooks: add (token shown), regenerate the token, delete', async () => {
  await integrationsNav().getByRole('link', { name: 'Outgoing Webhooks' }).click();
  await page.getByRole('button', { name: 'Add Outgoing Webhook' }).click();
  const form = page.getByRole('form', { name: 'Add outgoing webhook' });
  await form.getByLabel('Title', { exact: true }).fill('n8n trigger');
  await form.getByLabel('Content Type').selectOption('application/json');
  await form.getByLabel('Channel (optional)').selectOption({ label: 'Alerts' });
  await form.getByLabel('Trigger Words (One Per Line)').fill('deploy\nrollback');
  await form.getByLabel('Trigger When').selectOption({ label: 'First word starts with a trigger word' });
  await form.getByLabel('Callback URLs (One Per Line)').fill('https://n8n.example.com/webhook/abc');
  await shot(page, 'outgoing-webhook-form');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Setup Successful' }).waitFor(WAIT);
  const token = await page.getByRole('textbox', { name: 'Token' }).inputValue();
  const hooks = (await api.get(`/hooks/outgoing?team_id=${team.id}`, adminToken)).json;
  assert.equal(hooks.length, 1);
  const hook = hooks[0];
  assert.equal(token, hook.token);
  assert.deepEqual(hook.trigger_words, ['deploy', 'rollback']);
  assert.equal(hook.trigger_when, 1);
  assert.equal(hook.content_type, 'application/json');
  assert.equal(hook.channel_id, channel.id);
  assert.deepEqual(hook.callback_urls, ['https://n8n.example.com/webhook/abc']);
  await shot(page, 'outgoing-webhook-created');

  await page.getByRole('button', { name: 'Done' }).click();
  const item = page.locator(`article[data-id="${hook.id}"]`);
  await item.getByText(token).waitFor(WAIT);
  await item.getByRole('button', { name: 'Regenerate Token' }).click();
  await page.getByRole('dialog', { name: 'Regenerate Token?' }).getByRole('button', { name: 'Regenerate Token' }).click();
  await item.getByText(token).waitFor({ state: 'detached' });
  const regenerated = (await api.get(`/hooks/outgoing/${hook.id}`, adminToken)).json.token;
  assert.notEqual(regenerated, token);
  await item.getByText(regenerated).waitFor(WAIT);

  await item.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('form', { name: 'Edit outgoing webhook' });
  assert.equal(await edit.getByLabel('Trigger Words (One Per Line)').inputValue(), 'deploy\nrollback');
  await edit.getByLabel('Trigger Words (One Per Line)').fill('deploy');
  await edit.getByRole('button', { name: 'Update' }).click();
  await item.getByText('Trigger Words: deploy', { exact: false }).waitFor(WAIT);
  assert.deepEqual((await api.get(`/hooks/outgoing/${hook.id}`, adminToken)).json.trigger_words, ['deploy']);

  await item.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete outgoing webhook?' }).getByRole('button', { name: 'Delete' }).click();
  await page.getByText('No outgoing webhooks.').waitFor(WAIT);
});

test('Integrations > Slash Commands: add (token shown), edit, regenerate; the message box suggests it', async () => {
  await integrationsNav().getByRole('link', { name: 'Slash Commands' }).click();
  await page.getByRole('button', { name: 'Add Slash Command' }).click();
  const form = page.getByRole('form', { name: 'Add slash command' });
  await form.getByLabel('Title', { exact: true }).fill('Deploy');
  await form.getByLabel('Command Trigger Word').fill('deploy');
  await form.getByLabel('Request URL').fill('https://n8n.example.com/webhook/deploy');
  await form.getByLabel('Request Method').selectOption({ label: 'GET' });
  assert.equal(await form.getByLabel('Autocomplete Hint').isVisible(), false, 'hint fields show with Autocomplete');
  await form.getByLabel('Autocomplete', { exact: true }).check();
  await form.getByLabel('Autocomplete Hint').fill('[service]');
  await form.getByLabel('Autocomplete Description').fill('Deploy a service');
  await shot(page, 'slash-command-form');
  await form.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Setup Successful' }).waitFor(WAIT);
  const token = await page.getByRole('textbox', { name: 'Token' }).inputValue();
  const cmds = (await api.get(`/commands?team_id=${team.id}&custom_only=true`, adminToken)).json;
  assert.equal(cmds.length, 1);
  assert.equal(cmds[0].token, token);
  assert.equal(cmds[0].trigger, 'deploy');
  assert.equal(cmds[0].method, 'G');
  assert.equal(cmds[0].auto_complete, true);
  await page.getByRole('button', { name: 'Done' }).click();
  const item = page.locator(`article[data-id="${cmds[0].id}"]`);
  await item.getByText('/deploy').first().waitFor(WAIT);

  await item.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('form', { name: 'Edit slash command' });
  await edit.getByLabel('Description', { exact: true }).fill('Ships it');
  await edit.getByRole('button', { name: 'Update' }).click();
  await item.getByText('Ships it').waitFor(WAIT);

  await item.getByRole('button', { name: 'Regenerate Token' }).click();
  await page.getByRole('dialog', { name: 'Regenerate Token?' }).getByRole('button', { name: 'Regenerate Token' }).click();
  await item.getByText(token).waitFor({ state: 'detached' });
  assert.notEqual((await api.get(`/commands/${cmds[0].id}`, adminToken)).json.token, token);
  await shot(page, 'slash-command-list');

  // Typing `/dep` in the message box offers it; Tab completes it.
  await page.goto(`${server.url}/ops/channels/alerts`);
  await connected();
  const box = page.getByRole('textbox', { name: 'Write to Alerts' });
  await box.pressSequentially('/dep');
  const suggestions = page.getByRole('listbox', { name: 'Suggestions' });
  await suggestions.getByRole('option', { name: /\/deploy \[service\] Deploy a service/ }).waitFor(LIVE);
  await shot(page, 'slash-suggestions');
  await box.press('Tab');
  assert.equal(await box.inputValue(), '/deploy ');
  await box.fill('');
});

test('the message box runs commands: /echo posts, /away answers only to me, /join goes to the channel', async () => {
  const box = page.getByRole('textbox', { name: 'Write to Alerts' });
  // Built-ins are offered too (those upstream lists for autocomplete: /echo is not one).
  await box.pressSequentially('/shr');
  await page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option', { name: /\/shrug/ }).waitFor(LIVE);
  await box.press('Escape');
  assert.equal(await page.getByRole('listbox', { name: 'Suggestions' }).isVisible(), false);
  await box.fill('/echo hello from echo');
  await box.press('Enter');
  await page.locator('.post-list article.post', { hasText: 'hello from echo' }).waitFor(LIVE);
  assert.equal(await box.inputValue(), '');
  const posts = (await api.get(`/channels/${channel.id}/posts`, adminToken)).json;
  assert.ok(Object.values(posts.posts).some((p) => p.message === 'hello from echo'));
  await shot(page, 'slash-echo');

  await box.fill('/away');
  await box.press('Enter');
  const eph = page.locator('.post-list article.post', { hasText: 'You are now away' });
  await eph.getByText('(Only visible to you)').waitFor(LIVE);
  const after = (await api.get(`/channels/${channel.id}/posts`, adminToken)).json;
  assert.ok(!Object.values(after.posts).some((p) => p.message.includes('You are now away')), 'never stored');
  await shot(page, 'slash-ephemeral');

  await box.fill('/join ~deploys');
  await box.press('Enter');
  await page.waitForURL(`${server.url}/ops/channels/deploys`, WAIT);
  await page.getByRole('heading', { name: /Deploys/ }).waitFor(WAIT);

  // An unknown command shows the server's error and keeps the text.
  const box2 = page.getByRole('textbox', { name: 'Write to Deploys' });
  await box2.fill('/nosuchcommand now');
  await box2.press('Enter');
  await page.locator('.composer').getByRole('alert').waitFor(LIVE);
  assert.equal(await box2.inputValue(), '/nosuchcommand now');
  await shot(page, 'slash-unknown');
});

test('readable at phone width: the Integrations pages and the add form', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    for (const path of ['/ops/integrations', '/ops/integrations/commands/installed', '/ops/integrations/incoming_webhooks/add']) {
      await page.goto(server.url + path);
      await page.getByRole('navigation', { name: 'Integrations' }).waitFor(WAIT);
      await page.locator('.integrations-content h1').waitFor(WAIT);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${path} is ${overflow}px wider than the phone screen`);
    }
    await shot(page, 'phone-integrations-add');
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
});
