/**
 * A small builder for ONNX graphs: named inputs/outputs with symbolic dimensions, float
 * initializers (little-endian raw_data), int64 constants and nodes, collected into the
 * onnx-proto objects that proto.ts serialises. Value names are unique per graph.
 */
import { RnnlmError } from '../../errors.js';
import type { FloatArray } from '../../tensor/tensor.js';
import { ATTR, DT, type OnnxTypes } from './proto.js';

type ElemType = (typeof DT)[keyof typeof DT];
/** A dimension: a size, or the name of a symbolic size ('T', 'B', …). */
export type Dim = number | string;
/** Node attributes: integers, strings, or lists of either (the kinds our graphs need). */
export type AttrValue = number | string | readonly number[] | readonly string[];

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function valueInfo(name: string, elemType: ElemType, dims: readonly Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function attribute(name: string, v: AttrValue): OnnxTypes.IAttributeProto {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new RnnlmError('invalid_argument', `ONNX attribute ${name}: only integer attributes are written, got ${v}`);
    return { name, type: ATTR.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: utf8(v) };
  if (v.every((x) => typeof x === 'number')) return { name, type: ATTR.INTS, ints: [...(v as readonly number[])] };
  return { name, type: ATTR.STRINGS, strings: (v as readonly string[]).map(utf8) };
}

export class GraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  /** A fresh value name built from `hint`. */
  fresh(hint: string): string {
    let name = hint;
    while (this.used.has(name)) name = `${hint}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new RnnlmError('invalid_argument', `ONNX graph: the name ${name} is used twice`);
    this.used.add(name);
    return name;
  }

  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), elemType, dims));
    return name;
  }

  /** Declares `value` as the graph output `name` (an Identity node renames it when needed). */
  output(name: string, value: string, elemType: ElemType, dims: readonly Dim[]): void {
    if (value !== name) this.nodes.push({ opType: 'Identity', input: [value], output: [this.claim(name)], name: `${name}/identity` });
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float32 initializer [dims] holding `data` (float64 values are rounded to float32). */
  weight(name: string, data: FloatArray, dims: readonly number[]): string {
    const n = dims.reduce((a, d) => a * d, 1);
    if (data.length !== n) throw new RnnlmError('shape_mismatch', `ONNX initializer ${name}: ${data.length} values for shape [${dims.join(', ')}]`);
    let raw: Uint8Array;
    if (LITTLE_ENDIAN) {
      raw = new Uint8Array(Float32Array.from(data).buffer); // ONNX raw_data is little-endian, as this host
    } else {
      raw = new Uint8Array(4 * n);
      const view = new DataView(raw.buffer);
      for (let i = 0; i < n; i++) view.setFloat32(4 * i, data[i]!, true);
    }
    this.initializers.push({ name: this.claim(name), dataType: DT.FLOAT, dims: [...dims], rawData: raw });
    return name;
  }

  /** An int64 constant [values.length] (or a scalar when `scalar`), shared between nodes asking for the same values. */
  ints(values: readonly number[], scalar = false): string {
    const key = `${scalar ? 's' : 'v'}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const raw = new Uint8Array(8 * values.length);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
    const name = this.fresh(`const_${values.join('_').replace(/-/g, 'm')}`);
    this.initializers.push({ name, dataType: DT.INT64, dims: scalar ? [] : [values.length], rawData: raw });
    this.constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant. */
  scalar(value: number, hint: string): string {
    const raw = new Uint8Array(4);
    new DataView(raw.buffer).setFloat32(0, value, true);
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType: DT.FLOAT, dims: [], rawData: raw });
    return name;
  }

  /**
   * Adds one node; returns its output names: `outputs` new ones, or the given names (from
   * fresh()). '' inputs are omitted optional inputs.
   */
  node(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputs: number | readonly string[] = 1): string[] {
    const outs =
      typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => this.fresh(`${opType.toLowerCase()}${i ? `_${i}` : ''}`)) : [...outputs];
    this.nodes.push({
      opType,
      input: [...inputs],
      output: outs,
      name: this.fresh(`${opType}_node`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** One-output node. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(opType, inputs, attrs)[0]!;
  }

  build(name: string, docString: string): OnnxTypes.IGraphProto {
    return { name, docString, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs };
  }
}
