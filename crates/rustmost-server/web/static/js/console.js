// System Console: left sidebar of sections; boolean config pages (Integration Management with
// the webhook, command, override and token switches, Bot Accounts, Users and Teams) saved with
// PUT /config/patch; the Users list with the role menu
// (Manage Roles, Manage Tokens, Activate/Deactivate).

import { get, put, post } from './api.js';
import { h, clear, alertBox, modal, menuButton, confirmDialog, nextId, field, formatDate } from './dom.js';
import { session, refreshSession } from './session.js';
import { navigate } from './router.js';
import { shell } from './shell.js';

const SECTIONS = [
  ['USER MANAGEMENT', [['user_management', 'users', 'Users']]],
  ['SITE CONFIGURATION', [['site_config', 'users_and_teams', 'Users and Teams']]],
  ['INTEGRATIONS', [
    ['integrations', 'integration_management', 'Integration Management'],
    ['integrations', 'bot_accounts', 'Bot Accounts'],
  ]],
];

/** Boolean settings per config page: [json path, label, help]. */
const PAGES = {
  'integrations/integration_management': {
    title: 'Integration Management',
    settings: [
      ['ServiceSettings.EnableIncomingWebhooks', 'Enable Incoming Webhooks',
        'When true, incoming webhooks will be allowed. To help combat phishing attacks, all posts from webhooks will be labelled by a BOT tag.'],
      ['ServiceSettings.EnableOutgoingWebhooks', 'Enable Outgoing Webhooks',
        'When true, outgoing webhooks will be allowed.'],
      ['ServiceSettings.EnableCommands', 'Enable Custom Slash Commands',
        'When true, custom slash commands will be allowed.'],
      ['ServiceSettings.EnablePostUsernameOverride', 'Enable integrations to override usernames',
        'When true, webhooks, slash commands and other integrations will be allowed to change the username they are posting as. Note: Combined with allowing integrations to override profile picture icons, users may be able to perform phishing attacks by attempting to impersonate other users.'],
      ['ServiceSettings.EnablePostIconOverride', 'Enable integrations to override profile picture icons',
        'When true, webhooks, slash commands and other integrations will be allowed to change the profile picture they post with. Note: Combined with allowing integrations to override usernames, users may be able to perform phishing attacks by attempting to impersonate other users.'],
      ['ServiceSettings.EnableUserAccessTokens', 'Enable Personal Access Tokens',
        'When true, users can create personal access tokens for integrations in Account Settings > Security. They can be used to authenticate against the API and give full access to the account. To manage who can create personal access tokens, go to the System Console > User Management > Users page.'],
    ],
    numbers: [
      ['ServiceSettings.MaximumPersonalAccessTokenLifetimeDays', 'Maximum Personal Access Token Lifetime (days)',
        'The longest a new personal access token may live, in days. 0 means tokens may never expire.'],
    ],
  },
  'integrations/bot_accounts': {
    title: 'Bot Accounts',
    settings: [
      ['ServiceSettings.EnableBotAccountCreation', 'Enable Bot Account Creation',
        'When true, System Admins can create bot accounts for integrations in Integrations > Bot Accounts. Bot accounts are similar to user accounts except they cannot be used to log in.'],
      ['ServiceSettings.DisableBotsWhenOwnerIsDeactivated', 'Disable bot accounts when owner is deactivated',
        'When a user is deactivated, disables all bot accounts managed by the user. To re-enable bot accounts, go to Integrations > Bot Accounts.'],
    ],
  },
  'site_config/users_and_teams': {
    title: 'Users and Teams',
    settings: [
      ['TeamSettings.EnableUserCreation', 'Enable Account Creation',
        'When false, the ability to create accounts is disabled. The create account button displays error when pressed.'],
      ['TeamSettings.EnableOpenServer', 'Enable Open Server',
        'When true, anyone can sign up for a user account on this server without the need to be invited.'],
    ],
  },
};

