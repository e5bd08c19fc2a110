/**
 * Summarises a V8 `.cpuprofile` (written by `node --cpu-prof`): self time per function and per source file, and
 * inclusive time of chosen functions, so the report can show where ingest time goes.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  byFunction: ProfileRow[];
  byFile: ProfileRow[];
  /** Inclusive time (the function and everything it calls) of functions whose name matches, summed per name. */
  inclusive: ProfileRow[];
}

/** A short location: the path from `src/`, `node_modules/<pkg>` or `node:` on, without the machine's folders. */
export function shortUrl(url: string): string {
  if (url === '') return '(native / V8)';
  const clean = url.replace(/^file:\/\//, '');
  const markers = ['/node_modules/', '/ingest-dist/', '/dist/', '/src/'];
  for (const marker of markers) {
    const at = clean.lastIndexOf(marker);
    if (at >= 0) return (marker === '/node_modules/' ? 'node_modules/' : 'src/') + clean.slice(at + marker.length);
  }
  return clean.startsWith('node:') ? clean : clean.split('/').slice(-2).join('/');
}

/**
 * Reads a profile and aggregates self time; `inclusiveNames` lists function names whose inclusive time is wanted.
 * @example summariseProfile('CPU.123.cpuprofile', ['add', 'commit'], 20)
 */
export function summariseProfile(file: string, inclusiveNames: readonly string[] = [], top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totalUs = profile.endTime - profile.startTime;
  const byFunction = new Map<string, ProfileRow>();
  const byFile = new Map<string, ProfileRow>();
  const nodes = new Map<number, ProfileNode>();
  for (const node of profile.nodes) nodes.set(node.id, node);
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const frame = node.callFrame;
    const name = frame.functionName || '(anonymous)';
    const file = shortUrl(frame.url);
    const where = frame.url === '' ? file : `${file}:${frame.lineNumber + 1}`;
    const key = `${name}@${where}`;
    const row = byFunction.get(key) ?? { name, where, selfMs: 0, share: 0 };
    row.selfMs += us / 1000;
    byFunction.set(key, row);
    const fileRow = byFile.get(file) ?? { name: file, where: '', selfMs: 0, share: 0 };
    fileRow.selfMs += us / 1000;
    byFile.set(file, fileRow);
  }
  // Inclusive time: a node's self time plus its descendants'; a name counted once per stack (no double counting
  // of recursion).
  const inclusive = new Map<string, number>();
  const wanted = new Set(inclusiveNames);
  const walk = (id: number, active: Set<string>): number => {
    const node = nodes.get(id)!;
    let us = selfUs.get(id) ?? 0;
    const name = node.callFrame.functionName;
    const counts = wanted.has(name) && !active.has(name);
    if (counts) active.add(name);
    for (const child of node.children ?? []) us += walk(child, active);
    if (counts) {
      active.delete(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
    return us;
  };
  if (profile.nodes.length > 0) walk(profile.nodes[0]!.id, new Set());
  const finish = (rows: Iterable<ProfileRow>) =>
    [...rows]
      .map((r) => ({ ...r, share: r.selfMs / (totalUs / 1000) }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top);
  return {
    totalMs: totalUs / 1000,
    byFunction: finish(byFunction.values()),
    byFile: finish(byFile.values()),
    inclusive: [...inclusive].map(([name, us]) => ({ name, where: '', selfMs: us / 1000, share: us / totalUs })).sort((a, b) => b.selfMs - a.selfMs),
  };
}
