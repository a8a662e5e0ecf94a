export { add, mul, scale, unary, tanh, sigmoid, relu, exp, log, neg, sum, mean, reshape } from './elementwise.js';
export { matmul, linear } from './linear.js';
export { embedding } from './embedding.js';
export { crossEntropy, type CrossEntropyOptions } from './loss.js';
export { dropout, dropoutMask, applyMask } from './dropout.js';
export { recurrent, type RecurrentParams, type RecurrentResult } from './recurrent.js';
export { stack, unstack } from './stack.js';
