/**
 * Rule-based extraction of entities and relations: the extractive default of `extract` (no model). It is a baseline,
 * measured honestly in bench/results/tasks.md, not a trained recogniser.
 *
 * Entities, in priority order (a later kind never overlaps an earlier one):
 * - `URL` and `EMAIL` by pattern;
 * - `MONEY` (`$3.5 million`, `20 euros`, `500元`), `DATE` (`12 March 2020`, `March 12, 2020`, `2020-03-12`, `1998`,
 *   `2020年3月12日`), `QUANTITY` (numbers with a unit: `42 km`, `15%`, `3 million`, `30公里`, `5万人`);
 * - `WORK`: titles in Chinese book-title marks `《…》`;
 * - capitalised spans (runs of capitalised words, joined by `of`, `the`, `de`, `&` …; a sentence's first word only when it
 *   is capitalised elsewhere in the text too), typed by cues: a title before it (`Mr.`, `President`, `Dr.` → `PERSON`),
 *   an organisation word at its end (`Inc.`, `University`, `Party` … → `ORGANIZATION`) or an institution word inside it
 *   (`City University London`, `Bank of America` → `ORGANIZATION`), a place word (`River`, `City`,
 *   `Mount` … → `LOCATION`) or `in`/`near`/`from` before it (→ `LOCATION`); otherwise `ENTITY`;
 * - Chinese names by suffix cues over `Intl.Segmenter` words: `…大学`, `…公司`, `…集团` → `ORGANIZATION`; `…省`, `…市`,
 *   `…国`, `…江` → `LOCATION`; a word before `先生`, `教授`, `总统` … → `PERSON`.
 *
 * Relations, from simple patterns after a named entity (`ENTITY`, `PERSON`, `ORGANIZATION`, `LOCATION`, `WORK`):
 * - copular `X is a Y` → (X, `is_a`, Y); `X is the Y of Z` → (X, `Y of`, Z) when Z is a named entity;
 * - appositive `X, the Y of Z` → (X, `Y of`, Z); `X, a Y,` → (X, `is_a`, Y);
 * - Chinese `X是Y` → (X, `is_a`, Y) and `X位于Y` → (X, `located_in`, Y).
 */
import { isMostlyChinese } from '../sentences.js';

/**
 * The entity types of the rule-based extractor.
 *
 * @example
 * ```ts
 * const type: EntityType = 'ORGANIZATION';
 * ```
 */
export type EntityType = 'ENTITY' | 'PERSON' | 'ORGANIZATION' | 'LOCATION' | 'WORK' | 'DATE' | 'QUANTITY' | 'MONEY' | 'EMAIL' | 'URL';

/**
 * An entity found in a text: `text === source.slice(start, end)`.
 *
 * @example
 * ```ts
 * const entity: EntitySpan = { text: 'Marie Curie', type: 'PERSON', start: 4, end: 15 };
 * ```
 */
export interface EntitySpan {
  text: string;
  type: EntityType;
  start: number;
  end: number;
}

/**
 * A relation found in a text; `start`/`end` span the whole pattern (from the head to the end of the tail).
 *
 * @example
 * ```ts
 * const relation: RelationSpan = { head: 'Sundar Pichai', relation: 'CEO of', tail: 'Google', start: 0, end: 35 };
 * ```
 */
export interface RelationSpan {
  head: string;
  relation: string;
  tail: string;
  start: number;
  end: number;
}

/** Types that name something (relations start from these). */
const NAMED: ReadonlySet<EntityType> = new Set(['ENTITY', 'PERSON', 'ORGANIZATION', 'LOCATION', 'WORK']);

const MONTH = '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const ORDINAL = '\\d{1,2}(?:st|nd|rd|th)?';
const NUMBER = '\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?';
const SCALE = '(?:thousand|million|billion|trillion|bn|mn)';
const UNITS =
  '%|percent|per cent|km|kilomet(?:er|re)s?|miles?|m|met(?:er|re)s?|cm|mm|feet|foot|ft|inch(?:es)?|kg|kilograms?|g|grams?|tonnes?|tons?|lbs?|hours?|hrs?|minutes?|mins?|seconds?|days?|weeks?|months?|years?|decades?|centuries|people|persons|players|games|points|goals|votes|GB|MB|TB|KB|kW|MW|GW|kWh|Hz|MHz|GHz|°C|°F|degrees|mph|km/h';

