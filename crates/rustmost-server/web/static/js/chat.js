// The chat view: teams and channels in the sidebar, the channel's posts (with message
// attachments, replies and reactions), a thread panel and a composer. There is no websocket yet,
// so the open channel is polled every few seconds and new posts appear without a reload.

import { get, post, del } from './api.js';
import { h, clear, alertBox, modal, field, nextId, formatDay } from './dom.js';
import { session, shell, navigate } from './main.js';
import { emojiChar, QUICK } from './emoji.js';

const POLL_MS = 3000;
let timer = null;
let active = null; // the chat view currently on screen

export function stopChat() {
  if (timer) clearInterval(timer);
  timer = null;
  active = null;
}

const users = new Map();
async function ensureUsers(ids) {
  const missing = [...new Set(ids)].filter((id) => id && !users.has(id));
  if (!missing.length) return;
  try {
    const list = await post('/users/ids', missing);
    for (const u of list) users.set(u.id, u);
  } catch {
    // names fall back to ids
  }
}
const userName = (id) => (users.get(id) ? users.get(id).username : id.slice(0, 8));

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
  const view = { sidebar, center, thread, team: null, channel: null, threadRoot: null, sig: '', threadSig: '' };
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

function composer(label, send, rootId) {
  const id = nextId('composer');
  const err = alertBox();
  const box = h('textarea', { id, rows: '2', placeholder: label, 'aria-label': label });
  const submit = async () => {
    const message = box.value.trim();
    if (!message) return;
    err.show('');
    try {
      await send(message, rootId);
      box.value = '';
    } catch (e) {
      err.showError(e);
    }
  };
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });
  return h('form', {
    class: 'composer',
    onsubmit: (e) => {
      e.preventDefault();
      submit();
    },
  }, err, h('div', { class: 'composer-row' }, box, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Send')),
  h('p', { class: 'help' }, 'Enter to send, Shift+Enter for a new line.'));
}

