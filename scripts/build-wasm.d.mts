/** Types of scripts/build-wasm.mjs, for the test that checks the committed .wasm is current. */
export declare const manifestPath: string;
/** The builds: file name in native/wasm/, shared memory, relaxed SIMD. */
export declare const VARIANTS: readonly { file: string; shared: boolean; relaxed: boolean }[];
/** The kernel sources listed in native/binding.gyp (absolute paths). */
export declare function kernelSources(): string[];
/** Every file the .wasm is built from (absolute paths, sorted). */
export declare function wasmInputs(): string[];
/** sha256 of the inputs and flags, as recorded in rnnlm_kernels.wasm.json. */
export declare function sourceHash(): string;
/** Whether the committed .wasm matches the sources. */
export declare function checkCurrent(): { current: boolean; reason: string };
