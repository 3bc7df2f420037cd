// The chat view: teams and channels in the sidebar, the open channel's posts and its composer.
// Posts are loaded once over REST, then kept current from the WebSocket (realtime.js): new
// posts, edits, deletions, reactions, typing, and channel or membership changes that redraw the
// sidebar. When the socket could not resume (`resync`), everything on screen is reloaded.
// Posts are drawn by posts.js, the thread panel is threads.js, the create dialogs dialogs.js and
// `/` commands slash.js.

import { get, post } from './api.js';
import { h, clear, alertBox, formatDay } from './dom.js';
import { session } from './session.js';
import { shell } from './shell.js';
import { ensureUsers, userName, loadReactions, postEl, byTime } from './posts.js';
import { openThread, refreshThread, closeThread } from './threads.js';
import { composer } from './composer.js';
import { createTeamDialog, createChannelDialog } from './dialogs.js';
import { realtime, decodeField } from './realtime.js';
import { runSlashCommand, slashSuggester } from './slash.js';

const TYPING_SHOW_MS = 6000;
const TYPING_SEND_EVERY_MS = 3000;
const PAGE = 60;

let active = null; // the chat view currently on screen
// Channels with posts not yet seen, across channel switches (until the page reloads).
const unreadChannels = new Set();

export function stopChat() {
  if (active && active.off) active.off();
  if (active) for (const t of active.typing.values()) clearTimeout(t.timer);
  active = null;
}

export async function renderChat(root, teamName, channelName) {
  const sidebar = h('nav', { class: 'sidebar', id: 'sidebar', 'aria-label': 'Teams and channels' });
  const center = h('section', { class: 'channel-view', 'aria-label': 'Channel' });
  const thread = h('aside', { class: 'thread-view', 'aria-label': 'Thread', hidden: true });
  const banner = h('div', { class: 'connection-banner', role: 'status', hidden: true });
  const toggle = h('button', {
    type: 'button', class: 'btn btn-secondary sidebar-toggle', 'aria-controls': 'sidebar', 'aria-expanded': 'false',
    onclick: () => {
      const open = sidebar.classList.toggle('open');
      toggle.setAttribute('aria-expanded', String(open));
    },
  }, 'Channels');
  clear(root, shell(h('div', { class: 'chat-wrap' }, banner, h('div', { class: 'chat' }, toggle, sidebar, center, thread))));
  const view = {
    sidebar, center, thread, banner, team: null, channel: null, teams: [], channels: [],
    threadRoot: null, threadSig: '',
    posts: new Map(), // id -> post, the open channel's loaded posts (ephemeral ones included)
    reactions: new Map(), // post id -> reactions
    roots: new Map(), // id -> post (or null), thread roots not among `posts`
    typing: new Map(), // user id -> {parentId, timer}
    loading: 0, // post list loads in flight
    pending: [], // post events held until they finish
    unread: unreadChannels,
    isActive: () => active === view,
    openThread: (rootId) => openThread(view, rootId),
    send: (message, rootId) => send(view, message, rootId),
    sendTyping: (parentId) => sendTyping(view, parentId),
    drawTyping: () => drawTyping(view),
    suggest: null,
    // After a reaction changes from this page: the socket will say so too, but redraw now.
    refresh: async () => {
      view.threadSig = '';
      await loadPosts(view);
      await refreshThread(view);
    },
  };
  stopChat();
  view.suggest = slashSuggester(() => view);
  active = view;
  const socket = realtime();
  view.socket = socket;
  // Until the socket is registered (its hello), a post made after the REST load below would be
  // missed: the first hello reloads what this view shows.
  view.syncOnHello = socket.state !== 'connected';
  view.off = socket.on(async (msg) => {
    if (active !== view) return;
    if (msg.type === 'state') {
      showConnection(view, msg.state);
    } else if (msg.type === 'resync') {
      view.syncOnHello = false;
      await resync(view);
      markSynced(view);
    } else if (msg.type === 'event' && msg.event.event === 'hello' && view.syncOnHello) {
      view.syncOnHello = false;
      await resync(view);
      markSynced(view);
    } else if (msg.type === 'event') {
      onEvent(view, msg.event);
    }
  });
  showConnection(view, socket.state);
  let ready;
  view.ready = new Promise((r) => { ready = r; });
  try {
    await initChat(view, teamName, channelName);
  } finally {
    ready();
  }
}

