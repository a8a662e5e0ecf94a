/**
 * LSTM cell math for one time step (PyTorch nn.LSTM), forward and backward, for the js backend.
 * The gemms live in recurrent.ts; this file is only the fused elementwise gate math.
 *
 * Dimension legend: B batch, H hidden. Gate rows are [B, 4H] in PyTorch block order i, f, g, o:
 * for batch row b and unit j, the four gates sit at b·4H + j + {0, H, 2H, 3H}.
 *
 *   i = σ(pre_i)  f = σ(pre_f)  g = tanh(pre_g)  o = σ(pre_o)   (pre = W_ih x + b_ih + W_hh h + b_hh)
 *   c' = f ⊙ c + i ⊙ g        h' = o ⊙ tanh(c')
 */
import type { F } from '../kernels.js';
import { sigmoid } from './elementwise.js';

/**
 * gx, gh [B,4H]: input and recurrent pre-activations (biases included) → gates [B,4H]
 * (post-activation i, f, g, o; may be the same array as gh), c [B,H], h [B,H].
 * c may be the same array as cPrev (updated in place).
 */
export function lstmStepForward(B: number, H: number, gx: F, gh: F, cPrev: F, gates: F, c: F, h: F): void {
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const k = b * H + j; // [B,H] index
      const pi = b * 4 * H + j; // [B,4H] index of gate i; f, g, o follow at +H, +2H, +3H
      const pf = pi + H;
      const pg = pf + H;
      const po = pg + H;
      const i = sigmoid(gx[pi]! + gh[pi]!);
      const f = sigmoid(gx[pf]! + gh[pf]!);
      const g = Math.tanh(gx[pg]! + gh[pg]!);
      const o = sigmoid(gx[po]! + gh[po]!);
      const cv = f * cPrev[k]! + i * g;
      gates[pi] = i;
      gates[pf] = f;
      gates[pg] = g;
      gates[po] = o;
      c[k] = cv;
      h[k] = o * Math.tanh(cv);
    }
  }
}

/**
 * Backward of one step. In: gates [B,4H], c [B,H] (this step's cell), cPrev [B,H], dh [B,H]
 * (total gradient of h'), dc [B,H] (gradient of c' from later steps).
 * Out: dGates [B,4H] = gradients of the pre-activations; dc overwritten with the gradient of cPrev.
 */
export function lstmStepBackward(B: number, H: number, gates: F, c: F, cPrev: F, dh: F, dc: F, dGates: F): void {
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const k = b * H + j; // [B,H] index
      const pi = b * 4 * H + j; // [B,4H] index of gate i
      const pf = pi + H;
      const pg = pf + H;
      const po = pg + H;
      const i = gates[pi]!;
      const f = gates[pf]!;
      const g = gates[pg]!;
      const o = gates[po]!;
      const tc = Math.tanh(c[k]!);
      const dhv = dh[k]!;
      // c' feeds h' = o·tanh(c') and the next step's cell.
      const dcv = dc[k]! + dhv * o * (1 - tc * tc);
      dGates[pi] = dcv * g * i * (1 - i);
      dGates[pf] = dcv * cPrev[k]! * f * (1 - f);
      dGates[pg] = dcv * i * (1 - g * g);
      dGates[po] = dhv * tc * o * (1 - o);
      dc[k] = dcv * f;
    }
  }
}