function listSignature(list) {
  return list.order.map((id) => `${id}:${list.posts[id].update_at}`).join(',');
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

const reactionCache = new Map(); // `${post id}:${update_at}` -> reactions
async function loadReactions(posts) {
  const out = new Map();
  await Promise.all(posts.map(async (p) => {
    if (p.metadata && Array.isArray(p.metadata.reactions)) {
      out.set(p.id, p.metadata.reactions);
      return;
    }
    // Posts say whether they have reactions; when a server leaves both fields out, ask once per
    // version of the post.
    const unknown = !p.metadata && p.has_reactions === undefined;
    if (!p.has_reactions && !unknown) return;
    const key = `${p.id}:${p.update_at}`;
    if (!reactionCache.has(key)) {
      try {
        reactionCache.set(key, (await get(`/posts/${p.id}/reactions`)) || []);
      } catch {
        reactionCache.set(key, []);
      }
    }
    out.set(p.id, reactionCache.get(key));
  }));
  await ensureUsers([...out.values()].flat().map((r) => r.user_id));
  return out;
}

function displayName(p) {
  const props = p.props || {};
  if (props.override_username && (props.from_webhook === 'true' || props.from_bot === 'true')) {
    return props.override_username;
  }
  return userName(p.user_id);
}

function isBotPost(p) {
  const props = p.props || {};
  const u = users.get(p.user_id);
  return (u && u.is_bot) || props.from_bot === 'true' || props.from_webhook === 'true';
}

function postEl(p, { view, root, replies, reactions, inThread = false }) {
  const time = new Date(p.create_at);
  const name = displayName(p);
  const system = p.type && p.type.startsWith('system_');
  const headId = nextId('post');
  return h('article', { class: 'post' + (system ? ' post-system' : ''), 'data-post-id': p.id, 'aria-labelledby': headId },
    h('div', { class: 'avatar', 'aria-hidden': 'true' }, name.slice(0, 1).toUpperCase()),
    h('div', { class: 'post-body' },
      h('div', { class: 'post-head', id: headId },
        h('span', { class: 'post-author' }, name),
        isBotPost(p) ? h('span', { class: 'badge' }, 'BOT') : null,
        h('time', { datetime: time.toISOString(), title: time.toLocaleString() },
          time.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })),
        p.edit_at ? h('span', { class: 'muted' }, ' (edited)') : null),
      root && !inThread ? h('p', { class: 'reply-to' },
        'Commented on ', h('strong', {}, displayName(root) + "'s"), ' message: ',
        h('span', { class: 'muted' }, (root.message || '').replace(/[*_`]/g, '').slice(0, 80) || '(attachment)')) : null,
      p.message ? h('div', { class: 'post-text' }, renderText(p.message)) : null,
      attachmentsEl(p),
      filesEl(p),
      reactionsEl(p, reactions, view),
      inThread || system ? null : h('div', { class: 'post-actions' },
        h('button', {
          type: 'button', class: 'btn btn-link', 'aria-describedby': headId,
          onclick: () => openThread(view, p.root_id || p.id),
        }, replies ? `${replies} ${replies === 1 ? 'reply' : 'replies'}` : 'Reply'),
        addReactionButton(p, view, headId))));
}

// ---- message text ----

const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\[[^\]\n]+\]\((?:https?:\/\/|mailto:)[^)\s]+\))|((?:https?:\/\/)[^\s<>()]+[^\s<>().,;:!?'"])|(:[a-z0-9_+-]+:)|(\*[^*\n]+\*|_[^_\n]+_)/g;

/** A safe subset of Mattermost markdown: code, bold, italics, links, emoji; no raw HTML. */
export function renderText(text) {
  const frag = document.createDocumentFragment();
  const parts = String(text).split(/```[a-zA-Z0-9_-]*\n?/);
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      frag.appendChild(h('pre', {}, h('code', {}, part.replace(/\n$/, ''))));
    } else if (part) {
      frag.appendChild(inline(part));
    }
  });
  return frag;
}

function inline(text) {
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) frag.appendChild(document.createTextNode(text.slice(last, m.index)));
    const [tok] = m;
    if (m[1]) frag.appendChild(h('code', {}, tok.slice(1, -1)));
    else if (m[2]) frag.appendChild(h('strong', {}, tok.slice(2, -2)));
    else if (m[3]) {
      const [, label, href] = tok.match(/^\[([^\]]+)\]\(([^)]+)\)$/);
      frag.appendChild(link(href, label));
    } else if (m[4]) frag.appendChild(link(tok, tok));
    else if (m[5]) frag.appendChild(document.createTextNode(emojiChar(tok.slice(1, -1))));
    else if (m[6]) frag.appendChild(h('em', {}, tok.slice(1, -1)));
    last = m.index + tok.length;
  }
  if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
  return frag;
}

function safeUrl(u) {
  return typeof u === 'string' && /^(https?:\/\/|mailto:|\/)/i.test(u) && !u.startsWith('//') ? u : null;
}

function link(href, label) {
  const url = safeUrl(href);
  return url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, label) : document.createTextNode(label);
}

// ---- attachments (Slack-style props.attachments, as n8n's node sends them) ----

const COLORS = { good: '#2eb886', warning: '#daa038', danger: '#a30200' };

