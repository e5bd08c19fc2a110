/**
 * Grounded prompt packing: retrieved passages, fenced as data and labelled with their citation keys, packed in
 * weight order under a token budget, around the visible templates of `./templates/`. The exact messages are
 * returned, so a result can show what was sent.
 */
import { RalmError } from '../core/errors.js';
import { estimateTokens, type ChatMessage } from '../models/language-model.js';
import {
  groundedSystemTemplates,
  groundedUserTemplates,
  noPassagesTexts,
  taskInstructions,
  type PromptLanguage,
  type PromptTask,
} from './templates/grounded.js';

/**
 * A passage offered to the prompt: `key` is its citation key (the model cites `[key]`), `weight` its evidence weight
 * (higher is packed first).
 *
 * @example
 * ```ts
 * const passage: PromptPassage = { key: '1', text: 'BM25 is a ranking function.', title: 'Okapi BM25', source: 'wiki/bm25.md', weight: 0.8 };
 * ```
 */
export interface PromptPassage {
  key: string;
  text: string;
  title?: string;
  source?: string;
  weight: number;
}

/**
 * Options of {@link buildGroundedPrompt}.
 *
 * @example
 * ```ts
 * const options: GroundedPromptOptions = { question: 'What is BM25?', passages, language: 'en', budgetTokens: 4096 - 512 };
 * ```
 */
export interface GroundedPromptOptions {
  question: string;
  passages: PromptPassage[];
  language: PromptLanguage;
  /** Tokens the whole prompt may take: the model's context length minus the tokens reserved for the answer. */
  budgetTokens: number;
  /** The model's token counter; defaults to {@link estimateTokens}. */
  countTokens?: (text: string) => number;
  /** Defaults to `qa`. */
  task?: PromptTask;
  /** Earlier turns, oldest first, placed between the system message and the final user message. */
  history?: Array<{ role: 'user' | 'assistant'; content: string }>;
}

/**
 * The packed prompt: the exact `messages` to send, which passage keys went in (prompt order), which were left out
 * (weight order), which of the included ones were cut at a sentence boundary, how many history messages were dropped
 * (oldest first) to fit, and the prompt's size in tokens by the counter used.
 *
 * @example
 * ```ts
 * const { messages, included, dropped, tokens } = buildGroundedPrompt(options);
 * ```
 */
export interface GroundedPrompt {
  messages: ChatMessage[];
  included: string[];
  dropped: string[];
  truncated: string[];
  droppedHistory: number;
  tokens: number;
}

/**
 * Tokens counted per message on top of its content, for the chat template's role and separator tokens (OpenAI's
 * cookbook counts 3–4 per message).
 *
 * @example
 * ```ts
 * messageOverheadTokens; // 4
 * ```
 */
export const messageOverheadTokens = 4;

/**
 * Builds the messages of a grounded answer. Passages are sorted by weight (highest first; ties keep their order) and
 * added while the whole prompt — system message, history, passages and question, plus
 * {@link messageOverheadTokens} per message — stays within `budgetTokens`. A passage that does not fit whole is cut
 * at the last sentence boundary that fits (marked `truncated="true"`) and packing stops; when not even its first
 * sentence fits it is dropped and smaller passages are still tried. Each passage is fenced as
 * `<passage key="…" title="…" source="…">…</passage>`; tag-like sequences inside its text (`</passage>`, `<passage`)
 * are neutralised (`&lt;/passage>`), so a hostile passage cannot close its fence or open a new one. When even the
 * prompt without passages exceeds the budget, the oldest history messages are dropped; when that is not enough,
 * `CONTEXT_OVERFLOW` is thrown.
 *
 * @example
 * ```ts
 * const prompt = buildGroundedPrompt({
 *   question: 'Who proposed BM25?',
 *   passages: [{ key: '1', text: 'BM25 was developed by Robertson and colleagues.', weight: 0.9 }],
 *   language: 'en',
 *   budgetTokens: 3000,
 * });
 * const result = await model.generate({ messages: prompt.messages, maxTokens: 512 });
 * ```
 */
