/**
 * The Porter stemming algorithm exactly as Lucene's `PorterStemmer` (a port of Martin Porter's own
 * reference C/Java implementation) computes it.
 *
 * Written from Porter's published description (Porter, 1980, "An algorithm for suffix stripping") plus
 * the departures his reference implementation makes, which Lucene keeps:
 * - step 2 maps `bli` → `ble` (not `abli` → `able`) and adds `logi` → `log`;
 * - words of one or two characters are returned unchanged;
 * - step 1a on a bare `ies` / `sses` gives `i` / `ss` (the suffix may be the whole word);
 * - `y` is a consonant at the start of a word or after a vowel, otherwise a vowel;
 * - any character other than `a e i o u` (and a vowel-like `y`) counts as a consonant.
 *
 * Why not the `stemmer` npm package: it is a regular-expression port that differs from the reference
 * on such edge cases (e.g. it stems `ies` to `ie` and `sses` to `sse`; the reference gives `i` and `ss`);
 * the test suite shows the difference.
 */

let buffer = new Uint16Array(64);
/** Index of the last character of the word being stemmed. */
let end = 0;
/** Index of the last character of the stem left when the suffix found by `endsWith` is removed. */
let stemEnd = 0;
/** Whether a step wrote characters into the buffer (else the stem is a prefix of the word: returned as a slice of it). */
let written = false;

const A = 97;
const E = 101;
const I = 105;
const O = 111;
const U = 117;
const Y = 121;

function isConsonant(index: number): boolean {
  switch (buffer[index]) {
    case A:
    case E:
    case I:
    case O:
    case U:
      return false;
    case Y:
      return index === 0 ? true : !isConsonant(index - 1);
    default:
      return true;
  }
}

/** Porter's m: the number of vowel–consonant sequences in buffer[0..stemEnd]. */
function measure(): number {
  let count = 0;
  let index = 0;
  for (;;) {
    if (index > stemEnd) return count;
    if (!isConsonant(index)) break;
    index++;
  }
  index++;
  for (;;) {
    for (;;) {
      if (index > stemEnd) return count;
      if (isConsonant(index)) break;
      index++;
    }
    index++;
    count++;
    for (;;) {
      if (index > stemEnd) return count;
      if (!isConsonant(index)) break;
      index++;
    }
    index++;
  }
}

/** True when buffer[0..stemEnd] contains a vowel. */
function stemHasVowel(): boolean {
  for (let index = 0; index <= stemEnd; index++) if (!isConsonant(index)) return true;
  return false;
}

/** True when buffer[index-1..index] is a double consonant. */
function isDoubleConsonant(index: number): boolean {
  if (index < 1) return false;
  if (buffer[index] !== buffer[index - 1]) return false;
  return isConsonant(index);
}

/** True when buffer[index-2..index] is consonant–vowel–consonant and the last is not w, x or y. */
function isConsonantVowelConsonant(index: number): boolean {
  if (index < 2 || !isConsonant(index) || isConsonant(index - 1) || !isConsonant(index - 2)) return false;
  const code = buffer[index];
  return code !== 119 && code !== 120 && code !== Y;
}

/** True when the word ends with `suffix`; then sets stemEnd to the last index before it. */
function endsWith(suffix: string): boolean {
  const length = suffix.length;
  if (suffix.charCodeAt(length - 1) !== buffer[end]) return false;
  if (length > end + 1) return false;
  const start = end - length + 1;
  for (let index = 0; index < length; index++) {
    if (buffer[start + index] !== suffix.charCodeAt(index)) return false;
  }
  stemEnd = end - length;
  return true;
}

/** Replaces the suffix after stemEnd with `replacement`. */
function setTo(replacement: string): void {
  const length = replacement.length;
  const start = stemEnd + 1;
  for (let index = 0; index < length; index++) buffer[start + index] = replacement.charCodeAt(index);
  end = stemEnd + length;
  written = true;
}

function replaceIfMeasured(replacement: string): void {
  if (measure() > 0) setTo(replacement);
}