/** The first load of teams, channels and posts (events wait for it: see `resync`). */
async function initChat(view, teamName, channelName) {
  const { sidebar, center } = view;
  try {
    view.teams = await get('/users/me/teams');
  } catch (e) {
    showCenterError(center, e);
    return;
  }
  if (active !== view) return;
  if (!view.teams.length) {
    clear(sidebar, teamHeader(null, view.teams));
    clear(center, h('div', { class: 'empty' },
      h('h1', {}, 'No teams yet'),
      h('p', {}, 'You are not a member of any team. Create one, or ask a team admin to add you.'),
      h('button', { type: 'button', class: 'btn btn-primary', onclick: createTeamDialog }, 'Create a team')));
    return;
  }
  const team = view.teams.find((t) => t.name === teamName) ||
    view.teams.find((t) => t.name === session.lastTeamName) || view.teams[0];
  view.team = team;
  session.lastTeamName = team.name;
  try {
    view.channels = await get(`/users/me/teams/${team.id}/channels`);
  } catch (e) {
    showCenterError(center, e);
    return;
  }
  if (active !== view) return;
  const channels = view.channels;
  const channel = channels.find((c) => c.name === channelName) ||
    channels.find((c) => c.name === 'town-square') ||
    channels.find((c) => c.type === 'O' || c.type === 'P') || channels[0];
  if (channel && (team.name !== teamName || channel.name !== channelName)) {
    history.replaceState(null, '', `/${team.name}/channels/${channel.name}`);
  }
  view.channel = channel || null;
  if (channel) unreadChannels.delete(channel.id);
  await drawSidebar(view);
  if (!channel) {
    view.noChannels = true;
    drawNoChannel(view);
    return;
  }
  drawChannel(view);
  await loadPosts(view);
}

function drawNoChannel(view) {
  clear(view.center, h('div', { class: 'empty' },
    h('h1', {}, view.team.display_name),
    h('p', {}, 'You are not in any channel of this team yet.'),
    h('button', { type: 'button', class: 'btn btn-primary', onclick: () => createChannelDialog(view.team) }, 'Create a channel')));
}

/** `data-synced` on the view: connected, and nothing missed before that is still unshown. */
function markSynced(view) {
  view.banner.parentElement.dataset.synced = String(view.socket.state === 'connected' && !view.syncOnHello);
}

function showConnection(view, state) {
  // Only a connection that was up and dropped is news; the first connect is silent.
  const down = state === 'reconnecting';
  view.banner.parentElement.dataset.connection = state;
  markSynced(view);
  view.banner.hidden = !down;
  view.banner.textContent = down ? 'Reconnecting…' : '';
  view.center.classList.toggle('offline', down);
}

function showCenterError(center, e) {
  const err = alertBox();
  err.showError(e);
  clear(center, h('div', { class: 'empty' }, err));
}

function teamHeader(team, teams) {
  return h('div', { class: 'team-switch' },
    h('h2', { class: 'sidebar-heading' }, 'Teams'),
    h('ul', { class: 'team-list' },
      teams.map((t) => h('li', {}, h('a', {
        href: `/${t.name}`, 'data-nav': '', 'aria-current': team && t.id === team.id ? 'page' : null,
      }, t.display_name || t.name))),
      h('li', {}, h('button', { type: 'button', class: 'btn btn-link', onclick: createTeamDialog }, '+ Create a team'))));
}

function channelLabel(c) {
  if (c.type === 'D') {
    const other = c.name.split('__').find((id) => id !== session.me.id) || session.me.id;
    return '@' + userName(other);
  }
  return c.display_name || c.name;
}

