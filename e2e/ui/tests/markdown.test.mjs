// Unit tests for the web UI's pure modules, run by node directly (no browser): the markdown
// renderer (markdown.js) including XSS attempts, and who a post shows as (author.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseMarkdown, renderHtml, safeUrl, safeImageUrl, plainText,
} from '../../../crates/rustmost-server/web/static/js/markdown.js';
import { postAuthor } from '../../../crates/rustmost-server/web/static/js/author.js';

/** Every href in a tree, to check that only safe ones survive. */
function hrefs(nodes) {
  return nodes.flatMap((n) => [...(n.href ? [n.href] : []), ...hrefs(n.children || [])]);
}

/** The tags and attributes of rendered HTML, with text content ignored. */
function tagsOf(html) {
  return [...html.matchAll(/<\/?([a-z]+)([^>]*)>/g)].map((m) => [m[1], m[2]]);
}
const ALLOWED_TAGS = new Set(['a', 'strong', 'em', 'del', 'code', 'pre']);

function assertSafe(html) {
  for (const [tag, attrs] of tagsOf(html)) {
    assert.ok(ALLOWED_TAGS.has(tag), `unexpected <${tag}> in ${html}`);
    if (tag !== 'a' || !attrs) continue;
    const m = attrs.match(/^ href="([^"<>]*)" target="_blank" rel="noopener noreferrer"$/);
    assert.ok(m, `unexpected attributes ${attrs} in ${html}`);
    assert.match(m[1], /^(https?:\/\/|mailto:)/i);
  }
}

test('the formats the chat shows', () => {
  assert.equal(renderHtml('Workflow **finished** from the API'), 'Workflow <strong>finished</strong> from the API');
  assert.equal(renderHtml('*a* _b_ ~~c~~ `d`'), '<em>a</em> <em>b</em> <del>c</del> <code>d</code>');
  assert.equal(renderHtml('snake_case_name stays'), 'snake_case_name stays');
  assert.equal(renderHtml('see https://example.com/build/42.'),
    'see <a href="https://example.com/build/42" target="_blank" rel="noopener noreferrer">https://example.com/build/42</a>.');
  assert.equal(renderHtml('[**Build**](https://e.com/b)'),
    '<a href="https://e.com/b" target="_blank" rel="noopener noreferrer"><strong>Build</strong></a>');
  assert.equal(renderHtml('[mail me](mailto:ops@example.com)'),
    '<a href="mailto:ops@example.com" target="_blank" rel="noopener noreferrer">mail me</a>');
  assert.equal(renderHtml(':+1: :no_such_emoji:'), '👍 :no_such_emoji:');
  assert.equal(renderHtml('before\n```js\nif (a < b) **x**\n```\nafter'),
    'before\n<pre><code>if (a &lt; b) **x**</code></pre>after');
  assert.equal(renderHtml('``` unclosed'), '``` unclosed');
  assert.equal(renderHtml(null), '');
  assert.equal(plainText(parseMarkdown('a **b** [c](https://x.io)')), 'a b c');
});

test('raw HTML is text, never markup', () => {
  const cases = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '**<b onmouseover="alert(1)">bold</b>**',
    '`<script>`',
    '```\n</code></pre><script>alert(1)</script>\n```',
    '<a href="javascript:alert(1)">x</a>',
    '&lt;script&gt; stays &amp; escaped',
  ];
  for (const text of cases) {
    const html = renderHtml(text);
    assertSafe(html);
    assert.ok(!/<(script|img|b)\b/i.test(html), `markup leaked: ${html}`);
  }
  assert.equal(renderHtml('<script>alert(1)</script>'), '&lt;script&gt;alert(1)&lt;/script&gt;');
  assert.equal(renderHtml('&lt;'), '&amp;lt;');
});

