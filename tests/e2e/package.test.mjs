// The npm package (www/pkg, written by `cargo xtask build-web`): `npm pack` of it holds every file
// its README names, and every relative import of its JavaScript resolves inside the package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { posix } from 'node:path';

const PKG = fileURLToPath(new URL('../../www/pkg/', import.meta.url));

test('npm pack of www/pkg holds what its README names, and its imports resolve', () => {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PKG, encoding: 'utf8' }));
  const files = new Set(pack.files.map((f) => f.path));
  const readme = readFileSync(`${PKG}README.md`, 'utf8');
  // `name.ext` or `dir/name.ext` in backticks, and files the embed snippet loads from /tiermatch/
  const named = new Set([
    ...[...readme.matchAll(/`([\w./-]+\.(?:js|css|wasm|ts|model))`/g)].map((m) => m[1]),
    ...[...readme.matchAll(/\/tiermatch\/([\w./-]+\.(?:js|css|model))/g)].map((m) => m[1]),
  ]);
  for (const name of ['tiermatch-element.js', 'tiermatch.css', 'tiermatch-element.d.ts', 'tiermatch.d.ts', 'model/tiermatch.model']) {
    assert.ok(named.has(name), `the README names ${name}`);
  }
  for (const name of named) assert.ok(files.has(name), `npm pack holds ${name}: ${[...files].join(', ')}`);
  assert.ok([...files].some((f) => f.startsWith('snippets/')), 'the glue snippets');
  for (const f of files) {
    if (!f.endsWith('.js')) continue;
    const text = readFileSync(`${PKG}${f}`, 'utf8');
    for (const [, spec] of text.matchAll(/(?:import|from)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = posix.normalize(posix.join(posix.dirname(f), spec));
      assert.ok(files.has(target), `${f} imports ${spec}, which the package lacks`);
    }
  }
  const manifest = JSON.parse(readFileSync(`${PKG}package.json`, 'utf8'));
  for (const target of Object.values(manifest.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)))) {
    assert.ok(files.has(target.replace(/^\.\//, '')), `export ${target} is packed`);
  }
});
