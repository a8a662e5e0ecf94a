/**
 * Gradient flow through time: ‖∂L_t/∂h_{t−k}‖ for k = 0…K, per recurrent layer, averaged over
 * windows of real text — how far back a prediction's loss can still move a hidden state
 * (vanishing / exploding gradients, Bengio et al. 1994, Pascanu et al. 2013).
 *
 * The fused recurrent op hides its per-step states inside one graph node, so this runs the
 * model's own layers one step at a time (recurrent() with T = 1: the same kernels and weights)
 * and adds a zero leaf δ^l_s to every state h^l_s. Then ∂L/∂δ^l_s = ∂L/∂h^l_s, read off after one
 * backward. The loss is Σ_b L_t^b at the window's last step: the B streams are independent, so
 * row b of each gradient is ∂L_t^b/∂h^l_{t−k}[b] and its norm is one sample. No dropout is applied
 * (the model as used at evaluation). The state entering a window (k = K) is a leaf too.
 * "h" is the recurrent output h (an LSTM's c is carried but not probed). A state h^l_s reaches L_t
 * both along its own layer (step s+1) and up through the layers above at step s.
 * Legend: K look-back (steps per window), B batch (streams), L layers, H_l layer l's hidden size,
 * E embedding, V vocabulary.
 */
import type { RecurrentMode } from '../backend/kernels.js';
import { backward, noGrad } from '../autograd/graph.js';
import { batchify } from '../data/batchify.js';
import { RnnlmError } from '../errors.js';
import type { RNNLM } from '../models/rnnlm.js';
import { add, reshape } from '../ops/elementwise.js';
import { linearCrossEntropy } from '../ops/loss.js';
import { recurrent } from '../ops/recurrent.js';
import { Tensor } from '../tensor/tensor.js';

/** One layer's state between steps: h [B,H_l], c [B,H_l] (LSTM) or null. */
export interface LayerState {
  h: Tensor;
  c: Tensor | null;
}

/** One window's inputs: ids [K·B] time-major (ids[s·B + b]) and the targets of its LAST step [B]. */
export interface FlowWindow {
  ids: Int32Array;
  targets: Int32Array;
  K: number;
  B: number;
}

export interface UnrolledWindow {
  /** Σ_b L_t^b in nats [1]: the last step's cross-entropy summed over the B streams. */
  loss: Tensor;
  /** probes[l][k] [B,H_l]: the zero leaf added to layer l's state at t−k (k = K: the incoming state). */
  probes: Tensor[][];
  /** Every layer's state after the window, detached. */
  next: LayerState[];
}

/** Zero leaves that require grad, one per layer and look-back k = 0…K: probes[l][k] [B,H_l]. */
export function makeProbes(model: RNNLM, K: number, B: number): Tensor[][] {
  const dt = model.config.dtype;
  return model.rnn.hiddenSizes.map((H) => Array.from({ length: K + 1 }, () => Tensor.zeros([B, H], dt, true)));
}

/** Zero state for B streams, per layer. */
export function zeroLayerStates(model: RNNLM, B: number): LayerState[] {
  const dt = model.config.dtype;
  return model.rnn.hiddenSizes.map((H) => ({ h: Tensor.zeros([B, H], dt), c: model.rnn.mode === 'lstm' ? Tensor.zeros([B, H], dt) : null }));
}

/**
 * Runs one window step by step with a probe on every state. `probes` (from makeProbes) may be
 * given, e.g. perturbed by a finite-difference check; they are added to the states, so their
 * values shift h. Backward of `loss` leaves ∂L_t/∂h^l_{t−k} in probes[l][k].grad.
 */
export function unrollWindow(model: RNNLM, w: FlowWindow, state: readonly LayerState[], probes: Tensor[][] = makeProbes(model, w.K, w.B)): UnrolledWindow {
  const { K, B } = w;
  const rnn = model.rnn;
  const Ls = rnn.numLayers;
  const E = model.config.embedSize;
  if (!(Number.isInteger(K) && K >= 1)) throw new RnnlmError('invalid_argument', `gradient flow: the window must have K >= 1 steps, got ${K}`);
  if (w.ids.length !== K * B || w.targets.length !== B) {
    throw new RnnlmError(
      'shape_mismatch',
      `gradient flow: a window needs K·B = ${K * B} ids and B = ${B} targets, got ${w.ids.length} and ${w.targets.length}`,
    );
  }
  if (state.length !== Ls || probes.length !== Ls || probes.some((p) => p.length !== K + 1)) {
    throw new RnnlmError('shape_mismatch', `gradient flow: need ${Ls} layer states and ${Ls}×${K + 1} probes`);
  }
  const mode: RecurrentMode = rnn.mode;
  const h: Tensor[] = [];
  const c: (Tensor | null)[] = [];
  for (let l = 0; l < Ls; l++) {
    h.push(add(state[l]!.h.detach(), probes[l]![K]!)); // the incoming state, h^l_{t−K}
    c.push(state[l]!.c ? state[l]!.c!.detach() : null);
  }
  for (let s = 0; s < K; s++) {
    let x = reshape(model.encoder.forward(w.ids.subarray(s * B, (s + 1) * B)), [1, B, E]); // [B,E] → [1,B,E]
    for (let l = 0; l < Ls; l++) {
      const r = recurrent(mode, x, rnn.layerParams(l), h[l]!, c[l]!);
      const hp = add(r.h, probes[l]![K - 1 - s]!); // h^l at time t−K+1+s, i.e. k = K−1−s
      h[l] = hp;
      c[l] = r.c;
      x = reshape(hp, [1, B, hp.shape[1]!]); // [B,H_l] → [1,B,H_l]: the layer above reads the probed state
    }
  }
  const d = model.decoder;
  const loss = linearCrossEntropy(h[Ls - 1]!, d.weight, d.bias, w.targets, { reduction: 'sum' });
  const next = h.map((hl, l) => ({ h: hl.detach(), c: c[l] ? c[l]!.detach() : null }));
  return { loss, probes, next };
}

