/**
 * The generate-side pieces of the tasks beyond question answering (summarise, chat, classify, extract): their prompt
 * templates, extractive sentence centrality, the kNN label vote, rule-based entity and relation extraction, JSON
 * answer parsing, and entity-level NER scores. `src/engine/tasks.ts` composes them with retrieval.
 *
 * @example
 * ```ts
 * import { selectCentralSentences, voteLabels, extractEntities, parseJsonAnswer } from './generate/tasks/index.js';
 * ```
 */
export { taskTemplates, fillTemplate, type TaskTemplateName } from './templates.js';
export { selectCentralSentences, lexRankDefaults, type SummaryPassage, type SentenceSelectionOptions, type CentralSentence } from './lexrank.js';
export { voteLabels, matchLabel, type LabelledNeighbour, type LabelVote, type LabelVoteResult } from './labels.js';
export { extractEntities, extractRelations, type EntityType, type EntitySpan, type RelationSpan } from './entities.js';
export { parseJsonAnswer, describeValidationIssues, collectSources, type JsonAnswer } from './json.js';
export { bioToSpans, scoreEntitySpans, charSpansToTokens, type TokenSpan, type EntityScore, type EntityScores } from './entity-scores.js';
