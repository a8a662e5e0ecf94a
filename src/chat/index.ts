/** Dialogue: context → response pairs, the shared vocabulary, checkpoints, decoding and metrics. */
export {
  SEPARATOR,
  parseDialogues,
  withoutOverlap,
  dialoguePairs,
  buildDialogueSide,
  separatorId,
  encodeContext,
  encodeDialoguePairs,
  type Dialogue,
  type DialoguePair,
  type DialogueSideOptions,
} from './data.js';
export { saveChatModel, loadChatModel, type ChatShape, type LoadedChatModel } from './io.js';
export { exportLmText, lmResponseScores, utteranceTokens, type ResponseScore } from './lm.js';
export { dialogueMetrics, sentenceBleuMethod7, distinctN, type DialogueMetrics, type Tokens } from './metrics.js';
export {
  CHAT_DECODE_DEFAULTS,
  respond,
  respondSteps,
  responseTokens,
  ResponseText,
  type ChatDecodeOptions,
  type ChatSampling,
  type ChatResponse,
} from './respond.js';
export { defaultChatSpec, type ChatRunSpec, type ChatDataSpec } from './spec.js';
