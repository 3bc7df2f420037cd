// Personal access token management, shared by Account Settings > Security (your own tokens)
// and Integrations > Bot Accounts (a bot's tokens): list with Disable/Enable/Delete, expiry and
// last use, and the create flow (Token Description, Save, Yes, Create, token shown once).

import { get, post } from './api.js';
import { h, clear, field, alertBox, confirmDialog, formatDate, copyText, nextId } from './dom.js';

const DAY = 24 * 60 * 60 * 1000;
const EXPIRY_CHOICES = [
  ['never', 'Never', 0],
  ['7', '7 days', 7],
  ['30', '30 days', 30],
  ['60', '60 days', 60],
  ['90', '90 days', 90],
  ['365', '1 year', 365],
  ['custom', 'Custom date', -1],
];

/** The "last used" time, whichever name the server uses for it; undefined if not reported. */
function lastUsed(t) {
  for (const k of ['last_used_at', 'last_used', 'last_activity_at']) {
    if (k in t) return t[k] || 0;
  }
  return undefined;
}

function expiryText(t) {
  if (!t.expires_at) return 'Expires: Never';
  const when = formatDate(t.expires_at);
  return t.expires_at <= Date.now() ? `Expired: ${when}` : `Expires: ${when}`;
}

/**
 * The token manager for `userId`. Options: `username`, `isSystemAdmin` (Mattermost's warning
 * before creating), `isBot` (no confirmation step, as in Mattermost's bot page),
 * `maxDays` (MaximumPersonalAccessTokenLifetimeDays; 0 = no limit).
 */
