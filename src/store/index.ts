export {
  DocumentStore,
  documentHash,
  STORE_FILE,
  STORE_FORMAT,
  STORE_VERSION,
  type StoreOptions,
  type DocumentRow,
  type ChunkRow,
  type NewChunk,
  type ArtifactRow,
} from './store.js';
export { acquireWriteLock, LOCK_FILE } from './lock.js';
export { ConversationStore, type ConversationTurn } from './conversation.js';
