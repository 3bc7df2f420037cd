// Slash commands in the message box: suggestions from
// `GET /teams/{team_id}/commands/autocomplete_suggestions` while the first word is typed, and
// `POST /commands/execute` on send. An ephemeral answer reaches this page over the WebSocket
// (`ephemeral_message`); an `in_channel` one as an ordinary post; `goto_location` navigates.

import { get, post } from './api.js';
import { navigate } from './router.js';

/**
 * Where a `goto_location` leads: `{internal: path}` for a page of this site (same origin or a
 * root-relative path), `{external: url}` for an http(s) URL elsewhere, or null for anything else
 * (javascript:, data:, ...). Pure, so unit-tested.
 */
export function gotoTarget(location, origin) {
  if (typeof location !== 'string' || !location.trim()) return null;
  const loc = location.trim();
  if (loc.startsWith('/') && !loc.startsWith('//')) return { internal: loc };
  let url;
  try {
    url = new URL(loc);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.origin === origin) return { internal: url.pathname + url.search + url.hash };
  return { external: url.href };
}

/** The server's suggestions (`Complete`, `Suggestion`, `Hint`, `Description`) as the composer's items. */
export function toSuggestions(list) {
  if (!Array.isArray(list)) return [];
  return list.filter((s) => s && typeof s.Suggestion === 'string').map((s) => ({
    complete: '/' + String(s.Complete || s.Suggestion).replace(/^\//, '') + ' ',
    label: s.Suggestion.startsWith('/') ? s.Suggestion : '/' + s.Suggestion,
    hint: s.Hint || '',
    description: s.Description || '',
  }));
}

/** The composer's `suggest` source for the chat view `getView()` returns. */
export function slashSuggester(getView) {
  return async (text) => {
    const view = getView();
    if (!view || !view.team || !view.channel || !/^\/\S*$/.test(text)) return [];
    const q = new URLSearchParams({ user_input: text, channel_id: view.channel.id });
    return toSuggestions(await get(`/teams/${view.team.id}/commands/autocomplete_suggestions?${q}`));
  };
}

/** Runs `/command args` in the view's channel (in the thread of `rootId` when set). */
export async function runSlashCommand(view, command, rootId) {
  const res = await post('/commands/execute', {
    channel_id: view.channel.id,
    team_id: view.team ? view.team.id : '',
    root_id: rootId || '',
    parent_id: rootId || '',
    command,
  });
  const target = res && gotoTarget(res.goto_location, location.origin);
  if (target && target.internal) navigate(target.internal);
  else if (target && target.external) window.open(target.external, '_blank', 'noopener,noreferrer');
  return res;
}
