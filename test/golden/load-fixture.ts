/**
 * Reads a golden fixture written by scripts/reference/make_golden.py (PyTorch, float64)
 * and turns its named arrays into Tensors of the requested dtype.
 * Dimension legend: T time, B batch, L layers, H hidden, V vocab.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RnnlmError } from '../../src/errors.js';
import { numel } from '../../src/tensor/shape.js';
import { type DType, Tensor, allocArray } from '../../src/tensor/tensor.js';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export type CellKind = 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';

/** A tensor as stored in the JSON: shape plus flat row-major values. */
export interface TensorJson {
  shape: number[];
  data: number[];
}

export interface FixtureConfig {
  cell: CellKind;
  vocabSize: number;
  embedSize: number;
  hiddenSize: number;
  numLayers: number;
  tieWeights: boolean;
  T: number;
  B: number;
}

/** The raw fixture, as make_golden.py writes it. */
export interface FixtureJson {
  case: string;
  torch_version: string;
  config: FixtureConfig;
  state_dict: Record<string, TensorJson>;
  input: number[]; // [T*B] time-major
  target: number[]; // [T*B] time-major
  h0: TensorJson; // [L,B,H]
  c0: TensorJson | null; // [L,B,H], LSTM only
  logits: TensorJson; // [T*B,V]
  loss: number;
  hT: TensorJson; // [L,B,H]
  cT: TensorJson | null; // [L,B,H], LSTM only
  grads: Record<string, TensorJson>;
  tied_grad_name?: string;
}

/** A fixture with its inputs ready for the model, in one dtype. */
export interface Fixture {
  raw: FixtureJson;
  config: FixtureConfig;
  stateDict: Record<string, Tensor>;
  ids: Int32Array; // [T*B]
  targets: Int32Array; // [T*B]
  h0: Tensor; // [L,B,H]
  c0: Tensor | null; // [L,B,H]
}

/** Names of the committed fixtures (file names without .json), sorted. */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** Builds a Tensor of `dtype` from a stored tensor, checking that data and shape agree. */
export function toTensor(t: TensorJson, dtype: DType, what = 'tensor'): Tensor {
  if (!Array.isArray(t.shape) || !Array.isArray(t.data) || t.data.length !== numel(t.shape)) {
    throw new RnnlmError('corrupt_checkpoint', `fixture ${what}: data length does not match shape; regenerate with scripts/reference/make_golden.py`);
  }
  const data = allocArray(dtype, t.data.length);
  data.set(t.data);
  return new Tensor(data, t.shape);
}

function toIds(values: number[], n: number, what: string): Int32Array {
  if (values.length !== n || !values.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new RnnlmError('corrupt_checkpoint', `fixture ${what}: expected ${n} non-negative integer ids`);
  }
  return Int32Array.from(values);
}

export function readFixtureJson(name: string): FixtureJson {
  const path = join(FIXTURE_DIR, `${name}.json`);
  return JSON.parse(readFileSync(path, 'utf8')) as FixtureJson;
}

/** Loads fixture `name` (e.g. 'lstm2') with parameters and initial state in `dtype`. */
export function loadFixture(name: string, dtype: DType): Fixture {
  const raw = readFixtureJson(name);
  const { T, B } = raw.config;
  const stateDict: Record<string, Tensor> = {};
  for (const [key, t] of Object.entries(raw.state_dict)) stateDict[key] = toTensor(t, dtype, `state_dict.${key}`);
  return {
    raw,
    config: raw.config,
    stateDict,
    ids: toIds(raw.input, T * B, 'input'),
    targets: toIds(raw.target, T * B, 'target'),
    h0: toTensor(raw.h0, dtype, 'h0'),
    c0: raw.c0 ? toTensor(raw.c0, dtype, 'c0') : null,
  };
}
