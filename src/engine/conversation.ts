/**
 * Multi-turn dialogue: each turn is condensed into a standalone retrieval query, and the history is kept
 * in the collection's store under a session id.
 *
 * Condensation without a language model (the extractive default): a follow-up that leans on the previous
 * turn — it is short, or refers back with a pronoun ("it", "they", "this", "它", "这个" …) — is joined with
 * the previous question, so retrieval sees the topic again. A self-contained question is used as it is.
 */
import { ConversationStore } from '../store/index.js';

const ANAPHORA = /\b(it|its|they|them|their|this|that|these|those|he|him|his|she|her|there|then|one|ones)\b|[它他她其该此这那]/iu;

/**
 * The standalone retrieval query for `question` given the previous user questions (oldest first).
 * @example condenseQuestion('and how fast is it?', ['What is BM25?']) // 'What is BM25? and how fast is it?'
 */
export function condenseQuestion(question: string, previousQuestions: readonly string[]): string {
  const previous = previousQuestions[previousQuestions.length - 1];
  if (!previous) return question;
  const words = question.match(/[\p{L}\p{N}]+/gu) ?? [];
  const cjk = (question.match(/\p{Script=Han}/gu) ?? []).length;
  const short = cjk > 0 ? cjk < 6 : words.length < 5;
  return short || ANAPHORA.test(question) ? `${previous} ${question}` : question;
}

export interface Conversation {
  readonly session: string;
  /** The retrieval query for the next user turn. */
  standaloneQuery(question: string): string;
  /** Records a completed turn in the store. */
  record(question: string, answer: string): void;
  close(): void;
}

/**
 * Opens the conversation `session` of the collection in `folder`.
 * @example const chat = openConversation('my-index', 'default'); const query = chat.standaloneQuery('what about it?');
 */
export function openConversation(folder: string, session: string): Conversation {
  const store = ConversationStore.open(folder, session);
  return {
    session,
    standaloneQuery: (question) => condenseQuestion(question, store.turns(5).map((t) => t.question)),
    record: (question, answer) => store.append(question, answer),
    close: () => store.close(),
  };
}
