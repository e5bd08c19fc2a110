export {
  DocumentStore,
  documentHash,
  HASH_NOT_RECORDED,
  STORE_FILE,
  STORE_FORMAT,
  STORE_VERSION,
  STORE_MIN_VERSION,
  PAGE_SIZE,
  type StoreOptions,
  type DocumentRow,
  type ChunkRow,
  type NewChunk,
  type ArtifactRow,
} from './store.js';
export { acquireWriteLock, releaseOwnLock, LOCK_FILE } from './lock.js';
export { EmbeddingCacheDatabase, EMBEDDING_CACHE_FILE, EMBEDDING_CACHE_FORMAT, EMBEDDING_CACHE_VERSION } from './embedding-cache.js';
export { ConversationStore, type ConversationTurn } from './conversation.js';
