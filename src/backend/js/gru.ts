/**
 * GRU cell math for one time step (PyTorch nn.GRU, "reset after"), forward and backward, for the
 * js backend. The gemms live in recurrent.ts; this file is only the fused elementwise gate math.
 *
 * Dimension legend: B batch, H hidden. Gate rows are [B, 3H] in PyTorch block order r, z, n:
 * for batch row b and unit j, the gates sit at b·3H + j + {0, H, 2H}.
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 *
 * Because r multiplies only the recurrent part of n, the input-side and hidden-side gradients of the
 * n block differ (dGx_n = d pre_n, dGh_n = r ⊙ d pre_n), so backward fills two gate-gradient arrays.
 */
import type { F } from '../kernels.js';
import { sigmoid } from './elementwise.js';

/**
 * gx, gh [B,3H]: input and recurrent projections (biases included), hPrev [B,H] → h [B,H],
 * gates [B,3H] (post-activation r, z, n; may be the same array as gh) and hn [B,H] = W_hn h + b_hn.
 */
export function gruStepForward(B: number, H: number, gx: F, gh: F, hPrev: F, gates: F, hn: F, h: F): void {
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const k = b * H + j; // [B,H] index
      const pr = b * 3 * H + j; // [B,3H] index of gate r; z, n follow at +H, +2H
      const pz = pr + H;
      const pn = pz + H;
      const r = sigmoid(gx[pr]! + gh[pr]!);
      const z = sigmoid(gx[pz]! + gh[pz]!);
      const hnv = gh[pn]!;
      const n = Math.tanh(gx[pn]! + r * hnv);
      gates[pr] = r;
      gates[pz] = z;
      gates[pn] = n;
      hn[k] = hnv;
      h[k] = (1 - z) * n + z * hPrev[k]!;
    }
  }
}

/**
 * Backward of one step. In: gates [B,3H], hn [B,H], hPrev [B,H], dh [B,H] (total gradient of h').
 * Out: dGx [B,3H] (gradients of the input-side pre-activations), dGh [B,3H] (of the hidden-side
 * projections W_hh h + b_hh), and dh overwritten with the direct part z ⊙ dh of the gradient of hPrev
 * (the caller adds dGh · W_hh).
 */
export function gruStepBackward(B: number, H: number, gates: F, hn: F, hPrev: F, dh: F, dGx: F, dGh: F): void {
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const k = b * H + j; // [B,H] index
      const pr = b * 3 * H + j; // [B,3H] index of gate r
      const pz = pr + H;
      const pn = pz + H;
      const r = gates[pr]!;
      const z = gates[pz]!;
      const n = gates[pn]!;
      const dhv = dh[k]!;
      const dnPre = dhv * (1 - z) * (1 - n * n);
      const dzPre = dhv * (hPrev[k]! - n) * z * (1 - z);
      const drPre = dnPre * hn[k]! * r * (1 - r);
      dGx[pr] = drPre;
      dGx[pz] = dzPre;
      dGx[pn] = dnPre;
      dGh[pr] = drPre;
      dGh[pz] = dzPre;
      dGh[pn] = dnPre * r;
      dh[k] = dhv * z;
    }
  }
}