async function drawSidebar(view) {
  const channels = view.channels;
  await ensureUsers(channels.filter((c) => c.type === 'D').flatMap((c) => c.name.split('__')));
  if (active !== view) return;
  const groups = [
    ['Channels', channels.filter((c) => c.type === 'O' || c.type === 'P')],
    ['Direct Messages', channels.filter((c) => c.type === 'D' || c.type === 'G')],
  ];
  clear(view.sidebar,
    teamHeader(view.team, view.teams),
    groups.map(([title, list]) => (list.length || title === 'Channels') ? h('div', { class: 'channel-group' },
      h('h2', { class: 'sidebar-heading' }, title),
      h('ul', { class: 'channel-list' }, list.map((c) => {
        const unread = view.unread.has(c.id);
        return h('li', {}, h('a', {
          href: `/${view.team.name}/channels/${c.name}`,
          'data-nav': '',
          'data-channel-id': c.id,
          class: unread ? 'unread' : null,
          'aria-current': view.channel && c.id === view.channel.id ? 'page' : null,
        }, h('span', { class: 'chan-icon', 'aria-hidden': 'true' }, c.type === 'P' ? '🔒' : c.type === 'O' ? '#' : '●'),
        channelLabel(c),
        unread ? h('span', { class: 'sr-only' }, ' (unread)') : null));
      })),
      title === 'Channels' ? h('button', {
        type: 'button', class: 'btn btn-link', onclick: () => createChannelDialog(view.team),
      }, '+ Create a channel') : null) : null));
}

/** Teams and channels again (a membership changed, or the socket missed events). */
async function reloadSidebar(view) {
  await view.ready;
  if (active !== view) return;
  let teams;
  let channels;
  try {
    teams = await get('/users/me/teams');
    const team = teams.find((t) => view.team && t.id === view.team.id) || teams[0];
    channels = team ? await get(`/users/me/teams/${team.id}/channels`) : [];
    if (active !== view) return;
    // The whole view is drawn again only when what it stands on changed (a first team, the
    // last team left, a first channel): anything else redraws the sidebar alone, so an open
    // menu or a draft is not swept away by an event.
    if (!team !== !view.team) {
      renderChat(document.getElementById('app'), team ? team.name : null, null);
      return;
    }
    if (!team) return;
    view.team = team;
  } catch {
    return; // keep what is shown; the next event or resync tries again
  }
  view.teams = teams;
  view.channels = channels;
  await drawSidebar(view);
  if (view.channel && !channels.some((c) => c.id === view.channel.id)) {
    // Removed from (or deletion of) the open channel: say so instead of showing stale posts.
    view.channel = null;
    view.posts.clear();
    clear(view.center, h('div', { class: 'empty' },
      h('div', { class: 'alert alert-info', role: 'status' }, 'You are no longer a member of this channel.')));
  } else if (view.noChannels && channels.length) {
    renderChat(document.getElementById('app'), view.team.name, null);
  }
}

function drawChannel(view) {
  const c = view.channel;
  const log = h('div', { class: 'post-list', role: 'log', 'aria-live': 'polite', 'aria-label': `Messages in ${channelLabel(c)}`, tabindex: '0' });
  view.log = log;
  view.typingEl = h('p', { class: 'typing-indicator', 'aria-live': 'polite' });
  view.headerEl = h('header', { class: 'channel-header' });
  drawHeader(view);
  clear(view.center,
    view.headerEl,
    log,
    view.typingEl,
    composer(`Write to ${channelLabel(c)}`, (message) => send(view, message, ''), {
      onTyping: () => sendTyping(view, ''),
      suggest: view.suggest,
    }));
}

function drawHeader(view) {
  const c = view.channel;
  clear(view.headerEl,
    h('h1', {}, c.type === 'O' ? '# ' : '', channelLabel(c)),
    c.purpose || c.header ? h('p', { class: 'muted' }, c.header || c.purpose) : null);
}

/** Sends what the composer holds: a `/command` is executed, anything else posted. */
async function send(view, message, rootId) {
  if (message.startsWith('/')) {
    await runSlashCommand(view, message, rootId);
    return;
  }
  const p = await post('/posts', { channel_id: view.channel.id, message, root_id: rootId || undefined });
  addPost(view, p);
}

let lastTypingSent = { key: '', at: 0 };
function sendTyping(view, parentId) {
  if (!view.channel) return;
  const key = view.channel.id + ':' + parentId;
  const now = Date.now();
  if (lastTypingSent.key === key && now - lastTypingSent.at < TYPING_SEND_EVERY_MS) return;
  if (view.socket.send('user_typing', { channel_id: view.channel.id, parent_id: parentId })) {
    lastTypingSent = { key, at: now };
  }
}

async function loadPosts(view) {
  view.loading += 1;
  try {
    await loadPostsNow(view);
  } finally {
    view.loading -= 1;
    // Events that came while the list was fetched apply on top of it (each is idempotent).
    if (!view.loading) for (const ev of view.pending.splice(0)) onEvent(view, ev);
  }
}

