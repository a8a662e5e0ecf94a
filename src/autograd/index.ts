export { backward, noGrad, isGradEnabled, needsGrad } from './graph.js';
export { gradcheck, type GradcheckResult } from './gradcheck.js';