export async function renderConsole(root, area, page) {
  if (!session.isAdmin) {
    clear(root, shell(h('div', { class: 'page' },
      h('h1', {}, 'System Console'),
      h('div', { class: 'alert alert-error', role: 'alert' }, 'You do not have the appropriate permissions.')),
    { title: 'System Console' }));
    return;
  }
  if (!area) {
    navigate('/admin_console/user_management/users', true);
    return;
  }
  const key = `${area}/${page}`;
  const nav = h('nav', { class: 'console-nav', 'aria-label': 'System Console' },
    SECTIONS.map(([heading, links]) => h('div', { class: 'console-section' },
      h('h2', {}, heading),
      h('ul', {}, links.map(([a, p, label]) => h('li', {},
        h('a', {
          href: `/admin_console/${a}/${p}`,
          'data-nav': '',
          'aria-current': `${a}/${p}` === key ? 'page' : null,
        }, label)))))));
  const content = h('div', { class: 'console-content' });
  clear(root, shell(h('div', { class: 'console' }, nav, content), { title: 'System Console' }));
  if (key === 'user_management/users') await renderUsers(content);
  else if (PAGES[key]) await renderConfigPage(content, PAGES[key]);
  else clear(content, h('h1', {}, 'Page not found'));
}

function getPath(obj, path) {
  return path.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

function patchFor(path, value) {
  const keys = path.split('.');
  const out = {};
  let cur = out;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) cur[k] = value;
    else cur = cur[k] = {};
  });
  return out;
}

function mergeDeep(a, b) {
  for (const [k, v] of Object.entries(b)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) a[k] = mergeDeep(a[k] || {}, v);
    else a[k] = v;
  }
  return a;
}

async function renderConfigPage(content, spec) {
  const err = alertBox();
  const status = h('p', { class: 'save-status', role: 'status' });
  let config;
  let env = {};
  try {
    config = await get('/config');
    env = await get('/config/environment').catch(() => ({}));
  } catch (e) {
    clear(content, h('h1', {}, spec.title), err);
    err.showError(e);
    return;
  }
  const controls = [];
  const save = h('button', { type: 'submit', class: 'btn btn-primary', disabled: true }, 'Save');
  const dirty = () => {
    save.disabled = !controls.some((c) => c.changed());
    status.textContent = '';
  };
  const settingEls = spec.settings.filter(([path]) => getPath(config, path) !== undefined).map(([path, label, help]) => {
    const value = getPath(config, path) === true;
    const locked = getPath(env, path) === true;
    const name = nextId('setting');
    const helpId = name + '-help';
    const legendId = name + '-legend';
    const t = h('input', { type: 'radio', name, value: 'true', checked: value, disabled: locked, onchange: dirty });
    const f = h('input', { type: 'radio', name, value: 'false', checked: !value, disabled: locked, onchange: dirty });
    controls.push({
      path,
      changed: () => t.checked !== value,
      value: () => t.checked,
    });
    return h('fieldset', { class: 'setting-row', 'aria-describedby': helpId, 'aria-labelledby': legendId },
      h('legend', { id: legendId }, label + ':'),
      h('div', { class: 'radios' },
        h('label', {}, t, ' True'),
        h('label', {}, f, ' False')),
      h('p', { class: 'help', id: helpId }, help,
        locked ? h('span', { class: 'env-note' }, ' This setting has been set through an environment variable. It cannot be changed through the System Console.') : null));
  });
  const numberEls = (spec.numbers || []).filter(([path]) => getPath(config, path) !== undefined).map(([path, label, help]) => {
    const value = Number(getPath(config, path));
    const locked = getPath(env, path) === true;
    const f = field(label, { type: 'number', min: '0', value: String(value), disabled: locked, oninput: dirty }, help);
    controls.push({
      path,
      changed: () => f.input.value !== '' && Number(f.input.value) !== value,
      value: () => Number(f.input.value),
    });
    return h('div', { class: 'setting-row' }, f.wrap);
  });
  const form = h('form', {
    class: 'config-form',
    onsubmit: async (e) => {
      e.preventDefault();
      err.show('');
      const patch = controls.filter((c) => c.changed())
        .reduce((acc, c) => mergeDeep(acc, patchFor(c.path, c.value())), {});
      save.disabled = true;
      try {
        await put('/config/patch', patch);
        await refreshSession();
        await renderConfigPage(content, spec);
        content.querySelector('.save-status').textContent = 'Settings saved.';
      } catch (e2) {
        err.showError(e2);
        save.disabled = false;
      }
    },
  }, settingEls, numberEls, h('div', { class: 'save-bar' }, save, status));
  clear(content, h('h1', {}, spec.title), err, form);
}

