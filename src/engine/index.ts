export { defaults } from './defaults.js';
export {
  openCollection,
  Collection,
  type OpenCollectionOptions,
  type SearchOptions,
  type SearchHit,
  type SearchResult,
  type CommitResult,
  type CollectionStats,
} from './collection.js';
export { verifyCollection, type VerifyReport } from './verify.js';
export { makeSnippet, createTermMatcher } from './snippet.js';
export { releaseOwnLock } from '../store/index.js';
