// The client-side router: history navigation, the route table main.js installs, and the way
// to the login page with a notice. Pages import `navigate` and `toLogin` from here; the route
// table (which imports the pages) lives in main.js, so no page imports main.js back.

import { session, refreshSession, forgetSession } from './session.js';

let routes = [];
let hooks = { beforeRoute: () => {}, notFound: () => {}, needLogin: () => {} };

/**
 * Installs the route table and hooks and renders the current path. Each route is
 * `[regexp, render(match), needsSession]`; `needLogin(notice)` draws the login page when a
 * route needs a session and there is none.
 */
export function startRouter(table, opts) {
  routes = table;
  hooks = { ...hooks, ...opts };
  window.addEventListener('popstate', route);
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[data-nav]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(a.getAttribute('href'));
  });
  return route();
}

export function navigate(path, replace = false) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  return route();
}

let noticeForLogin = '';
/** Sends the user to the login page with a message (used when the session has expired). */
export function toLogin(message) {
  noticeForLogin = message || '';
  forgetSession();
  return navigate('/login', true);
}

/** The notice for the login page, once. */
export function consumeNotice() {
  const n = noticeForLogin;
  noticeForLogin = '';
  return n;
}

let routing = 0;
export async function route() {
  const my = ++routing;
  hooks.beforeRoute();
  const path = location.pathname;
  for (const [re, render, needsSession] of routes) {
    const m = path.match(re);
    if (!m) continue;
    if (needsSession && !session.me) {
      try {
        await refreshSession();
      } catch {
        if (my !== routing) return;
        const next = path === '/' ? '' : '?redirect_to=' + encodeURIComponent(path);
        history.replaceState(null, '', '/login' + next);
        hooks.needLogin(consumeNotice());
        return;
      }
    }
    if (my !== routing) return;
    await render(m);
    return;
  }
  hooks.notFound();
}
