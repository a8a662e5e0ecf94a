/**
 * Word-level pre-tokenization for the translation model and its inverse, so that output can be
 * scored against raw references. Punctuation becomes separate tokens; a hyphen inside a word
 * becomes the token "@-@" (Moses' aggressive hyphen splitting) and an apostrophe inside a word
 * starts a new token ("woman's" → "woman 's"), so `detokenize` can rejoin both exactly.
 * Periods and commas between digits stay inside the number ("3.5", "1,000").
 */

const LETTER_OR_DIGIT = /[\p{L}\p{N}\p{M}]/u;
const WHITESPACE = /\s/u;
const APOSTROPHES = new Set(["'", '\u2019']);
/** Attach to the previous token when detokenizing. */
const CLOSING = new Set(['.', ',', '!', '?', ';', ':', ')', ']', '}', '%', '…', '»', '”', '’', '。', '，', '！', '？', '、']);
/** Attach to the next token when detokenizing. */
const OPENING = new Set(['(', '[', '{', '«', '“', '‘', '¿', '¡']);
export const HYPHEN_TOKEN = '@-@';

/** Splits one line into word and punctuation tokens (see the header). */
export function pretokenize(line: string): string[] {
  const chars = [...line];
  const tokens: string[] = [];
  let cur = '';
  const flush = (): void => {
    if (cur) tokens.push(cur);
    cur = '';
  };
  const isWordChar = (c: string | undefined): boolean => c !== undefined && LETTER_OR_DIGIT.test(c);
  const isDigit = (c: string | undefined): boolean => c !== undefined && /\p{N}/u.test(c);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const prev = chars[i - 1];
    const next = chars[i + 1];
    if (WHITESPACE.test(c)) flush();
    else if (isWordChar(c)) cur += c;
    else if ((c === '.' || c === ',') && isDigit(prev) && isDigit(next) && cur)
      cur += c; // 3.5, 1,000
    else if (c === '-' && isWordChar(prev) && isWordChar(next) && cur) {
      flush();
      tokens.push(HYPHEN_TOKEN);
    } else if (APOSTROPHES.has(c) && isWordChar(prev) && isWordChar(next) && cur) {
      flush();
      cur = c; // the clitic keeps its apostrophe: 's, 're, 'homme
    } else {
      flush();
      tokens.push(c);
    }
  }
  flush();
  return tokens;
}

/** Rejoins tokens into text (the inverse of `pretokenize` on ordinary text). */
export function detokenize(tokens: readonly string[], opts: { capitalize?: boolean } = {}): string {
  let out = '';
  let glueNext = true; // no space before the first token
  let openQuote = false;
  for (const tok of tokens) {
    let glue = glueNext;
    glueNext = false;
    if (tok === HYPHEN_TOKEN) {
      out += '-';
      glueNext = true;
      continue;
    }
    if (CLOSING.has(tok)) glue = true;
    else if (APOSTROPHES.has(tok[0]!) && tok.length > 1 && LETTER_OR_DIGIT.test(tok[1]!)) glue = true;
    else if (OPENING.has(tok)) glueNext = true;
    else if (tok === '"') {
      if (openQuote) glue = true;
      else glueNext = true;
      openQuote = !openQuote;
    }
    out += glue ? tok : ` ${tok}`;
  }
  if (opts.capitalize && out.length > 0) {
    const first = String.fromCodePoint(out.codePointAt(0)!);
    out = first.toUpperCase() + out.slice(first.length);
  }
  return out;
}
