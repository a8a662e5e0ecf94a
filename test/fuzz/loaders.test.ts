/**
 * Property-based fuzzing (fast-check) of everything that reads untrusted bytes: the
 * safetensors reader, checkpoint directories (config.json, tokenizer.json, weights), tokenizer
 * JSON, the corpus reader and the tokenizers, on valid inputs, mutated valid inputs and random
 * ones. The only outcomes allowed are success or a typed RnnlmError: never a RangeError, a
 * TypeError, a hang or a crash. A few thousand cases in a few seconds; a failure prints the
 * seed and the shrunk input that reproduces it.
 */
import '../helpers/backend.js';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { isRnnlmError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { loadLanguageModel, saveLanguageModel } from '../../src/io/lm.js';
import { RNNLM } from '../../src/models/rnnlm.js';
import { readCorpusFile, loadTextDataset } from '../../src/data/corpus.js';
import { decodeUtf8 } from '../../src/platform/platform.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { CharTokenizer } from '../../src/tokenizers/char.js';
import { BpeTokenizer } from '../../src/tokenizers/bpe.js';
import { WordTokenizer } from '../../src/tokenizers/word.js';
import { tokenizerFromJSON } from '../../src/tokenizers/index.js';
import type { Tokenizer } from '../../src/tokenizers/tokenizer.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-fuzz-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs fn; only success or an RnnlmError may come out. Returns whether it succeeded. */
function typedOrOk(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (isRnnlmError(e)) return false;
    throw new Error(`not an RnnlmError: ${(e as Error)?.stack ?? String(e)}`);
  }
}

