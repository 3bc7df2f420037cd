// The message box under a channel or a thread: Enter sends, Shift+Enter adds a line.

import { h, alertBox, nextId } from './dom.js';

/** A composer labelled `label`; `send(message)` posts and may throw an ApiError to show. */
export function composer(label, send) {
  const id = nextId('composer');
  const err = alertBox();
  const box = h('textarea', { id, rows: '2', placeholder: label, 'aria-label': label });
  const submit = async () => {
    const message = box.value.trim();
    if (!message) return;
    err.show('');
    try {
      await send(message);
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
