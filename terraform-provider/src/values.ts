import { decode, encode, ExtData, ExtensionCodec } from '@msgpack/msgpack';

/**
 * Terraform values as this provider handles them, typed by the cty type of the schema:
 * strings, numbers, booleans, arrays (list and set), records (map and object), null, and UNKNOWN.
 */
export type CtyType =
  | 'string'
  | 'number'
  | 'bool'
  | readonly ['list' | 'set' | 'map', CtyType]
  | readonly ['object', Readonly<Record<string, CtyType>>];

class UnknownValue {
  toString(): string {
    return '(known after apply)';
  }
}
/** A value not known until apply; msgpack extension 0 on the wire. */
export const UNKNOWN: unknown = Object.freeze(new UnknownValue());

export type Value = null | string | number | boolean | Value[] | { [key: string]: Value } | typeof UNKNOWN;
export type ObjectValue = { [key: string]: Value };

export const isUnknown = (v: unknown): boolean => v === UNKNOWN;

/** True when the value and everything inside it is known. */
export function isWhollyKnown(v: Value): boolean {
  if (v === UNKNOWN) return false;
  if (Array.isArray(v)) return v.every(isWhollyKnown);
  if (v !== null && typeof v === 'object') return Object.values(v).every(isWhollyKnown);
  return true;
}

const codec = new ExtensionCodec();
codec.register({
  type: 0,
  encode: (input: unknown) => (input === UNKNOWN ? new Uint8Array([0]) : null),
  decode: () => UNKNOWN,
});

/**
 * Brings a decoded value into the shape its type promises: every extension becomes UNKNOWN
 * (Terraform sends refined unknowns as extension 12), numbers sent as strings become numbers,
 * objects get every attribute (null when absent) and lose keys the type does not have.
 */
export function conform(value: unknown, type: CtyType): Value {
  if (value === undefined || value === null) return null;
  if (value === UNKNOWN || value instanceof ExtData) return UNKNOWN;
  if (type === 'string') return String(value);
  if (type === 'number') {
    const n = typeof value === 'number' ? value : Number(value as string);
    if (!Number.isFinite(n)) throw new TypeError(`not a number: ${String(value)}`);
    return n;
  }
  if (type === 'bool') return Boolean(value);
  const [kind, inner] = type;
  if (kind === 'list' || kind === 'set') {
    if (!Array.isArray(value)) throw new TypeError(`expected a ${kind}`);
    return value.map((item) => conform(item, inner as CtyType));
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`expected a ${kind}`);
  const record = value as Record<string, unknown>;
  const out: ObjectValue = {};
  if (kind === 'map') {
    for (const [key, item] of Object.entries(record)) out[key] = conform(item, inner as CtyType);
  } else {
    for (const [key, attrType] of Object.entries(inner as Record<string, CtyType>)) {
      out[key] = conform(record[key], attrType);
    }
  }
  return out;
}

export interface DynamicValue {
  msgpack?: Buffer | Uint8Array | null;
  json?: Buffer | Uint8Array | null;
}

export function decodeDynamic(dv: DynamicValue | null | undefined, type: CtyType): Value {
  if (dv?.msgpack && dv.msgpack.length > 0) return conform(decode(dv.msgpack, { extensionCodec: codec }), type);
  if (dv?.json && dv.json.length > 0) return conform(JSON.parse(Buffer.from(dv.json).toString('utf8')), type);
  return null;
}

export function encodeValue(value: Value, type: CtyType): Buffer {
  const bytes = encode(conform(value, type), { extensionCodec: codec, ignoreUndefined: false });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeDynamic(value: Value, type: CtyType): { msgpack: Buffer } {
  return { msgpack: encodeValue(value, type) };
}

/** The JSON form of a type, as the schema's `type` bytes carry it. */
export function typeJson(type: CtyType): Buffer {
  return Buffer.from(JSON.stringify(type));
}

/** Structural equality; UNKNOWN equals nothing, not even itself (it may turn into anything). */
export function sameValue(a: Value, b: Value, type: CtyType): boolean {
  if (a === UNKNOWN || b === UNKNOWN) return false;
  if (a === null || b === null) return a === b;
  if (typeof type === 'string') return a === b;
  const [kind, inner] = type;
  if (kind === 'list' || kind === 'set') {
    const xs = a as Value[];
    const ys = b as Value[];
    if (xs.length !== ys.length) return false;
    if (kind === 'list') return xs.every((x, i) => sameValue(x, ys[i], inner as CtyType));
    return xs.every((x) => ys.some((y) => sameValue(x, y, inner as CtyType)));
  }
  const ra = a as ObjectValue;
  const rb = b as ObjectValue;
  if (kind === 'map') {
    const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
    return [...keys].every((k) => k in ra && k in rb && sameValue(ra[k], rb[k], inner as CtyType));
  }
  return Object.entries(inner as Record<string, CtyType>).every(([k, t]) => sameValue(ra[k] ?? null, rb[k] ?? null, t));
}