const PATTERNS: ReadonlyArray<{ type: EntityType; pattern: RegExp }> = [
  { type: 'URL', pattern: /\b(?:https?:\/\/|www\.)[^\s<>"'()[\]{}]*[^\s<>"'()[\]{}.,;:!?。，；：！？]/gu },
  { type: 'EMAIL', pattern: /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b/gu },
  {
    type: 'MONEY',
    pattern: new RegExp(
      `(?:[$€£¥]|US\\$)\\s?(?:${NUMBER})(?:\\s?${SCALE}\\b)?|\\b(?:${NUMBER})(?:\\s?${SCALE})?\\s?(?:dollars|euros|pounds sterling|yen|yuan|USD|EUR|GBP|RMB)\\b|(?:${NUMBER})(?:万|亿)?(?:元|美元|欧元|英镑|日元)`,
      'giu',
    ),
  },
  {
    type: 'DATE',
    pattern: new RegExp(
      [
        `(?:\\d{2,4}|[〇零一二三四五六七八九]{2,4})年(?:\\d{1,2}月(?:\\d{1,2}[日号])?)?`,
        `\\d{1,2}月\\d{1,2}[日号]`,
        `\\b\\d{4}-\\d{2}-\\d{2}\\b`,
        `\\b\\d{1,2}/\\d{1,2}/\\d{2,4}\\b`,
        `\\b(?:${DAY},?\\s+)?${MONTH}\\.?\\s+${ORDINAL}(?:,?\\s+\\d{4})?\\b`,
        `\\b(?:${DAY},?\\s+)?${ORDINAL}\\s+${MONTH}\\.?(?:,?\\s+\\d{4})?\\b`,
        `\\b${MONTH}\\.?,?\\s+\\d{4}\\b`,
        `\\b(?:January|February|March|April|June|July|August|September|October|November|December|${DAY})\\b`,
        `\\b(?:1[5-9]\\d\\d|20\\d\\d)s?\\b`,
      ].join('|'),
      'gu',
    ),
  },
  {
    type: 'QUANTITY',
    pattern: new RegExp(
      `\\b(?:${NUMBER})(?:\\s?${SCALE}\\b)?(?:\\s?(?:${UNITS})(?![\\p{L}]))|\\b(?:${NUMBER})\\s?${SCALE}\\b|(?:${NUMBER})(?:万|亿)?(?:%|％|平方公里|平方米|公里|千米|米|公斤|千克|吨|人|个|岁|年|天|小时|分钟|座|所|家|万|亿)`,
      'gu',
    ),
  },
  { type: 'WORK', pattern: /《([^《》\n]{1,40})》/gu },
];

const CONNECTORS = new Set(['of', 'the', 'de', 'del', 'der', 'den', 'du', 'da', 'di', 'la', 'le', 'van', 'von', 'y', 'for', 'and', '&', 'on', 'upon', 'al', 'bin', 'el']);

/** Capitalised words that open sentences or are otherwise not names on their own. */
const COMMON = new Set(
  (
    'a an the this that these those it its he she we they i you his her our their my your me him us them there here ' +
    'in on at by for from with after before during since until while when where what who whom whose which why how if ' +
    'but and or so as although though because however therefore also then thus yet still just only even not no yes ' +
    'all any each every some many most more much few several both either neither other another such one two three ' +
    'first second last next new old today tonight tomorrow yesterday now soon later please thanks thank hello hi hey ' +
    'oh ok okay lol wow rt via according despite over under between into onto about above below against among ' +
    'is are was were be been being do does did have has had will would can could should may might must shall let ' +
    'get got make made go went come came see saw say said said look watch check love like need want know think ' +
    'good great best bad big little happy free top live breaking update photo video news follow join'
  ).split(' '),
);

const TITLES = new Set(
  (
    'mr mrs ms miss dr prof professor president sen senator rep representative gov governor king queen prince princess ' +
    'pope sir lord lady saint st capt captain gen general col colonel lt sgt judge justice minister chancellor mayor ' +
    'chairman ceo founder director coach singer actor actress author writer rapper drummer guitarist uncle aunt ' +
    'brother sister mother father mom dad son daughter wife husband friend'
  ).split(' '),
);

const ORGANIZATION_HEADS = new Set(
  (
    'inc inc. corp corp. corporation company co co. ltd ltd. llc plc group university college institute school academy ' +
    'association agency bank party council committee ministry department foundation society club team fc united ' +
    'airlines airways press news times post journal records studios entertainment network channel tv radio army navy ' +
    'police commission organization organisation union federation league church hospital museum court parliament ' +
    'congress senate government administration office bureau service services systems technologies labs'
  ).split(' '),
);

const LOCATION_HEADS = new Set(
  (
    'city county river lake mountain mountains mount mt island islands street st avenue ave road rd park valley bay sea ' +
    'ocean state province kingdom republic desert airport beach coast peninsula canyon falls harbor harbour square ' +
    'bridge district region village town borough'
  ).split(' '),
);

const INSTITUTIONS = new Set(
  'university college institute bank school academy ministry department council committee association foundation society museum hospital'.split(' '),
);

const LOCATION_PREPOSITIONS = new Set(['in', 'near', 'from']);

const ZH_ORGANIZATION = /(?:大学|学院|中学|小学|公司|集团|银行|医院|委员会|政府|协会|组织|研究所|研究院|出版社|报社|电视台|俱乐部|基金会|联合会|法院|博物馆|图书馆|党)$/u;
const ZH_LOCATION = /(?:省|市|县|区|镇|乡|村|州|国|岛|山|河|江|湖|海|洋|街|路|湾|峡|盆地|平原|高原|沙漠)$/u;
const ZH_PERSON_CUE = /^(?:先生|女士|小姐|教授|博士|总统|主席|总理|院长|校长|将军|老师|导演|教练)$/u;
const ZH_NOT_NAMES = new Set(['全国', '各国', '本国', '外国', '他国', '两国', '我国', '城市', '地区', '山区', '市区', '海外', '国家', '省市', '大海', '江河', '上海市区', '地区政府', '中央政府', '政府', '大学', '公司', '集团', '银行', '医院', '党', '国', '市', '省', '县', '区', '山', '河', '江', '湖', '海']);

/** A copula and determiner right after a sentence-initial word: `Python is a …` names Python. */
const COPULA_AFTER = /^\s+(?:is|was|are|were)\s+(?:a|an|the)\s/u;

const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}'’&.-]*/gu;

interface Word {
  text: string;
  start: number;
  end: number;
}

function isCapitalised(word: string): boolean {
  return /^\p{Lu}/u.test(word) || /^\p{N}+\p{Lu}/u.test(word);
}

function bare(word: string): string {
  return word.replace(/(?:['’]s|['’])$/u, '').replace(/\.+$/u, '');
}

/** True when `text[at-…]` before position `at` (skipping spaces and quotes) ends a sentence or starts the text. */
function sentenceInitial(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && /[\s"'“‘(\[]/u.test(text[i]!)) i--;
  return i < 0 || /[.!?。！？:;\n…]/u.test(text[i]!);
}

/** Capitalised multi-word spans (English and any Latin-script text). */
function capitalisedSpans(text: string, taken: (start: number, end: number) => boolean): EntitySpan[] {
  const words: Word[] = [];
  for (const m of text.matchAll(WORD)) {
    let w = m[0];
    // a trailing dot belongs to the word only for abbreviations (Inc., Dr., U.S.)
    if (w.endsWith('.') && !/^(?:\p{L}\.)+$/u.test(w) && !TITLES.has(w.slice(0, -1).toLowerCase()) && !ORGANIZATION_HEADS.has(w.toLowerCase())) w = w.replace(/\.+$/u, '');
    words.push({ text: w, start: m.index, end: m.index + w.length });
  }
  // Capitalised words seen in non-initial positions: evidence that a sentence-initial one is a name.
  const seenInside = new Set<string>();
  for (const w of words) if (isCapitalised(w.text) && !sentenceInitial(text, w.start)) seenInside.add(bare(w.text).toLowerCase());

  const spans: EntitySpan[] = [];
  const gapIsSpace = (a: Word, b: Word) => /^[ \t]+$/u.test(text.slice(a.end, b.start)) || (a.end === b.start && false);
  let i = 0;
  while (i < words.length) {
    const first = words[i]!;
    if (!isCapitalised(first.text) || taken(first.start, first.end)) {
      i++;
      continue;
    }
    let j = i;
    for (;;) {
      const next = words[j + 1];
      if (!next || !gapIsSpace(words[j]!, next) || taken(next.start, next.end) || /['’]s$/u.test(words[j]!.text)) break;
      if (isCapitalised(next.text)) {
        j++;
        continue;
      }
      // a connector joins two capitalised words (Bank of America, Tour de France)
      const after = words[j + 2];
      if (CONNECTORS.has(next.text.toLowerCase()) && after && gapIsSpace(next, after) && isCapitalised(after.text) && !taken(after.start, after.end)) {
        j += 2;
        continue;
      }
      break;
    }
    let from = i;
    // drop leading titles and sentence-opening common words; remember a title as a PERSON cue
    let titled = false;
    while (from <= j) {
      const w = bare(words[from]!.text).toLowerCase();
      if (TITLES.has(w) && from < j) {
        titled = true;
        from++;
      } else if (COMMON.has(w) || (CONNECTORS.has(w) && from === i)) from++;
      else break;
    }
    // drop trailing connectors and common words
    let to = j;
    while (to >= from && (CONNECTORS.has(words[to]!.text.toLowerCase()) || COMMON.has(bare(words[to]!.text).toLowerCase()))) to--;
    if (from <= to) {
      const head = words[from]!;
      const single = from === to;
      const initial = sentenceInitial(text, head.start);
      const acronym = /^\p{Lu}[\p{Lu}\p{N}&.]+$/u.test(head.text);
      const copula = COPULA_AFTER.test(text.slice(words[to]!.end, words[to]!.end + 16));
      if (!(single && initial && !acronym && !copula && !seenInside.has(bare(head.text).toLowerCase()))) {
        let end = words[to]!.end;
        let spanText = text.slice(head.start, end);
        const possessive = /['’]s?$/u.exec(spanText);
        if (possessive) {
          spanText = spanText.slice(0, possessive.index);
          end = head.start + spanText.length;
        }
        if (spanText.length > 1 || /\p{Lu}/u.test(spanText)) {
          spans.push({ text: spanText, type: typeOf(text, words, from, to, titled), start: head.start, end });
        }
      }
    }
    i = j + 1;
  }
  return spans;
}

function typeOf(text: string, words: Word[], from: number, to: number, titled: boolean): EntityType {
  const last = words[to]!.text.toLowerCase();
  const first = words[from]!.text.toLowerCase();
  if (ORGANIZATION_HEADS.has(last) || ORGANIZATION_HEADS.has(last.replace(/\.$/, ''))) return 'ORGANIZATION';
  if (titled) return 'PERSON';
  if (LOCATION_HEADS.has(last) || ['mount', 'mt', 'lake', 'cape', 'port', 'fort'].includes(first.replace(/\.$/, ''))) {
    if (from < to) return 'LOCATION';
  }
  // an institution word inside the span (City University London, Bank of America)
  for (let i = from; i < to; i++) if (INSTITUTIONS.has(words[i]!.text.toLowerCase())) return 'ORGANIZATION';
  const previous = words[from - 1];
  if (previous && previous.end <= words[from]!.start) {
    const p = previous.text.toLowerCase().replace(/\.$/, '');
    if (TITLES.has(p) && /^[ \t]+$/u.test(text.slice(previous.end, words[from]!.start))) return 'PERSON';
    if (LOCATION_PREPOSITIONS.has(p) && /^[ \t]+$/u.test(text.slice(previous.end, words[from]!.start))) return 'LOCATION';
  }
  return 'ENTITY';
}

/** Chinese organisation, location and person names by suffix cues over segmenter words. */
function chineseSpans(text: string, taken: (start: number, end: number) => boolean): EntitySpan[] {
  const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });
  const words = [...segmenter.segment(text)].filter((s) => s.isWordLike).map((s) => ({ text: s.segment, start: s.index, end: s.index + s.segment.length }));
  const out: EntitySpan[] = [];
  const han = (s: string) => /^\p{Script=Han}+$/u.test(s);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (!han(w.text)) continue;
    const previous = words[i - 1];
    const adjacent = previous !== undefined && previous.end === w.start && han(previous.text);
    let span: EntitySpan | undefined;
    for (const [pattern, type] of [
      [ZH_ORGANIZATION, 'ORGANIZATION'],
      [ZH_LOCATION, 'LOCATION'],
    ] as const) {
      if (!pattern.test(w.text)) continue;
      const suffixOnly = (pattern.exec(w.text)?.[0].length ?? 0) === w.text.length;
      if (suffixOnly || w.text.length <= 1) {
        // the word is the suffix itself (北京|大学): join it with the word before
        const previousEnds = ZH_ORGANIZATION.test(previous?.text ?? '') || ZH_LOCATION.test(previous?.text ?? '');
        if (adjacent && previous!.text.length >= 2 && !previousEnds && !ZH_NOT_NAMES.has(previous!.text + w.text)) {
          span = { text: previous!.text + w.text, type, start: previous!.start, end: w.end };
        }
      } else if (w.text.length >= 2 && !ZH_NOT_NAMES.has(w.text)) {
        span = { text: w.text, type, start: w.start, end: w.end };
      }
      if (span) break;
    }
    if (!span) {
      const next = words[i + 1];
      if (next && next.start === w.end && ZH_PERSON_CUE.test(next.text) && w.text.length >= 2 && w.text.length <= 4 && !ZH_NOT_NAMES.has(w.text)) {
        span = { text: w.text, type: 'PERSON', start: w.start, end: w.end };
      }
    }
    if (span && !taken(span.start, span.end)) {
      // replace a shorter span that this one extends (北京 → 北京大学)
      const last = out[out.length - 1];
      if (last && last.start >= span.start && last.end <= span.end) out.pop();
      out.push(span);
    }
  }
  return out;
}

/**
 * Finds entities in `text` (see the module comment for the rules), sorted by position, never overlapping.
 *
 * @example
 * ```ts
 * extractEntities('Dr. Marie Curie moved to Paris in 1891. She worked at the University of Paris.');
 * // [{ text: 'Marie Curie', type: 'PERSON', … }, { text: 'Paris', type: 'ENTITY', … }, { text: '1891', type: 'DATE', … },
 * //  { text: 'University of Paris', type: 'ORGANIZATION', … }]
 * extractEntities('北京大学位于北京市。').map((e) => e.text); // ['北京大学', '北京市']
 * ```
 */
export function extractEntities(text: string): EntitySpan[] {
  const found: EntitySpan[] = [];
  const taken = (start: number, end: number) => found.some((e) => start < e.end && e.start < end);
  for (const { type, pattern } of PATTERNS) {
    for (const m of text.matchAll(pattern)) {
      let start = m.index;
      let value = m[0];
      if (type === 'WORK') {
        start += 1;
        value = m[1]!;
      }
      value = value.replace(/\s+$/u, '');
      if (value === '' || taken(start, start + value.length)) continue;
      found.push({ text: value, type, start, end: start + value.length });
    }
  }
  found.push(...capitalisedSpans(text, taken));
  if (/\p{Script=Han}/u.test(text)) found.push(...chineseSpans(text, taken));
  return found.sort((a, b) => a.start - b.start || b.end - a.end);
}

const NOUN_PHRASE = "((?:[\\p{L}\\p{N}'’-]+\\s+){0,5}?[\\p{L}\\p{N}'’-]+)";
const RELATIONAL = new RegExp(`\\s+(?:is|was|are|were|has been|had been|became|remains)\\s+(?:the|a|an)\\s+${NOUN_PHRASE}\\s+(of|at|for|in)\\s+`, 'uy');
const APPOSITIVE_RELATIONAL = new RegExp(`,\\s+(?:the|a|an|its|their)\\s+${NOUN_PHRASE}\\s+(of|at|for)\\s+`, 'uy');
const COPULAR = new RegExp(
  `\\s+(?:is|was|are|were|has been|became)\\s+(?:a|an|the)\\s+${NOUN_PHRASE}(?=\\s*[,.;:!?)]|\\s+(?:that|which|who|whose|where|with|and|from|by|since|when|because|in|on|at|of|for)\\b|\\s*$)`,
  'uy',
);
const APPOSITIVE = new RegExp(`,\\s+(?:a|an)\\s+${NOUN_PHRASE}\\s*(?=[,.;])`, 'uy');
const ZH_COPULAR = /(?:是|为)(?:一[个家所座位部本条种名]|中国的)?([^，。；！？、,.;!?\s]{1,20}?)(?=[，。；！？,.;!?]|$)/uy;
const ZH_LOCATED = /位于([^，。；！？,.;!?\s]{1,20}?)(?=[，。；！？,.;!?]|$)/uy;

/**
 * Finds relations after named entities (see the module comment for the patterns). `entities` defaults to
 * {@link extractEntities}(text).
 *
 * @example
 * ```ts
 * extractRelations('Sundar Pichai, the chief executive of Google, spoke. Python is a programming language.');
 * // [{ head: 'Sundar Pichai', relation: 'chief executive of', tail: 'Google', … },
 * //  { head: 'Python', relation: 'is_a', tail: 'programming language', … }]
 * ```
 */
export function extractRelations(text: string, entities: readonly EntitySpan[] = extractEntities(text)): RelationSpan[] {
  const named = entities.filter((e) => NAMED.has(e.type));
  const startingAt = new Map(named.map((e) => [e.start, e]));
  const entityAt = (offset: number): EntitySpan | undefined => startingAt.get(offset) ?? startingAt.get(offset + (/^["'“‘]/u.test(text.slice(offset)) ? 1 : 0));
  const out: RelationSpan[] = [];
  for (const head of named) {
    const at = head.end + (text[head.end] === '》' ? 1 : 0);
    let matched = false;
    for (const pattern of [RELATIONAL, APPOSITIVE_RELATIONAL]) {
      pattern.lastIndex = at;
      const m = pattern.exec(text);
      if (!m) continue;
      const tail = entityAt(pattern.lastIndex);
      if (!tail) continue;
      out.push({ head: head.text, relation: `${m[1]} ${m[2]}`, tail: tail.text, start: head.start, end: tail.end });
      matched = true;
      break;
    }
    if (matched) continue;
    for (const pattern of [COPULAR, APPOSITIVE]) {
      pattern.lastIndex = at;
      const m = pattern.exec(text);
      if (!m) continue;
      out.push({ head: head.text, relation: 'is_a', tail: m[1]!, start: head.start, end: pattern.lastIndex });
      matched = true;
      break;
    }
    if (matched || !isMostlyChinese(text.slice(Math.max(0, head.start - 20), head.end + 20))) continue;
    for (const [pattern, relation] of [
      [ZH_LOCATED, 'located_in'],
      [ZH_COPULAR, 'is_a'],
    ] as const) {
      pattern.lastIndex = at;
      const m = pattern.exec(text);
      if (!m) continue;
      out.push({ head: head.text, relation, tail: m[1]!, start: head.start, end: pattern.lastIndex });
      break;
    }
  }
  return out;
}
