/**
 * The ONNX protobuf schema, from the `onnx-proto` package (onnx.proto3 of ONNX v1.10 compiled by
 * protobufjs): every byte of an exported file is written by protobufjs, none by hand.
 * IR version 8 and opset 14 are what ONNX Runtime ≥ 1.10 and PyTorch's exporter both read.
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from 'onnx-proto';

/** IR version of the files we write (ONNX 1.10). */
export const IR_VERSION = 8;
/** Default-domain opset: LSTM/GRU/RNN-14, Reshape-14, Add-14, Squeeze/Unsqueeze-13 (axes as inputs). */
export const OPSET = 14;

/** TensorProto.DataType values we use. */
export const DT = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;

/** AttributeProto.AttributeType values we use. */
export const ATTR = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7, STRINGS: 8 } as const;

/** Serialises a model to the bytes of a .onnx file. */
export function encodeModel(model: import('onnx-proto').onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Parses the bytes of a .onnx file (for inspection and tests). */
export function decodeModel(bytes: Uint8Array): import('onnx-proto').onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
