// The chat view: teams and channels in the sidebar, the open channel's posts and its composer.
// There is no websocket yet, so the open channel is polled every few seconds and new posts
// appear without a reload. Posts are drawn by posts.js, the thread panel is threads.js and the
// create dialogs are dialogs.js.

import { get, post } from './api.js';
import { h, clear, alertBox, formatDay } from './dom.js';
import { session } from './session.js';
import { shell } from './shell.js';
import { ensureUsers, userName, listSignature, loadReactions, postEl } from './posts.js';
import { openThread, refreshThread } from './threads.js';
import { composer } from './composer.js';
import { createTeamDialog, createChannelDialog } from './dialogs.js';

const POLL_MS = 3000;
let timer = null;
let active = null; // the chat view currently on screen

export function stopChat() {
  if (timer) clearInterval(timer);
  timer = null;
  active = null;
}

export async function renderChat(root, teamName, channelName) {
  const sidebar = h('nav', { class: 'sidebar', id: 'sidebar', 'aria-label': 'Teams and channels' });
  const center = h('section', { class: 'channel-view', 'aria-label': 'Channel' });
  const thread = h('aside', { class: 'thread-view', 'aria-label': 'Thread', hidden: true });
  const toggle = h('button', {
    type: 'button', class: 'btn btn-secondary sidebar-toggle', 'aria-controls': 'sidebar', 'aria-expanded': 'false',
    onclick: () => {
      const open = sidebar.classList.toggle('open');
      toggle.setAttribute('aria-expanded', String(open));
    },
  }, 'Channels');
  clear(root, shell(h('div', { class: 'chat' }, toggle, sidebar, center, thread)));
  const view = {
    sidebar, center, thread, team: null, channel: null, threadRoot: null, sig: '', threadSig: '',
    isActive: () => active === view,
    refreshPosts: () => refreshPosts(view),
    openThread: (rootId) => openThread(view, rootId),
    // After a reaction changes: redraw both lists even if their signatures did not move.
    refresh: async () => {
      view.sig = '';
      view.threadSig = '';
      await refreshPosts(view);
      await refreshThread(view);
    },
  };
  active = view;

  let teams = [];
  try {
    teams = await get('/users/me/teams');
  } catch (e) {
    showCenterError(center, e);
    return;
  }
  if (active !== view) return;
  if (!teams.length) {
    clear(sidebar, teamHeader(null, teams));
    clear(center, h('div', { class: 'empty' },
      h('h1', {}, 'No teams yet'),
      h('p', {}, 'You are not a member of any team. Create one, or ask a team admin to add you.'),
      h('button', { type: 'button', class: 'btn btn-primary', onclick: createTeamDialog }, 'Create a team')));
    return;
  }
  const team = teams.find((t) => t.name === teamName) || teams[0];
  view.team = team;
  let channels = [];
  try {
    channels = await get(`/users/me/teams/${team.id}/channels`);
  } catch (e) {
    showCenterError(center, e);
    return;
  }
  if (active !== view) return;
  const channel = channels.find((c) => c.name === channelName) ||
    channels.find((c) => c.name === 'town-square') ||
    channels.find((c) => c.type === 'O' || c.type === 'P') || channels[0];
  if (channel && (team.name !== teamName || channel.name !== channelName)) {
    history.replaceState(null, '', `/${team.name}/channels/${channel.name}`);
  }
  view.channel = channel || null;
  await drawSidebar(view, teams, channels);
  if (!channel) {
    clear(center, h('div', { class: 'empty' },
      h('h1', {}, team.display_name),
      h('p', {}, 'You are not in any channel of this team yet.'),
      h('button', { type: 'button', class: 'btn btn-primary', onclick: () => createChannelDialog(team) }, 'Create a channel')));
    return;
  }
  drawChannel(view);
  await refreshPosts(view);
  let tick = 0;
  timer = setInterval(async () => {
    if (active !== view || document.hidden) return;
    tick += 1;
    await refreshPosts(view);
    if (view.threadRoot) await refreshThread(view);
    if (tick % 5 === 0) {
      try {
        const fresh = await get(`/users/me/teams/${team.id}/channels`);
        if (active === view && JSON.stringify(fresh.map((c) => c.id)) !== JSON.stringify(channels.map((c) => c.id))) {
          channels = fresh;
          await drawSidebar(view, teams, channels);
        }
      } catch {
        // keep the old list
      }
    }
  }, POLL_MS);
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

async function drawSidebar(view, teams, channels) {
  await ensureUsers(channels.filter((c) => c.type === 'D').flatMap((c) => c.name.split('__')));
  const groups = [
    ['Channels', channels.filter((c) => c.type === 'O' || c.type === 'P')],
    ['Direct Messages', channels.filter((c) => c.type === 'D' || c.type === 'G')],
  ];
  clear(view.sidebar,
    teamHeader(view.team, teams),
    groups.map(([title, list]) => (list.length || title === 'Channels') ? h('div', { class: 'channel-group' },
      h('h2', { class: 'sidebar-heading' }, title),
      h('ul', { class: 'channel-list' }, list.map((c) => h('li', {}, h('a', {
        href: `/${view.team.name}/channels/${c.name}`,
        'data-nav': '',
        'aria-current': view.channel && c.id === view.channel.id ? 'page' : null,
      }, h('span', { class: 'chan-icon', 'aria-hidden': 'true' }, c.type === 'P' ? '🔒' : c.type === 'O' ? '#' : '●'),
      channelLabel(c))))),
      title === 'Channels' ? h('button', {
        type: 'button', class: 'btn btn-link', onclick: () => createChannelDialog(view.team),
      }, '+ Create a channel') : null) : null));
}

function drawChannel(view) {
  const c = view.channel;
  const log = h('div', { class: 'post-list', role: 'log', 'aria-live': 'polite', 'aria-label': `Messages in ${channelLabel(c)}`, tabindex: '0' });
  view.log = log;
  clear(view.center,
    h('header', { class: 'channel-header' },
      h('h1', {}, c.type === 'O' ? '# ' : '', channelLabel(c)),
      c.purpose || c.header ? h('p', { class: 'muted' }, c.header || c.purpose) : null),
    log,
    composer(`Write to ${channelLabel(c)}`, (message) => post('/posts', { channel_id: c.id, message })
      .then(() => refreshPosts(view))));
}

async function refreshPosts(view) {
  let list;
  try {
    list = await get(`/channels/${view.channel.id}/posts?page=0&per_page=60`);
  } catch (e) {
    if (active === view && view.log) {
      const err = alertBox();
      err.showError(e);
      clear(view.log, err);
      view.sig = '';
    }
    return;
  }
  if (active !== view) return;
  const sig = listSignature(list);
  if (sig === view.sig) return;
  view.sig = sig;
  const posts = list.order.map((id) => list.posts[id]).filter((p) => !p.delete_at).reverse();
  view.recent = posts;
  const byId = new Map(posts.map((p) => [p.id, p]));
  await ensureUsers(posts.map((p) => p.user_id));
  const missingRoots = posts.filter((p) => p.root_id && !byId.has(p.root_id)).map((p) => p.root_id);
  for (const rid of [...new Set(missingRoots)].slice(0, 10)) {
    try {
      byId.set(rid, await get(`/posts/${rid}`));
    } catch {
      // the root is gone or hidden
    }
  }
  const reactions = await loadReactions(posts);
  if (active !== view) return;
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
      reactions: reactions.get(p.id) || [],
    }));
  }
  if (!items.length) items.push(h('p', { class: 'muted empty-channel' }, 'No messages yet. Say hello!'));
  clear(log, items);
  if (atBottom || !view.scrolledOnce) {
    log.scrollTop = log.scrollHeight;
    view.scrolledOnce = true;
  }
}
