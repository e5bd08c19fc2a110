#!/usr/bin/env node
// Enforces the architecture's import directions (see ARCHITECTURE.md): each module under src/ may import
// only the modules listed for it. Exits 1 naming every offending import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const src = join(root, 'src');

/** module → modules it may import (besides itself). */
const allowed = {
  core: [],
  analysis: ['core'],
  ingest: ['core', 'analysis'],
  store: ['core'],
  'index/sparse': ['core', 'analysis', 'store'],
  'index/dense': ['core', 'store'],
  models: ['core'],
  embed: ['core', 'models'],
  retrieve: ['core', 'analysis', 'index/sparse', 'index/dense', 'models'],
  generate: ['core', 'retrieve', 'models'],
  eval: ['core', 'retrieve'],
  train: ['core', 'retrieve', 'eval', 'models'],
  engine: ['core', 'analysis', 'ingest', 'store', 'index/sparse', 'index/dense', 'models', 'embed', 'retrieve', 'generate', 'eval', 'train'],
  server: ['core', 'engine', 'eval', 'ingest', 'analysis'],
  cli: ['core', 'engine', 'eval', 'ingest', 'analysis', 'server'],
};

function moduleOf(file) {
  const rel = relative(src, file).split('/');
  if (rel[0] === 'index' && rel.length > 2) return `index/${rel[1]}`;
  if (rel.length === 1) return '.';
  return rel[0];
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|mts)$/.test(name)) yield p;
  }
}

const problems = [];
for (const file of walk(src)) {
  const from = moduleOf(file);
  if (from === '.') continue; // src/index.ts re-exports everything
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2];
    const target = moduleOf(resolve(dirname(file), spec));
    if (target === from) continue;
    if (target === '.') { problems.push(`${relative(root, file)}: imports the package root (${spec}); import the module directly`); continue; }
    if (!(from in allowed)) { problems.push(`${relative(root, file)}: module "${from}" is not listed in scripts/check-imports.mjs`); break; }
    if (!allowed[from].includes(target)) problems.push(`${relative(root, file)}: "${from}" may not import "${target}" (${spec})`);
  }
}
if (problems.length) {
  console.error(`Import-direction check failed (${problems.length}):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('import directions: ok');
