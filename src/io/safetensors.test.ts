import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRnnlmError } from '../errors.js';
import { roundBf16 } from '../backend/bf16.js';
import { Tensor } from '../tensor/tensor.js';
import { decodeSafetensors, encodeSafetensors, halfToNumber } from './safetensors.js';

// ---------- helpers: build files by hand, following the format's rules ----------

/** u64 LE length + header text padded with spaces to a multiple of 8 + data. */
function buildFile(header: string, data: number[] | Uint8Array = [], pad = true): Uint8Array {
  let h = new TextEncoder().encode(header);
  if (pad && h.length % 8 !== 0) {
    const p = new Uint8Array(h.length + 8 - (h.length % 8)).fill(0x20);
    p.set(h);
    h = p;
  }
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function f32Bits(bits: number[]): Float32Array {
  return new Float32Array(new Uint32Array(bits).buffer);
}

function bytesOf(a: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function throwsCode(fn: () => unknown, code: string, msg?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isRnnlmError(e), `expected RnnlmError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (msg) assert.match(e.message, msg);
    return true;
  });
}

const corrupt = (fn: () => unknown, msg?: RegExp) => throwsCode(fn, 'corrupt_checkpoint', msg);

// ---------- round trips ----------

describe('safetensors round trip', () => {
  test('F32 keeps exact bits: -0, NaN payloads, ±Inf, subnormals, extremes', () => {
    const data = f32Bits([
      0x00000000, 0x80000000, 0x7fc00000, 0x7fc00001, 0xffa00000, 0x7f800000, 0xff800000, 0x00000001, 0x807fffff, 0x7f7fffff, 0x3f800000, 0xbeaaaaab,
    ]);
    const t = new Tensor(data, [3, 4]);
    const back = decodeSafetensors(encodeSafetensors({ w: t })).tensors.w!;
    assert.equal(back.dtype, 'float32');
    assert.deepEqual(back.shape, [3, 4]);
    assert.deepEqual(bytesOf(back.data), bytesOf(data));
  });

  test('F64 keeps exact bits', () => {
    const bits = new BigUint64Array([
      0n,
      0x8000000000000000n,
      0x7ff8000000000000n,
      0x7ff0000000000001n,
      0x7ff0000000000000n,
      0xfff0000000000000n,
      1n,
      0x000fffffffffffffn,
      0x3fb999999999999an,
    ]);
    const data = new Float64Array(bits.buffer);
    const back = decodeSafetensors(encodeSafetensors({ x: new Tensor(data, [9]) })).tensors.x!;
    assert.equal(back.dtype, 'float64');
    assert.deepEqual(bytesOf(back.data), bytesOf(data));
  });

  test('mixed dtypes, many tensors, metadata with unicode', () => {
    const tensors = {
      'rnn.weight_ih_l0': Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]),
      'rnn.bias_ih_l0': Tensor.from([0.25, -0.5], [2], 'float64'),
      'embedding.weight': Tensor.from([7], [1, 1]),
      é名: Tensor.from([8, 9], [2]),
    };
    const meta = { format: 'rnnlm', note: 'héllo "quoted" \n 名前' };
    const { tensors: got, metadata } = decodeSafetensors(encodeSafetensors(tensors, meta));
    assert.deepEqual(metadata, meta);
    assert.deepEqual(Object.keys(got).sort(), Object.keys(tensors).sort());
    for (const [k, t] of Object.entries(tensors)) {
      assert.equal(got[k]!.dtype, t.dtype, k);
      assert.deepEqual(got[k]!.shape, t.shape, k);
      assert.deepEqual(got[k]!.toArray(), t.toArray(), k);
    }
  });

  test('empty tensors (shape [0], [2, 0, 3]) and scalars (shape [])', () => {
    const enc = encodeSafetensors({
      e: Tensor.zeros([0]),
      e3: Tensor.zeros([2, 0, 3], 'float64'),
      s: new Tensor(new Float32Array([3.5]), []),
      s64: new Tensor(new Float64Array([-1e300]), []),
    });
    const { tensors } = decodeSafetensors(enc);
    assert.deepEqual(tensors.e!.shape, [0]);
    assert.equal(tensors.e!.size, 0);
    assert.deepEqual(tensors.e3!.shape, [2, 0, 3]);
    assert.equal(tensors.e3!.dtype, 'float64');
    assert.deepEqual(tensors.s!.shape, []);
    assert.equal(tensors.s!.item(), 3.5);
    assert.equal(tensors.s64!.item(), -1e300);
  });

  test('no tensors and no metadata', () => {
    const { tensors, metadata } = decodeSafetensors(encodeSafetensors({}));
    assert.deepEqual(tensors, {});
    assert.deepEqual(metadata, {});
  });

  test('tensor data that is a view into a larger buffer is written correctly', () => {
    const big = new Float32Array([9, 9, 1, 2, 3, 9]);
    const t = new Tensor(big.subarray(2, 5), [3]);
    assert.deepEqual(decodeSafetensors(encodeSafetensors({ t })).tensors.t!.toArray(), [1, 2, 3]);
  });

  test('returned tensors are aligned copies, independent of the input bytes', () => {
    const enc = encodeSafetensors({ a: Tensor.from([1, 2], [2]), b: Tensor.from([3], [1], 'float64') });
    // Decode from an odd offset inside a larger buffer: the source is misaligned for every dtype.
    const holder = new Uint8Array(enc.length + 3);
    holder.set(enc, 3);
    const src = holder.subarray(3);
    const { tensors } = decodeSafetensors(src);
    src.fill(0xff);
    assert.deepEqual(tensors.a!.toArray(), [1, 2]);
    assert.deepEqual(tensors.b!.toArray(), [3]);
    assert.notEqual(tensors.a!.data.buffer, holder.buffer);
    assert.equal(tensors.a!.data.byteOffset % 4, 0);
    assert.equal(tensors.b!.data.byteOffset % 8, 0);
  });

  test('decodes from a Node Buffer that is a view into a pooled buffer', () => {
    const enc = encodeSafetensors({ a: Tensor.from([1.5, -2], [2]) });
    const pool = Buffer.alloc(enc.length + 13, 0x7f);
    pool.set(enc, 13);
    const buf = pool.subarray(13); // Buffer.prototype.slice would be a view too
    const a = decodeSafetensors(buf).tensors.a!;
    pool.fill(0);
    assert.deepEqual(a.toArray(), [1.5, -2]);
    assert.equal(a.data.buffer.byteLength, 8);
  });

  test('dtype option converts everything', () => {
    const enc = encodeSafetensors({ a: Tensor.from([0.1], [1]), b: Tensor.from([0.1], [1], 'float64') });
    const as64 = decodeSafetensors(enc, { dtype: 'float64' }).tensors;
    assert.equal(as64.a!.dtype, 'float64');
    assert.equal(as64.a!.item(), Math.fround(0.1));
    const as32 = decodeSafetensors(enc, { dtype: 'float32' }).tensors;
    assert.equal(as32.b!.dtype, 'float32');
    assert.equal(as32.b!.item(), Math.fround(0.1));
    throwsCode(() => decodeSafetensors(enc, { dtype: 'int8' as never }), 'invalid_argument');
  });

  test('odd names: "__proto__" stays an own key, integer-like names keep byte order', () => {
    const enc = encodeSafetensors({ '10': Tensor.from([1]), '2': Tensor.from([2]), a: Tensor.from([3]) });
    const header = new TextDecoder().decode(enc.subarray(8, 8 + Number(new DataView(enc.buffer).getBigUint64(0, true))));
    assert.ok(header.indexOf('"10"') < header.indexOf('"2"') && header.indexOf('"2"') < header.indexOf('"a"'), header);
    const proto = buildFile('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0x80, 0x3f]);
    const { tensors } = decodeSafetensors(proto);
    assert.ok(Object.hasOwn(tensors, '__proto__'));
    assert.equal(Object.getPrototypeOf(tensors), Object.prototype);
    assert.equal((Object.getOwnPropertyDescriptor(tensors, '__proto__')!.value as Tensor).item(), 1);
  });
});

// ---------- files laid out like the Python/Rust library writes them ----------

describe('safetensors compatibility with the Python/Rust layout', () => {
  // float32 1.0 = 00 00 80 3F, -2.5 = 00 00 20 C0; float64 0.5 = 00 .. 00 E0 3F
  const ONE = [0x00, 0x00, 0x80, 0x3f];
  const MINUS_2_5 = [0x00, 0x00, 0x20, 0xc0];
  const HALF_F64 = [0, 0, 0, 0, 0, 0, 0xe0, 0x3f];

  test('encoder output is byte-identical: F64 first, then by name, metadata first, space padding', () => {
    const header =
      '{"__metadata__":{"format":"pt"},' + '"b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},' + '"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}';
    const expected = buildFile(header, [...HALF_F64, ...ONE, ...MINUS_2_5]);
    const got = encodeSafetensors({ a: Tensor.from([1, -2.5], [2]), b: Tensor.from([0.5], [1], 'float64') }, { format: 'pt' });
    assert.deepEqual(got, expected);
    assert.equal(new DataView(got.buffer).getBigUint64(0, true) % 8n, 0n);
  });

  test('single tensor whose header needs no padding', () => {
    // 64-byte header: nothing to pad.
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    assert.equal(header.length, 64);
    const data = bytesOf(new Float32Array([0, 1, 2, 3, 4, 5]));
    const expected = buildFile(header, data);
    assert.deepEqual(encodeSafetensors({ 'attn.0': Tensor.from([0, 1, 2, 3, 4, 5], [1, 2, 3]) }), expected);
  });

  test('an empty file is "{}" plus six spaces', () => {
    assert.deepEqual(encodeSafetensors({}), new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 32, 32, 32, 32, 32, 32]));
  });

  test('decodes a hand-built file with keys in any order and a known tensor', () => {
    // Header key order differs from data order (older writers sorted purely by name).
    const header =
      '{"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]},' +
      '"__metadata__":{"format":"pt"},' +
      '"bias":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}';
    const file = buildFile(header, [...HALF_F64, ...ONE, ...MINUS_2_5, ...MINUS_2_5, ...ONE]);
    const { tensors, metadata } = decodeSafetensors(file);
    assert.deepEqual(metadata, { format: 'pt' });
    assert.deepEqual(tensors.weight!.shape, [2, 2]);
    assert.deepEqual(tensors.weight!.toArray(), [1, -2.5, -2.5, 1]);
    assert.equal(tensors.bias!.dtype, 'float64');
    assert.deepEqual(tensors.bias!.toArray(), [0.5]);
  });

  test('F16 known values', () => {
    const halves = [0x3c00, 0xc000, 0x7bff, 0x0400, 0x0001, 0x3555, 0x8000, 0x7c00, 0xfc00, 0x7e00];
    const expected = [1, -2, 65504, 2 ** -14, 2 ** -24, 0.333251953125, -0, Infinity, -Infinity, NaN];
    const data = new Uint8Array(new Uint16Array(halves).buffer);
    const file = buildFile(`{"h":{"dtype":"F16","shape":[${halves.length}],"data_offsets":[0,${data.length}]}}`, data);
    for (const dtype of ['float32', 'float64'] as const) {
      const t = decodeSafetensors(file, { dtype }).tensors.h!;
      assert.equal(t.dtype, dtype);
      t.toArray().forEach((v, i) => assert.ok(Object.is(v, expected[i]), `${halves[i]!.toString(16)} -> ${v}`));
    }
    assert.equal(decodeSafetensors(file).tensors.h!.dtype, 'float32');
    assert.ok(Object.is(halfToNumber(0x8001), -(2 ** -24)));
  });

  test('BF16 known values', () => {
    const b = [0x3f80, 0xc000, 0x4049, 0x7f80, 0xff80, 0x0001, 0x8000, 0x7fc0];
    const expected = [1, -2, 3.140625, Infinity, -Infinity, 2 ** -133, -0, NaN];
    const data = new Uint8Array(new Uint16Array(b).buffer);
    const file = buildFile(`{"b":{"dtype":"BF16","shape":[2,4],"data_offsets":[0,16]}}`, data);
    const t = decodeSafetensors(file).tensors.b!;
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.shape, [2, 4]);
    t.toArray().forEach((v, i) => assert.ok(Object.is(v, expected[i]), `${b[i]!.toString(16)} -> ${v}`));
  });

  test('I32 / I64 convert when exact, else unsupported', () => {
    const i32 = new Uint8Array(new Int32Array([1, -2, 2 ** 24]).buffer);
    const f1 = buildFile('{"n":{"dtype":"I32","shape":[3],"data_offsets":[0,12]}}', i32);
    assert.deepEqual(decodeSafetensors(f1).tensors.n!.toArray(), [1, -2, 2 ** 24]);

    const odd = new Uint8Array(new Int32Array([2 ** 24 + 1]).buffer);
    const f2 = buildFile('{"n":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}', odd);
    throwsCode(() => decodeSafetensors(f2), 'unsupported', /float64/);
    assert.equal(decodeSafetensors(f2, { dtype: 'float64' }).tensors.n!.item(), 2 ** 24 + 1);

    const i64 = new Uint8Array(new BigInt64Array([5n, -7n]).buffer);
    const f3 = buildFile('{"n":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}', i64);
    assert.deepEqual(decodeSafetensors(f3).tensors.n!.toArray(), [5, -7]);
    const huge = new Uint8Array(new BigInt64Array([2n ** 53n + 1n]).buffer);
    const f4 = buildFile('{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', huge);
    throwsCode(() => decodeSafetensors(f4, { dtype: 'float64' }), 'unsupported', /9007199254740993/);
  });

  test('valid but unreadable dtypes are unsupported, not corrupt', () => {
    throwsCode(() => decodeSafetensors(buildFile('{"m":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}}', [1, 2, 3])), 'unsupported', /U8/);
    throwsCode(() => decodeSafetensors(buildFile('{"m":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}', [1])), 'unsupported');
  });
});

// ---------- corruption ----------

describe('safetensors rejects corrupt files with corrupt_checkpoint', () => {
  const good = encodeSafetensors({ a: Tensor.from([1, 2, 3], [3]), b: Tensor.from([4, 5], [1, 2], 'float64'), c: Tensor.zeros([0]) }, { k: 'v' });
  const headerLen = Number(new DataView(good.buffer).getBigUint64(0, true));
  const T = (info: string, data: number[] = [0, 0, 0, 0]) => buildFile(`{"t":${info}}`, data);

  test('files shorter than 8 bytes', () => {
    for (let n = 0; n < 8; n++) corrupt(() => decodeSafetensors(new Uint8Array(n)), /shorter than the 8-byte/);
  });

  test('truncation at every byte position', () => {
    for (let n = 0; n < good.length; n++) corrupt(() => decodeSafetensors(good.subarray(0, n)));
  });

  test('trailing bytes', () => {
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    corrupt(() => decodeSafetensors(longer), /1 trailing bytes/);
  });

  test('header length beyond the file or absurd', () => {
    const setLen = (n: bigint) => {
      const f = good.slice();
      new DataView(f.buffer).setBigUint64(0, n, true);
      return f;
    };
    corrupt(() => decodeSafetensors(setLen(BigInt(good.length))), /past the end/);
    corrupt(() => decodeSafetensors(setLen(100_000_001n)), /absurd/);
    corrupt(() => decodeSafetensors(setLen(2n ** 64n - 1n)), /absurd/);
    corrupt(() => decodeSafetensors(setLen(BigInt(headerLen - 1))), /not valid JSON/);
  });

  test('header not UTF-8, not JSON, not an object', () => {
    const bad = good.slice();
    bad[9] = 0xff;
    corrupt(() => decodeSafetensors(bad), /not valid UTF-8/);
    corrupt(() => decodeSafetensors(buildFile('{"a":')), /not valid JSON/);
    corrupt(() => decodeSafetensors(buildFile('')), /not valid JSON/);
    for (const h of ['[]', 'null', '42', '"x"', 'true']) corrupt(() => decodeSafetensors(buildFile(h)), /must be a JSON object/);
  });

  test('bad __metadata__', () => {
    corrupt(() => decodeSafetensors(buildFile('{"__metadata__":{"a":1}}')), /"a" must be a string/);
    corrupt(() => decodeSafetensors(buildFile('{"__metadata__":["a"]}')), /__metadata__/);
    corrupt(() => decodeSafetensors(buildFile('{"__metadata__":null}')), /__metadata__/);
  });

  test('bad tensor entries', () => {
    corrupt(() => decodeSafetensors(buildFile('{"t":[1]}')), /tensor "t": entry must be an object/);
    corrupt(() => decodeSafetensors(T('{"dtype":"F128","shape":[1],"data_offsets":[0,4]}')), /unknown dtype "F128"/);
    corrupt(() => decodeSafetensors(T('{"dtype":"constructor","shape":[1],"data_offsets":[0,4]}')), /unknown dtype/);
    corrupt(() => decodeSafetensors(T('{"shape":[1],"data_offsets":[0,4]}')), /unknown dtype/);
    for (const shape of ['[-1]', '[1.5]', '["1"]', '1', 'null', '[null]', '[1e300]']) {
      corrupt(() => decodeSafetensors(T(`{"dtype":"F32","shape":${shape},"data_offsets":[0,4]}`)), /shape must be/);
    }
    for (const offs of ['[0]', '[0,4,8]', '[-4,0]', '[0,4.5]', '"0,4"', '[0,"4"]']) {
      corrupt(() => decodeSafetensors(T(`{"dtype":"F32","shape":[1],"data_offsets":${offs}}`)), /data_offsets must be/);
    }
    corrupt(() => decodeSafetensors(T('{"dtype":"F32","shape":[1],"data_offsets":[4,0]}')), /end before they begin/);
  });

  test('offsets that do not match shape × dtype size', () => {
    corrupt(() => decodeSafetensors(T('{"dtype":"F32","shape":[2],"data_offsets":[0,4]}')), /span 4 bytes but F32 \[2\] needs 8/);
    corrupt(() => decodeSafetensors(T('{"dtype":"F64","shape":[1],"data_offsets":[0,4]}')), /needs 8/);
    // A shape whose byte size overflows 2^53 can never match.
    corrupt(() => decodeSafetensors(T('{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}')), /needs Infinity/);
  });

  test('overlap, gaps and out-of-range offsets', () => {
    const two = (a: string, b: string, n: number) =>
      buildFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":${a}},"b":{"dtype":"F32","shape":[1],"data_offsets":${b}}}`, new Array(n).fill(0));
    assert.equal(Object.keys(decodeSafetensors(two('[4,8]', '[0,4]', 8)).tensors).length, 2); // the valid baseline
    corrupt(() => decodeSafetensors(two('[0,4]', '[2,6]', 8)), /overlaps tensor "a"/);
    corrupt(() => decodeSafetensors(two('[0,4]', '[0,4]', 8)), /overlaps/);
    corrupt(() => decodeSafetensors(two('[0,4]', '[8,12]', 12)), /gap of 4 unused bytes at data offset 4/);
    corrupt(() => decodeSafetensors(two('[4,8]', '[8,12]', 12)), /gap of 4 unused bytes at data offset 0/);
    corrupt(() => decodeSafetensors(two('[0,4]', '[4,8]', 6)), /run past the 6 data bytes/);
    corrupt(() => decodeSafetensors(two('[0,4]', '[4,8]', 9)), /1 trailing bytes/);
  });

  test('lying about offsets in a real file', () => {
    const text = new TextDecoder().decode(good.subarray(8, 8 + headerLen));
    // Same-length edits keep the data section intact, so only the lie is wrong.
    const hdr = (s: string) => {
      assert.notEqual(s, text, 'the edit must change the header');
      const f = good.slice();
      f.set(new TextEncoder().encode(s.padEnd(headerLen, ' ')), 8);
      return f;
    };
    assert.equal(text.length, headerLen);
    corrupt(() => decodeSafetensors(hdr(text.replace('"data_offsets":[16,28]', '"data_offsets":[12,24]'))), /overlaps|gap/);
    corrupt(() => decodeSafetensors(hdr(text.replace('"shape":[3]', '"shape":[4]'))), /needs 16/);
    corrupt(() => decodeSafetensors(hdr(text.replace('"dtype":"F64"', '"dtype":"F32"'))), /needs 8/);
  });

  test('flipping any header byte gives corrupt_checkpoint or a valid decode, never a crash', () => {
    const contents = (ts: Record<string, Tensor>) =>
      Object.values(ts)
        .map((t) => JSON.stringify([t.dtype, t.shape, t.toArray()]))
        .sort();
    const original = contents(decodeSafetensors(good).tensors);
    let accepted = 0;
    for (let i = 0; i < 8 + headerLen; i++) {
      for (const x of [0x01, 0x20, 0x80]) {
        const f = good.slice();
        f[i]! ^= x;
        try {
          // A flip can only be accepted where it renames something: the data must be unchanged.
          assert.deepEqual(contents(decodeSafetensors(f).tensors), original, `byte ${i} ^ ${x}`);
          accepted++;
        } catch (e) {
          if (e instanceof assert.AssertionError) throw e;
          assert.ok(isRnnlmError(e) && (e.code === 'corrupt_checkpoint' || e.code === 'unsupported'), `byte ${i} ^ ${x}: ${String(e)}`);
        }
      }
    }
    assert.ok(accepted > 0 && accepted < 3 * (8 + headerLen), `${accepted} flips accepted`);
  });
});

