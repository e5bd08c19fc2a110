/**
 * The prompt texts of the tasks beyond question answering, as plain visible strings (English and Chinese). They are
 * used with {@link buildGroundedPrompt} (`../prompt.ts`): the grounded system message plus the task's instruction line
 * from `../templates/grounded.ts`, and one of these as the request in the user message's question slot. The
 * condensation prompt of multi-turn chat is a separate pair of messages (it sees no passages). Placeholders are
 * `{name}` and are filled in one pass by {@link fillTemplate}.
 */
import type { PromptLanguage } from '../templates/grounded.js';

/**
 * The names of the task templates.
 *
 * @example
 * ```ts
 * const name: TaskTemplateName = 'summarizeQuery';
 * ```
 */
export type TaskTemplateName =
  | 'summarizeQuery'
  | 'summarizeMap'
  | 'summarizeReduce'
  | 'condenseSystem'
  | 'condenseUser'
  | 'historyUser'
  | 'historyAssistant'
  | 'classify'
  | 'classifyExampleLabel'
  | 'classifyRetry'
  | 'extract'
  | 'extractRepair';

/**
 * Every task template, per language.
 *
 * - `summarizeQuery`: query-focused summary (`{query}`, `{maxSentences}`).
 * - `summarizeMap`: the map step of a whole-collection summary, one call per group of documents (`{maxSentences}`).
 * - `summarizeReduce`: the reduce step over the partial summaries' statements, grouped by the document they cite
 *   (`{maxSentences}`); the passages keep the documents' keys, so citations survive the reduction.
 * - `condenseSystem` / `condenseUser`: rewrite the last chat message into a standalone question (`{history}`, `{message}`);
 *   `historyUser` / `historyAssistant` prefix the turns in `{history}`.
 * - `classify`: label a text from labelled examples (`{labels}`, `{text}`); `classifyExampleLabel` is the first line of
 *   each example passage (`{label}`); `classifyRetry` follows an invalid label (`{answer}`, `{labels}`).
 * - `extract`: JSON extraction against a JSON Schema (`{request}`, `{schema}`); `extractRepair` follows an answer that
 *   was not valid JSON or did not validate (`{errors}`).
 *
 * @example
 * ```ts
 * fillTemplate(taskTemplates.en.classifyRetry, { answer: 'sport', labels: 'sports, politics' });
 * // '"sport" is not one of the labels. Answer again with exactly one of: sports, politics. …'
 * ```
 */
export const taskTemplates: Readonly<Record<PromptLanguage, Readonly<Record<TaskTemplateName, string>>>> = {
  en: {
    summarizeQuery:
      'Summarise what the passages say about: {query}\nWrite at most {maxSentences} sentences. Cite the keys of the passages that support each sentence, like [1].',
    summarizeMap:
      'Summarise the main points of these passages in at most {maxSentences} sentences. Cite the keys of the passages that support each sentence, like [1].',
    summarizeReduce:
      'Each passage holds statements taken from partial summaries of one document. Write one summary of the whole collection in at most {maxSentences} sentences, keeping the most important and least repetitive points. Cite the keys of the passages that support each sentence, like [3].',
    condenseSystem:
      'You rewrite the last message of a conversation as one standalone question that can be understood without the conversation. Keep names and terms exactly as written. Do not answer it. Reply with the question only.',
    condenseUser: 'Conversation:\n{history}\n\nLast message: {message}\n\nStandalone question:',
    historyUser: 'User: ',
    historyAssistant: 'Assistant: ',
    classify:
      'Classify the text below. Each passage is a labelled example; its first line gives its label. Answer with exactly one of these labels, alone on the first line: {labels}. On the next line give one sentence of justification citing the examples, like [1].\n\nText to classify: {text}',
    classifyExampleLabel: 'Label: {label}',
    classifyRetry: '"{answer}" is not one of the labels. Answer again with exactly one of: {labels}. Put the label alone on the first line.',
    extract:
      'Extract {request} from the passages. Reply with one JSON object that validates against this JSON Schema:\n{schema}\nEvery "source" is the key of the passage the item comes from, for example "1". Use only what the passages state. Reply with the JSON object only, optionally inside a ```json block.',
    extractRepair: 'Your reply could not be used:\n{errors}\nReply again with only the corrected JSON object.',
  },
  zh: {
    summarizeQuery: '总结资料中关于以下内容的信息：{query}\n最多写 {maxSentences} 句话，每句话后用方括号标注支持它的段落编号，例如 [1]。',
    summarizeMap: '用最多 {maxSentences} 句话总结这些段落的要点，每句话后用方括号标注支持它的段落编号，例如 [1]。',
    summarizeReduce:
      '每个段落包含从某一文档的部分摘要中摘出的陈述。请用最多 {maxSentences} 句话写出整个资料库的总结，保留最重要且不重复的要点，每句话后用方括号标注支持它的段落编号，例如 [3]。',
    condenseSystem: '你的任务是把对话中的最后一条消息改写成一个不依赖上下文也能理解的独立问题。名称和术语保持原样。不要回答问题，只输出改写后的问题。',
    condenseUser: '对话：\n{history}\n\n最后一条消息：{message}\n\n独立问题：',
    historyUser: '用户：',
    historyAssistant: '助手：',
    classify:
      '对下面的文本进行分类。每个段落是一个带标签的示例，第一行是它的标签。第一行只写以下标签中的一个：{labels}。第二行用一句话说明理由，并标注所依据示例的编号，例如 [1]。\n\n待分类文本：{text}',
    classifyExampleLabel: '标签：{label}',
    classifyRetry: '“{answer}”不是有效的标签。请重新回答，只能是以下之一：{labels}。第一行只写标签。',
    extract:
      '从资料中抽取{request}。只回复一个符合以下 JSON Schema 的 JSON 对象：\n{schema}\n每个 "source" 是该条目所在段落的编号，例如 "1"。只使用资料中明确陈述的内容。只回复 JSON 对象，可以放在 ```json 代码块中。',
    extractRepair: '你的回复无法使用：\n{errors}\n请只回复修正后的 JSON 对象。',
  },
};

/**
 * Fills `{name}` placeholders in one pass (a value containing `{x}` is never re-interpreted); unknown names are left
 * as they are.
 *
 * @example
 * ```ts
 * fillTemplate('Hello {who}', { who: '{world}' }); // 'Hello {world}'
 * ```
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
}