/** Mutations of a valid byte string: flips, cuts, insertions, overwrites with boundary bytes. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x22, 0x7b, 0x7d, 0x30, 0x39) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let b = Uint8Array.from(valid);
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % b.length;
      if (e.kind === 'flip' && b.length > 0) b[at] = b[at]! ^ (1 << e.bit);
      else if (e.kind === 'cut') b = b.slice(0, at);
      else if (e.kind === 'set' && b.length > 0) b[at] = e.byte;
      else if (e.kind === 'insert') b = Uint8Array.from([...b.subarray(0, at), ...e.bytes, ...b.subarray(at)]);
    }
    return b;
  });
}

const validSafetensors = encodeSafetensors(
  { 'a.weight': Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]), b: Tensor.from([0.5], [1]), 'c.bias': Tensor.from([1, -1, 2], [3], 'float64') },
  { format: 'pt' },
);

describe('fuzz: safetensors reader', () => {
  test('mutated files: success or RnnlmError, and a success decodes to well-formed tensors', () => {
    fc.assert(
      fc.property(mutated(validSafetensors), (bytes) => {
        try {
          const d = decodeSafetensors(bytes);
          for (const t of Object.values(d.tensors))
            assert.equal(
              t.data.length,
              t.shape.reduce((a, b) => a * b, 1),
            );
        } catch (e) {
          if (!isRnnlmError(e)) throw e;
        }
      }),
      { numRuns: 1500 },
    );
  });

  test('random bytes and random JSON headers: success or RnnlmError', () => {
    const header = fc.jsonValue({ maxDepth: 3 }).map((j) => {
      const h = new TextEncoder().encode(JSON.stringify(j));
      const out = new Uint8Array(8 + h.length + 16);
      new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
      out.set(h, 8);
      return out;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), header), (bytes) => void typedOrOk(() => decodeSafetensors(bytes))),
      { numRuns: 800 },
    );
  });
});

describe('fuzz: tokenizer JSON', () => {
  const text = 'the cat sat on the mat\nthe dog ran to the cat\n';
  const valid = [CharTokenizer.fromText(text), WordTokenizer.fromText(text), BpeTokenizer.train(text, { merges: 10 })].map(
    (t) => t.toJSON() as unknown as Record<string, unknown>,
  );

  test('field-level damage and random JSON: a working tokenizer or RnnlmError', () => {
    const damaged = fc.tuple(fc.constantFrom(...valid), fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 })).map(([v, key, value]) => {
      const keys = Object.keys(v);
      const k = keys.includes(key) ? key : keys[key.length % keys.length]!;
      return { ...v, [k]: value };
    });
    fc.assert(
      fc.property(fc.oneof(damaged, fc.jsonValue({ maxDepth: 3 })), fc.string({ maxLength: 20 }), (json, probe) => {
        let tok: Tokenizer;
        try {
          tok = tokenizerFromJSON(json);
        } catch (e) {
          if (isRnnlmError(e)) return;
          throw e;
        }
        // A tokenizer that loads must work: encode/decode a probe, or refuse it with a typed error.
        typedOrOk(() => tok.decode(tok.encode(probe)));
      }),
      { numRuns: 1500 },
    );
  });
});

describe('fuzz: corpus reader and tokenizers', () => {
  test('random bytes as a corpus file: text with only \\n line breaks, or invalid_utf8', () => {
    let n = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.string({ unit: 'binary', maxLength: 100 }).map((s) => new TextEncoder().encode(s)),
        ),
        (bytes) => {
          const p = path.join(dir, `c${n++}.txt`);
          fs.writeFileSync(p, bytes);
          try {
            const text = readCorpusFile(p);
            assert.ok(!text.includes('\r'), 'line breaks are normalised');
          } catch (e) {
            if (!isRnnlmError(e, 'invalid_utf8')) throw e;
          }
          fs.rmSync(p);
        },
      ),
      { numRuns: 400 },
    );
  });

  test('random texts through every tokenizer: a dataset or a typed error; char and word round-trip', () => {
    let n = 0;
    const texts = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 80 }),
      fc.array(fc.constantFrom('a', 'b', ' ', '\n', '\r', '\r\n', '\t', 'é', '😀', '<unk>', '<eos>'), { maxLength: 40 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(texts, fc.constantFrom('char', 'word', 'bpe') as fc.Arbitrary<'char' | 'word' | 'bpe'>, (text, tokenizer) => {
        const p = path.join(dir, `t${n++}.txt`);
        fs.writeFileSync(p, text);
        typedOrOk(() => {
          const d = loadTextDataset({ train: p }, { tokenizer, validFraction: 0 });
          const back = d.tokenizer.decode(d.train);
          if (tokenizer === 'char') assert.equal(back, readCorpusFile(p));
        });
        fs.rmSync(p);
      }),
      { numRuns: 400 },
    );
  });

  test('decodeUtf8 agrees with a strict TextDecoder on random bytes', () => {
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), (bytes) => {
        let want: string | null;
        try {
          want = strict.decode(bytes);
        } catch {
          want = null;
        }
        let got: string | null = null;
        if (!typedOrOk(() => (got = decodeUtf8(bytes)))) got = null;
        assert.equal(got, want);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('fuzz: checkpoint directories', () => {
  const tok = CharTokenizer.fromText('abc de\n');
  const src = path.join(dir, 'ck');
  saveLanguageModel(src, new RNNLM({ vocabSize: tok.vocabSize, embedSize: 4, hiddenSize: 4, numLayers: 1, cell: 'gru' }), tok);
  const files = fs.readdirSync(src);
  const original = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(src, f))]));
  const cfg = JSON.parse(original['config.json']!.toString()) as Record<string, unknown>;

  test('damaged config.json (model fields with random values), damaged files: a model or RnnlmError', () => {
    let n = 0;
    const configEdit = fc.tuple(
      fc.constantFrom(
        'vocabSize',
        'embedSize',
        'hiddenSize',
        'numLayers',
        'cell',
        'hiddenSizes',
        'dropout',
        'tieWeights',
        'init',
        'seed',
        'architecture',
        'format',
        'files',
      ),
      fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(0, -1, 1e9, 2 ** 31, 65, 1.5, 'lstm', null)),
    );
    const fileEdit = fc.tuple(fc.constantFrom(...files), fc.nat(), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(
        fc.oneof(
          configEdit.map((e) => ({ config: e })),
          fileEdit.map((e) => ({ file: e })),
        ),
        (edit) => {
          const d = path.join(dir, `ck${n++}`);
          fs.mkdirSync(d);
          for (const f of files) fs.writeFileSync(path.join(d, f), original[f]!);
          if ('config' in edit) {
            const [k, v] = edit.config;
            const c = structuredClone(cfg);
            const model = c.model as Record<string, unknown> | undefined;
            if (model && k in model) model[k] = v;
            else c[k] = v;
            fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify(c));
          } else {
            const [f, at, byte] = edit.file;
            const b = Buffer.from(original[f]!);
            b[at % b.length] = byte;
            fs.writeFileSync(path.join(d, f), b);
          }
          typedOrOk(() => loadLanguageModel(d));
          fs.rmSync(d, { recursive: true });
        },
      ),
      { numRuns: 300 },
    );
  });
});
