// onnxruntime-node 1.17.0 ships no declarations of its own; its API is onnxruntime-common's
// (as onnxruntime-web's own types.d.ts says for the web package).
declare module 'onnxruntime-node' {
  export * from 'onnxruntime-common';
}
