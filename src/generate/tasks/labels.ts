/**
 * Labels for classification by retrieval: the k-nearest-neighbour vote over retrieved labelled examples, and the
 * check that a language model's answer is one of the known labels.
 */
import { RalmError } from '../../core/errors.js';

/**
 * A retrieved labelled example.
 *
 * @example
 * ```ts
 * const neighbour: LabelledNeighbour = { key: '1', documentId: 'q17', label: 'Super_Bowl_50', score: 12.4 };
 * ```
 */
export interface LabelledNeighbour {
  key: string;
  documentId: string;
  label: string;
  /** The retrieval (BM25) score: the vote's weight. */
  score: number;
}

/**
 * One label's share of the vote.
 *
 * @example
 * ```ts
 * const vote: LabelVote = { label: 'sports', votes: 21.5, share: 0.7, neighbours: 3 };
 * ```
 */
export interface LabelVote {
  label: string;
  /** Sum of the neighbours' weights. */
  votes: number;
  /** votes / all votes. */
  share: number;
  /** How many neighbours carry the label. */
  neighbours: number;
}

/**
 * The outcome of {@link voteLabels}: the winning label (undefined without neighbours) and every label's votes, best first.
 *
 * @example
 * ```ts
 * const outcome: LabelVoteResult = { label: 'sports', votes: [{ label: 'sports', votes: 9, share: 1, neighbours: 2 }] };
 * ```
 */
export interface LabelVoteResult {
  label: string | undefined;
  votes: LabelVote[];
}

/**
 * Similarity-weighted kNN vote: each neighbour adds its score (`weighting: 'score'`, default) or 1 (`'uniform'`) to
 * its label. Ties go to more neighbours, then to the label of the better-ranked neighbour.
 *
 * @example
 * ```ts
 * voteLabels([
 *   { key: '1', documentId: 'a', label: 'sports', score: 9 },
 *   { key: '2', documentId: 'b', label: 'politics', score: 5 },
 *   { key: '3', documentId: 'c', label: 'politics', score: 4.5 },
 * ]).label; // 'politics' (9.5 votes against 9)
 * ```
 */
export function voteLabels(neighbours: readonly LabelledNeighbour[], options: { weighting?: 'score' | 'uniform' } = {}): LabelVoteResult {
  const weighting = options.weighting ?? 'score';
  const table = new Map<string, { votes: number; neighbours: number; firstRank: number }>();
  neighbours.forEach((n, rank) => {
    if (!Number.isFinite(n.score)) throw new RalmError('INVALID_ARGUMENT', `neighbour ${n.documentId} has score ${n.score}; scores must be finite`);
    const entry = table.get(n.label) ?? { votes: 0, neighbours: 0, firstRank: rank };
    entry.votes += weighting === 'score' ? Math.max(0, n.score) : 1;
    entry.neighbours++;
    table.set(n.label, entry);
  });
  const total = [...table.values()].reduce((s, e) => s + e.votes, 0);
  const votes = [...table]
    .sort(([, a], [, b]) => b.votes - a.votes || b.neighbours - a.neighbours || a.firstRank - b.firstRank)
    .map(([label, e]) => ({ label, votes: e.votes, share: total > 0 ? e.votes / total : 1 / table.size, neighbours: e.neighbours }));
  return { label: votes[0]?.label, votes };
}

const normalize = (s: string) => s.normalize('NFKC').toLowerCase().replace(/[\s_\-]+/g, ' ').trim();

/**
 * Finds which known label a model's answer gives: its first non-empty line, with a `Label:`/`标签：` prefix, quotes,
 * emphasis, brackets, citation markers and final punctuation removed, compared exactly, then case- and
 * separator-insensitively (`super bowl 50` = `Super_Bowl_50`), then as the longest label the line starts with.
 * Returns undefined when the answer names no known label.
 *
 * @example
 * ```ts
 * matchLabel('**Label: Sports** [1]\nBecause…', ['sports', 'politics']); // 'sports'
 * matchLabel('weather', ['sports', 'politics']); // undefined
 * ```
 */
export function matchLabel(answer: string, labels: readonly string[]): string | undefined {
  const line = answer.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '') ?? '';
  const cleaned = line
    .replace(/[[［【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]］】]/g, '')
    .replace(/[*_`"'“”‘’「」]/g, ' ')
    .replace(/^\s*(?:label|class|category|answer|标签|类别|答案)\s*[:：]\s*/i, '')
    .replace(/[.。!！?？,，;；:：\s]+$/u, '')
    .trim();
  if (labels.includes(cleaned)) return cleaned;
  const target = normalize(cleaned);
  const exact = labels.find((l) => normalize(l) === target);
  if (exact !== undefined) return exact;
  const prefixed = labels
    .filter((l) => {
      const n = normalize(l);
      return n !== '' && target.startsWith(n) && !/[\p{L}\p{N}]/u.test(target.charAt(n.length));
    })
    .sort((a, b) => b.length - a.length);
  return prefixed[0];
}
