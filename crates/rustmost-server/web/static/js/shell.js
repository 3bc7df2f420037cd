// The page shell around every signed-in page: the top bar with the username menu (Account
// Settings, Integrations, System Console, Log Out) and the brand link.

import { post } from './api.js';
import { h, menuButton } from './dom.js';
import { session, forgetSession } from './session.js';
import { navigate, toLogin } from './router.js';
import { openAccountSettings } from './settings.js';
import { stopRealtime } from './realtime.js';

export async function logout() {
  stopRealtime();
  try {
    await post('/users/logout');
  } catch {
    // the session is gone either way
  }
  forgetSession();
  toLogin('');
}

// Any of these in the user's system roles opens Integrations (team admins reach the team's
// pages by their URL: team-scoped roles are not loaded here).
const INTEGRATION_PERMS = [
  'create_bot', 'read_bots', 'manage_bots',
  'manage_own_incoming_webhooks', 'manage_incoming_webhooks',
  'manage_own_outgoing_webhooks', 'manage_outgoing_webhooks',
  'manage_own_slash_commands', 'manage_slash_commands',
];

/** The app shell: top bar with the username menu, then `content`. */
export function shell(content, { title } = {}) {
  const me = session.me;
  const items = [
    { label: 'Account Settings', onclick: () => openAccountSettings() },
    {
      label: 'Integrations',
      onclick: () => navigate(session.lastTeamName ? `/${session.lastTeamName}/integrations` : '/integrations'),
      hidden: !INTEGRATION_PERMS.some((p) => session.can(p)),
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
