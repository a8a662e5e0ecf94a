/**
 * The text of each generated token, as the client appends it to its prompt. Char models: the
 * character. Word models: words are separated by one space (none at a line start, or after a
 * prompt that ends in whitespace) and <eos> is a line break — the same text
 * tokenizer.decode gives, split so that the streamed pieces concatenate to the full text.
 */
import type { Tokenizer } from '../../src/node.js';

export class TextPieces {
  private lineStart: boolean;

  constructor(
    private readonly tokenizer: Tokenizer,
    prompt: string,
  ) {
    this.lineStart = prompt.length === 0 || /\s$/u.test(prompt);
  }

  next(id: number): string {
    const piece = this.peek(id);
    if (this.tokenizer.kind === 'word') this.lineStart = id === this.tokenizer.eosId;
    return piece;
  }

  /** The text token `id` would add here, without adding it (for listing alternatives). */
  peek(id: number): string {
    const tok = this.tokenizer;
    if (tok.kind !== 'word') return tok.tokenText(id);
    if (id === tok.eosId) return '\n';
    const word = tok.tokenText(id);
    return this.lineStart ? word : ` ${word}`;
  }
}
