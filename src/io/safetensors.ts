/**
 * safetensors (Hugging Face) encode/decode, byte-compatible with the Python/Rust library.
 *
 * Layout: [u64 LE header length N][N bytes UTF-8 JSON header, space-padded to a multiple of 8][data].
 * Header: { "__metadata__"?: {str: str}, name: { dtype, shape, data_offsets: [begin, end] } },
 * offsets relative to the start of the data; tensors contiguous, no gaps, nothing after the last.
 * Writer order follows the Rust library: descending dtype (F64 before F32), then name by bytes,
 * which keeps every tensor aligned and makes our files byte-identical to Python's.
 */
import { roundBf16 } from '../backend/bf16.js';
import { RnnlmError } from '../errors.js';
import { type DType, type FloatArray, Tensor, allocArray } from '../tensor/tensor.js';
import { fmtShape, numel } from '../tensor/shape.js';

export interface DecodeOptions {
  /** Convert every tensor to this dtype. Default: F64 → float64, everything else → float32. */
  dtype?: DType;
}

export interface DecodedSafetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** The Rust library refuses headers above this; so do we. */
const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of every byte-sized dtype the format defines (unknown names are corruption). */
const DTYPE_SIZE: ReadonlyMap<string, number> = new Map([
  ['BOOL', 1],
  ['U8', 1],
  ['I8', 1],
  ['F8_E5M2', 1],
  ['F8_E4M3', 1],
  ['F8_E8M0', 1],
  ['I16', 2],
  ['U16', 2],
  ['F16', 2],
  ['BF16', 2],
  ['I32', 4],
  ['U32', 4],
  ['F32', 4],
  ['F64', 8],
  ['I64', 8],
  ['U64', 8],
  ['C64', 8],
]);
/** Packed sub-byte dtypes of newer safetensors versions: valid, but not readable here. */
const SUB_BYTE = new Set(['F4', 'F6_E2M3', 'F6_E3M2']);
const READABLE = new Set(['F32', 'F64', 'F16', 'BF16', 'I32', 'I64']);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------------------------

export interface EncodeOptions {
  /**
   * How float32 tensors are stored: 'F32' (default, exact) or 'BF16' (each value rounded to the
   * nearest bfloat16, half the bytes: compact shipped weights; readers get the rounded floats).
   */
  float32As?: 'F32' | 'BF16';
}

/** Serializes `tensors` (float32 → F32 or BF16, float64 → F64) and optional string `metadata`. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>, opts: EncodeOptions = {}): Uint8Array {
  const bf16 = opts.float32As === 'BF16';
  if (opts.float32As !== undefined && opts.float32As !== 'F32' && !bf16) {
    throw new RnnlmError('invalid_argument', `float32As must be 'F32' or 'BF16', got ${String(opts.float32As)}`);
  }
  // Stored bytes of a tensor: its own, or (BF16) the high halves of its float32 values, rounded.
  const stored = (t: Tensor): Uint8Array => {
    if (!bf16 || t.dtype !== 'float32') return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const h = new Uint16Array(t.data.length);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < h.length; i++) {
      f[0] = roundBf16(t.data[i]!);
      h[i] = u[0]! >>> 16;
    }
    return new Uint8Array(h.buffer);
  };
  const entries: [string, Tensor][] = [];
  for (const [name, t] of Object.entries(tensors)) {
    if (name === '__metadata__') {
      throw new RnnlmError('invalid_argument', 'a tensor cannot be named "__metadata__" (the name is reserved by safetensors); rename it');
    }
    if (!(t instanceof Tensor)) {
      throw new RnnlmError('invalid_argument', `safetensors: "${name}" is not a Tensor; pass a Record<string, Tensor>`);
    }
    if (t.data.length !== numel(t.shape)) {
      throw new RnnlmError('shape_mismatch', `tensor "${name}" has ${t.data.length} values but shape ${fmtShape(t.shape)}`);
    }
    entries.push([name, t]);
  }
  // Rust order: larger dtype first (F64 > F32), then name compared as UTF-8 bytes (= code points).
  entries.sort(([na, a], [nb, b]) => dtypeRank(b.dtype) - dtypeRank(a.dtype) || compareCodePoints(na, nb));

  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareCodePoints);
    const kv: string[] = [];
    for (const k of keys) {
      const v = metadata[k];
      if (typeof v !== 'string') {
        throw new RnnlmError('invalid_argument', `safetensors metadata "${k}" must be a string, got ${typeof v}; convert it with String() or JSON.stringify()`);
      }
      kv.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
    parts.push(`"__metadata__":{${kv.join(',')}}`);
  }
  let offset = 0;
  const blobs = entries.map(([, t]) => stored(t));
  for (const [k, [name, t]] of entries.entries()) {
    const nbytes = blobs[k]!.length;
    const dtype = t.dtype === 'float64' ? 'F64' : bf16 ? 'BF16' : 'F32';
    const info = { dtype, shape: t.shape, data_offsets: [offset, offset + nbytes] };
    // Built by hand: JSON.stringify of one object would move integer-like names ("0") first.
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += nbytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLen = json.length + ((8 - (json.length % 8)) % 8);

  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen); // space padding
  let at = 8 + headerLen;
  for (const [k, [, t]] of entries.entries()) {
    const bytes = blobs[k]!;
    out.set(bytes, at);
    if (!LITTLE_ENDIAN) swapBytes(out.subarray(at, at + bytes.length), bf16 && t.dtype === 'float32' ? 2 : t.data.BYTES_PER_ELEMENT);
    at += bytes.length;
  }
  return out;
}

function dtypeRank(d: DType): number {
  return d === 'float64' ? 1 : 0;
}

/** Order of UTF-8 bytes, which is code point order (JS `<` compares UTF-16 units instead). */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