export function tokenManager(opts) {
  const { userId, isSystemAdmin = false, isBot = false } = opts;
  const maxDays = Number(opts.maxDays || 0);
  const err = alertBox();
  const list = h('ul', { class: 'token-list', 'aria-label': 'Tokens' });
  const creator = h('div', { class: 'token-create' });
  const root = h('div', { class: 'token-manager' }, err, list, creator);
  let tokens = [];
  let justCreatedId = null;

  async function load() {
    try {
      tokens = (await get(`/users/${userId}/tokens?page=0&per_page=200`)) || [];
      renderList();
    } catch (e) {
      err.showError(e);
    }
  }

  // The token just created is listed too (marked New) while its secret is shown below, so
  // the list never says there are no tokens beside the one the user has just made.
  function renderList() {
    if (!tokens.length) {
      clear(list, h('li', { class: 'muted' }, 'No personal access tokens.'));
      return;
    }
    clear(list, tokens.map(tokenItem));
  }

  function tokenItem(t) {
    const used = lastUsed(t);
    const descId = nextId('tok');
    return h('li', { class: 'token-item' + (t.is_active ? '' : ' token-disabled'), 'data-token-id': t.id },
      h('div', { class: 'token-desc', id: descId }, h('span', { class: 'k' }, 'Token Description: '), t.description),
      h('div', { class: 'token-id' }, h('span', { class: 'k' }, 'Token ID: '), h('code', {}, t.id)),
      h('div', { class: 'token-meta' },
        h('span', { class: 'badge ' + (t.is_active ? 'badge-ok' : 'badge-off') }, t.is_active ? 'Active' : 'Disabled'),
        t.id === justCreatedId ? h('span', { class: 'badge badge-new' }, 'New') : null,
        h('span', {}, expiryText(t)),
        used === undefined ? null
          : h('span', {}, used ? `Last used: ${formatDate(used)}` : 'Last used: Never')),
      h('div', { class: 'token-actions' },
        t.is_active
          ? h('button', { type: 'button', class: 'btn btn-link', 'aria-describedby': descId, onclick: () => setActive(t, false) }, 'Disable')
          : h('button', { type: 'button', class: 'btn btn-link', 'aria-describedby': descId, onclick: () => setActive(t, true) }, 'Enable'),
        h('button', { type: 'button', class: 'btn btn-link text-danger', 'aria-describedby': descId, onclick: () => revoke(t) }, 'Delete')));
  }

  async function setActive(t, active) {
    err.show('');
    try {
      await post(`/users/tokens/${active ? 'enable' : 'disable'}`, { token_id: t.id });
      await load();
    } catch (e) {
      err.showError(e);
    }
  }

  async function revoke(t) {
    const ok = await confirmDialog({
      title: 'Delete Token?',
      message: [
        'Any integrations using this token will no longer be able to access the Mattermost API. You cannot undo this action.',
        h('br'), h('br'),
        'Are you sure want to delete the ', h('strong', {}, t.description), ' token?',
      ],
      confirmLabel: 'Yes, Delete',
      danger: true,
    });
    if (!ok) return;
    err.show('');
    try {
      await post('/users/tokens/revoke', { token_id: t.id });
      if (justCreatedId === t.id) justCreatedId = null;
      await load();
    } catch (e) {
      err.showError(e);
    }
  }

  function showCreateButton() {
    clear(creator, h('button', {
      type: 'button',
      class: 'btn btn-primary',
      onclick: showForm,
    }, 'Create Token'));
  }

  function showForm() {
    justCreatedId = null;
    renderList();
    const formErr = alertBox();
    const desc = field('Token Description', { maxlength: '64', autocomplete: 'off' },
      'Enter a description for your token to remember what it does.');
    const choices = EXPIRY_CHOICES.filter(([, , d]) => (maxDays ? d > 0 && d <= maxDays : true) || d < 0);
    const expiry = field('Expires', {
      tag: 'select',
      options: choices.map(([v, label]) => h('option', { value: v }, label)),
    }, maxDays ? `Tokens on this server expire after at most ${maxDays} days.` : 'When the token stops working.');
    if (maxDays) expiry.input.value = choices.filter(([, , d]) => d > 0).pop()?.[0] || 'custom';
    const custom = field('Expiry date', { type: 'date', min: isoDay(Date.now() + DAY) });
    custom.wrap.hidden = expiry.input.value !== 'custom';
    expiry.input.addEventListener('change', () => {
      custom.wrap.hidden = expiry.input.value !== 'custom';
    });
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');
    const form = h('form', {
      class: 'token-form',
      'aria-label': 'Create Token',
      onsubmit: async (e) => {
        e.preventDefault();
        formErr.show('');
        const description = desc.input.value.trim();
        if (!description) {
          formErr.show('Please enter a description.');
          desc.input.focus();
          return;
        }
        let expiresAt = 0;
        const choice = expiry.input.value;
        if (choice === 'custom') {
          if (!custom.input.value) {
            formErr.show('Please choose an expiry date.');
            custom.input.focus();
            return;
          }
          expiresAt = new Date(custom.input.value + 'T23:59:59').getTime();
        } else if (choice !== 'never') {
          expiresAt = Date.now() + Number(choice) * DAY;
        }
        if (!isBot) {
          const ok = await confirmDialog(isSystemAdmin ? {
            title: 'Create System Admin Personal Access Token',
            message: 'You are generating a personal access token with System Admin permissions. Are you sure want to create this token?',
            confirmLabel: 'Yes, Create',
            danger: true,
          } : {
            title: 'Create Personal Access Token',
            message: 'Anyone who has this token can use the API as you, with all of your permissions. Are you sure want to create this token?',
            confirmLabel: 'Yes, Create',
          });
          if (!ok) return;
        }
        save.disabled = true;
        try {
          const body = { description };
          if (expiresAt) body.expires_at = expiresAt;
          const created = await post(`/users/${userId}/tokens`, body);
          justCreatedId = created.id;
          // Listed at once from the answer (without its secret); the reload then confirms it.
          const { token: _secret, ...listed } = created;
          tokens = [...tokens.filter((t) => t.id !== created.id), listed];
          renderList();
          showCreated(created);
          await load();
        } catch (e2) {
          formErr.showError(e2);
          save.disabled = false;
        }
      },
    },
    formErr, desc.wrap, expiry.wrap, custom.wrap,
    h('div', { class: 'form-actions' }, save,
      h('button', { type: 'button', class: 'btn btn-secondary', onclick: showCreateButton }, 'Cancel')));
    clear(creator, form);
    desc.input.focus();
  }

  function showCreated(t) {
    const tokenInput = h('input', {
      type: 'text', readonly: true, class: 'token-secret', value: t.token,
      'aria-label': 'Access Token', id: nextId('secret'), spellcheck: 'false',
    });
    const copied = h('span', { class: 'copied', role: 'status' });
    const panel = h('div', { class: 'alert alert-warning token-created', role: 'region', 'aria-label': 'New token' },
      h('p', { class: 'strong' }, "Please copy the access token below. You won't be able to see it again!"),
      h('div', {}, h('span', { class: 'k' }, 'Token Description: '), t.description),
      h('div', {}, h('span', { class: 'k' }, 'Token ID: '), h('code', { class: 'created-token-id' }, t.id),
        h('span', { class: 'muted' }, ' (identifies the token; it does not authenticate)')),
      h('div', { class: 'k' }, h('label', { for: tokenInput.id }, 'Access Token: ')),
      h('div', { class: 'secret-row' }, tokenInput,
        h('button', {
          type: 'button',
          class: 'btn btn-secondary',
          onclick: async () => {
            const ok = await copyText(t.token, tokenInput);
            copied.textContent = ok ? 'Copied' : 'Select the token and copy it';
          },
        }, 'Copy'), copied),
      t.expires_at ? h('div', {}, expiryText(t)) : null,
      h('div', { class: 'form-actions' },
        h('button', {
          type: 'button',
          class: 'btn btn-secondary',
          onclick: () => {
            justCreatedId = null;
            renderList();
            showCreateButton();
          },
        }, 'Done')));
    clear(creator, panel);
    tokenInput.focus();
    tokenInput.select();
  }

  showCreateButton();
  load();
  root.reload = load;
  root.create = showForm;
  return root;
}

function isoDay(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
