/**
 * Differentiable building blocks of attention: batched matrix products and a softmax over
 * the last axis that ignores padded positions. Both are composed from the kernel contract
 * (a gemm per batch element; logSoftmax + exp), so every backend runs them unchanged.
 * Legend: Bt batch of matrices, M/K/N gemm sizes, B batch, T query steps, S key (source) steps,
 * R = B·T rows of scores.
 */
import { kernelsFor } from '../backend/backend.js';
import { accumulateGrad, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import { Tensor, allocArray } from '../tensor/tensor.js';
import { matmulPrecision } from './precision.js';
import { sameDtype } from './util.js';

export interface BmmOptions {
  /** a is stored [Bt, K, M] and used transposed. */
  transA?: boolean;
  /** b is stored [Bt, N, K] and used transposed. */
  transB?: boolean;
}

/** op(a) [Bt,M,K] · op(b) [Bt,K,N] → [Bt,M,N] (torch.bmm, with optional transposes). */
export function bmm(a: Tensor, b: Tensor, opts: BmmOptions = {}): Tensor {
  sameDtype('bmm', a, b);
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0]) {
    throw new RnnlmError('shape_mismatch', `bmm: needs two 3-D tensors with the same batch size, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  const Bt = a.shape[0]!;
  const [M, K] = transA ? [a.shape[2]!, a.shape[1]!] : [a.shape[1]!, a.shape[2]!];
  const [Kb, N] = transB ? [b.shape[2]!, b.shape[1]!] : [b.shape[1]!, b.shape[2]!];
  if (K !== Kb) {
    throw new RnnlmError('shape_mismatch', `bmm: inner sizes differ (${K} vs ${Kb}) for ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  const k = kernelsFor(a.data);
  const p = matmulPrecision();
  const out = new Tensor(allocArray(a.dtype, Bt * M * N), [Bt, M, N]);
  const sa = M * K; // one matrix of a
  const sb = K * N; // one matrix of b
  const so = M * N; // one matrix of out
  const A = (i: number) => a.data.subarray(i * sa, (i + 1) * sa);
  const Bm = (i: number) => b.data.subarray(i * sb, (i + 1) * sb);
  for (let i = 0; i < Bt; i++) k.gemm(transA, transB, M, N, K, 1, A(i), Bm(i), 0, out.data.subarray(i * so, (i + 1) * so));
  if (needsGrad(a, b)) {
    record('bmm', [a, b], [out], () => {
      const g = outputGrad(out);
      if (!g) return;
      const G = (i: number) => g.subarray(i * so, (i + 1) * so);
      accumulateGrad(a, (buf) => {
        for (let i = 0; i < Bt; i++) {
          const dst = buf.subarray(i * sa, (i + 1) * sa);
          if (!transA)
            k.gemm(false, !transB, M, K, N, 1, G(i), Bm(i), 0, dst, p); // dA = g·op(B)ᵀ
          else k.gemm(transB, true, K, M, N, 1, Bm(i), G(i), 0, dst, p); // dA = op(B)·gᵀ
        }
      });
      accumulateGrad(b, (buf) => {
        for (let i = 0; i < Bt; i++) {
          const dst = buf.subarray(i * sb, (i + 1) * sb);
          if (!transB)
            k.gemm(!transA, false, K, N, M, 1, A(i), G(i), 0, dst, p); // dB = op(A)ᵀ·g
          else k.gemm(true, transA, N, K, M, 1, G(i), A(i), 0, dst, p); // dB = gᵀ·op(A)
        }
      });
    });
  }
  return out;
}

/**
 * Softmax over the last axis of scores [B,T,S] (or [B,S]), where mask [B,S] (1 = real token,
 * 0 = padding; shared by all T query steps) gives padded keys probability exactly 0.
 * mask null = nothing masked. Every row needs at least one unmasked key.
 */
export function maskedSoftmax(x: Tensor, mask: Uint8Array | null): Tensor {
  if (x.ndim !== 2 && x.ndim !== 3) throw new RnnlmError('shape_mismatch', `maskedSoftmax: scores must be [B,T,S] or [B,S], got ${fmtShape(x.shape)}`);
  const B = x.shape[0]!;
  const S = x.shape[x.ndim - 1]!;
  const T = x.ndim === 3 ? x.shape[1]! : 1;
  const R = B * T;
  if (S === 0) throw new RnnlmError('invalid_argument', 'maskedSoftmax: there are no keys (S = 0)');
  if (mask) {
    if (mask.length !== B * S) throw new RnnlmError('shape_mismatch', `maskedSoftmax: mask has ${mask.length} entries, expected B·S = ${B * S}`);
    for (let b = 0; b < B; b++) {
      let any = false;
      for (let s = 0; s < S && !any; s++) any = mask[b * S + s] !== 0;
      if (!any) throw new RnnlmError('invalid_argument', `maskedSoftmax: every key of batch row ${b} is masked; each sequence needs at least one token`);
    }
  }
  const k = kernelsFor(x.data);
  const out = new Tensor(allocArray(x.dtype, x.size), x.shape);
  const keyMasked = (r: number, s: number): boolean => mask !== null && mask[Math.floor(r / T) * S + s] === 0;
  let src = x.data;
  if (mask) {
    src = x.data.slice();
    for (let r = 0; r < R; r++) for (let s = 0; s < S; s++) if (keyMasked(r, s)) src[r * S + s] = -Infinity;
  }
  k.logSoftmax(src, R, S, out.data); // [R,S]
  k.unary('exp', out.data, out.data);
  if (mask) for (let r = 0; r < R; r++) for (let s = 0; s < S; s++) if (keyMasked(r, s)) out.data[r * S + s] = 0;
  if (needsGrad(x)) {
    record('masked_softmax', [x], [out], () => {
      const g = outputGrad(out);
      if (!g) return;
      const y = out.data;
      accumulateGrad(x, (buf) => {
        k.mul(y, g, buf); // y ⊙ g
        for (let r = 0; r < R; r++) {
          let dot = 0; // Σ_s y g over the row
          for (let s = 0; s < S; s++) dot += buf[r * S + s]!;
          for (let s = 0; s < S; s++) buf[r * S + s] = buf[r * S + s]! - y[r * S + s]! * dot; // y ⊙ (g − Σ y g)
        }
      });
    });
  }
  return out;
}
