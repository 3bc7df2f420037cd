// The page shell around every signed-in page: the top bar with the username menu (Account
// Settings, Integrations, System Console, Log Out) and the brand link.

import { post } from './api.js';
import { h, menuButton } from './dom.js';
import { session, forgetSession } from './session.js';
import { navigate, toLogin } from './router.js';
import { openAccountSettings } from './settings.js';

export async function logout() {
  try {
    await post('/users/logout');
  } catch {
    // the session is gone either way
  }
  forgetSession();
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
