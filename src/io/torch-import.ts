/**
 * A language model from a PyTorch state dict (word_language_model's RNNModel: `encoder.weight`,
 * `rnn.weight_ih_l{k}`…, `decoder.weight`, `decoder.bias`), read from a safetensors file. The
 * configuration is read off the tensor shapes: V, E from encoder.weight [V,E]; H from
 * rnn.weight_hh_l0 [G·H,H]; L from the layers present; the cell from G (4 LSTM, 3 GRU, 1 RNN,
 * whose nonlinearity the weights cannot tell: give `cell`). The weights are tied when
 * decoder.weight is absent or equal to encoder.weight (PyTorch saves a tied tensor twice).
 * Legend: V vocabulary, E embedding, H hidden, G gates, L layers.
 */
import { RnnlmError } from '../errors.js';
import type { RecurrentMode } from '../backend/kernels.js';
import { RNNLM, type RNNLMConfig } from '../models/rnnlm.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';

export interface TorchImportOptions {
  /** Needed for a plain RNN (rnn_tanh, rnn_relu or rnn_sigmoid); checked against the weights otherwise. */
  cell?: RecurrentMode;
}

const CELL_OF_GATES: Record<number, RecurrentMode> = { 4: 'lstm', 3: 'gru' };

function need(sd: Record<string, Tensor>, name: string, ndim: number): Tensor {
  const t = sd[name];
  if (!t)
    throw new RnnlmError(
      'checkpoint_mismatch',
      `the state dict has no ${name}; expected PyTorch word_language_model names (encoder.weight, rnn.weight_ih_l0, …, decoder.weight, decoder.bias)`,
    );
  if (t.ndim !== ndim) throw new RnnlmError('checkpoint_mismatch', `${name} has ${t.ndim} dimensions, expected ${ndim}`);
  return t;
}

/** The RNNLM configuration a word_language_model state dict describes (see the header). */
export function torchLMConfig(sd: Record<string, Tensor>, opts: TorchImportOptions = {}): RNNLMConfig {
  const [V, E] = need(sd, 'encoder.weight', 2).shape as [number, number];
  const [GH, H] = need(sd, 'rnn.weight_hh_l0', 2).shape as [number, number];
  const G = GH / H;
  let L = 0;
  while (sd[`rnn.weight_ih_l${L}`]) L++;
  let cell = CELL_OF_GATES[G];
  if (G === 1) {
    if (!opts.cell?.startsWith('rnn_')) {
      throw new RnnlmError(
        'invalid_argument',
        'the weights are a plain RNN (one gate block), whose nonlinearity they do not record: give the cell (rnn_tanh, rnn_relu or rnn_sigmoid)',
      );
    }
    cell = opts.cell;
  }
  if (!cell) throw new RnnlmError('checkpoint_mismatch', `rnn.weight_hh_l0 is [${GH}, ${H}]: ${G} gate blocks fit no LSTM (4), GRU (3) or RNN (1)`);
  if (opts.cell && opts.cell !== cell) throw new RnnlmError('checkpoint_mismatch', `the weights are a ${cell} but cell ${opts.cell} was given`);
  const dec = sd['decoder.weight'];
  const enc = sd['encoder.weight']!;
  const tied = !dec || (dec.size === enc.size && dec.data.every((v, i) => v === enc.data[i]));
  return { vocabSize: V, embedSize: E, hiddenSize: H, numLayers: L, cell, tieWeights: tied };
}

/** An RNNLM holding the state dict's weights, checked against `tokenizer` (eval mode). */
export function languageModelFromTorch(sd: Record<string, Tensor>, tokenizer: Tokenizer, opts: TorchImportOptions = {}): RNNLM {
  const cfg = torchLMConfig(sd, opts);
  if (tokenizer.vocabSize !== cfg.vocabSize) {
    throw new RnnlmError(
      'checkpoint_mismatch',
      `the vocabulary has ${tokenizer.vocabSize} tokens but encoder.weight has ${cfg.vocabSize} rows; give the vocabulary the model was trained with`,
    );
  }
  const model = new RNNLM(cfg);
  const full = { ...sd };
  if (!full['decoder.weight']) full['decoder.weight'] = full['encoder.weight']!;
  model.loadStateDict(full);
  model.eval();
  return model;
}