export function buildGroundedPrompt(options: GroundedPromptOptions): GroundedPrompt {
  const { question, language, budgetTokens } = options;
  const count = options.countTokens ?? estimateTokens;
  const task: PromptTask = options.task ?? 'qa';
  if (!(language in groundedSystemTemplates)) {
    throw new RalmError('INVALID_ARGUMENT', `language "${String(language)}" has no prompt template; use one of: ${Object.keys(groundedSystemTemplates).join(', ')}`);
  }
  if (!(task in taskInstructions[language])) {
    throw new RalmError('INVALID_ARGUMENT', `task "${String(task)}" is unknown; use one of: ${Object.keys(taskInstructions[language]).join(', ')}`);
  }
  if (!Number.isFinite(budgetTokens) || budgetTokens <= 0) {
    throw new RalmError('INVALID_ARGUMENT', `budgetTokens must be a positive number (context length minus answer reserve), got ${String(budgetTokens)}`);
  }
  if (typeof question !== 'string') throw new RalmError('INVALID_ARGUMENT', 'question must be a string');
  const seen = new Set<string>();
  for (const p of options.passages) {
    if (typeof p.key !== 'string' || p.key === '') throw new RalmError('INVALID_ARGUMENT', 'every passage needs a non-empty citation key');
    if (seen.has(p.key)) throw new RalmError('INVALID_ARGUMENT', `passage key "${p.key}" is used twice; citation keys must be unique`);
    if (!Number.isFinite(p.weight)) throw new RalmError('INVALID_ARGUMENT', `passage "${p.key}" has weight ${String(p.weight)}; weights must be finite numbers`);
    seen.add(p.key);
  }

  const system = `${groundedSystemTemplates[language]}\n\n${taskInstructions[language][task]}`;
  const user = (blocks: string[]) =>
    fill(groundedUserTemplates[language], { passages: blocks.length > 0 ? blocks.join('\n\n') : noPassagesTexts[language], question });
  let history = (options.history ?? []).map((m) => ({ role: m.role, content: m.content }));
  const size = (content: string) => count(content) + messageOverheadTokens;
  const historyTokens = () => history.reduce((n, m) => n + size(m.content), 0);
  const fixed = size(system);
  const total = (blocks: string[]) => fixed + historyTokens() + size(user(blocks));

  let droppedHistory = 0;
  while (total([]) > budgetTokens && history.length > 0) {
    history = history.slice(1);
    droppedHistory++;
  }
  if (total([]) > budgetTokens) {
    throw new RalmError(
      'CONTEXT_OVERFLOW',
      `the instructions and the question alone take ${total([])} tokens, over the prompt budget of ${budgetTokens}; shorten the question or raise the budget`,
    );
  }

  const ordered = options.passages.map((p, i) => ({ p, i })).sort((a, b) => b.p.weight - a.p.weight || a.i - b.i).map((x) => x.p);
  const blocks: string[] = [];
  const included: string[] = [];
  const dropped: string[] = [];
  const truncated: string[] = [];
  let full = false;
  for (const passage of ordered) {
    if (full) {
      dropped.push(passage.key);
      continue;
    }
    const whole = renderPassage(passage, passage.text, false);
    if (total([...blocks, whole]) <= budgetTokens) {
      blocks.push(whole);
      included.push(passage.key);
      continue;
    }
    // Largest prefix of whole sentences that fits (binary search: the size grows with the number of sentences).
    const sentences = splitSentences(passage.text);
    let lo = 0;
    let hi = sentences.length - 1; // fewer than all: all did not fit
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (total([...blocks, renderPassage(passage, sentences.slice(0, mid).join('').trimEnd(), true)]) <= budgetTokens) lo = mid;
      else hi = mid - 1;
    }
    if (lo >= 1) {
      blocks.push(renderPassage(passage, sentences.slice(0, lo).join('').trimEnd(), true));
      included.push(passage.key);
      truncated.push(passage.key);
      full = true;
    } else {
      dropped.push(passage.key);
    }
  }

  const messages: ChatMessage[] = [{ role: 'system', content: system }, ...history, { role: 'user', content: user(blocks) }];
  return { messages, included, dropped, truncated, droppedHistory, tokens: total(blocks) };
}

/**
 * Renders one passage fence. Attribute values are escaped (`&`, `"`, `<`, `>`); in the text every `<` that starts a
 * passage tag (`<passage`, `</passage`, `< / passages` …, any case) becomes `&lt;`.
 *
 * @example
 * ```ts
 * renderPassage({ key: '2', text: 'a </passage> b', weight: 1 }, 'a </passage> b', false);
 * // '<passage key="2">\na &lt;/passage> b\n</passage>'
 * ```
 */
export function renderPassage(passage: Pick<PromptPassage, 'key' | 'title' | 'source'>, text: string, truncated: boolean): string {
  const attributes = [`key="${escapeAttribute(passage.key)}"`];
  if (passage.title) attributes.push(`title="${escapeAttribute(passage.title)}"`);
  if (passage.source) attributes.push(`source="${escapeAttribute(passage.source)}"`);
  if (truncated) attributes.push('truncated="true"');
  return `<passage ${attributes.join(' ')}>\n${neutralizePassageText(text)}\n</passage>`;
}

/**
 * Makes text safe to place inside a passage fence: any `<` that opens or closes a passage tag — with any case,
 * spaces or slashes in between — is replaced by `&lt;`.
 *
 * @example
 * ```ts
 * neutralizePassageText('x </PASSAGE > y'); // 'x &lt;/PASSAGE > y'
 * ```
 */
export function neutralizePassageText(text: string): string {
  return text.replace(/<(?=[\s/\\]*passages?\b)/gi, '&lt;');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/[\r\n]+/g, ' ');
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? values[name]! : match));
}

/**
 * Splits text into sentences, keeping each sentence's trailing punctuation, closing quotes and whitespace (so the
 * pieces concatenate back to the text). Boundaries: `.`, `!`, `?` (and `…`) followed by whitespace or the end;
 * `。`, `！`, `？` anywhere. Abbreviations are not special-cased.
 *
 * @example
 * ```ts
 * splitSentences('One. Two! 三。四？'); // ['One. ', 'Two! ', '三。', '四？']
 * ```
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  const boundary = /(?:[.!?…]+["'”’)\]」』]*(?:\s+|$)|[。！？]+["'”’)\]」』]*\s*)/g;
  let start = 0;
  for (const m of text.matchAll(boundary)) {
    const end = m.index! + m[0].length;
    if (end > start) {
      out.push(text.slice(start, end));
      start = end;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}
