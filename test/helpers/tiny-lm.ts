/**
 * A tiny word LSTM trained briefly on a toy corpus (Adam, a few epochs): enough for tests that
 * need a model whose scores mean something (rescoring, n-gram interpolation), in well under a second.
 */
import { RNNLM } from '../../src/models/rnnlm.js';
import type { Tokenizer } from '../../src/tokenizers/tokenizer.js';
import { trainLanguageModel } from '../../src/train/loop.js';

export async function trainTinyWordLM(tok: Tokenizer, corpus: string, opts: { seed: number; epochs: number }): Promise<RNNLM> {
  const lm = new RNNLM({ vocabSize: tok.vocabSize, embedSize: 8, hiddenSize: 16, numLayers: 1, cell: 'lstm', seed: opts.seed });
  await trainLanguageModel(
    lm,
    { train: tok.encode(corpus) },
    { batchSize: 4, bptt: 8, epochs: opts.epochs, optimizer: 'adam', lr: 0.03, clip: 1, plateauFactor: 1, plateauPatience: 0, evalBatchSize: 2 },
  );
  return lm;
}
