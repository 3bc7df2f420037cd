// The thread panel beside the channel: the root post and its replies, oldest first, with a
// reply composer. The channel view redraws it when an event touches the thread; a redraw keeps
// the draft.

import { get } from './api.js';
import { h, clear, alertBox } from './dom.js';
import { ensureUsers, listSignature, loadReactions, postEl, byTime } from './posts.js';
import { composer } from './composer.js';

/**
 * Opens the thread of `rootId` in `view.thread`. `view` is the channel view's state: it has
 * `isActive()`, `channel`, `recent` (the channel's loaded posts), `send(message, rootId)`,
 * `sendTyping(parentId)`, `drawTyping()` and `suggest` (the composer's `/` suggestions).
 */
export async function openThread(view, rootId) {
  view.threadRoot = rootId;
  view.threadSig = '';
  view.thread.hidden = false;
  clear(view.thread, h('p', { class: 'muted' }, 'Loading thread…'));
  await refreshThread(view);
  const box = view.thread.querySelector('textarea');
  if (box) box.focus();
}

export function closeThread(view) {
  view.threadRoot = null;
  view.thread.hidden = true;
  clear(view.thread);
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

export async function refreshThread(view) {
  if (!view.threadRoot) return;
  // Refreshes overlap when events come fast: only the latest may render.
  view.threadGen = (view.threadGen || 0) + 1;
  const gen = view.threadGen;
  let list;
  try {
    list = await threadOf(view, view.threadRoot);
  } catch (e) {
    const err = alertBox();
    err.showError(e);
    clear(view.thread, err);
    return;
  }
  if (!view.isActive() || gen !== view.threadGen) return;
  const sig = listSignature(list);
  if (sig === view.threadSig && view.thread.querySelector('.thread-posts')) return;
  view.threadSig = sig;
  const posts = list.order.map((id) => list.posts[id]).filter((p) => !p.delete_at)
    .sort(byTime);
  await ensureUsers(posts.map((p) => p.user_id));
  const reactions = await loadReactions(posts);
  if (!view.isActive() || gen !== view.threadGen) return;
  const oldBox = view.thread.querySelector('textarea');
  const draft = oldBox ? oldBox.value : '';
  const hadFocus = oldBox && document.activeElement === oldBox;
  const rootId = view.threadRoot;
  clear(view.thread,
    h('div', { class: 'thread-head' },
      h('h2', {}, 'Thread'),
      h('button', {
        type: 'button', class: 'icon-btn', 'aria-label': 'Close thread',
        onclick: () => closeThread(view),
      }, '×')),
    h('div', { class: 'thread-posts' }, posts.map((p) => postEl(p, {
      view, root: null, replies: 0, reactions: reactions.get(p.id) || [], inThread: true,
    }))),
    h('p', { class: 'typing-indicator', 'aria-live': 'polite' }),
    composer('Reply to thread', async (message) => {
      await view.send(message, rootId);
      await refreshThread(view);
    }, { onTyping: () => view.sendTyping(rootId), suggest: view.suggest }));
  view.drawTyping();
  const box = view.thread.querySelector('textarea');
  if (box && draft) box.value = draft;
  if (box && hadFocus) box.focus();
}