describe('encodeSafetensors input checks', () => {
  test('reserved name, non-tensor values, non-string metadata', () => {
    throwsCode(() => encodeSafetensors({ __metadata__: Tensor.from([1]) }), 'invalid_argument', /reserved/);
    throwsCode(() => encodeSafetensors({ a: [1, 2] as never }), 'invalid_argument', /not a Tensor/);
    throwsCode(() => encodeSafetensors({}, { n: 3 as never }), 'invalid_argument', /must be a string/);
  });

  test('a tensor whose data no longer matches its shape', () => {
    const t = Tensor.from([1, 2], [2]);
    t.data = new Float32Array(3);
    throwsCode(() => encodeSafetensors({ t }), 'shape_mismatch');
  });
});

describe('safetensors BF16 storage (float32As)', () => {
  test('float32 tensors are stored as rounded bf16 (half the bytes), float64 as they are; decoding gives the rounded values', () => {
    const w = Tensor.from([1, 1 + 2 ** -9, 1 + 3 * 2 ** -9, -2.5e-3, 65504.7, Number.POSITIVE_INFINITY], [2, 3]);
    const d = new Tensor(Float64Array.from([0.1, 0.2]), [2]);
    const f32 = encodeSafetensors({ w, d });
    const b16 = encodeSafetensors({ w, d }, undefined, { float32As: 'BF16' });
    const headerLen = (bytes: Uint8Array) => Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(f32.length - 8 - headerLen(f32), 6 * 4 + 2 * 8);
    assert.equal(b16.length - 8 - headerLen(b16), 6 * 2 + 2 * 8, 'two bytes per float32 value');
    const back = decodeSafetensors(b16);
    const header = JSON.parse(new TextDecoder().decode(b16.subarray(8, 8 + headerLen(b16))));
    assert.equal(header.w.dtype, 'BF16');
    assert.equal(header.d.dtype, 'F64');
    const got = Array.from(back.tensors.w!.data);
    assert.deepEqual(
      got,
      Array.from(w.data, (x) => roundBf16(x)),
    );
    assert.equal(got[1], 1, 'ties round to even: 1 + 2⁻⁹ → 1');
    assert.equal(got[2], 1 + 2 ** -7, 'ties round to even: 1 + 3·2⁻⁹ → 1 + 2⁻⁷');
    assert.deepEqual(Array.from(back.tensors.d!.data), [0.1, 0.2]);
    assert.throws(
      () => encodeSafetensors({ w }, undefined, { float32As: 'F16' as never }),
      (e: unknown) => isRnnlmError(e) && e.code === 'invalid_argument',
    );
  });
});
