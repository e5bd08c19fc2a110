/** The engines the bench knows, in report order. Xapian is driven from Python (`bench/xapian_peer.py`). */
import type { PeerFactory } from './types.js';

export type EngineName = 'ralm' | 'minisearch' | 'orama' | 'wink' | 'sqlite' | 'lancedb' | 'xapian';

export const engineNames: readonly EngineName[] = ['ralm', 'minisearch', 'orama', 'wink', 'sqlite', 'lancedb', 'xapian'];

/** Display names, for the report. */
export const engineLabels: Record<EngineName, string> = {
  ralm: 'ralm',
  minisearch: 'MiniSearch',
  orama: 'Orama',
  wink: 'wink-bm25-text-search',
  sqlite: 'SQLite FTS5',
  lancedb: 'LanceDB FTS',
  xapian: 'Xapian',
};

/** Pure-JavaScript peers: the ones "fastest JavaScript peer" index time is taken from. */
export const javascriptPeers: readonly EngineName[] = ['minisearch', 'orama', 'wink'];

/** The adapter factory of a Node-driven engine (each adapter imports its package lazily). */
export async function peerFactory(engine: Exclude<EngineName, 'xapian'>): Promise<PeerFactory> {
  switch (engine) {
    case 'ralm':
      return (await import('./ralm.js')).createRalmPeer;
    case 'minisearch':
      return (await import('./minisearch.js')).createMiniSearchPeer;
    case 'orama':
      return (await import('./orama.js')).createOramaPeer;
    case 'wink':
      return (await import('./wink.js')).createWinkPeer;
    case 'sqlite':
      return (await import('./sqlite-fts5.js')).createSqlitePeer;
    case 'lancedb':
      return (await import('./lancedb.js')).createLanceDbPeer;
  }
}
