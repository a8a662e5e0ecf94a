/**
 * Vocab: the id <-> token table shared by every tokenizer. Ids are dense (0..size-1) and
 * fixed by the order of `tokens`, so a saved vocabulary gives the same ids when reloaded.
 * Special tokens (eos, unk, pad, ...) are named roles pointing at ordinary entries.
 */
import { RnnlmError } from '../errors.js';

export interface VocabJSON {
  tokens: string[];
  /** Role name -> token, e.g. { eos: '<eos>', unk: '<unk>' }. Every token must be in `tokens`. */
  specials: Record<string, string>;
  /** Optional training-text frequency of each token, same order as `tokens`. */
  counts?: number[];
}

export interface VocabOptions {
  specials?: Record<string, string>;
  counts?: ArrayLike<number>;
}

export class Vocab {
  private readonly idByToken = new Map<string, number>();
  private readonly tokenById: readonly string[];
  private readonly specialIds = new Map<string, number>();
  /** Training-text frequency per id, or null when not recorded. */
  readonly counts: Float64Array | null;

  constructor(tokens: readonly string[], options: VocabOptions = {}) {
    if (!Array.isArray(tokens)) throw new RnnlmError('invalid_argument', 'Vocab tokens must be an array of strings');
    const list: string[] = [];
    for (let id = 0; id < tokens.length; id++) {
      const tok = tokens[id];
      if (typeof tok !== 'string') {
        throw new RnnlmError('invalid_argument', `Vocab token ${id} is ${typeof tok}, not a string`);
      }
      if (this.idByToken.has(tok)) {
        throw new RnnlmError(
          'invalid_argument',
          `Vocab token ${JSON.stringify(tok)} appears twice (ids ${this.idByToken.get(tok)} and ${id}); tokens must be unique`,
        );
      }
      this.idByToken.set(tok, id);
      list.push(tok);
    }
    this.tokenById = list;

    for (const [role, tok] of Object.entries(options.specials ?? {})) {
      const id = this.idByToken.get(tok);
      if (id === undefined) {
        throw new RnnlmError('invalid_argument', `special token ${role}=${JSON.stringify(tok)} is not in the vocabulary`);
      }
      this.specialIds.set(role, id);
    }

    if (options.counts !== undefined) {
      const c = options.counts;
      if (c.length !== list.length) {
        throw new RnnlmError('invalid_argument', `Vocab has ${list.length} tokens but ${c.length} counts; give one count per token`);
      }
      const counts = new Float64Array(c.length);
      for (let i = 0; i < c.length; i++) {
        const v = c[i]!;
        if (!Number.isInteger(v) || v < 0) {
          throw new RnnlmError('invalid_argument', `Vocab count ${i} is ${v}; counts must be non-negative integers`);
        }
        counts[i] = v;
      }
      this.counts = counts;
    } else {
      this.counts = null;
    }
  }

  get size(): number {
    return this.tokenById.length;
  }

  /** The id of `token`, or undefined when it is not in the vocabulary. */
  idOf(token: string): number | undefined {
    return this.idByToken.get(token);
  }

  /** The token with id `id`; throws invalid_argument when `id` is out of range. */
  tokenOf(id: number): string {
    const tok = Number.isInteger(id) ? this.tokenById[id] : undefined;
    if (tok === undefined) {
      throw new RnnlmError('invalid_argument', `token id ${id} is out of range for a vocabulary of ${this.size} tokens (valid: 0..${this.size - 1})`);
    }
    return tok;
  }

  has(token: string): boolean {
    return this.idByToken.has(token);
  }

  /** Id of the token playing special role `role` ('eos', 'unk', ...), or null when there is none. */
  specialId(role: string): number | null {
    return this.specialIds.get(role) ?? null;
  }

  /** Role name -> token. */
  get specials(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [role, id] of this.specialIds) out[role] = this.tokenById[id]!;
    return out;
  }

  /** Training frequency of token `id` (undefined when counts were not recorded). */
  countOf(id: number): number | undefined {
    this.tokenOf(id); // range check
    return this.counts === null ? undefined : this.counts[id];
  }

  /** All tokens in id order (a copy). */
  tokens(): string[] {
    return this.tokenById.slice();
  }

  toJSON(): VocabJSON {
    const out: VocabJSON = { tokens: this.tokens(), specials: this.specials };
    if (this.counts !== null) out.counts = Array.from(this.counts);
    return out;
  }

  /** Rebuilds a vocabulary from `toJSON()` output; malformed input is `corrupt_checkpoint`. */
  static fromJSON(json: unknown): Vocab {
    if (typeof json !== 'object' || json === null) throw corrupt('vocabulary is not an object');
    const j = json as Partial<Record<keyof VocabJSON, unknown>>;
    if (!Array.isArray(j.tokens)) throw corrupt('vocabulary has no "tokens" array');
    const specials = j.specials ?? {};
    if (typeof specials !== 'object' || specials === null || Array.isArray(specials)) {
      throw corrupt('vocabulary "specials" is not an object');
    }
    for (const [role, tok] of Object.entries(specials)) {
      if (typeof tok !== 'string') throw corrupt(`vocabulary special "${role}" is not a string`);
    }
    if (j.counts !== undefined && !Array.isArray(j.counts)) throw corrupt('vocabulary "counts" is not an array');
    try {
      return new Vocab(j.tokens as string[], {
        specials: specials as Record<string, string>,
        ...(j.counts !== undefined ? { counts: j.counts as number[] } : {}),
      });
    } catch (e) {
      if (e instanceof RnnlmError) throw corrupt(e.message);
      throw e;
    }
  }
}

function corrupt(what: string): RnnlmError {
  return new RnnlmError('corrupt_checkpoint', `bad vocabulary in saved data: ${what}; the file is damaged or was not written by rnnlm`);
}