function attachmentsEl(p) {
  const list = p.props && Array.isArray(p.props.attachments) ? p.props.attachments : [];
  if (!list.length) return null;
  return h('div', { class: 'attachments' }, list.map((a) => {
    if (!a || typeof a !== 'object') return null;
    const el = h('div', { class: 'attachment' },
      a.pretext ? h('div', { class: 'att-pretext' }, renderText(a.pretext)) : null,
      h('div', { class: 'att-box' },
        a.thumb_url && safeUrl(a.thumb_url) ? h('img', { class: 'att-thumb', src: a.thumb_url, alt: '' }) : null,
        a.author_name ? h('div', { class: 'att-author' },
          a.author_icon && safeUrl(a.author_icon) ? h('img', { src: a.author_icon, alt: '', class: 'att-author-icon' }) : null,
          a.author_link ? link(a.author_link, a.author_name) : a.author_name) : null,
        a.title ? h('div', { class: 'att-title' }, a.title_link ? link(a.title_link, a.title) : a.title) : null,
        a.text ? h('div', { class: 'att-text' }, renderText(a.text)) : null,
        Array.isArray(a.fields) && a.fields.length ? h('dl', { class: 'att-fields' }, a.fields.map((f) =>
          h('div', { class: 'att-field' + (f.short ? ' short' : '') },
            h('dt', {}, f.title || ''),
            h('dd', {}, renderText(f.value === undefined || f.value === null ? '' : String(f.value)))))) : null,
        a.image_url && safeUrl(a.image_url) ? h('img', { class: 'att-image', src: a.image_url, alt: a.title || a.fallback || 'Attached image' }) : null,
        a.footer ? h('div', { class: 'att-footer' },
          a.footer_icon && safeUrl(a.footer_icon) ? h('img', { src: a.footer_icon, alt: '', class: 'att-footer-icon' }) : null,
          a.footer) : null,
        !a.text && !a.title && !a.fields && a.fallback ? h('div', { class: 'att-text' }, a.fallback) : null));
    const color = COLORS[a.color] || (/^#?[0-9a-f]{3,8}$/i.test(a.color || '') ? (a.color.startsWith('#') ? a.color : '#' + a.color) : null);
    if (color) el.style.borderLeftColor = color;
    return el;
  }));
}

function filesEl(p) {
  const files = (p.metadata && Array.isArray(p.metadata.files)) ? p.metadata.files : [];
  if (!files.length) {
    return p.file_ids && p.file_ids.length
      ? h('p', { class: 'muted' }, `${p.file_ids.length} attached file${p.file_ids.length === 1 ? '' : 's'}`)
      : null;
  }
  return h('ul', { class: 'files', 'aria-label': 'Attached files' }, files.map((f) => h('li', {},
    h('a', { href: `/api/v4/files/${f.id}?download=1` }, f.name || f.id),
    f.size ? h('span', { class: 'muted' }, ` (${Math.ceil(f.size / 1024)} KB)`) : null)));
}

// ---- reactions ----

function reactionsEl(p, reactions, view) {
  if (!reactions.length) return null;
  const groups = new Map();
  for (const r of reactions) {
    if (!groups.has(r.emoji_name)) groups.set(r.emoji_name, []);
    groups.get(r.emoji_name).push(r.user_id);
  }
  return h('div', { class: 'reactions', role: 'group', 'aria-label': 'Reactions' }, [...groups].map(([name, who]) => {
    const mine = who.includes(session.me.id);
    const names = who.map(userName).join(', ');
    return h('button', {
      type: 'button',
      class: 'reaction' + (mine ? ' mine' : ''),
      'aria-pressed': mine ? 'true' : 'false',
      title: `${names} reacted with :${name}:`,
      'aria-label': `${name} reaction by ${names}, ${who.length}`,
      onclick: () => toggleReaction(p, name, mine, view),
    }, h('span', { 'aria-hidden': 'true' }, emojiChar(name)), ' ', String(who.length));
  }));
}

async function toggleReaction(p, name, mine, view) {
  try {
    if (mine) await del(`/users/${session.me.id}/posts/${p.id}/reactions/${encodeURIComponent(name)}`);
    else await post('/reactions', { user_id: session.me.id, post_id: p.id, emoji_name: name });
  } catch (e) {
    const err = alertBox();
    err.showError(e);
    view.center.prepend(err);
    setTimeout(() => err.remove(), 6000);
  }
  for (const k of [...reactionCache.keys()]) if (k.startsWith(p.id + ':')) reactionCache.delete(k);
  view.sig = '';
  view.threadSig = '';
  await refreshPosts(view);
  if (view.threadRoot) await refreshThread(view);
}

function addReactionButton(p, view, headId) {
  return h('button', {
    type: 'button', class: 'btn btn-link', 'aria-describedby': headId, 'aria-haspopup': 'dialog',
    onclick: () => {
      const m = modal({
        title: 'Add Reaction',
        body: h('div', { class: 'emoji-picker' }, QUICK.map((name) => h('button', {
          type: 'button', class: 'emoji-choice', 'aria-label': name, title: `:${name}:`,
          onclick: async () => {
            m.close();
            await toggleReaction(p, name, false, view);
          },
        }, emojiChar(name)))),
      });
    },
  }, 'Add Reaction');
}

// ---- thread ----

async function openThread(view, rootId) {
  view.threadRoot = rootId;
  view.threadSig = '';
  view.thread.hidden = false;
  clear(view.thread, h('p', { class: 'muted' }, 'Loading thread…'));
  await refreshThread(view);
  const box = view.thread.querySelector('textarea');
  if (box) box.focus();
}

/**
 * GET /posts/{id}/thread; a server without that route gets the thread assembled from the
 * channel's recent posts instead (the root plus the replies among them).
 */
async function threadOf(view, rootId) {
  try {
    return await get(`/posts/${rootId}/thread`);
  } catch (e) {
    if (e.id !== 'api.context.404.app_error') throw e;
  }
  const root = (view.recent || []).find((p) => p.id === rootId) || await get(`/posts/${rootId}`);
  const all = [root, ...(view.recent || []).filter((p) => p.root_id === rootId)];
  return { order: all.map((p) => p.id), posts: Object.fromEntries(all.map((p) => [p.id, p])) };
}

async function refreshThread(view) {
  let list;
  try {
    list = await threadOf(view, view.threadRoot);
  } catch (e) {
    const err = alertBox();
    err.showError(e);
    clear(view.thread, err);
    return;
  }
  if (active !== view) return;
  const sig = listSignature(list);
  if (sig === view.threadSig && view.thread.querySelector('.thread-posts')) return;
  view.threadSig = sig;
  const posts = list.order.map((id) => list.posts[id]).filter((p) => !p.delete_at)
    .sort((a, b) => a.create_at - b.create_at);
  await ensureUsers(posts.map((p) => p.user_id));
  const reactions = await loadReactions(posts);
  const oldBox = view.thread.querySelector('textarea');
  const draft = oldBox ? oldBox.value : '';
  const hadFocus = oldBox && document.activeElement === oldBox;
  const rootId = view.threadRoot;
  clear(view.thread,
    h('div', { class: 'thread-head' },
      h('h2', {}, 'Thread'),
      h('button', {
        type: 'button', class: 'icon-btn', 'aria-label': 'Close thread',
        onclick: () => {
          view.threadRoot = null;
          view.thread.hidden = true;
          clear(view.thread);
        },
      }, '×')),
    h('div', { class: 'thread-posts' }, posts.map((p) => postEl(p, {
      view, root: null, replies: 0, reactions: reactions.get(p.id) || [], inThread: true,
    }))),
    composer('Reply to thread', (message) => post('/posts', {
      channel_id: view.channel.id, message, root_id: rootId,
    }).then(async () => {
      await refreshThread(view);
      await refreshPosts(view);
    }), rootId));
  const box = view.thread.querySelector('textarea');
  if (box && draft) box.value = draft;
  if (box && hadFocus) box.focus();
}

// ---- creating teams and channels ----

function slug(s) {
  return s.toLowerCase().trim().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
}

function createTeamDialog() {
  const err = alertBox();
  const name = field('Team Name', { required: true, maxlength: '64' });
  const m = modal({
    title: 'Create a team',
    body: h('form', {
      onsubmit: async (e) => {
        e.preventDefault();
        const display = name.input.value.trim();
        if (!display) return err.show('Please enter a team name.');
        try {
          const t = await post('/teams', { name: slug(display) || 'team', display_name: display, type: 'O' });
          m.close();
          navigate(`/${t.name}`);
        } catch (e2) {
          err.showError(e2);
        }
        return undefined;
      },
    }, err, name.wrap, h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create'))),
  });
}

function createChannelDialog(team) {
  const err = alertBox();
  const name = field('Channel Name', { required: true, maxlength: '64' });
  const priv = h('input', { type: 'checkbox' });
  const m = modal({
    title: 'Create a channel',
    body: h('form', {
      onsubmit: async (e) => {
        e.preventDefault();
        const display = name.input.value.trim();
        if (!display) return err.show('Please enter a channel name.');
        try {
          const c = await post('/channels', {
            team_id: team.id, name: slug(display) || 'channel', display_name: display, type: priv.checked ? 'P' : 'O',
          });
          m.close();
          navigate(`/${team.name}/channels/${c.name}`);
        } catch (e2) {
          err.showError(e2);
        }
        return undefined;
      },
    }, err, name.wrap, h('label', { class: 'check' }, priv, 'Make private'),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create'))),
  });
}