// ---------------------------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------------------------

function corrupt(msg: string): RnnlmError {
  return new RnnlmError('corrupt_checkpoint', `safetensors: ${msg}; the file is truncated, damaged or not a safetensors file (re-save or re-download it)`);
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses and fully validates a safetensors file. Returned tensors own fresh, aligned buffers
 * that do not alias `bytes`.
 */
export function decodeSafetensors(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedSafetensors {
  if (opts.dtype !== undefined && opts.dtype !== 'float32' && opts.dtype !== 'float64') {
    throw new RnnlmError('invalid_argument', `dtype must be 'float32' or 'float64', got ${String(opts.dtype)}`);
  }
  const { entries, metadata, dataStart } = parseHeader(bytes);
  const dataLen = bytes.length - dataStart;
  checkLayout(entries, dataLen);

  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    const data = convert(e, raw, opts.dtype);
    define(tensors, e.name, new Tensor(data, e.shape));
  }
  return { tensors, metadata };
}

function parseHeader(bytes: Uint8Array): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (!(bytes instanceof Uint8Array)) {
    throw new RnnlmError('invalid_argument', 'decodeSafetensors needs a Uint8Array of the whole file');
  }
  if (bytes.length < 8) throw corrupt(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) throw corrupt(`header length ${n64} is absurd (limit ${MAX_HEADER_BYTES} bytes)`);
  const n = Number(n64);
  if (8 + n > bytes.length) throw corrupt(`header length ${n} runs past the end of the ${bytes.length}-byte file`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw corrupt('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw corrupt(`header is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(header)) throw corrupt(`header must be a JSON object, got ${describe(header)}`);

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(info)) throw corrupt(`"__metadata__" must be an object of strings, got ${describe(info)}`);
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') throw corrupt(`"__metadata__"."${k}" must be a string, got ${describe(v)}`);
        define(metadata, k, v);
      }
      continue;
    }
    entries.push(parseEntry(name, info));
  }
  return { entries, metadata, dataStart: 8 + n };
}

