// The web UI's module graph, read from the files (no browser): no module imports main.js (the
// boot module that imports the pages), the imports form no cycle, and every module is one the
// server embeds (crates/rustmost-server/src/web.rs), so a new file cannot 404 in the browser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const jsDir = join(repo, 'crates/rustmost-server/web/static/js');
const files = readdirSync(jsDir).filter((f) => f.endsWith('.js')).sort();

function importsOf(file) {
  const src = readFileSync(join(jsDir, file), 'utf8');
  return [...src.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]\.\/([^'"]+)['"]/gm)].map((m) => m[1]);
}
const graph = new Map(files.map((f) => [f, importsOf(f)]));

test('no module imports main.js', () => {
  for (const [file, deps] of graph) assert.ok(!deps.includes('main.js'), `${file} imports main.js`);
  assert.ok(graph.get('main.js').length > 3, 'main.js imports the pages');
});

test('the module imports form no cycle', () => {
  const state = new Map();
  const visit = (f, path) => {
    if (state.get(f) === 'done') return;
    assert.notEqual(state.get(f), 'open', `import cycle: ${[...path, f].join(' -> ')}`);
    state.set(f, 'open');
    for (const d of graph.get(f) || []) {
      assert.ok(graph.has(d), `${f} imports missing ./${d}`);
      visit(d, [...path, f]);
    }
    state.set(f, 'done');
  };
  for (const f of files) visit(f, []);
});

test('every module is embedded in the binary', () => {
  const web = readFileSync(join(repo, 'crates/rustmost-server/src/web.rs'), 'utf8');
  for (const f of files) assert.ok(web.includes(`"/static/js/${f}"`), `${f} is not listed in web.rs`);
});
