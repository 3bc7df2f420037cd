// The message box under a channel or a thread: Enter sends, Shift+Enter adds a line. Typing
// reports itself (`onTyping`, for the WebSocket's `user_typing`), and a `suggest(text)` source
// (slash.js) offers completions in a listbox above the box: arrows move, Tab or Enter picks,
// Escape closes.

import { h, clear, alertBox, nextId } from './dom.js';

const SUGGEST_DELAY_MS = 120;

/**
 * A composer labelled `label`; `send(message)` posts and may throw an ApiError to show.
 * `opts.onTyping()` runs on each edit; `opts.suggest(text)` resolves with
 * `[{complete, label, hint, description}]` (empty when there is nothing to offer).
 */
export function composer(label, send, opts = {}) {
  const id = nextId('composer');
  const listId = id + '-suggestions';
  const err = alertBox();
  const box = h('textarea', {
    id, rows: '2', placeholder: label, 'aria-label': label,
    'aria-autocomplete': opts.suggest ? 'list' : null,
    'aria-controls': opts.suggest ? listId : null,
    'aria-expanded': opts.suggest ? 'false' : null,
  });
  const list = h('ul', { id: listId, class: 'suggestions', role: 'listbox', 'aria-label': 'Suggestions', hidden: true });
  let items = [];
  let selected = -1;
  let asked = 0;
  let timer = null;

  const closeList = () => {
    items = [];
    selected = -1;
    list.hidden = true;
    clear(list);
    box.setAttribute('aria-expanded', 'false');
    box.removeAttribute('aria-activedescendant');
  };
  const drawList = () => {
    if (!items.length) {
      closeList();
      return;
    }
    clear(list, items.map((s, i) => h('li', {
      id: `${listId}-${i}`,
      role: 'option',
      class: 'suggestion',
      'aria-selected': i === selected ? 'true' : 'false',
      // mousedown, not click: the box must keep focus.
      onmousedown: (e) => {
        e.preventDefault();
        pick(i);
      },
    }, h('span', { class: 'suggestion-label' }, s.label),
    s.hint ? h('span', { class: 'suggestion-hint' }, ' ' + s.hint) : null,
    s.description ? h('span', { class: 'suggestion-desc muted' }, ' ' + s.description) : null)));
    list.hidden = false;
    box.setAttribute('aria-expanded', 'true');
    if (selected >= 0) box.setAttribute('aria-activedescendant', `${listId}-${selected}`);
    else box.removeAttribute('aria-activedescendant');
  };
  const pick = (i) => {
    const s = items[i];
    if (!s) return;
    box.value = s.complete;
    closeList();
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  };
  const askSuggestions = () => {
    if (!opts.suggest) return;
    clearTimeout(timer);
    const text = box.value;
    const my = ++asked;
    timer = setTimeout(async () => {
      let got = [];
      try {
        got = (await opts.suggest(text)) || [];
      } catch {
        got = [];
      }
      if (my !== asked || box.value !== text) return;
      items = got;
      selected = got.length ? 0 : -1;
      drawList();
    }, SUGGEST_DELAY_MS);
  };

  const submit = async () => {
    const message = box.value.trim();
    if (!message) return;
    closeList();
    err.show('');
    try {
      await send(message);
      box.value = '';
    } catch (e) {
      err.showError(e);
    }
  };
  box.addEventListener('input', () => {
    if (opts.onTyping && box.value) opts.onTyping();
    askSuggestions();
  });
  box.addEventListener('blur', () => setTimeout(closeList, 150));
  box.addEventListener('keydown', (e) => {
    if (items.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const n = items.length;
        selected = (selected + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
        drawList();
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        closeList();
        return;
      }
      // Enter picks a suggestion unless the text already is it (then it runs).
      if ((e.key === 'Tab' && !e.shiftKey) ||
          (e.key === 'Enter' && !e.shiftKey && selected >= 0 && items[selected].complete.trim() !== box.value.trim())) {
        e.preventDefault();
        pick(Math.max(0, selected));
        return;
      }
    }
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
  }, err, list, h('div', { class: 'composer-row' }, box, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Send')),
  h('p', { class: 'help' }, 'Enter to send, Shift+Enter for a new line.', opts.suggest ? ' Type / for commands.' : ''));
}
