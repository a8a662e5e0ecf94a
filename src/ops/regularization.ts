/**
 * Activation regularisation terms of AWD-LSTM (Merity et al. 2017, §4.6), differentiable:
 *   AR  = α · mean(h²)                  on the (dropped) output of the last layer
 *   TAR = β · mean((h_t − h_{t−1})²)     on its undropped output ("slowness")
 * built from meanSquare and timeDiff.
 * Legend: T time, B batch, F features.
 */
import { kernelsFor } from '../backend/backend.js';
import { accumulateGrad, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import { expectShape } from '../tensor/shape.js';
import { Tensor, allocArray } from '../tensor/tensor.js';

/** mean(x²) over every element → [1]. */
export function meanSquare(x: Tensor): Tensor {
  if (x.size === 0) throw new RnnlmError('invalid_argument', 'meanSquare: the tensor is empty');
  const k = kernelsFor(x.data);
  const n = x.size;
  const out = new Tensor(allocArray(x.dtype, 1), [1]);
  out.data[0] = k.sumSquares(x.data) / n;
  if (needsGrad(x)) {
    record('mean_square', [x], [out], () => {
      const g = outputGrad(out);
      if (g) accumulateGrad(x, (buf) => k.scale(x.data, (2 * g[0]!) / n, buf)); // d/dx = 2x/n
    });
  }
  return out;
}

/** x [T,B,F] → x[1:] − x[:−1], shape [T−1,B,F]. Needs T ≥ 2. */
export function timeDiff(x: Tensor): Tensor {
  expectShape('timeDiff: input', x.shape, [-1, -1, -1]);
  const [T, B, F] = x.shape as [number, number, number];
  if (T < 2) throw new RnnlmError('invalid_argument', `timeDiff needs at least 2 time steps, got ${T}`);
  const S = B * F; // elements per time step
  const out = new Tensor(allocArray(x.dtype, (T - 1) * S), [T - 1, B, F]);
  const o = out.data;
  const d = x.data;
  for (let i = 0; i < (T - 1) * S; i++) o[i] = d[i + S]! - d[i]!; // row t of out = x[t+1] − x[t]
  if (needsGrad(x)) {
    record('time_diff', [x], [out], () => {
      const g = outputGrad(out);
      if (!g) return;
      accumulateGrad(x, (buf) => {
        buf.fill(0);
        for (let i = 0; i < (T - 1) * S; i++) {
          buf[i + S]! += g[i]!; // x[t+1] enters with +
          buf[i]! -= g[i]!; // x[t] with −
        }
      });
    });
  }
  return out;
}
