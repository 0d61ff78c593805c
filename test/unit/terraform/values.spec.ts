import { encode, ExtData } from '@msgpack/msgpack';
import fc from 'fast-check';
import {
  conform,
  CtyType,
  decodeDynamic,
  encodeDynamic,
  encodeValue,
  isWhollyKnown,
  sameValue,
  UNKNOWN,
  Value,
} from '../../../terraform-provider/src/values';

/** A cty type, nested up to `depth`. */
function ctyType(depth: number): fc.Arbitrary<CtyType> {
  const leaf = fc.constantFrom<CtyType>('string', 'number', 'bool');
  if (depth === 0) return leaf;
  const inner = ctyType(depth - 1);
  return fc.oneof(
    leaf,
    fc
      .tuple(fc.constantFrom('list' as const, 'set' as const, 'map' as const), inner)
      .map(([k, t]) => [k, t] as CtyType),
    fc
      .dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), inner, { maxKeys: 4 })
      .map((attrs) => ['object', attrs] as CtyType),
  );
}

/** A value of the type, with nulls and unknowns anywhere a value may be. */
function valueOf(type: CtyType): fc.Arbitrary<Value> {
  const hole = fc.constantFrom<Value>(null, UNKNOWN as Value);
  let known: fc.Arbitrary<Value>;
  if (type === 'string') known = fc.string();
  else if (type === 'number')
    // -0 travels as the integer 0, as in Terraform (cty numbers have no negative zero)
    known = fc
      .oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))
      .map((n) => (Object.is(n, -0) ? 0 : n));
  else if (type === 'bool') known = fc.boolean();
  else if (type[0] === 'object') {
    const attrs = type[1] as Record<string, CtyType>;
    known = fc.record(
      Object.fromEntries(Object.entries(attrs).map(([k, t]) => [k, valueOf(t)])),
    ) as fc.Arbitrary<Value>;
  } else if (type[0] === 'map') {
    known = fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), valueOf(type[1] as CtyType), { maxKeys: 3 });
  } else {
    known = fc.array(valueOf(type[1] as CtyType), { maxLength: 3 });
  }
  return fc.oneof({ weight: 5, arbitrary: known }, { weight: 1, arbitrary: hole });
}

const typedValue = ctyType(2).chain((type) => valueOf(type).map((value) => ({ type, value })));

describe('msgpack DynamicValue', () => {
  it('round-trips any value of any type, nulls and unknowns included (property)', () => {
    fc.assert(
      fc.property(typedValue, ({ type, value }) => {
        const back = decodeDynamic(encodeDynamic(value, type), type);
        expect(back).toEqual(conform(value, type));
        if (isWhollyKnown(value) && value !== null) expect(sameValue(back, value, type)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('writes an unknown as extension 0 and null as nil, exactly as Terraform does', () => {
    expect(encodeValue(UNKNOWN as Value, 'string').toString('hex')).toBe('d40000');
    expect(encodeValue(null, 'string').toString('hex')).toBe('c0');
    const obj = encodeValue({ id: UNKNOWN as Value }, ['object', { id: 'string', name: 'string' }]);
    // a map of two keys: every schema attribute is present, the missing one as nil
    expect(obj[0]).toBe(0x82);
    expect(obj.toString('hex')).toContain('d40000');
  });

  it('reads every extension code as unknown (12 is a refined unknown)', () => {
    for (const ext of [0, 1, 12, 127]) {
      const bytes = encode({ a: new ExtData(ext, new Uint8Array([0x81, 0x01, 0xc3])) });
      expect(decodeDynamic({ msgpack: Buffer.from(bytes) }, ['object', { a: 'string' }])).toEqual({ a: UNKNOWN });
    }
  });

  it('takes numbers sent as strings, fills absent attributes with null and drops unknown keys', () => {
    const bytes = Buffer.from(encode({ n: '42', extra: 1, tags: ['b', 'a'] }));
    const type: CtyType = ['object', { n: 'number', tags: ['set', 'string'], missing: 'bool' }];
    expect(decodeDynamic({ msgpack: bytes }, type)).toEqual({ n: 42, tags: ['b', 'a'], missing: null });
  });

  it('falls back to JSON when msgpack is empty, and an empty value is null', () => {
    const type: CtyType = ['object', { id: 'string', size: 'number' }];
    expect(decodeDynamic({ json: Buffer.from('{"id":"x","size":"8"}') }, type)).toEqual({ id: 'x', size: 8 });
    expect(decodeDynamic({ msgpack: Buffer.alloc(0) }, type)).toBeNull();
  });

  it('compares sets without order and treats unknown as equal to nothing', () => {
    expect(sameValue(['a', 'b'], ['b', 'a'], ['set', 'string'])).toBe(true);
    expect(sameValue(['a', 'b'], ['b', 'a'], ['list', 'string'])).toBe(false);
    expect(sameValue(UNKNOWN as Value, UNKNOWN as Value, 'string')).toBe(false);
    expect(sameValue({ a: null }, {}, ['object', { a: 'string' }])).toBe(true);
  });
});
