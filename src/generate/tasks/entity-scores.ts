/**
 * Entity-level scores for named-entity recognition, as the CoNLL shared tasks define them: an entity counts only when
 * its span matches exactly (and, typed, its type too). BIO tags are read as conlleval does: `I-X` after anything but
 * `B-X`/`I-X` starts a new entity.
 */

/**
 * An entity over tokens: `start` inclusive, `end` exclusive.
 *
 * @example
 * ```ts
 * const span: TokenSpan = { start: 3, end: 5, type: 'person' };
 * ```
 */
export interface TokenSpan {
  start: number;
  end: number;
  type: string;
}

/**
 * Precision, recall and F1 with their counts (F1 = 0 when both precision and recall are 0).
 *
 * @example
 * ```ts
 * const s: EntityScore = { precision: 0.5, recall: 0.25, f1: 0.333, truePositives: 1, predicted: 2, gold: 4 };
 * ```
 */
export interface EntityScore {
  precision: number;
  recall: number;
  f1: number;
  truePositives: number;
  predicted: number;
  gold: number;
}

/**
 * Entity scores overall and per gold/predicted type.
 *
 * @example
 * ```ts
 * const { overall, byType } = scoreEntitySpans(gold, predicted, { typed: true });
 * ```
 */
export interface EntityScores {
  overall: EntityScore;
  /** Per type (typed scoring only; empty otherwise). */
  byType: Record<string, EntityScore>;
}

/**
 * Reads BIO (or IOB2) tags into entity spans.
 *
 * @example
 * ```ts
 * bioToSpans(['O', 'B-person', 'I-person', 'O', 'I-location']);
 * // [{ start: 1, end: 3, type: 'person' }, { start: 4, end: 5, type: 'location' }]
 * ```
 */
export function bioToSpans(tags: readonly string[]): TokenSpan[] {
  const spans: TokenSpan[] = [];
  let current: TokenSpan | undefined;
  tags.forEach((tag, i) => {
    const m = /^([BI])-(.+)$/.exec(tag);
    if (!m) {
      current = undefined;
      return;
    }
    const [, prefix, type] = m;
    if (prefix === 'I' && current && current.type === type && current.end === i) {
      current.end = i + 1;
      return;
    }
    current = { start: i, end: i + 1, type: type! };
    spans.push(current);
  });
  return spans;
}

function score(tp: number, predicted: number, gold: number): EntityScore {
  const precision = predicted === 0 ? 0 : tp / predicted;
  const recall = gold === 0 ? 0 : tp / gold;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePositives: tp, predicted, gold };
}

/**
 * Micro-averaged entity-level precision/recall/F1 over sentences: a predicted entity is a true positive when a gold
 * entity of the same sentence has exactly its span (and, with `typed`, its type). Each gold entity matches at most once.
 *
 * @example
 * ```ts
 * scoreEntitySpans(
 *   [[{ start: 0, end: 2, type: 'person' }]],
 *   [[{ start: 0, end: 2, type: 'location' }, { start: 4, end: 5, type: 'person' }]],
 * ).overall; // { precision: 0.5, recall: 1, f1: 0.667, … } (type-agnostic)
 * ```
 */
export function scoreEntitySpans(gold: ReadonlyArray<readonly TokenSpan[]>, predicted: ReadonlyArray<readonly TokenSpan[]>, options: { typed?: boolean } = {}): EntityScores {
  const typed = options.typed ?? false;
  if (gold.length !== predicted.length) throw new RangeError(`gold has ${gold.length} sentences but predicted has ${predicted.length}`);
  const counts = new Map<string, { tp: number; predicted: number; gold: number }>();
  const bump = (type: string, field: 'tp' | 'predicted' | 'gold') => {
    const c = counts.get(type) ?? { tp: 0, predicted: 0, gold: 0 };
    c[field]++;
    counts.set(type, c);
  };
  let tp = 0;
  let nPredicted = 0;
  let nGold = 0;
  gold.forEach((goldSpans, i) => {
    const remaining = new Map<string, number>();
    const keyOf = (s: TokenSpan) => (typed ? `${s.start}:${s.end}:${s.type}` : `${s.start}:${s.end}`);
    for (const g of goldSpans) {
      remaining.set(keyOf(g), (remaining.get(keyOf(g)) ?? 0) + 1);
      nGold++;
      if (typed) bump(g.type, 'gold');
    }
    for (const p of predicted[i]!) {
      nPredicted++;
      if (typed) bump(p.type, 'predicted');
      const left = remaining.get(keyOf(p)) ?? 0;
      if (left > 0) {
        remaining.set(keyOf(p), left - 1);
        tp++;
        if (typed) bump(p.type, 'tp');
      }
    }
  });
  const byType: Record<string, EntityScore> = {};
  for (const [type, c] of [...counts].sort(([a], [b]) => a.localeCompare(b))) byType[type] = score(c.tp, c.predicted, c.gold);
  return { overall: score(tp, nPredicted, nGold), byType };
}

/**
 * Maps character spans of `text` (e.g. from `extractEntities`) to token spans, given each token's character offsets:
 * a span maps when it starts at a token's start and ends at a token's end; others are dropped (they cannot match a
 * gold span exactly) and counted.
 *
 * @example
 * ```ts
 * // text 'Go to New York now', tokens at [0,2] [3,5] [6,9] [10,14] [15,18]
 * charSpansToTokens([{ start: 6, end: 14, type: 'LOCATION' }], [[0, 2], [3, 5], [6, 9], [10, 14], [15, 18]]);
 * // { spans: [{ start: 2, end: 4, type: 'LOCATION' }], unaligned: 0 }
 * ```
 */
export function charSpansToTokens(
  spans: ReadonlyArray<{ start: number; end: number; type: string }>,
  tokenOffsets: ReadonlyArray<readonly [number, number]>,
): { spans: TokenSpan[]; unaligned: number } {
  const byStart = new Map<number, number>();
  const byEnd = new Map<number, number>();
  tokenOffsets.forEach(([s, e], i) => {
    byStart.set(s, i);
    byEnd.set(e, i);
  });
  const out: TokenSpan[] = [];
  let unaligned = 0;
  for (const span of spans) {
    const first = byStart.get(span.start);
    const last = byEnd.get(span.end);
    if (first === undefined || last === undefined || last < first) unaligned++;
    else out.push({ start: first, end: last + 1, type: span.type });
  }
  return { spans: out, unaligned };
}
