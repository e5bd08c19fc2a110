/**
 * Prompt templates, exported by name so that what ralm sends is visible and replaceable.
 *
 * @example
 * ```ts
 * import { groundedSystemTemplates } from './generate/templates/index.js';
 * ```
 */
export {
  groundedSystemTemplates,
  groundedUserTemplates,
  noPassagesTexts,
  taskInstructions,
  type PromptLanguage,
  type PromptTask,
} from './grounded.js';
