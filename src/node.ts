/**
 * Node entry point: registers the Node platform and picks the fastest backend that loads here
 * (RNNLM_BACKEND=js|native|wasm|auto overrides), then re-exports the public API.
 */
import { loadNativeBackend, nativeUnavailableReason } from './backend/native/index.js';
import { BACKEND_PREFERENCES, type BackendCandidate, type BackendPreference, selectBackend } from './backend/select.js';
import { loadWasmBackend, wasmUnavailableReason } from './backend/wasm/node.js';
import { nodePlatform } from './platform/node.js';
import { setPlatform } from './platform/platform.js';

export * from './index.js';
export * from './io/onnx/index.js';
export { nodePlatform };

setPlatform(nodePlatform);

/**
 * Fastest first: the N-API addon (built by `npm ci` when a C++ toolchain is present), then the
 * same kernels as WebAssembly (shipped prebuilt: every machine), then js.
 */
export const nodeBackendCandidates: BackendCandidate[] = [
  {
    name: 'native',
    load: () => {
      const b = loadNativeBackend();
      if (!b) throw new Error(nativeUnavailableReason() ?? 'the native addon is not built (npm run build:native)');
      return b;
    },
  },
  {
    name: 'wasm',
    load: () => {
      const b = loadWasmBackend();
      if (!b) throw new Error(wasmUnavailableReason() ?? 'the wasm kernels are missing (npm run build:wasm)');
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
