// Small DOM helpers: element builder (no innerHTML, so server text is never parsed as HTML),
// accessible modal dialogs and menus, alerts and formatting.

/** h('button', {class: 'btn', onclick: fn, 'aria-label': 'x'}, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'class') {
      el.className = v;
    } else if (k === 'value') {
      el.value = v;
    } else if (k === 'checked') {
      el.checked = !!v;
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
/** A fresh id for label/aria wiring. */
export function nextId(prefix = 'id') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** An error box that screen readers announce; empty and hidden until `show(message)`. */
export function alertBox() {
  const el = h('div', { class: 'alert alert-error', role: 'alert', hidden: true });
  el.show = (msg) => {
    el.textContent = msg || '';
    el.hidden = !msg;
  };
  el.showError = (err) => el.show(errorMessage(err));
  return el;
}

export function errorMessage(err) {
  if (!err) return '';
  return err.message || String(err);
}

/** A labelled form field; returns {wrap, input}. */
export function field(label, inputAttrs = {}, help) {
  const id = inputAttrs.id || nextId('f');
  const helpId = help ? id + '-help' : null;
  const tag = inputAttrs.tag || 'input';
  const attrs = { ...inputAttrs, id, 'aria-describedby': helpId };
  delete attrs.tag;
  const input = h(tag, attrs, inputAttrs.options || []);
  const wrap = h('div', { class: 'field' },
    h('label', { for: id }, label),
    input,
    help ? h('p', { class: 'help', id: helpId }, help) : null);
  return { wrap, input };
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]),' +
  ' textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog. `buttons`: [{label, class, onclick(close), autofocus}]. Escape and the
 * close button dismiss it; focus is kept inside and restored afterwards.
 */
export function modal({ title, body, buttons = [], onClose, wide = false, label }) {
  const opener = document.activeElement;
  const titleId = nextId('modal-title');
  const backdrop = h('div', { class: 'modal-backdrop' });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    backdrop.remove();
    document.removeEventListener('keydown', onKey, true);
    if (onClose) onClose();
    if (opener && opener.isConnected && opener.focus) opener.focus();
  };
  const footer = buttons.length
    ? h('div', { class: 'modal-footer' }, buttons.map((b) => h('button', {
      type: 'button',
      class: 'btn ' + (b.class || 'btn-secondary'),
      onclick: () => b.onclick(close),
      'data-autofocus': b.autofocus ? 'true' : null,
    }, b.label)))
    : null;
  const dialog = h('div', {
    class: 'modal' + (wide ? ' modal-wide' : ''),
    role: 'dialog',
    'aria-modal': 'true',
    'aria-labelledby': titleId,
    'aria-label': label,
  },
  h('div', { class: 'modal-header' },
    h('h2', { id: titleId }, title),
    h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close', onclick: close }, '×')),
  h('div', { class: 'modal-body' }, body),
  footer);
  backdrop.appendChild(dialog);
  backdrop.addEventListener('mousedown', (e) => {
    if (e.target === backdrop) close();
  });
  function onKey(e) {
    if (!backdrop.isConnected) return;
    const top = [...document.querySelectorAll('.modal-backdrop')].pop();
    if (top !== backdrop) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    } else if (e.key === 'Tab') {
      const items = [...dialog.querySelectorAll(FOCUSABLE)].filter((x) => x.offsetParent !== null);
      if (!items.length) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && document.activeElement === last) {
        e.preventDefault();
        first.focus();
      }
    }
  }
  document.addEventListener('keydown', onKey, true);
  document.body.appendChild(backdrop);
  const auto = dialog.querySelector('[data-autofocus="true"]') ||
    dialog.querySelector('.modal-body ' + FOCUSABLE.split(',').join(', .modal-body ')) ||
    dialog.querySelector(FOCUSABLE);
  if (auto) auto.focus();
  return { close, dialog };
}

/** A yes/no confirmation; resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel, danger = false }) {
  return new Promise((resolve) => {
    let answered = false;
    modal({
      title,
      body: h('div', { class: danger ? 'alert alert-danger' : 'confirm-text' }, message),
      onClose: () => {
        if (!answered) resolve(false);
      },
      buttons: [
        { label: 'Cancel', onclick: (close) => close() },
        {
          label: confirmLabel,
          class: danger ? 'btn-danger' : 'btn-primary',
          autofocus: true,
          onclick: (close) => {
            answered = true;
            close();
            resolve(true);
          },
        },
      ],
    });
  });
}

/**
 * A menu button: `items` [{label, onclick, hidden}] in a role=menu list; arrow keys, Home/End
 * and Escape work as in a desktop menu.
 */
export function menuButton(labelContent, items, attrs = {}) {
  const menuId = nextId('menu');
  const btn = h('button', {
    type: 'button',
    class: 'menu-btn ' + (attrs.class || ''),
    'aria-haspopup': 'menu',
    'aria-expanded': 'false',
    'aria-controls': menuId,
    'aria-label': attrs['aria-label'],
  }, labelContent, h('span', { class: 'caret', 'aria-hidden': 'true' }, '▾'));
  const list = h('ul', { class: 'menu', role: 'menu', id: menuId, hidden: true });
  const wrap = h('div', { class: 'menu-wrap' }, btn, list);
  const entries = () => [...list.querySelectorAll('[role="menuitem"]')];
  const close = (focusBtn) => {
    list.hidden = true;
    btn.setAttribute('aria-expanded', 'false');
    document.removeEventListener('mousedown', outside, true);
    if (focusBtn) btn.focus();
  };
  const outside = (e) => {
    if (!wrap.contains(e.target)) close(false);
  };
  const open = (focusLast) => {
    clear(list, (typeof items === 'function' ? items() : items).filter((i) => !i.hidden).map((i) =>
      h('li', { role: 'none' }, h('button', {
        type: 'button',
        role: 'menuitem',
        tabindex: '-1',
        class: i.class || '',
        onclick: () => {
          // Focus goes back to the menu button first, so a dialog opened by the item
          // returns focus there when it closes.
          close(true);
          i.onclick();
        },
      }, i.label))));
    list.hidden = false;
    btn.setAttribute('aria-expanded', 'true');
    document.addEventListener('mousedown', outside, true);
    const all = entries();
    if (all.length) (focusLast ? all[all.length - 1] : all[0]).focus();
  };
  btn.addEventListener('click', () => (list.hidden ? open(false) : close(false)));
  btn.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      open(false);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      open(true);
    }
  });
  list.addEventListener('keydown', (e) => {
    const all = entries();
    const i = all.indexOf(document.activeElement);
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      all[(i + 1) % all.length].focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      all[(i - 1 + all.length) % all.length].focus();
    } else if (e.key === 'Home') {
      e.preventDefault();
      all[0].focus();
    } else if (e.key === 'End') {
      e.preventDefault();
      all[all.length - 1].focus();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close(true);
    } else if (e.key === 'Tab') {
      close(false);
    }
  });
  return wrap;
}

export function formatDate(ms) {
  if (!ms) return '';
  return new Date(ms).toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
}

export function formatDay(ms) {
  return new Date(ms).toLocaleDateString(undefined, { year: 'numeric', month: 'long', day: 'numeric' });
}

/** A short-lived status message announced politely. */
export function flash(container, msg) {
  const el = h('p', { class: 'flash', role: 'status' }, msg);
  container.appendChild(el);
  setTimeout(() => el.remove(), 4000);
}

/** Copies text; falls back to selecting an input when the Clipboard API is unavailable (http). */
export async function copyText(text, input) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the selection copy
  }
  if (input) {
    input.focus();
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
  return false;
}
