// What the UI knows about the signed-in user: the user, the client config and the permissions
// of the user's system roles. Pages import this module, never main.js, so the imports form no
// cycle (main.js imports the pages).

import { get, post } from './api.js';

export const session = {
  me: null,
  config: {},
  perms: new Set(),
  lastTeamName: '', // the team the chat view showed last (Integrations opens there)
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

/** Forgets the signed-in user (after logout or an expired session). */
export function forgetSession() {
  session.me = null;
  session.perms = new Set();
}