async function loadPostsNow(view) {
  const channel = view.channel;
  if (!channel) return;
  let list;
  try {
    list = await get(`/channels/${channel.id}/posts?page=0&per_page=${PAGE}`);
  } catch (e) {
    if (active === view && view.log) {
      const err = alertBox();
      err.showError(e);
      clear(view.log, err);
    }
    return;
  }
  if (active !== view || view.channel !== channel) return;
  const ephemeral = [...view.posts.values()].filter((p) => p.type === 'system_ephemeral');
  view.posts = new Map(list.order.map((id) => [id, list.posts[id]]));
  for (const p of ephemeral) view.posts.set(p.id, p);
  const loaded = [...view.posts.values()];
  const reactions = await loadReactions(loaded);
  if (active !== view || view.channel !== channel) return;
  view.reactions = reactions;
  await drawPosts(view);
}

function addPost(view, p) {
  if (!p || !view.channel || p.channel_id !== view.channel.id) return;
  view.posts.set(p.id, p);
  drawPosts(view);
}

async function drawPosts(view) {
  if (!view.log) return;
  // Draws overlap when events come fast and a user lookup is slow: only the latest may render.
  view.drawGen = (view.drawGen || 0) + 1;
  const gen = view.drawGen;
  const posts = [...view.posts.values()].filter((p) => !p.delete_at)
    .sort(byTime);
  view.recent = posts;
  const byId = new Map(posts.map((p) => [p.id, p]));
  await ensureUsers(posts.map((p) => p.user_id));
  // Roots older than the loaded page, for "Commented on": fetched once each (null = gone).
  const missingRoots = posts.filter((p) => p.root_id && !byId.has(p.root_id) && !view.roots.has(p.root_id))
    .map((p) => p.root_id);
  for (const rid of [...new Set(missingRoots)].slice(0, 10)) {
    try {
      view.roots.set(rid, await get(`/posts/${rid}`));
    } catch {
      view.roots.set(rid, null);
    }
  }
  for (const [rid, root] of view.roots) if (root && !byId.has(rid)) byId.set(rid, root);
  if (active !== view || gen !== view.drawGen) return;
  const log = view.log;
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const replyCounts = new Map();
  for (const p of posts) if (p.root_id) replyCounts.set(p.root_id, (replyCounts.get(p.root_id) || 0) + 1);
  let lastDay = '';
  const items = [];
  for (const p of posts) {
    const day = formatDay(p.create_at);
    if (day !== lastDay) {
      items.push(h('div', { class: 'date-sep', role: 'separator' }, h('span', {}, day)));
      lastDay = day;
    }
    items.push(postEl(p, {
      view,
      root: p.root_id ? byId.get(p.root_id) : null,
      replies: p.reply_count || replyCounts.get(p.id) || 0,
      reactions: view.reactions.get(p.id) || [],
    }));
  }
  if (!items.length) items.push(h('p', { class: 'muted empty-channel' }, 'No messages yet. Say hello!'));
  clear(log, items);
  if (atBottom || !view.scrolledOnce) {
    log.scrollTop = log.scrollHeight;
    view.scrolledOnce = true;
  }
}

// ---- events ----

const SIDEBAR_EVENTS = new Set([
  'channel_created', 'channel_deleted', 'channel_restored', 'direct_added',
  'group_added', 'added_to_team', 'leave_team', 'update_team', 'delete_team',
]);

async function resync(view) {
  await view.ready;
  if (active !== view) return;
  view.threadSig = '';
  await reloadSidebar(view);
  await loadPosts(view);
  await refreshThread(view);
}

function inThread(view, p) {
  return view.threadRoot && p && (p.id === view.threadRoot || p.root_id === view.threadRoot);
}

const POST_EVENTS = new Set([
  'posted', 'ephemeral_message', 'post_edited', 'post_deleted', 'reaction_added', 'reaction_removed',
]);

