/**
 * Retrieval: query → weight → scorer → collector; metadata filters (more in later issues).
 *
 * @example
 * ```ts
 * import { compileFilter, parseFilter } from './retrieve/index.js';
 * const predicate = compileFilter(parseFilter('lang = "zh" and year >= 2020'));
 * ```
 */
export {
  parseFilter,
  formatFilter,
  compileFilter,
  filterFromJson,
  filterToJson,
  type FilterNode,
  type FilterValue,
  type FilterPredicate,
  type ComparisonOperator,
} from './filter.js';
