/**
 * Node entry point: registers the Node platform and picks the fastest backend that loads here
 * (RNNLM_BACKEND=js|native|auto overrides), then re-exports the public API.
 */
import { type BackendCandidate, type BackendPreference, selectBackend } from './backend/select.js';
import { nodePlatform } from './platform/node.js';
import { setPlatform } from './platform/platform.js';

export * from './index.js';
export { nodePlatform };

setPlatform(nodePlatform);

export const nodeBackendCandidates: BackendCandidate[] = [];

/** (Re)selects the backend; the CLI calls this for --backend. */
export function useBackend(preference: BackendPreference = 'auto') {
  return selectBackend(preference, nodeBackendCandidates);
}

const envPref = (process.env.RNNLM_BACKEND ?? 'auto') as BackendPreference;
useBackend(['auto', 'js', 'native', 'wasm'].includes(envPref) ? envPref : 'auto');
