/** Checkpoint I/O: safetensors files and versioned checkpoint directories. */
export { encodeSafetensors, decodeSafetensors, halfToNumber, type DecodeOptions, type DecodedSafetensors } from './safetensors.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  isCheckpointDir,
  recoverCheckpointDir,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CHECKPOINT_FILES,
  WEIGHTS_METADATA,
  type Checkpoint,
  type LoadedCheckpoint,
  type TrainingState,
} from './checkpoint.js';
export { crc32, crc32Hex } from './crc32.js';