function onEvent(view, ev) {
  if (view.loading && POST_EVENTS.has(ev.event)) {
    view.pending.push(ev);
    return;
  }
  const data = ev.data || {};
  const here = view.channel && ev.broadcast && ev.broadcast.channel_id === view.channel.id;
  switch (ev.event) {
    case 'posted':
    case 'ephemeral_message': {
      const p = decodeField(data.post);
      if (!p) return;
      stopTyping(view, p.user_id);
      if (view.channel && p.channel_id === view.channel.id) {
        addPost(view, p);
        if (inThread(view, p)) refreshThread(view);
      } else if (!view.channels.some((c) => c.id === p.channel_id)) {
        // A channel this view has not listed yet (a new direct message): list it.
        view.unread.add(p.channel_id);
        reloadSidebar(view);
      } else if (ev.event === 'posted' && p.user_id !== session.me.id) {
        view.unread.add(p.channel_id);
        drawSidebar(view);
      }
      return;
    }
    case 'post_edited': {
      const p = decodeField(data.post);
      if (!p || !view.channel || p.channel_id !== view.channel.id) return;
      if (view.posts.has(p.id)) addPost(view, p);
      else if (view.roots.has(p.id)) {
        view.roots.set(p.id, p);
        drawPosts(view);
      }
      if (inThread(view, p)) refreshThread(view);
      return;
    }
    case 'post_deleted': {
      const p = decodeField(data.post);
      if (!p || !view.channel || p.channel_id !== view.channel.id) return;
      view.posts.delete(p.id);
      view.roots.delete(p.id);
      for (const [id, q] of view.posts) if (q.root_id === p.id) view.posts.delete(id);
      drawPosts(view);
      if (view.threadRoot === p.id) closeThread(view);
      else if (inThread(view, p)) refreshThread(view);
      return;
    }
    case 'reaction_added':
    case 'reaction_removed': {
      const r = decodeField(data.reaction);
      if (!r || !here || !view.posts.has(r.post_id)) return;
      const list = (view.reactions.get(r.post_id) || [])
        .filter((x) => !(x.user_id === r.user_id && x.emoji_name === r.emoji_name));
      if (ev.event === 'reaction_added') list.push(r);
      view.reactions.set(r.post_id, list);
      ensureUsers([r.user_id]).then(() => drawPosts(view));
      if (inThread(view, view.posts.get(r.post_id))) {
        view.threadSig = '';
        refreshThread(view);
      }
      return;
    }
    case 'typing':
      if (here && data.user_id && data.user_id !== session.me.id) showTyping(view, data.user_id, data.parent_id || '');
      return;
    case 'user_added':
      if (data.user_id === session.me.id) reloadSidebar(view);
      return;
    case 'user_removed':
      // The copy sent to the removed user carries `channel_id`; the channel's copy names who left.
      if (data.channel_id || data.user_id === session.me.id) reloadSidebar(view);
      return;
    case 'channel_updated': {
      const c = decodeField(data.channel);
      if (c && view.channel && c.id === view.channel.id && view.headerEl) {
        view.channel = { ...view.channel, ...c };
        drawHeader(view);
      }
      reloadSidebar(view);
      return;
    }
    case 'config_changed':
      if (data.config && typeof data.config === 'object') {
        Object.assign(session.config, data.config);
        drawPosts(view);
      }
      return;
    default:
      if (SIDEBAR_EVENTS.has(ev.event)) reloadSidebar(view);
  }
}

// ---- typing ----

function showTyping(view, userId, parentId) {
  const old = view.typing.get(userId);
  if (old) clearTimeout(old.timer);
  const timer = setTimeout(() => stopTyping(view, userId), TYPING_SHOW_MS);
  view.typing.set(userId, { parentId, timer });
  ensureUsers([userId]).then(() => drawTyping(view));
}

function stopTyping(view, userId) {
  const t = view.typing.get(userId);
  if (!t) return;
  clearTimeout(t.timer);
  view.typing.delete(userId);
  drawTyping(view);
}

/** "alice is typing…" under the channel, and under the thread for replies to the open root. */
function drawTyping(view) {
  if (active !== view) return;
  const text = (ids) => {
    const names = ids.map(userName);
    if (!names.length) return '';
    if (names.length === 1) return `${names[0]} is typing…`;
    return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} are typing…`;
  };
  const entries = [...view.typing.entries()];
  if (view.typingEl) view.typingEl.textContent = text(entries.filter(([, t]) => !t.parentId).map(([id]) => id));
  const threadTyping = view.thread.querySelector('.typing-indicator');
  if (threadTyping) {
    threadTyping.textContent = text(entries.filter(([, t]) => t.parentId && t.parentId === view.threadRoot).map(([id]) => id));
  }
}
