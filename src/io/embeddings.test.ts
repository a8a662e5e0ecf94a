/**
 * Pretrained embeddings: GloVe and word2vec text files in a temp dir, line-numbered errors,
 * vectors copied into encoder.weight for vocabulary words (others keep their init), a clear
 * dimension-mismatch error, and freezing that survives real training steps.
 */
import '../../test/helpers/backend.js';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isRnnlmError } from '../errors.js';
import { RNNLM } from '../models/rnnlm.js';
import { BpeTokenizer } from '../tokenizers/bpe.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { trainLanguageModel } from '../train/loop.js';
import { loadPretrainedEmbeddings, parseEmbeddings, readEmbeddings } from './embeddings.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-emb-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

const CORPUS = 'the cat sat on the mat\nthe dog sat on the rug\n'.repeat(10);
const tok = WordTokenizer.fromText(CORPUS); // the cat sat on mat <eos> dog rug <unk>
const GLOVE = `${['the 0.1 0.2 0.3 0.4', 'cat -1 -2 -3 -4', 'Dog 5 6 7 8', 'zebra 9 9 9 9', 'the 7 7 7 7', 'sat 1e-1 2E-1 0 -0.5 '].join('\n')}\n`;

const model = (over: { embedSize?: number; tied?: boolean } = {}): RNNLM =>
  new RNNLM({
    vocabSize: tok.vocabSize,
    embedSize: over.embedSize ?? 4,
    hiddenSize: over.tied ? 4 : 6,
    numLayers: 1,
    cell: 'lstm',
    seed: 2,
    tieWeights: over.tied ?? false,
  });

const row = (m: RNNLM, word: string): number[] => {
  const id = tok.vocab.idOf(word)!;
  return Array.from(m.encoder.weight.data.subarray(id * 4, id * 4 + 4), (x) => Number(x.toFixed(6)));
};

describe('parseEmbeddings', () => {
  test('GloVe: dimension from the first line, first vector of a repeated word wins', () => {
    const t = parseEmbeddings(GLOVE);
    assert.equal(t.format, 'glove');
    assert.equal(t.dim, 4);
    assert.equal(t.total, 6);
    assert.deepEqual(t.words, ['the', 'cat', 'Dog', 'zebra', 'sat']);
    assert.deepEqual(
      Array.from(t.vectors.subarray(0, 4), (x) => Number(x.toFixed(6))),
      [0.1, 0.2, 0.3, 0.4],
    );
    assert.deepEqual(
      Array.from(t.vectors.subarray(16, 20), (x) => Number(x.toFixed(6))),
      [0.1, 0.2, 0, -0.5],
    );
    assert.deepEqual(parseEmbeddings(GLOVE, { keep: (w) => w === 'cat' }).words, ['cat']);
  });

  test('word2vec text: "count dim" header, CRLF and tabs accepted', () => {
    const t = parseEmbeddings('3 2\r\ncat 1 2 \r\ndog\t3\t4\r\n</s> 0 0\r\n');
    assert.equal(t.format, 'word2vec');
    assert.equal(t.dim, 2);
    assert.deepEqual(t.words, ['cat', 'dog', '</s>']);
    assert.deepEqual(Array.from(t.vectors), [1, 2, 3, 4, 0, 0]);
  });

  test('bad files are errors that name the line', () => {
    const bad = (text: string, re: RegExp, code = 'invalid_argument'): void =>
      assert.throws(
        () => parseEmbeddings(text, { what: 'v.txt' }),
        (e) => isRnnlmError(e, code as 'invalid_argument') && re.test(e.message),
        text,
      );
    bad('a 1 2 3\nb 1 2\n', /v\.txt, line 2: word "b" has 2 values but line 1 gives dimension 3/);
    bad('2 3\na 1 2 3\nb 1 2 3 4\n', /line 3: word "b" has 4 values but the header gives dimension 3/);
    bad('a 1 2\nb 1 x\n', /line 2: value 2 of word "b" is "x", not a finite number/);
    bad('a 1 2\nb 1 NaN\n', /line 2: .*not a finite number/);
    bad('3 2\na 1 2\nb 3 4\n', /header declares 3 vectors but the file has 2/);
    bad('a\n', /line 1: word "a" has no values/);
    bad('a 1\n b 2\n', /line 2: the line starts with whitespace/);
    bad('\n\n', /holds no vectors/, 'empty_corpus');
  });
});