function parseEntry(name: string, info: unknown): Entry {
  const where = `tensor "${name}"`;
  if (!isPlainObject(info)) throw corrupt(`${where}: entry must be an object, got ${describe(info)}`);
  const { dtype, shape, data_offsets: offs } = info;
  if (typeof dtype === 'string' && SUB_BYTE.has(dtype)) throw unreadable(name, dtype);
  const elemSize = typeof dtype === 'string' ? DTYPE_SIZE.get(dtype) : undefined;
  if (elemSize === undefined) {
    throw corrupt(`${where}: unknown dtype ${JSON.stringify(dtype)} (expected one of ${[...DTYPE_SIZE.keys()].join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    throw corrupt(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isIndex)) {
    throw corrupt(`${where}: data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offs)}`);
  }
  const [begin, end] = offs as [number, number];
  if (end < begin) throw corrupt(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  const need = byteSize(shape as number[], elemSize);
  if (need !== end - begin) {
    throw corrupt(`${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} ${fmtShape(shape as number[])} needs ${need}`);
  }
  return { name, dtype: dtype as string, shape: shape as number[], begin, end };
}

/** Bytes of a shape, or Infinity once it passes 2^53 (no file can be that big). */
function byteSize(shape: number[], elemSize: number): number {
  let n = elemSize;
  for (const d of shape) n *= d;
  return Number.isSafeInteger(n) ? n : Infinity;
}

/** Tensors must tile [0, dataLen) exactly, in offset order: no overlap, gap or trailing bytes. */
function checkLayout(entries: Entry[], dataLen: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev = '';
  for (const e of sorted) {
    if (e.end > dataLen) {
      throw corrupt(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] run past the ${dataLen} data bytes in the file`);
    }
    if (e.begin < cursor) throw corrupt(`tensor "${e.name}" at [${e.begin}, ${e.end}] overlaps tensor "${prev}" ending at ${cursor}`);
    if (e.begin > cursor) throw corrupt(`gap of ${e.begin - cursor} unused bytes at data offset ${cursor} before tensor "${e.name}"`);
    cursor = e.end;
    prev = e.name;
  }
  if (cursor !== dataLen) throw corrupt(`${dataLen - cursor} trailing bytes after the last tensor (data ends at ${cursor}, file has ${dataLen})`);
}

/** Copies `raw` (little-endian, any alignment) into a fresh float array of the target dtype. */
function convert(e: Entry, raw: Uint8Array, want: DType | undefined): FloatArray {
  if (!READABLE.has(e.dtype)) throw unreadable(e.name, e.dtype);
  const elemSize = DTYPE_SIZE.get(e.dtype)!;
  const count = raw.length / elemSize;
  // A fresh ArrayBuffer at offset 0: aligned and independent of the input. Not raw.slice():
  // on a Node Buffer that is a view, not a copy.
  const copy = new Uint8Array(raw);
  if (!LITTLE_ENDIAN) swapBytes(copy, elemSize);
  const buf = copy.buffer;
  switch (e.dtype) {
    case 'F32': {
      const src = new Float32Array(buf, 0, count);
      return want === 'float64' ? Float64Array.from(src) : src;
    }
    case 'F64': {
      const src = new Float64Array(buf, 0, count);
      return want === 'float32' ? Float32Array.from(src) : src;
    }
    case 'F16': {
      const src = new Uint16Array(buf, 0, count);
      const out = allocArray(want ?? 'float32', count);
      for (let i = 0; i < count; i++) out[i] = halfToNumber(src[i]!);
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift it back into place.
      const src = new Uint16Array(buf, 0, count);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = src[i]! << 16;
      const f = new Float32Array(bits.buffer);
      return want === 'float64' ? Float64Array.from(f) : f;
    }
    case 'I32':
      return intsToFloat(e, new Int32Array(buf, 0, count), want ?? 'float32');
    default: // I64
      return intsToFloat(e, new BigInt64Array(buf, 0, count), want ?? 'float32');
  }
}

function unreadable(name: string, dtype: string): RnnlmError {
  return new RnnlmError(
    'unsupported',
    `safetensors: tensor "${name}" has dtype ${dtype}; rnnlm reads F32, F64, F16, BF16, I32 and I64 (convert it to float32 in Python first)`,
  );
}

/** Integer tensors convert only when every value is exact in the target dtype. */
function intsToFloat(e: Entry, src: Int32Array | BigInt64Array, dtype: DType): FloatArray {
  const out = allocArray(dtype, src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    const x = Number(v);
    out[i] = x;
    const exact = (typeof v !== 'bigint' || BigInt(x) === v) && out[i] === x;
    if (!exact) {
      throw new RnnlmError(
        'unsupported',
        `safetensors: tensor "${e.name}" (${e.dtype}) holds ${v}, which ${dtype} cannot represent exactly; ` +
          `load with { dtype: 'float64' } or convert it in Python first`,
      );
    }
  }
  return out;
}

/** IEEE 754 binary16 bits → number (exact). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

function swapBytes(b: Uint8Array, width: number): void {
  for (let i = 0; i < b.length; i += width) b.subarray(i, i + width).reverse();
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

/** Own data property even for names like "__proto__", which plain assignment would swallow. */
function define<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
