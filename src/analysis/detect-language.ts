/** Cheap script-based language detection used by the `auto` analyzer. */

/** Languages that {@link detectLanguage} tells apart. */
export type DetectedLanguage = 'en' | 'zh' | 'ja' | 'ko' | 'other';

/** Number of leading UTF-16 units that {@link detectLanguage} looks at. */
export const DETECTION_SAMPLE_LENGTH = 4000;

/**
 * Guesses the language of a text from the scripts of its letters in the first
 * {@link DETECTION_SAMPLE_LENGTH} characters: if at least 30 % of the letters are Han, Kana or Hangul
 * the text is CJK (`ja` when Kana make up at least 10 % of the CJK letters, `ko` when Hangul is the
 * majority of them, else `zh`); otherwise `en` when most letters are Latin, else `other` (also for text
 * without letters). It cannot tell English from other Latin-script languages.
 *
 * @example
 * ```ts
 * detectLanguage('The quick brown fox'); // 'en'
 * detectLanguage('这是一个中文句子');       // 'zh'
 * detectLanguage('これは日本語の文です');   // 'ja'
 * detectLanguage('한국어 문장입니다');       // 'ko'
 * ```
 */
export function detectLanguage(text: string): DetectedLanguage {
  const limit = Math.min(text.length, DETECTION_SAMPLE_LENGTH);
  let latin = 0;
  let han = 0;
  let kana = 0;
  let hangul = 0;
  let otherLetters = 0;
  for (let index = 0; index < limit; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) {
      if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) latin++;
    } else if ((code >= 0xc0 && code <= 0x24f && code !== 0xd7 && code !== 0xf7) || (code >= 0x1e00 && code <= 0x1eff)) {
      latin++;
    } else if ((code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf) || (code >= 0xf900 && code <= 0xfaff)) {
      han++;
    } else if (code >= 0xd840 && code <= 0xd87f) {
      han++; // high surrogate of a supplementary ideograph (planes 2–3)
      index++;
    } else if ((code >= 0x3040 && code <= 0x30ff) || (code >= 0x31f0 && code <= 0x31ff) || (code >= 0xff66 && code <= 0xff9d)) {
      kana++;
    } else if ((code >= 0xac00 && code <= 0xd7af) || (code >= 0x1100 && code <= 0x11ff) || (code >= 0x3130 && code <= 0x318f)) {
      hangul++;
    } else if (code >= 0x370 && code < 0x2000 && /\p{L}/u.test(text[index])) {
      otherLetters++;
    }
  }
  const cjk = han + kana + hangul;
  const letters = latin + cjk + otherLetters;
  if (letters === 0) return 'other';
  if (cjk >= 0.3 * letters) {
    if (hangul * 2 > cjk) return 'ko';
    if (kana >= 0.1 * cjk) return 'ja';
    return 'zh';
  }
  return latin * 2 > letters ? 'en' : 'other';
}
