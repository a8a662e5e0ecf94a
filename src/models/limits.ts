/**
 * Size limits every model is checked against, when it is built (from flags or code) and when its
 * checkpoint is loaded, so that training never writes what loading refuses and absurd sizes are
 * a clear error instead of an allocation failure.
 */
import { type ErrorCode, RnnlmError } from '../errors.js';

/** Recurrent layers in a stack. */
export const MAX_LAYERS = 64;
/** Parameters of a whole model (2^31: the count of one typed array, ~8 GB of float32). */
export const MAX_PARAMETERS = 2 ** 31;

/**
 * Refuses a model of more than MAX_LAYERS layers or (an upper estimate of) more than
 * MAX_PARAMETERS parameters; `sizes` names the sizes behind the estimate, for the message.
 */
export function checkModelSize(layers: number, parameters: number, sizes: string, code: ErrorCode, where: string): void {
  if (layers > MAX_LAYERS) {
    throw new RnnlmError(code, `${where}: ${layers} recurrent layers is more than the ${MAX_LAYERS} rnnlm builds or loads; use fewer layers`);
  }
  if (!(parameters <= MAX_PARAMETERS)) {
    throw new RnnlmError(
      code,
      `${where}: ${sizes} make ~${parameters.toExponential(1)} parameters, more than the ${MAX_PARAMETERS.toExponential(1)} rnnlm builds or loads; use smaller sizes`,
    );
  }
}