test('links keep only http(s) and mailto targets', () => {
  const bad = [
    '[x](javascript:alert(1))',
    '[x](JaVaScRiPt:alert(1))',
    '[x](java\tscript:alert(1))',
    '[x](data:text/html;base64,PHNjcmlwdD4=)',
    '[x](vbscript:msgbox)',
    '[x](//evil.example/path)',
    '[x](/relative/path)',
    '[x](&#106;avascript:alert(1))',
    'javascript:alert(1)',
    '[x](https:alert(1))',
  ];
  for (const text of bad) {
    const tree = parseMarkdown(text);
    assert.deepEqual(hrefs(tree), [], `${text} became a link`);
    const html = renderHtml(text);
    assertSafe(html);
    assert.ok(!html.includes('<a'), `${text} became a link: ${html}`);
  }
  for (const u of ['javascript:alert(1)', ' https://x.io', 'https://x.io/\n', 'http:/x', 'mailto://x',
    'https://x.io/"a', 'https://x.io/<b>', 'https://x.io\\@evil', 42, null]) {
    assert.equal(safeUrl(u), null, String(u));
  }
  assert.equal(safeUrl('HTTPS://Example.com/a?b=1#c'), 'HTTPS://Example.com/a?b=1#c');
  assert.equal(safeImageUrl('mailto:a@b.c'), null);
  assert.equal(safeImageUrl('https://cdn.example/i.png'), 'https://cdn.example/i.png');
});

test('a link cannot inject attributes', () => {
  const cases = [
    'https://x.com/"onmouseover="alert(1)',
    "https://x.com/'onmouseover='alert(1)",
    '[x](https://x.com/"onmouseover="alert(1))',
    '[x](https://x.com/"><script>alert(1)</script>)',
    '[" onmouseover="alert(1)](https://x.com)',
    'https://x.com/`onmouseover=alert(1)`',
  ];
  for (const text of cases) {
    const html = renderHtml(text);
    assertSafe(html);
    assert.ok(!tagsOf(html).some(([tag, attrs]) => tag === 'script' || /onmouseover/i.test(attrs)),
      `attribute injected: ${html}`);
  }
  assert.equal(renderHtml('[" onmouseover="x](https://x.com)'),
    '<a href="https://x.com" target="_blank" rel="noopener noreferrer">&quot; onmouseover=&quot;x</a>');
});

test('a link label cannot hold another link', () => {
  const tree = parseMarkdown('[see https://inner.example](https://outer.example)');
  assert.deepEqual(hrefs(tree), ['https://outer.example']);
});

const ON = { EnablePostUsernameOverride: 'true', EnablePostIconOverride: 'true' };
const alice = { id: 'a'.repeat(26), username: 'alice', is_bot: false };
const bot = { id: 'b'.repeat(26), username: 'n8nbot', is_bot: true };
const hookProps = { from_webhook: 'true', override_username: 'Grafana', override_icon_url: 'https://g.example/i.png' };

test('overrides show only on webhook posts while the server allows them', () => {
  const hook = { user_id: alice.id, props: hookProps };
  assert.deepEqual(postAuthor(hook, alice, ON),
    { name: 'Grafana', iconUrl: 'https://g.example/i.png', bot: true, overridden: true });
  // Switches off (or absent, as on a server without them): the real author.
  assert.deepEqual(postAuthor(hook, alice, {}), { name: 'alice', iconUrl: null, bot: true, overridden: false });
  assert.equal(postAuthor(hook, alice, { EnablePostUsernameOverride: 'true' }).iconUrl, null);
  assert.equal(postAuthor(hook, alice, { EnablePostIconOverride: 'true' }).name, 'alice');
  // Not from a webhook: the override props are ignored whatever the config says.
  const plain = { user_id: alice.id, props: { override_username: 'admin', override_icon_url: 'https://e/i.png' } };
  assert.deepEqual(postAuthor(plain, alice, ON), { name: 'alice', iconUrl: null, bot: false, overridden: false });
  const fakeBot = { user_id: alice.id, props: { from_bot: 'true', override_username: 'admin' } };
  assert.deepEqual(postAuthor(fakeBot, alice, ON), { name: 'alice', iconUrl: null, bot: false, overridden: false });
  // An unsafe icon URL is dropped.
  const js = { user_id: alice.id, props: { ...hookProps, override_icon_url: 'javascript:alert(1)' } };
  assert.equal(postAuthor(js, alice, ON).iconUrl, null);
  // System messages never show an override or the BOT tag.
  const sys = { user_id: alice.id, type: 'system_join_channel', props: hookProps };
  assert.deepEqual(postAuthor(sys, alice, ON), { name: 'alice', iconUrl: null, bot: false, overridden: false });
});

test('the BOT tag follows the author record', () => {
  assert.equal(postAuthor({ user_id: bot.id, props: {} }, bot, {}).bot, true);
  assert.equal(postAuthor({ user_id: alice.id, props: { from_bot: 'true' } }, alice, {}).bot, false);
  assert.equal(postAuthor({ user_id: alice.id }, undefined, {}).name, 'aaaaaaaa');
});
