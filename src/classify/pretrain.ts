/**
 * Initialising a classifier from a trained language model (pretrain, then fine-tune): the
 * embedding rows of the tokens both vocabularies share, and the LM's recurrent layers as the
 * classifier's forward direction, layer by layer (as many as both have). The names are the
 * same on both sides (`encoder.weight`, `rnn.weight_ih_l{k}`…, see models/classifier.ts).
 *
 * In a bidirectional classifier layer k > 0 reads [forward; backward] outputs (2H wide) where
 * the LM layer read H: its forward weight_ih gets the LM's weights on the forward half and
 * zeros on the backward half, so the forward stack starts out computing exactly the LM's
 * states. The backward direction keeps its random initialisation.
 * Legend: V vocabulary, E embedding, H hidden, G gates.
 */
import { RnnlmError } from '../errors.js';
import type { RNNClassifier } from '../models/classifier.js';
import type { RNNLM } from '../models/rnnlm.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';

export interface LmInitResult {
  /** Vocabulary tokens of the classifier that got the LM's embedding row. */
  embeddingsFound: number;
  /** Recurrent layers copied. */
  layers: number;
  /** The embedding table (for freezing). */
  embedding: Tensor;
  /** The recurrent parameters filled from the LM (for freezing). */
  recurrent: Tensor[];
}

export function initFromLanguageModel(
  clf: RNNClassifier,
  clfTokenizer: Tokenizer,
  lm: RNNLM,
  lmTokenizer: Tokenizer,
  what = 'the language model',
): LmInitResult {
  const c = clf.config;
  const m = lm.config;
  const mismatch = (why: string): never => {
    throw new RnnlmError('checkpoint_mismatch', `${what} cannot initialise this classifier: ${why}`);
  };
  if (m.cell !== c.cell) mismatch(`it is a ${m.cell} and the classifier a ${c.cell} (use --cell ${m.cell})`);
  if (m.embedSize !== c.embedSize) mismatch(`its embedding size is ${m.embedSize}, the classifier's ${c.embedSize} (use --emb ${m.embedSize})`);
  if (lm.rnn.layout !== 'stacked' || m.hiddenSize !== c.hiddenSize) {
    mismatch(
      `its hidden size is ${m.hiddenSizes ? m.hiddenSizes.join('/') : m.hiddenSize}, the classifier's ${c.hiddenSize} in every layer (use --hidden ${m.hiddenSize})`,
    );
  }
  const E = c.embedSize;
  const H = c.hiddenSize;
  const sd = clf.stateDict();
  // Embedding rows by token text, so the two vocabularies need not number tokens alike.
  const src = lm.encoder.weight.data; // [V_lm,E]
  const dst = clf.encoder.weight; // [V,E]
  let found = 0;
  for (let id = 0; id < clfTokenizer.vocabSize; id++) {
    const j = lmTokenizer.vocab.idOf(clfTokenizer.vocab.tokenOf(id));
    if (j === undefined) continue;
    dst.data.set(src.subarray(j * E, (j + 1) * E), id * E);
    found++;
  }
  if (found === 0) mismatch('the two vocabularies share no token (was the LM trained with another tokenizer?)');
  const layers = Math.min(c.numLayers, m.numLayers);
  const recurrent: Tensor[] = [];
  for (let l = 0; l < layers; l++) {
    const p = lm.rnn.layerParams(l);
    const copy = (name: string, from: Tensor | null): void => {
      const to = sd[`rnn.${name}_l${l}`];
      if (!to || !from) mismatch(`no ${name}_l${l} on one side (a model without biases?)`);
      if (to!.size === from!.size) to!.data.set(from!.data);
      else {
        // Bidirectional layer > 0: to [G·H, 2H] ← [from | 0], from [G·H, H].
        const rows = from!.shape[0]!;
        to!.data.fill(0);
        for (let r = 0; r < rows; r++) to!.data.set(from!.data.subarray(r * H, (r + 1) * H), r * 2 * H); // row r, columns [0, H)
      }
      recurrent.push(to!);
    };
    copy('weight_ih', p.weightIh);
    copy('weight_hh', p.weightHh);
    copy('bias_ih', p.biasIh);
    copy('bias_hh', p.biasHh);
  }
  return { embeddingsFound: found, layers, embedding: dst, recurrent };
}
