// Account Settings: a dialog with General (profile) and Security (Password, Personal Access
// Tokens) tabs. Each setting collapses to a title, a one-line description and an Edit button.

import { put } from './api.js';
import { h, clear, modal, field, alertBox, nextId } from './dom.js';
import { session, refreshSession } from './session.js';
import { tokenManager } from './tokens.js';

export function openAccountSettings(initialTab = 'general') {
  const panel = h('div', { class: 'settings-panel', role: 'tabpanel', tabindex: '-1' });
  const tabs = [
    ['general', 'General', renderGeneral],
    ['security', 'Security', renderSecurity],
  ];
  const tabButtons = tabs.map(([key, label]) => h('button', {
    type: 'button',
    role: 'tab',
    id: 'settings-tab-' + key,
    'aria-controls': 'settings-panel',
    onclick: () => select(key),
    onkeydown: (e) => {
      const i = tabs.findIndex(([k]) => k === key);
      if (e.key === 'ArrowDown' || e.key === 'ArrowRight') {
        e.preventDefault();
        select(tabs[(i + 1) % tabs.length][0], true);
      } else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') {
        e.preventDefault();
        select(tabs[(i - 1 + tabs.length) % tabs.length][0], true);
      }
    },
  }, label));
  panel.id = 'settings-panel';
  function select(key, focus) {
    tabs.forEach(([k], i) => {
      const on = k === key;
      tabButtons[i].setAttribute('aria-selected', on ? 'true' : 'false');
      tabButtons[i].tabIndex = on ? 0 : -1;
      if (on && focus) tabButtons[i].focus();
    });
    panel.setAttribute('aria-labelledby', 'settings-tab-' + key);
    tabs.find(([k]) => k === key)[2](panel);
  }
  const body = h('div', { class: 'settings' },
    h('div', { class: 'settings-tabs', role: 'tablist', 'aria-orientation': 'vertical', 'aria-label': 'Settings' }, tabButtons),
    panel);
  modal({ title: 'Account Settings', body, wide: true });
  select(initialTab, true);
}

/** One collapsible setting row: title, description, Edit; `editor(close)` builds the open form. */
function section(title, describe, editor, { startOpen = false, editable = true } = {}) {
  const wrap = h('section', { class: 'setting', 'aria-label': title });
  const titleId = nextId('setting');
  function collapsed() {
    clear(wrap,
      h('div', { class: 'setting-min' },
        h('div', {},
          h('h3', { id: titleId }, title),
          h('p', { class: 'setting-describe' }, describe)),
        editable ? h('button', {
          type: 'button',
          class: 'btn btn-link',
          'aria-expanded': 'false',
          'aria-describedby': titleId,
          onclick: expanded,
        }, 'Edit') : null));
  }
  function expanded() {
    clear(wrap,
      h('div', { class: 'setting-max' },
        h('h3', { id: titleId }, title),
        editor(() => {
          collapsed();
          wrap.querySelector('button')?.focus();
        })));
    const first = wrap.querySelector('input, select, textarea, button.btn-primary');
    if (first) first.focus();
  }
  if (startOpen) expanded();
  else collapsed();
  return wrap;
}

function renderGeneral(panel) {
  const me = session.me;
  const fullName = [me.first_name, me.last_name].filter(Boolean).join(' ');
  clear(panel,
    h('h2', { class: 'tab-header' }, 'General Settings'),
    section('Full Name', fullName || "Click 'Edit' to add your full name", (done) => {
      const err = alertBox();
      const first = field('First Name', { value: me.first_name || '', autocomplete: 'given-name' });
      const last = field('Last Name', { value: me.last_name || '', autocomplete: 'family-name' });
      return h('form', {
        onsubmit: async (e) => {
          e.preventDefault();
          try {
            await put('/users/me/patch', { first_name: first.input.value, last_name: last.input.value });
            await refreshSession();
            renderGeneral(panel);
          } catch (e2) {
            err.showError(e2);
          }
        },
      }, err, first.wrap, last.wrap, saveCancel(done));
    }),
    section('Username', me.username, null, { editable: false }),
    section('Email', me.email || '', null, { editable: false }),
    section('Roles', me.roles, null, { editable: false }));
}

function saveCancel(done) {
  return h('div', { class: 'form-actions' },
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save'),
    h('button', { type: 'button', class: 'btn btn-secondary', onclick: done }, 'Cancel'));
}

function renderSecurity(panel) {
  const me = session.me;
  clear(panel,
    h('h2', { class: 'tab-header' }, 'Security Settings'),
    section('Password', me.last_password_update
      ? 'Last updated ' + new Date(me.last_password_update).toLocaleDateString()
      : "Click 'Edit' to change your password", (done) => {
      const err = alertBox();
      const cur = field('Current Password', { type: 'password', autocomplete: 'current-password' });
      const next = field('New Password', { type: 'password', autocomplete: 'new-password' });
      const again = field('Retype New Password', { type: 'password', autocomplete: 'new-password' });
      return h('form', {
        onsubmit: async (e) => {
          e.preventDefault();
          if (!cur.input.value) return err.show('Please enter your current password.');
          if (next.input.value !== again.input.value) return err.show('The new passwords you entered do not match.');
          try {
            await put(`/users/${me.id}/password`, {
              current_password: cur.input.value, new_password: next.input.value,
            });
            await refreshSession();
            renderSecurity(panel);
          } catch (e2) {
            err.showError(e2);
          }
          return undefined;
        },
      }, err, cur.wrap, next.wrap, again.wrap, saveCancel(done));
    }),
    tokensSection());
}

function tokensSection() {
  const enabled = session.config.EnableUserAccessTokens === 'true';
  const allowed = session.can('create_user_access_token');
  if (!enabled || !allowed) {
    // Mattermost hides the section; we keep it and say why, so the guide's step can be followed.
    const why = !enabled
      ? 'Personal access tokens are disabled on this server. A System Admin can enable them in System Console > Integrations > Integration Management.'
      : 'Your account is not allowed to create personal access tokens. A System Admin can allow it in System Console > User Management > Users > Manage Roles.';
    return section('Personal Access Tokens', why, null, { editable: false });
  }
  return section('Personal Access Tokens', "Click 'Edit' to manage your personal access tokens", (done) =>
    h('div', {},
      h('p', { class: 'help' },
        'Personal access tokens function similarly to session tokens and can be used by integrations to authenticate against the REST API.'),
      tokenManager({
        userId: session.me.id,
        isSystemAdmin: session.isAdmin,
        maxDays: session.config.MaximumPersonalAccessTokenLifetimeDays,
      }),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn btn-secondary', onclick: done }, 'Close'))));
}
