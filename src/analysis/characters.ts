/**
 * Character classes used by the tokenizers and CJK analyzers, computed once per code point from
 * Unicode script properties (exact, via RegExp property escapes) and cached in a lazily filled table.
 */

/** Classes of a code point as far as ralm's tokenizers care. */
export enum CharacterClass {
  /** Not yet computed (internal). */
  Unknown = 0,
  /** Anything not listed below. */
  Other = 1,
  /** Script=Han (ideographs, including 々 and 〇). */
  Han = 2,
  /** Script=Hiragana. */
  Hiragana = 3,
  /** Word_Break=Katakana: Script=Katakana plus the prolonged sound mark ー and kana iteration marks. */
  Katakana = 4,
  /** Script=Hangul. */
  Hangul = 5,
  /** Line_Break=Complex_Context scripts (Thai, Lao, Khmer, Myanmar, Tai …): Lucene keeps a run whole. */
  SouthEastAsian = 6,
  /** Combining marks, format characters and ZWJ: they attach to the character before (UAX #29 WB4). */
  Extend = 7,
}

const table = new Uint8Array(0x110000);

const hanPattern = /^\p{Script=Han}$/u;
const hiraganaPattern = /^\p{Script=Hiragana}$/u;
const katakanaPattern = /^\p{Script=Katakana}$/u;
const hangulPattern = /^\p{Script=Hangul}$/u;
const southEastAsianPattern =
  /^[\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tai_Le}\p{Script=New_Tai_Lue}\p{Script=Tai_Tham}\p{Script=Tai_Viet}\p{Script=Ahom}]$/u;
const extendPattern = /^[\p{M}\p{Cf}]$/u;

function computeClass(codePoint: number): CharacterClass {
  // Word_Break=Katakana members outside Script=Katakana (ー, 〱-〵, ゛゜, ゠, ｰ).
  if (
    codePoint === 0x30fc ||
    (codePoint >= 0x3031 && codePoint <= 0x3035) ||
    codePoint === 0x309b ||
    codePoint === 0x309c ||
    codePoint === 0x30a0 ||
    codePoint === 0xff70
  ) {
    return CharacterClass.Katakana;
  }
  const character = String.fromCodePoint(codePoint);
  // Half-width voiced sound marks are Word_Break=Extend although their script is Common.
  if (codePoint === 0xff9e || codePoint === 0xff9f || codePoint === 0x200d) return CharacterClass.Extend;
  if (extendPattern.test(character) && codePoint !== 0x200b) {
    // A combining mark of a South-East Asian script belongs to the run (Lucene's ComplexContext).
    if (southEastAsianPattern.test(character)) return CharacterClass.SouthEastAsian;
    return CharacterClass.Extend;
  }
  if (hanPattern.test(character)) return CharacterClass.Han;
  if (hiraganaPattern.test(character)) return CharacterClass.Hiragana;
  if (katakanaPattern.test(character)) return CharacterClass.Katakana;
  if (hangulPattern.test(character)) return CharacterClass.Hangul;
  if (southEastAsianPattern.test(character)) return CharacterClass.SouthEastAsian;
  return CharacterClass.Other;
}

/**
 * The {@link CharacterClass} of a code point (cached).
 *
 * @example
 * ```ts
 * characterClassOf('中'.codePointAt(0)!) === CharacterClass.Han; // true
 * ```
 */
export function characterClassOf(codePoint: number): CharacterClass {
  // Everything below U+0300 is Other for these purposes (Latin, Greek letters start at U+0370).
  if (codePoint < 0x300) return CharacterClass.Other;
  let value = table[codePoint];
  if (value === CharacterClass.Unknown) {
    value = computeClass(codePoint);
    table[codePoint] = value;
  }
  return value as CharacterClass;
}

/**
 * True for the classes that CJK analysis treats as CJK letters (Han, Hiragana, Katakana, Hangul).
 *
 * @example
 * ```ts
 * isCjkClass(characterClassOf('한'.codePointAt(0)!)); // true
 * ```
 */
export function isCjkClass(characterClass: CharacterClass): boolean {
  return (
    characterClass === CharacterClass.Han ||
    characterClass === CharacterClass.Hiragana ||
    characterClass === CharacterClass.Katakana ||
    characterClass === CharacterClass.Hangul
  );
}