/** Step 1a and 1b: plurals, -ed and -ing. */
function step1(): void {
  if (buffer[end] === 115 /* s */) {
    if (endsWith('sses')) end -= 2;
    else if (endsWith('ies')) setTo('i');
    else if (buffer[end - 1] !== 115) end--;
  }
  if (endsWith('eed')) {
    if (measure() > 0) end--;
  } else if ((endsWith('ed') || endsWith('ing')) && stemHasVowel()) {
    end = stemEnd;
    if (endsWith('at')) setTo('ate');
    else if (endsWith('bl')) setTo('ble');
    else if (endsWith('iz')) setTo('ize');
    else if (isDoubleConsonant(end)) {
      end--;
      const code = buffer[end];
      if (code === 108 /* l */ || code === 115 /* s */ || code === 122 /* z */) end++;
    } else if (measure() === 1 && isConsonantVowelConsonant(end)) setTo('e');
  }
}

/** Step 1c: terminal y → i when the stem has a vowel. */
function step1c(): void {
  if (endsWith('y') && stemHasVowel()) {
    buffer[end] = I;
    written = true;
  }
}

/** Step 2: double suffixes to single ones, when m > 0. */
function step2(): void {
  if (end === 0) return;
  switch (buffer[end - 1]) {
    case 97 /* a */:
      if (endsWith('ational')) replaceIfMeasured('ate');
      else if (endsWith('tional')) replaceIfMeasured('tion');
      break;
    case 99 /* c */:
      if (endsWith('enci')) replaceIfMeasured('ence');
      else if (endsWith('anci')) replaceIfMeasured('ance');
      break;
    case 101 /* e */:
      if (endsWith('izer')) replaceIfMeasured('ize');
      break;
    case 108 /* l */:
      if (endsWith('bli')) replaceIfMeasured('ble');
      else if (endsWith('alli')) replaceIfMeasured('al');
      else if (endsWith('entli')) replaceIfMeasured('ent');
      else if (endsWith('eli')) replaceIfMeasured('e');
      else if (endsWith('ousli')) replaceIfMeasured('ous');
      break;
    case 111 /* o */:
      if (endsWith('ization')) replaceIfMeasured('ize');
      else if (endsWith('ation')) replaceIfMeasured('ate');
      else if (endsWith('ator')) replaceIfMeasured('ate');
      break;
    case 115 /* s */:
      if (endsWith('alism')) replaceIfMeasured('al');
      else if (endsWith('iveness')) replaceIfMeasured('ive');
      else if (endsWith('fulness')) replaceIfMeasured('ful');
      else if (endsWith('ousness')) replaceIfMeasured('ous');
      break;
    case 116 /* t */:
      if (endsWith('aliti')) replaceIfMeasured('al');
      else if (endsWith('iviti')) replaceIfMeasured('ive');
      else if (endsWith('biliti')) replaceIfMeasured('ble');
      break;
    case 103 /* g */:
      if (endsWith('logi')) replaceIfMeasured('log');
      break;
  }
}

/** Step 3: -ic-, -full, -ness etc., when m > 0. */
function step3(): void {
  switch (buffer[end]) {
    case 101 /* e */:
      if (endsWith('icate')) replaceIfMeasured('ic');
      else if (endsWith('ative')) replaceIfMeasured('');
      else if (endsWith('alize')) replaceIfMeasured('al');
      break;
    case 105 /* i */:
      if (endsWith('iciti')) replaceIfMeasured('ic');
      break;
    case 108 /* l */:
      if (endsWith('ical')) replaceIfMeasured('ic');
      else if (endsWith('ful')) replaceIfMeasured('');
      break;
    case 115 /* s */:
      if (endsWith('ness')) replaceIfMeasured('');
      break;
  }
}

