/**
 * Node entry point: registers the Node platform and picks the fastest backend that loads here
 * (RNNLM_BACKEND=js|native|auto overrides), then re-exports the public API.
 */
import { loadNativeBackend, nativeUnavailableReason } from './backend/native/index.js';
import { BACKEND_PREFERENCES, type BackendCandidate, type BackendPreference, selectBackend } from './backend/select.js';
import { nodePlatform } from './platform/node.js';
import { setPlatform } from './platform/platform.js';

export * from './index.js';
export * from './io/onnx/index.js';
export { nodePlatform };

setPlatform(nodePlatform);

/** Fastest first: the N-API addon (built by `npm ci` when a C++ toolchain is present), then js. */
export const nodeBackendCandidates: BackendCandidate[] = [
  {
    name: 'native',
    load: () => {
      const b = loadNativeBackend();
      if (!b) throw new Error(nativeUnavailableReason() ?? 'the native addon is not built (npm run build:native)');
      return b;
    },
  },
];

/** (Re)selects the backend; the CLI calls this for --backend. */
export function useBackend(preference: BackendPreference = 'auto') {
  return selectBackend(preference, nodeBackendCandidates);
}

const envPref = (process.env.RNNLM_BACKEND ?? 'auto') as BackendPreference;
useBackend(BACKEND_PREFERENCES.includes(envPref) ? envPref : 'auto');