// ---- Users ----

function roleLabel(u) {
  const roles = u.roles.split(' ');
  if (roles.includes('system_admin')) return 'System Admin';
  if (u.is_bot) return 'Bot';
  return 'Member';
}

async function fetchAllUsers() {
  const all = [];
  for (let page = 0; page < 50; page++) {
    const batch = await get(`/users?page=${page}&per_page=200`);
    all.push(...batch);
    if (batch.length < 200) break;
  }
  return all;
}

async function renderUsers(content) {
  const err = alertBox();
  const search = h('input', {
    type: 'search', id: 'user-search', placeholder: 'Search users',
    'aria-label': 'Search users', autocomplete: 'off',
  });
  const tbody = h('tbody');
  const count = h('p', { class: 'muted', role: 'status' });
  clear(content,
    h('h1', {}, 'Users'),
    err,
    h('div', { class: 'toolbar' }, search, count),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'users-table' },
        h('caption', { class: 'sr-only' }, 'Users'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'User'),
          h('th', { scope: 'col' }, 'Email'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Role'))),
        tbody)));
  let users = [];
  const draw = () => {
    const q = search.value.trim().toLowerCase().replace(/^@/, '');
    const shown = users.filter((u) => !q ||
      [u.username, u.email, u.first_name, u.last_name, u.nickname, u.id]
        .some((x) => (x || '').toLowerCase().includes(q)));
    count.textContent = `${shown.length} of ${users.length} users`;
    clear(tbody, shown.map((u) => userRow(u, reload, err)));
  };
  async function reload() {
    try {
      users = await fetchAllUsers();
      draw();
    } catch (e) {
      err.showError(e);
    }
  }
  search.addEventListener('input', draw);
  await reload();
}

function userRow(u, reload, err) {
  const nameId = nextId('user');
  const full = [u.first_name, u.last_name].filter(Boolean).join(' ');
  const inactive = u.delete_at > 0;
  const menu = menuButton(roleLabel(u), [
    { label: 'Manage Roles', onclick: () => manageRoles(u, reload) },
    { label: 'Manage Tokens', onclick: () => manageTokens(u) },
    {
      label: inactive ? 'Activate' : 'Deactivate',
      hidden: u.id === session.me.id || u.is_bot,
      onclick: () => setActive(u, inactive, reload, err),
    },
  ]);
  menu.querySelector('button').setAttribute('aria-describedby', nameId);
  return h('tr', { 'data-username': u.username, class: inactive ? 'inactive' : '' },
    h('td', { id: nameId },
      h('strong', {}, '@' + u.username),
      u.is_bot ? h('span', { class: 'badge' }, 'BOT') : null,
      full ? h('div', { class: 'muted' }, full) : null),
    h('td', {}, u.is_bot ? '' : u.email || ''),
    h('td', {}, inactive ? 'Inactive' : 'Active'),
    h('td', {}, menu));
}

async function setActive(u, active, reload, err) {
  if (!active) {
    const ok = await confirmDialog({
      title: `Deactivate ${u.username}`,
      message: 'Deactivating this user logs them out of all sessions and removes their access. Are you sure you want to deactivate ' + u.username + '?',
      confirmLabel: 'Deactivate',
      danger: true,
    });
    if (!ok) return;
  }
  err.show('');
  try {
    await put(`/users/${u.id}/active`, { active });
    await reload();
  } catch (e) {
    err.showError(e);
  }
}

