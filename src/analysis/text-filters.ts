/**
 * Token filters shared by the analyzers: Lucene-equivalent lower-casing and possessive removal.
 */

/**
 * Lower-cases a token one code point at a time, like Java's `Character.toLowerCase` (which Lucene's
 * LowerCaseFilter uses): `İ` becomes `i` (not `i̇`) and `Σ` always becomes `σ` (never the final `ς`).
 *
 * @example
 * ```ts
 * lowerCase('ΟΔΟΣ'); // 'οδοσ'
 * lowerCase('İstanbul'); // 'istanbul'
 * ```
 */
export function lowerCase(token: string): string {
  const lower = token.toLowerCase();
  if (lower.length === token.length && lower.indexOf('ς') < 0) return lower;
  // Rare: a multi-unit full mapping (U+0130) or a context-dependent final sigma.
  let result = '';
  for (const character of token) {
    if (character === '\u0130') result += 'i';
    else if (character === 'Σ') result += 'σ';
    else result += character.toLowerCase();
  }
  return result;
}

/**
 * Removes a trailing possessive `'s`, `’s` or `＇s` (either case of `s`), exactly like Lucene's
 * EnglishPossessiveFilter (applied before lower-casing).
 *
 * @example
 * ```ts
 * removePossessive("Lucene's"); // 'Lucene'
 * removePossessive('O’NEIL’S'); // 'O’NEIL'
 * removePossessive("can't");    // "can't"
 * ```
 */
export function removePossessive(token: string): string {
  const length = token.length;
  if (length >= 2) {
    const last = token.charCodeAt(length - 1);
    if (last === 0x73 || last === 0x53) {
      const apostrophe = token.charCodeAt(length - 2);
      if (apostrophe === 0x27 || apostrophe === 0x2019 || apostrophe === 0xff07) return token.slice(0, length - 2);
    }
  }
  return token;
}

// Type feedback for every branch of both filters before V8 optimizes the analysis they are inlined into: a possessive
// or a Σ first met in optimized code sends the whole analysis loop back to be compiled again. Tokens that take each
// branch, cut out of strings as an analyzer's are (one-byte and two-byte ones), filtered at load, four rounds (V8 gives
// a function its feedback vector only after its first calls).
for (let round = 0; round < 4; round++) {
  for (const list of ["Cell's cells CELL'S it’s ab A＇S s' x", 'ΟΔΟΣ İstanbul Straße ΣΑΣ β’s']) {
    for (let start = 0; start < list.length; ) {
      let end = list.indexOf(' ', start);
      if (end < 0) end = list.length;
      lowerCase(removePossessive(list.slice(start, end)));
      start = end + 1;
    }
  }
}
