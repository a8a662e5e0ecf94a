/**
 * Text → sentences of n-gram ids, as SRILM's `ngram-count -text` / `ngram -ppl` read it: one
 * sentence per line, read as `<s> w1 … wn </s>`; empty lines are skipped. Words the vocabulary
 * lacks become `<unk>` when the model has it, else −1 (an OOV: not scored, as SRILM without -unk).
 *
 * Two readers: `wordSentences` splits lines on whitespace (any ARPA file, SRILM/KenLM included);
 * `tokenizerSentences` uses an rnnlm tokenizer (word, char, BPE) and maps its ids through `map`.
 * The result is one flat stream `<s> … </s> <s> … </s>` (Int32Array), not an array per sentence.
 */
import { RnnlmError } from '../errors.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { splitLines, splitWords } from '../tokenizers/word.js';
import { type NgramVocab, sentenceEndId } from './vocab.js';

export interface SentenceStream {
  /** `<s> w… </s>` per sentence, concatenated; −1 marks an OOV word. */
  ids: Int32Array;
  sentences: number;
  /** Words, without `<s>`/`</s>`, OOVs included. */
  words: number;
  oovs: number;
}

/** Growable Int32 buffer. */
class IdBuffer {
  data = new Int32Array(1024);
  n = 0;
  push(id: number): void {
    if (this.n === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.n++] = id;
  }
}

/** Sentences of whitespace-separated words, one per line (SRILM's reading). */
export function wordSentences(vocab: NgramVocab, text: string): SentenceStream {
  const buf = new IdBuffer();
  let sentences = 0;
  let words = 0;
  let oovs = 0;
  for (const line of splitLines(text).lines) {
    const ws = splitWords(line);
    if (ws.length === 0) continue;
    buf.push(vocab.bos);
    for (const w of ws) {
      let id = vocab.idOf(w);
      if (id === vocab.bos || id === vocab.eos) {
        throw new RnnlmError(
          'invalid_argument',
          `the text holds the word ${JSON.stringify(w)}, which marks sentences in an n-gram model; remove it (each line is one sentence)`,
        );
      }
      if (id === undefined) id = vocab.unk;
      if (id < 0) oovs++;
      buf.push(id);
    }
    buf.push(vocab.eos);
    sentences++;
    words += ws.length;
  }
  return { ids: buf.data.slice(0, buf.n), sentences, words, oovs };
}

/**
 * Sentences as a tokenizer reads the text: its ids split at the sentence end (`<eos>` or '\n'),
 * each id mapped through `map` (tokenizer id → n-gram id, −1 for a token the model lacks; the
 * identity when the vocabulary was built from this tokenizer).
 */
export function tokenizerSentences(tokenizer: Tokenizer, text: string, vocab: NgramVocab, map?: Int32Array): SentenceStream {
  const end = sentenceEndId(tokenizer);
  const ids = tokenizer.encode(text);
  const buf = new IdBuffer();
  let sentences = 0;
  let words = 0;
  let oovs = 0;
  let start = 0;
  const flush = (stop: number): void => {
    if (stop > start) {
      buf.push(vocab.bos);
      for (let i = start; i < stop; i++) {
        const t = ids[i]!;
        let id = map ? map[t]! : t;
        if (id < 0) id = vocab.unk;
        if (id < 0) oovs++;
        buf.push(id);
      }
      buf.push(vocab.eos);
      sentences++;
      words += stop - start;
    }
  };
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] === end) {
      flush(i);
      start = i + 1;
    }
  }
  flush(ids.length);
  return { ids: buf.data.slice(0, buf.n), sentences, words, oovs };
}
