// Boot, session state, the client-side router and the page shell (the username menu at the
// top left with Account Settings, Integrations, System Console and Log Out).

import { get, post, setSessionExpiredHandler } from './api.js';
import { h, clear, menuButton } from './dom.js';
import { renderLogin, renderSignup } from './login.js';
import { openAccountSettings } from './settings.js';
import { renderConsole } from './console.js';
import { renderBots } from './bots.js';
import { renderChat, stopChat } from './chat.js';

/** What the UI knows about the signed-in user. */
export const session = {
  me: null,
  config: {},
  perms: new Set(),
  get isAdmin() {
    return !!this.me && this.me.roles.split(' ').includes('system_admin');
  },
  can(perm) {
    return this.perms.has(perm);
  },
};

/** Reloads the user, the client config and the permissions of the user's system roles. */
export async function refreshSession() {
  session.me = await get('/users/me', { quiet401: true });
  session.config = await get('/config/client?format=old');
  const names = session.me.roles.split(' ').filter(Boolean);
  const roles = names.length ? await post('/roles/names', names) : [];
  session.perms = new Set(roles.flatMap((r) => (r.delete_at ? [] : r.permissions || [])));
}

const root = () => document.getElementById('app');

export function navigate(path, replace = false) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route();
}

let noticeForLogin = '';
/** Sends the user to the login page with a message (used when the session has expired). */
export function toLogin(message) {
  noticeForLogin = message || '';
  session.me = null;
  navigate('/login', true);
}

setSessionExpiredHandler((err) => {
  if (session.me) toLogin(err.message);
});

export async function logout() {
  try {
    await post('/users/logout');
  } catch {
    // the session is gone either way
  }
  session.me = null;
  session.perms = new Set();
  toLogin('');
}

/** The app shell: top bar with the username menu, then `content`. */
export function shell(content, { title } = {}) {
  const me = session.me;
  const items = [
    { label: 'Account Settings', onclick: () => openAccountSettings() },
    {
      label: 'Integrations',
      onclick: () => navigate('/integrations/bots'),
      hidden: !(session.can('create_bot') || session.can('read_bots') || session.can('manage_bots')),
    },
    { label: 'System Console', onclick: () => navigate('/admin_console'), hidden: !session.isAdmin },
    { label: 'Log Out', onclick: logout },
  ];
  const menu = menuButton(
    h('span', { class: 'username' }, me.username),
    items,
    { class: 'user-menu-btn' },
  );
  const header = h('header', { class: 'topbar' },
    h('div', { class: 'topbar-left' }, menu),
    h('a', { href: '/', class: 'brand', 'data-nav': '' }, session.config.SiteName || 'Rustmost'),
    title ? h('span', { class: 'topbar-title' }, title) : null);
  document.title = (title ? title + ' - ' : '') + (session.config.SiteName || 'Rustmost');
  return h('div', { class: 'app' }, header, h('main', { id: 'main', class: 'main' }, content));
}

const ROUTES = [
  [/^\/login\/?$/, () => renderLogin(root(), consumeNotice())],
  [/^\/signup_user_complete\/?$/, () => renderSignup(root())],
  [/^\/admin_console(?:\/([a-z_]+)\/([a-z_]+))?\/?$/, (m) => renderConsole(root(), m[1], m[2]), true],
  [/^\/(?:[a-z0-9_-]+\/)?integrations\/bots\/?$/, () => renderBots(root()), true],
  [/^\/([a-z0-9_-]+)\/channels\/([a-z0-9_-]+)\/?$/, (m) => renderChat(root(), m[1], m[2]), true],
  [/^\/([a-z0-9_-]+)\/?$/, (m) => renderChat(root(), m[1], null), true],
  [/^\/$/, () => renderChat(root(), null, null), true],
];

function consumeNotice() {
  const n = noticeForLogin;
  noticeForLogin = '';
  return n;
}

let routing = 0;
export async function route() {
  const my = ++routing;
  stopChat();
  const path = location.pathname;
  for (const [re, render, needsSession] of ROUTES) {
    const m = path.match(re);
    if (!m) continue;
    if (needsSession && !session.me) {
      try {
        await refreshSession();
      } catch {
        if (my !== routing) return;
        const next = path === '/' ? '' : '?redirect_to=' + encodeURIComponent(path);
        history.replaceState(null, '', '/login' + next);
        renderLogin(root(), consumeNotice());
        return;
      }
    }
    if (my !== routing) return;
    await render(m);
    return;
  }
  clear(root(), h('main', { class: 'center-page' },
    h('h1', {}, 'Page not found'),
    h('p', {}, h('a', { href: '/', 'data-nav': '' }, 'Back to Rustmost'))));
}

document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[data-nav]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', route);
route();
