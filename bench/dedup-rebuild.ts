/**
 * How long the first add() of a new writer process takes on a large collection with near-duplicate removal on (the
 * default): that add rebuilds the near-duplicate index, since store version 3 from the MinHash sketches stored with
 * the chunks (before: by reading and shingling every live chunk's text).
 *
 *   npx vite-node bench/dedup-rebuild.ts [scifact|wordnet]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCollection } from '../src/engine/index.js';
import { loadCorpus, type CorpusName } from './corpora.js';

const name = (process.argv.slice(2).find((a) => a !== '--') ?? 'scifact') as CorpusName;
const docs = loadCorpus(name).docs;
const dir = mkdtempSync(join(tmpdir(), 'ralm-dedup-rebuild-'));
try {
  const path = join(dir, 'c');
  const build = await openCollection({ path, create: true, analyzer: 'english' });
  build.add(docs);
  await build.commit();
  const chunks = build.stats().indexedChunks;
  await build.close();
  console.log(`${name}: ${docs.length.toLocaleString('en-US')} documents, ${chunks.toLocaleString('en-US')} indexed chunks (defaults: chunking and near-duplicate removal on)`);
  for (let round = 0; round < 3; round++) {
    const c = await openCollection({ path });
    const t = performance.now();
    c.add({ id: `new-${round}`, text: `${docs[round]!.text} with a few more words` });
    const firstAdd = performance.now() - t;
    await c.commit();
    await c.close();
    console.log(`  newly opened writer, its first add() (one document): ${firstAdd.toFixed(0)} ms`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