/** Step 4: removes -ant, -ence etc. when m > 1. */
function step4(): void {
  if (end === 0) return;
  let found = false;
  switch (buffer[end - 1]) {
    case 97 /* a */:
      found = endsWith('al');
      break;
    case 99 /* c */:
      found = endsWith('ance') || endsWith('ence');
      break;
    case 101 /* e */:
      found = endsWith('er');
      break;
    case 105 /* i */:
      found = endsWith('ic');
      break;
    case 108 /* l */:
      found = endsWith('able') || endsWith('ible');
      break;
    case 110 /* n */:
      found = endsWith('ant') || endsWith('ement') || endsWith('ment') || endsWith('ent');
      break;
    case 111 /* o */:
      if (endsWith('ion') && stemEnd >= 0 && (buffer[stemEnd] === 115 || buffer[stemEnd] === 116)) found = true;
      else found = endsWith('ou');
      break;
    case 115 /* s */:
      found = endsWith('ism');
      break;
    case 116 /* t */:
      found = endsWith('ate') || endsWith('iti');
      break;
    case 117 /* u */:
      found = endsWith('ous');
      break;
    case 118 /* v */:
      found = endsWith('ive');
      break;
    case 122 /* z */:
      found = endsWith('ize');
      break;
  }
  if (found && measure() > 1) end = stemEnd;
}

/** Step 5: removes a final -e when m > 1 (or m = 1 and not *o), and -ll → -l when m > 1. */
function step5(): void {
  stemEnd = end;
  if (buffer[end] === E) {
    const m = measure();
    if (m > 1 || (m === 1 && !isConsonantVowelConsonant(end - 1))) end--;
  }
  if (buffer[end] === 108 /* l */ && isDoubleConsonant(end) && measure() > 1) end--;
}

/**
 * Stems one lower-case word with the Porter algorithm, exactly as Lucene's PorterStemFilter does.
 * Words of one or two characters are returned unchanged. Not memoized (see EnglishAnalyzer).
 *
 * @example
 * ```ts
 * porterStem('caresses');    // 'caress'
 * porterStem('relational');  // 'relat'
 * porterStem('generalizations'); // 'gener'
 * ```
 */
export function porterStem(word: string): string {
  const length = word.length;
  if (length <= 2) return word;
  if (buffer.length < length + 4) buffer = new Uint16Array(length * 2 + 4);
  for (let index = 0; index < length; index++) buffer[index] = word.charCodeAt(index);
  end = length - 1;
  stemEnd = 0;
  written = false;
  step1();
  step1c();
  step2();
  step3();
  step4();
  step5();
  // most stems are the word or a prefix of it: no new characters to build a string from
  if (!written) return end === length - 1 ? word : word.slice(0, end + 1);
  return String.fromCharCode.apply(null, buffer.subarray(0, end + 1) as unknown as number[]);
}

// Type feedback for every branch of the stemmer before V8 optimizes it: a branch first taken in optimized code (a rare
// suffix such as -alism or -iciti) sends the stemmer, and each caller it was inlined into, back to be compiled again.
// Porter's own example of each rule plus the edge cases are stemmed at load (their block coverage of the stemmer is
// complete; a fraction of a millisecond). The words are cut out of one string, as an analyzer's tokens are, so the
// stemmer also sees the kinds of strings it is given then (short copies, longer slices).
{
  const words =
    'caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated troubled sized hopping tanned ' +
    'falling hissing fizzed failing filing happy sky relational conditional rational valenci hesitanci digitizer ' +
    'conformabli radicalli differentli vileli analogousli vietnamization predication operator feudalism decisiveness ' +
    'hopefulness callousness formaliti sensitiviti sensibiliti archaeologi triplicate formative formalize electriciti ' +
    'electrical hopeful goodness revival allowance inference airliner gyroscopic adjustable defensible irritant ' +
    'replacement adjustment dependent adoption homologou communism activate angulariti homologous effective bowdlerize ' +
    `probate rate cease controll roll yelling aed ies at ${'x'.repeat(70)}`;
  // and words with a letter beyond Latin-1 (as in "tnfα"), which are strings of another kind, cut from another string
  const wide = 'tnfα interleukinα';
  // four rounds: V8 gives a function its feedback vector only after its first calls, and records nothing before
  for (let round = 0; round < 4; round++) {
    for (const list of [words, wide]) {
      for (let start = 0; start < list.length; ) {
        let end = list.indexOf(' ', start);
        if (end < 0) end = list.length;
        porterStem(list.slice(start, end));
        start = end + 1;
      }
    }
  }
}