export interface GradientFlowOptions {
  /** Look-back: states h_{t−K}…h_t are probed (K steps per window). */
  K: number;
  /** Windows averaged over (after one warm-up window that only sets the state). */
  windows: number;
  /** Streams: the text is cut into this many contiguous columns, as for training. */
  batchSize: number;
}

export interface GradientFlowLayer {
  hiddenSize: number;
  /** meanNorm[k] = mean over windows and streams of ‖∂L_t/∂h_{t−k}‖₂, k = 0…K. */
  meanNorm: number[];
}

export interface GradientFlowResult {
  cell: RecurrentMode;
  K: number;
  windows: number;
  batchSize: number;
  /** Mean cross-entropy (nats) of the probed predictions L_t. */
  loss: number;
  layers: GradientFlowLayer[];
}

/**
 * ‖∂L_t/∂h_{t−k}‖ averaged over `windows` consecutive windows of `ids` (a token stream), each
 * window's loss being its last prediction. The model's weights are not changed, and their
 * gradients are not touched (they are frozen for the measurement).
 */
export function gradientFlow(model: RNNLM, ids: Int32Array, o: GradientFlowOptions): GradientFlowResult {
  const { K, windows, batchSize: B } = o;
  for (const [k, v] of [
    ['K', K],
    ['windows', windows],
    ['batchSize', B],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new RnnlmError('invalid_argument', `gradient flow: ${k} must be an integer >= 1, got ${v}`);
  }
  const need = (windows + 1) * K + 1; // rows: a warm-up window, the measured windows, one target row
  const rows = Math.floor(ids.length / B);
  if (rows < need) {
    throw new RnnlmError(
      'invalid_argument',
      `gradient flow: ${ids.length} tokens give ${rows} rows per stream, but ${windows} windows of K = ${K} (+ one warm-up window) need ${need}; ` +
        'give more text, or lower --windows, --k or --batch-size',
    );
  }
  const data = batchify(ids, B).data; // [rows, B]
  const windowAt = (r: number): FlowWindow => ({ ids: data.subarray(r * B, (r + K) * B), targets: data.subarray((r + K) * B, (r + K + 1) * B), K, B });
  const params = model.parameters();
  const frozen = params.map((p) => p.requiresGrad);
  const sums = model.rnn.hiddenSizes.map(() => new Float64Array(K + 1));
  let nats = 0;
  try {
    for (const p of params) p.requiresGrad = false;
    let state = noGrad(() => unrollWindow(model, windowAt(0), zeroLayerStates(model, B)).next);
    for (let wi = 1; wi <= windows; wi++) {
      const u = unrollWindow(model, windowAt(wi * K), state);
      nats += u.loss.item();
      backward(u.loss);
      u.probes.forEach((layer, l) => {
        layer.forEach((probe, k) => {
          sums[l]![k]! += rowNormSum(probe);
        });
      });
      state = u.next;
    }
  } finally {
    params.forEach((p, i) => (p.requiresGrad = frozen[i]!));
  }
  const n = windows * B;
  return {
    cell: model.rnn.mode,
    K,
    windows,
    batchSize: B,
    loss: nats / n,
    layers: sums.map((s, l) => ({ hiddenSize: model.rnn.hiddenSizes[l]!, meanNorm: Array.from(s, (v) => v / n) })),
  };
}

/** Σ_b ‖grad[b]‖₂ over the rows of a probe's gradient [B,H] (0 when no gradient reached it). */
function rowNormSum(probe: Tensor): number {
  const g = probe.grad;
  if (!g) return 0;
  const [B, H] = probe.shape as [number, number];
  let total = 0;
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = b * H; i < (b + 1) * H; i++) s += g.data[i]! * g.data[i]!;
    total += Math.sqrt(s);
  }
  return total;
}
