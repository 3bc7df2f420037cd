// One post on screen, shared by the channel view and the thread panel: author (see author.js),
// message text (markdown.js's tree turned into DOM nodes), Slack-style attachments, files and
// reactions; plus the cache of the users whose names the posts show.

import { get, post, del } from './api.js';
import { h, alertBox, nextId } from './dom.js';
import { session } from './session.js';
import { emojiChar } from './emoji.js';
import { parseMarkdown, plainText, safeUrl, safeImageUrl } from './markdown.js';
import { postAuthor } from './author.js';
import { reactionPicker } from './dialogs.js';

const users = new Map();
export async function ensureUsers(ids) {
  const missing = [...new Set(ids)].filter((id) => id && !users.has(id));
  if (!missing.length) return;
  try {
    const list = await post('/users/ids', missing);
    for (const u of list) users.set(u.id, u);
  } catch {
    // names fall back to ids
  }
}
export const userName = (id) => (users.get(id) ? users.get(id).username : id.slice(0, 8));

export function authorOf(p) {
  return postAuthor(p, users.get(p.user_id), session.config);
}

/** Oldest first, ties by id: the server's order (`create_at DESC, id DESC`) reversed. */
export function byTime(a, b) {
  return (a.create_at - b.create_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The version of a post list that changes whenever something on screen would. */
export function listSignature(list) {
  return list.order.map((id) => `${id}:${list.posts[id].update_at}`).join(',');
}

const reactionCache = new Map(); // `${post id}:${update_at}` -> reactions
export async function loadReactions(posts) {
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

/**
 * A post element. `view` offers `openThread(rootId)` and `refresh()` (after a reaction
 * changes); `root` is the post replied to, shown as "Commented on ..." outside threads.
 */
export function postEl(p, { view, root, replies, reactions, inThread = false }) {
  const time = new Date(p.create_at);
  const author = authorOf(p);
  const system = p.type && p.type.startsWith('system_');
  const headId = nextId('post');
  return h('article', { class: 'post' + (system ? ' post-system' : ''), 'data-post-id': p.id, 'aria-labelledby': headId },
    author.iconUrl
      ? h('img', { class: 'avatar', src: author.iconUrl, alt: '', 'aria-hidden': 'true' })
      : h('div', { class: 'avatar', 'aria-hidden': 'true' }, author.name.slice(0, 1).toUpperCase()),
    h('div', { class: 'post-body' },
      h('div', { class: 'post-head', id: headId },
        h('span', { class: 'post-author' }, author.name),
        author.bot ? h('span', { class: 'badge' }, 'BOT') : null,
        h('time', { datetime: time.toISOString(), title: time.toLocaleString() },
          time.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })),
        p.edit_at ? h('span', { class: 'muted' }, ' (edited)') : null,
        p.type === 'system_ephemeral' ? h('span', { class: 'muted' }, ' (Only visible to you)') : null),
      root && !inThread ? h('p', { class: 'reply-to' },
        'Commented on ', h('strong', {}, authorOf(root).name + "'s"), ' message: ',
        h('span', { class: 'muted' }, plainText(parseMarkdown(root.message || '')).slice(0, 80) || '(attachment)')) : null,
      p.message ? h('div', { class: 'post-text' }, renderText(p.message)) : null,
      attachmentsEl(p),
      filesEl(p),
      reactionsEl(p, reactions, view),
      inThread || system ? null : h('div', { class: 'post-actions' },
        h('button', {
          type: 'button', class: 'btn btn-link', 'aria-describedby': headId,
          onclick: () => view.openThread(p.root_id || p.id),
        }, replies ? `${replies} ${replies === 1 ? 'reply' : 'replies'}` : 'Reply'),
        h('button', {
          type: 'button', class: 'btn btn-link', 'aria-describedby': headId, 'aria-haspopup': 'dialog',
          onclick: () => reactionPicker((name) => toggleReaction(p, name, false, view)),
        }, 'Add Reaction'))));
}

// ---- message text ----

const TAGS = { strong: 'strong', em: 'em', del: 'del', code: 'code' };

/** markdown.js's tree as DOM nodes; text only ever becomes text nodes. */
function treeToDom(nodes) {
  return nodes.map((n) => {
    if (n.t === 'text' || n.t === 'emoji') return document.createTextNode(n.text);
    if (n.t === 'code') return h('code', {}, n.text);
    if (n.t === 'pre') return h('pre', {}, h('code', {}, n.text));
    if (n.t === 'link') {
      const url = safeUrl(n.href);
      return url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, treeToDom(n.children))
        : treeToDom(n.children);
    }
    return TAGS[n.t] ? h(TAGS[n.t], {}, treeToDom(n.children || [])) : treeToDom(n.children || []);
  });
}

export function renderText(text) {
  const frag = document.createDocumentFragment();
  for (const n of treeToDom(parseMarkdown(text)).flat(Infinity)) frag.appendChild(n);
  return frag;
}

function link(href, label) {
  const url = safeUrl(href);
  return url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, label) : document.createTextNode(label);
}

// ---- attachments (Slack-style props.attachments, as n8n's node sends them) ----

const COLORS = { good: '#2eb886', warning: '#daa038', danger: '#a30200' };

function img(url, attrs) {
  const src = safeImageUrl(url);
  return src ? h('img', { ...attrs, src }) : null;
}

function attachmentsEl(p) {
  const list = p.props && Array.isArray(p.props.attachments) ? p.props.attachments : [];
  if (!list.length) return null;
  return h('div', { class: 'attachments' }, list.map((a) => {
    if (!a || typeof a !== 'object') return null;
    const str = (v) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
    const el = h('div', { class: 'attachment' },
      a.pretext ? h('div', { class: 'att-pretext' }, renderText(str(a.pretext))) : null,
      h('div', { class: 'att-box' },
        img(a.thumb_url, { class: 'att-thumb', alt: '' }),
        a.author_name ? h('div', { class: 'att-author' },
          img(a.author_icon, { alt: '', class: 'att-author-icon' }),
          a.author_link ? link(a.author_link, str(a.author_name)) : str(a.author_name)) : null,
        a.title ? h('div', { class: 'att-title' }, a.title_link ? link(a.title_link, str(a.title)) : str(a.title)) : null,
        a.text ? h('div', { class: 'att-text' }, renderText(str(a.text))) : null,
        Array.isArray(a.fields) && a.fields.length ? h('dl', { class: 'att-fields' }, a.fields.map((f) =>
          f && typeof f === 'object' ? h('div', { class: 'att-field' + (f.short ? ' short' : '') },
            h('dt', {}, str(f.title)),
            h('dd', {}, renderText(str(f.value)))) : null)) : null,
        img(a.image_url, { class: 'att-image', alt: str(a.title || a.fallback) || 'Attached image' }),
        a.footer ? h('div', { class: 'att-footer' },
          img(a.footer_icon, { alt: '', class: 'att-footer-icon' }),
          str(a.footer)) : null,
        !a.text && !a.title && !a.fields && a.fallback ? h('div', { class: 'att-text' }, str(a.fallback)) : null));
    const c = str(a.color);
    const color = COLORS[c] || (/^#?[0-9a-f]{3,8}$/i.test(c) ? (c.startsWith('#') ? c : '#' + c) : null);
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
    h('a', { href: `/api/v4/files/${encodeURIComponent(f.id)}?download=1` }, f.name || f.id),
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
  await view.refresh();
}
