import '../../test/helpers/backend.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RNNLM } from '../models/rnnlm.js';
import { Tensor } from '../tensor/tensor.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { languageModelFromTorch, torchLMConfig } from './torch-import.js';

const tokenizer = WordTokenizer.fromText('the cat sat\non the mat\n');
const V = tokenizer.vocabSize;

test('the configuration is read off a word_language_model state dict, tying detected by equal matrices', () => {
  const tied = new RNNLM({ vocabSize: V, embedSize: 6, hiddenSize: 6, numLayers: 2, cell: 'gru', tieWeights: true });
  assert.deepEqual(torchLMConfig(tied.stateDict()), { vocabSize: V, embedSize: 6, hiddenSize: 6, numLayers: 2, cell: 'gru', tieWeights: true });
  const untied = new RNNLM({ vocabSize: V, embedSize: 4, hiddenSize: 5, numLayers: 3, cell: 'lstm' });
  const m = languageModelFromTorch(untied.stateDict(), tokenizer);
  assert.deepEqual(
    { ...m.config, seed: 0 },
    { ...m.config, vocabSize: V, embedSize: 4, hiddenSize: 5, numLayers: 3, cell: 'lstm', tieWeights: false, seed: 0 },
  );
  assert.deepEqual([...m.decoder.weight.data], [...untied.decoder.weight.data]);
});

test('a plain RNN needs its nonlinearity; wrong cells, vocabularies and names are clear errors', () => {
  const sd = new RNNLM({ vocabSize: V, embedSize: 4, hiddenSize: 4, numLayers: 1, cell: 'rnn_relu' }).stateDict();
  assert.throws(() => torchLMConfig(sd), /nonlinearity .* give the cell/);
  assert.equal(torchLMConfig(sd, { cell: 'rnn_relu' }).cell, 'rnn_relu');
  assert.throws(() => torchLMConfig(sd, { cell: 'lstm' }), /give the cell/);
  const lstm = new RNNLM({ vocabSize: V, embedSize: 4, hiddenSize: 4, numLayers: 1, cell: 'lstm' }).stateDict();
  assert.throws(() => torchLMConfig(lstm, { cell: 'gru' }), { code: 'checkpoint_mismatch' });
  assert.throws(() => languageModelFromTorch(lstm, WordTokenizer.fromText('a b\n')), /vocabulary has 4 tokens/);
  assert.throws(() => torchLMConfig({ 'encoder.weight': Tensor.zeros([V, 4]) }), /no rnn\.weight_hh_l0/);
});