/** Mattermost's Manage Roles dialog: System Admin/Member, the PAT role and post:all/post:channels. */
export function manageRoles(u, onSaved) {
  const roles = u.roles.split(' ');
  const err = alertBox();
  const tokensEnabled = session.config.EnableUserAccessTokens === 'true';
  const radioName = nextId('role');
  const admin = h('input', { type: 'radio', name: radioName, value: 'system_admin', checked: roles.includes('system_admin') });
  const member = h('input', { type: 'radio', name: radioName, value: 'member', checked: !roles.includes('system_admin') });
  const pat = h('input', { type: 'checkbox', checked: roles.includes('system_user_access_token') });
  const postAll = h('input', { type: 'checkbox', checked: roles.includes('system_post_all') });
  const postPublic = h('input', { type: 'checkbox', checked: roles.includes('system_post_all_public') });
  const extra = h('div', { class: 'additional-roles' },
    h('p', {}, 'Select additional permissions for the account.'),
    h('label', { class: 'check' }, postAll, h('strong', {}, 'post:all'), ' Access to post to all Mattermost channels including direct messages.'),
    h('label', { class: 'check' }, postPublic, h('strong', {}, 'post:channels'), ' Access to post to all Mattermost public channels.'));
  const sync = () => {
    const isAdmin = admin.checked;
    pat.disabled = isAdmin;
    postAll.disabled = isAdmin;
    postPublic.disabled = isAdmin || postAll.checked;
    if (postAll.checked) postPublic.checked = true;
    extra.hidden = !(isAdmin || pat.checked || u.is_bot);
  };
  [admin, member, pat, postAll, postPublic].forEach((el) => el.addEventListener('change', sync));
  const patSection = u.is_bot ? null : h('div', {},
    h('label', { class: 'check' }, pat, 'Allow this account to generate personal access tokens.'),
    h('p', { class: 'help' },
      "Removing this permission doesn't delete existing tokens. To delete them, go to the user's Manage Tokens menu."),
    tokensEnabled ? null : h('p', { class: 'alert alert-info' },
      'Personal access tokens are disabled on this server: enable them in Integrations > Integration Management before the user can create one.'));
  const body = h('div', {},
    h('p', { class: 'manage-user' }, h('strong', {}, '@' + u.username), u.is_bot ? h('span', { class: 'badge' }, 'BOT') : null,
      u.email && !u.is_bot ? h('span', { class: 'muted' }, ' ' + u.email) : null),
    h('fieldset', { class: 'radios' },
      h('legend', { class: 'sr-only' }, 'System role'),
      h('label', {}, admin, ' System Admin'),
      h('label', {}, member, ' Member')),
    patSection, extra, err);
  sync();
  modal({
    title: 'Manage Roles',
    body,
    buttons: [
      { label: 'Cancel', onclick: (close) => close() },
      {
        label: 'Save',
        class: 'btn-primary',
        onclick: async (close) => {
          let next = 'system_user';
          if (admin.checked) next += ' system_admin';
          else if (pat.checked || u.is_bot) {
            if (pat.checked) next += ' system_user_access_token';
            if (postAll.checked) next += ' system_post_all';
            else if (postPublic.checked) next += ' system_post_all_public';
          }
          try {
            await put(`/users/${u.id}/roles`, { roles: next });
            if (u.id === session.me.id) await refreshSession();
            close();
            if (onSaved) await onSaved();
          } catch (e) {
            err.showError(e);
          }
        },
      },
    ],
  });
}

/** Another user's tokens, as a System Admin sees them (list and delete). */
async function manageTokens(u) {
  const err = alertBox();
  const list = h('ul', { class: 'token-list', 'aria-label': 'Tokens' });
  const load = async () => {
    try {
      const tokens = await get(`/users/${u.id}/tokens?page=0&per_page=200`);
      clear(list, tokens.length ? tokens.map((t) => h('li', { class: 'token-item' },
        h('div', {}, h('span', { class: 'k' }, 'Token Description: '), t.description),
        h('div', {}, h('span', { class: 'k' }, 'Token ID: '), h('code', {}, t.id)),
        h('div', { class: 'token-meta' }, t.is_active ? 'Active' : 'Disabled',
          t.expires_at ? ' - expires ' + formatDate(t.expires_at) : ''),
        h('button', {
          type: 'button',
          class: 'btn btn-link text-danger',
          onclick: async () => {
            if (!await confirmDialog({ title: 'Delete Token?', message: `Delete the ${t.description} token? You cannot undo this action.`, confirmLabel: 'Yes, Delete', danger: true })) return;
            try {
              await post('/users/tokens/revoke', { token_id: t.id });
              await load();
            } catch (e) {
              err.showError(e);
            }
          },
        }, 'Delete'))) : h('li', { class: 'muted' }, 'No personal access tokens.'));
    } catch (e) {
      err.showError(e);
    }
  };
  modal({
    title: 'Manage Tokens',
    body: h('div', {}, h('p', {}, 'Personal access tokens of ', h('strong', {}, '@' + u.username)), err, list),
    buttons: [{ label: 'Close', onclick: (close) => close() }],
  });
  await load();
}