describe('loadPretrainedEmbeddings', () => {
  test('copies vectors of vocabulary words (exact, then lower-cased); the rest keep their init', () => {
    const p = file('glove.txt', GLOVE);
    const m = model();
    const before = m.encoder.weight.data.slice();
    const r = loadPretrainedEmbeddings(m, tok, p);
    // the, cat, sat exactly; dog via "Dog"? no: lower-casing applies to the vocabulary token, so "dog" ≠ "Dog".
    assert.equal(r.found, 3);
    assert.equal(r.missing, tok.vocabSize - 3);
    assert.equal(r.dim, 4);
    assert.equal(r.frozen, false);
    assert.ok(r.missingTokens.includes('dog') && r.missingTokens.includes('<eos>'));
    assert.deepEqual(row(m, 'the'), [0.1, 0.2, 0.3, 0.4]);
    assert.deepEqual(row(m, 'cat'), [-1, -2, -3, -4]);
    assert.deepEqual(row(m, 'sat'), [0.1, 0.2, 0, -0.5]);
    const mat = tok.vocab.idOf('mat')!;
    assert.deepEqual(Array.from(m.encoder.weight.data.subarray(mat * 4, mat * 4 + 4)), Array.from(before.subarray(mat * 4, mat * 4 + 4)));
    assert.equal(m.encoder.weight.requiresGrad, true);

    // A capitalised vocabulary finds lower-case vectors.
    const upper = WordTokenizer.fromText('The CAT\n');
    const mu = new RNNLM({ vocabSize: upper.vocabSize, embedSize: 4, hiddenSize: 4, numLayers: 1, cell: 'gru' });
    assert.equal(loadPretrainedEmbeddings(mu, upper, p).found, 2);
  });

  test('BPE word-final tokens match the bare word', () => {
    const bpe = BpeTokenizer.train(CORPUS, { merges: 40 });
    assert.ok(bpe.vocab.has('the</w>'));
    const m = new RNNLM({ vocabSize: bpe.vocabSize, embedSize: 4, hiddenSize: 4, numLayers: 1, cell: 'lstm' });
    const r = loadPretrainedEmbeddings(m, bpe, file('glove-bpe.txt', GLOVE));
    const id = bpe.vocab.idOf('the</w>')!;
    assert.deepEqual(
      Array.from(m.encoder.weight.data.subarray(id * 4, id * 4 + 4), (x) => Number(x.toFixed(6))),
      [0.1, 0.2, 0.3, 0.4],
    );
    assert.ok(r.found >= 3);
  });

  test('a dimension that differs from embedSize is a clear error; so is a missing file or no overlap', () => {
    const p = file('glove3.txt', 'the 1 2 3\ncat 4 5 6\n');
    assert.throws(
      () => loadPretrainedEmbeddings(model(), tok, p),
      (e) => isRnnlmError(e, 'invalid_argument') && /3-dimensional vectors but the model's embedding size is 4; .*--emb 3/.test(e.message),
    );
    assert.throws(
      () => loadPretrainedEmbeddings(model(), tok, path.join(dir, 'nope.txt')),
      (e) => isRnnlmError(e, 'file_not_found'),
    );
    assert.throws(
      () => loadPretrainedEmbeddings(model(), tok, file('other.txt', 'zebra 1 2 3 4\n')),
      (e) => isRnnlmError(e, 'invalid_argument') && /none of the/.test(e.message),
    );
    assert.equal(readEmbeddings(p).dim, 3);
  });

  test('frozen embeddings do not change during training (AdamW with weight decay); the rest does', async () => {
    const p = file('glove-freeze.txt', GLOVE);
    const m = model();
    const r = loadPretrainedEmbeddings(m, tok, p, { freeze: true });
    assert.equal(r.frozen, true);
    assert.deepEqual(r.warnings, []);
    const enc = m.encoder.weight.data.slice();
    const dec = m.decoder.weight.data.slice();
    const cfg = {
      batchSize: 2,
      bptt: 5,
      epochs: 1,
      optimizer: 'adamw' as const,
      lr: 0.05,
      optimizerOptions: { weightDecay: 0.1 },
      clip: 1,
      plateauFactor: 1,
      plateauPatience: 0,
      evalBatchSize: 2,
      maxSteps: 5,
    };
    await trainLanguageModel(m, { train: tok.encode(CORPUS) }, cfg);
    assert.deepEqual(m.encoder.weight.data, enc, 'encoder.weight is frozen');
    assert.notDeepEqual(m.decoder.weight.data, dec, 'the decoder trains');

    // Without freezing, the same training moves the embeddings.
    const m2 = model();
    loadPretrainedEmbeddings(m2, tok, p);
    const enc2 = m2.encoder.weight.data.slice();
    await trainLanguageModel(m2, { train: tok.encode(CORPUS) }, cfg);
    assert.notDeepEqual(m2.encoder.weight.data, enc2);
  });

  test('freezing tied weights warns and freezes the decoder too', async () => {
    const m = model({ tied: true });
    const r = loadPretrainedEmbeddings(m, tok, file('glove-tied.txt', GLOVE), { freeze: true });
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /also freezes the decoder/);
    const enc = m.encoder.weight.data.slice();
    const rnn = m.rnn.parameters()[0]!.data.slice();
    await trainLanguageModel(
      m,
      { train: tok.encode(CORPUS) },
      { batchSize: 2, bptt: 5, epochs: 1, optimizer: 'adam', lr: 0.05, clip: 1, plateauFactor: 1, plateauPatience: 0, evalBatchSize: 2, maxSteps: 3 },
    );
    assert.equal(m.decoder.weight, m.encoder.weight);
    assert.deepEqual(m.encoder.weight.data, enc);
    assert.notDeepEqual(m.rnn.parameters()[0]!.data, rnn);
  });
});
