// A pure renderer for the subset of Mattermost markdown the chat shows: ``` code blocks,
// `code`, **bold**, *italics* / _italics_, ~~strike~~, [label](url) links, bare http(s) URLs
// and :emoji:. No DOM access: `parseMarkdown` returns a tree of plain objects (the view turns it
// into DOM nodes with text nodes only) and `renderHtml` an escaped HTML string. Raw HTML in a
// message is always text; links are kept only for http(s) and mailto URLs.

import { emojiChar } from './emoji.js';

/**
 * A URL that is safe as a link target: http(s) or mailto only, with no whitespace or control
 * characters (browsers strip those, which turns `java\tscript:` into a scheme) and none of the
 * characters a valid URL has percent-encoded (quotes, angle brackets, backticks, backslashes).
 * Anything else is null, and the caller shows the text without a link.
 */
export function safeUrl(u) {
  if (typeof u !== 'string' || u.length > 4096) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f"'<>`\\]/.test(u)) return null;
  if (/^https?:\/\/[^/?#]/i.test(u)) return u;
  if (/^mailto:[^/]/i.test(u)) return u;
  return null;
}

/** A URL that is safe as an image source: http(s) only. */
export function safeImageUrl(u) {
  const url = safeUrl(u);
  return url && /^https?:/i.test(url) ? url : null;
}

const FENCE = /```[a-zA-Z0-9_+-]*[ \t]*\n?/;

// One alternative per inline form; the order decides which wins where two could start.
const INLINE = new RegExp([
  /(`[^`\n]+`)/.source, // 1 code
  /(\*\*[^*\n]+\*\*|__[^_\n]+__)/.source, // 2 bold
  /(~~[^~\n]+~~)/.source, // 3 strike
  /(\[[^\]\n]+\]\([^)\s]+\))/.source, // 4 [label](url)
  /(https?:\/\/[^\s<>()"'`]+[^\s<>()"'`.,;:!?])/.source, // 5 bare URL
  /(:[a-z0-9_+-]+:)/.source, // 6 emoji
  /(\*[^*\n]+\*|\b_[^_\n]+_\b)/.source, // 7 italics
].join('|'), 'g');

/**
 * Parses `text` into a list of nodes:
 * `{t:'text', text}`, `{t:'code', text}`, `{t:'pre', text, lang}`, `{t:'emoji', name, text}`,
 * `{t:'strong'|'em'|'del', children}` and `{t:'link', href, children}` (href already checked).
 */
export function parseMarkdown(text) {
  const out = [];
  const src = text === null || text === undefined ? '' : String(text);
  const parts = splitFences(src);
  for (const part of parts) {
    if (part.code) out.push({ t: 'pre', text: part.text.replace(/\n$/, ''), lang: part.lang });
    else if (part.text) out.push(...inline(part.text, true));
  }
  return out;
}

/** Splits on ``` fences; an unclosed fence is text, as Mattermost shows it. */
function splitFences(src) {
  const parts = [];
  let rest = src;
  for (;;) {
    const open = rest.match(FENCE);
    if (!open) break;
    const after = rest.slice(open.index + open[0].length);
    const close = after.indexOf('```');
    if (close < 0) break;
    parts.push({ text: rest.slice(0, open.index) });
    const lang = open[0].slice(3).trim();
    parts.push({ code: true, text: after.slice(0, close), lang });
    rest = after.slice(close + 3).replace(/^[ \t]*\n/, '');
  }
  parts.push({ text: rest });
  return parts;
}

function inline(text, linksAllowed) {
  const out = [];
  let last = 0;
  const push = (node) => {
    const prev = out[out.length - 1];
    if (node.t === 'text' && prev && prev.t === 'text') prev.text += node.text;
    else out.push(node);
  };
  for (const m of text.matchAll(INLINE)) {
    const [tok] = m;
    if (m.index > last) push({ t: 'text', text: text.slice(last, m.index) });
    last = m.index + tok.length;
    if (m[1]) push({ t: 'code', text: tok.slice(1, -1) });
    else if (m[2]) push({ t: 'strong', children: inline(tok.slice(2, -2), linksAllowed) });
    else if (m[3]) push({ t: 'del', children: inline(tok.slice(2, -2), linksAllowed) });
    else if (m[4]) {
      const [, label, href] = tok.match(/^\[([^\]]+)\]\(([^)]+)\)$/);
      const url = linksAllowed ? safeUrl(href) : null;
      if (url) push({ t: 'link', href: url, children: inline(label, false) });
      else push({ t: 'text', text: tok });
    } else if (m[5]) {
      const url = linksAllowed ? safeUrl(tok) : null;
      push(url ? { t: 'link', href: url, children: [{ t: 'text', text: tok }] } : { t: 'text', text: tok });
    } else if (m[6]) {
      const name = tok.slice(1, -1);
      push({ t: 'emoji', name, text: emojiChar(name) });
    } else if (m[7]) push({ t: 'em', children: inline(tok.slice(1, -1), linksAllowed) });
  }
  if (last < text.length) push({ t: 'text', text: text.slice(last) });
  return out;
}

/** The text of a tree with the markup dropped (for previews such as "Commented on"). */
export function plainText(nodes) {
  return nodes.map((n) => (n.children ? plainText(n.children) : n.text)).join('');
}

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]);
}

const TAGS = { strong: 'strong', em: 'em', del: 'del' };

/** The tree as HTML: every text and attribute escaped, links only to checked URLs. */
export function treeToHtml(nodes) {
  return nodes.map((n) => {
    switch (n.t) {
      case 'text': return escapeHtml(n.text);
      case 'emoji': return escapeHtml(n.text);
      case 'code': return `<code>${escapeHtml(n.text)}</code>`;
      case 'pre': return `<pre><code>${escapeHtml(n.text)}</code></pre>`;
      case 'link': {
        const url = safeUrl(n.href);
        const inner = treeToHtml(n.children);
        return url ? `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${inner}</a>` : inner;
      }
      default: {
        const tag = TAGS[n.t];
        const inner = treeToHtml(n.children || []);
        return tag ? `<${tag}>${inner}</${tag}>` : inner;
      }
    }
  }).join('');
}

/** `text` rendered to safe HTML. */
export function renderHtml(text) {
  return treeToHtml(parseMarkdown(text));
}
