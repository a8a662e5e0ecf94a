/**
 * Elman RNN cell math for one time step (PyTorch nn.RNN with nonlinearity tanh or relu, plus
 * sigmoid), forward and backward, for the js backend. The gemms live in recurrent.ts.
 *
 * Dimension legend: B batch, H hidden. One gate block: pre [B,H].
 *
 *   h' = act(W_ih x + b_ih + W_hh h + b_hh)
 *
 * The derivative of each activation is written from its output h', so backward needs nothing
 * but y: tanh' = 1 − h'², sigmoid' = h'(1 − h'), relu' = [h' > 0].
 */
import type { F } from '../kernels.js';
import { relu, sigmoid } from './elementwise.js';

export type RnnActivation = 'tanh' | 'relu' | 'sigmoid';

/** gx, gh [B,H]: input and recurrent pre-activations (biases included) → h [B,H]. */
export function rnnStepForward(act: RnnActivation, n: number, gx: F, gh: F, h: F): void {
  const f = act === 'tanh' ? Math.tanh : act === 'relu' ? relu : sigmoid;
  for (let k = 0; k < n; k++) h[k] = f(gx[k]! + gh[k]!);
}

/** h [B,H] (this step's output), dh [B,H] (total gradient of h) → dGates [B,H] (of the pre-activation). */
export function rnnStepBackward(act: RnnActivation, n: number, h: F, dh: F, dGates: F): void {
  for (let k = 0; k < n; k++) {
    const y = h[k]!;
    const d = act === 'tanh' ? 1 - y * y : act === 'relu' ? (y > 0 ? 1 : 0) : y * (1 - y);
    dGates[k] = dh[k]! * d;
  }
}
