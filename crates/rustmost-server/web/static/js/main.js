// Boot: the route table (the only module that imports the pages) and the session-expired
// handler. Pages get the session from session.js, navigation from router.js and the page
// shell from shell.js, so nothing imports this module back.

import { setSessionExpiredHandler } from './api.js';
import { h, clear } from './dom.js';
import { session } from './session.js';
import { startRouter, toLogin, consumeNotice } from './router.js';
import { renderLogin, renderSignup } from './login.js';
import { renderConsole } from './console.js';
import { renderIntegrations } from './integrations.js';
import { renderChat, stopChat } from './chat.js';
import { stopRealtime } from './realtime.js';

const root = () => document.getElementById('app');

setSessionExpiredHandler((err) => {
  stopRealtime();
  if (session.me) toLogin(err.message);
});

const ROUTES = [
  [/^\/login\/?$/, () => renderLogin(root(), consumeNotice())],
  [/^\/signup_user_complete\/?$/, () => renderSignup(root())],
  [/^\/admin_console(?:\/([a-z_]+)\/([a-z_]+))?\/?$/, (m) => renderConsole(root(), m[1], m[2]), true],
  [/^\/(?:([a-z0-9_-]+)\/)?integrations(?:\/([a-z_]+)(?:\/([a-z_]+))?)?\/?$/,
    (m) => renderIntegrations(root(), m[1], m[2], m[3]), true],
  [/^\/([a-z0-9_-]+)\/channels\/([a-z0-9_-]+)\/?$/, (m) => renderChat(root(), m[1], m[2]), true],
  [/^\/([a-z0-9_-]+)\/?$/, (m) => renderChat(root(), m[1], null), true],
  [/^\/$/, () => renderChat(root(), null, null), true],
];

startRouter(ROUTES, {
  beforeRoute: stopChat,
  needLogin: (notice) => renderLogin(root(), notice),
  notFound: () => clear(root(), h('main', { class: 'center-page' },
    h('h1', {}, 'Page not found'),
    h('p', {}, h('a', { href: '/', 'data-nav': '' }, 'Back to Rustmost')))),
});
