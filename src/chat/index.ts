/** Dialogue: context → response pairs, the shared vocabulary, checkpoints, decoding and metrics. */
export { SEPARATOR, parseDialogues, withoutOverlap, dialoguePairs, buildDialogueSide, separatorId, encodeContext, encodeDialoguePairs, type Dialogue, type DialoguePair, type DialogueSideOptions } from './data.js';
export { saveChatModel, loadChatModel, type ChatShape, type LoadedChatModel } from './io.js';
