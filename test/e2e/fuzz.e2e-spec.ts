import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { FuzzRequest, FuzzWorld, fuzzRequest } from '../support/openapi-arbitraries';
import {
  contractViolation,
  diffSnapshots,
  fetchOpenApi,
  fillPath,
  HTTP_METHODS,
  listOperations,
  OpenApiDocument,
  Operation,
  publicTables,
  rawRequest,
  RawResponse,
  snapshotTables,
  WRITE_METHODS,
} from '../support/openapi-spec';
import { BODY_ROUTES, bodyRouteFor } from '../../src/common/body-limits';
import { seedFuzzWorld } from '../support/fixtures';
import { ADMIN_KEY, startTestApp, TestApp } from '../support/test-app';

/**
 * Spec-driven fuzzing (issue 6, item 4). Every operation served at /docs-json is fuzzed with the
 * admin key, so a new route is covered the moment it is documented. For every response:
 * never a 5xx, no internals in the text, every 4xx is problem+json with type/title/status/detail/code
 * (status = HTTP status), and a refused POST/PATCH/DELETE leaves every table exactly as it was.
 *
 * Each property collects its counterexamples instead of stopping at the first operation, so one
 * run reports every broken route. FUZZ_SEED pins the seed; FUZZ_RUNS scales the number of runs.
 */
jest.setTimeout(120_000);

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const SCALE = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 1;
const RUNS = {
  body: Math.round(20 * SCALE),
  query: Math.round(15 * SCALE),
  path: Math.round(15 * SCALE),
  headers: Math.round(10 * SCALE),
};

/** Tables the brief names; others found in pg_tables are watched too. */
const REQUIRED_TABLES = [
  'lessors',
  'providers',
  'regions',
  'leases',
  'allocations',
  'free_blocks',
  'api_keys',
  'audit_events',
];

const short = (value: unknown, max = 300) => {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
};

describe('fuzzing every operation of the OpenAPI spec', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let ops: Operation[];
  let tables: string[];
  let world: FuzzWorld;
  const stats = { requests: 0, byStatus: new Map<number, number>() };

  beforeAll(async () => {
    t = await startTestApp();
    doc = await fetchOpenApi(t);
    ops = listOperations(doc);
    // webhook_deliveries is written by the background dispatcher (attempts, retries of the webhooks the
    // fuzzer's valid bodies create), not by the request under test; a refused request that wrongly
    // published something would still show in `events`, from which every delivery is made.
    tables = (await publicTables(t.pool)).filter((table) => table !== 'webhook_deliveries');
    world = await seedFuzzWorld(t);
  });
  afterAll(async () => {
    const statuses = [...stats.byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    process.stdout.write(
      `fuzz: seed ${SEED}, ${stats.requests} requests over ${ops?.length} operations; statuses ${statuses}\n`,
    );
    await t?.close();
  });

  async function send(req: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }): Promise<RawResponse> {
    const res = await rawRequest(t.baseUrl, {
      ...req,
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, ...(req.headers ?? {}) },
    });
    stats.requests++;
    stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
    return res;
  }

  /** Sends one request and returns why it broke the contract, or undefined. */
  async function exercise(
    method: string,
    req: { path: string; headers?: Record<string, string>; body?: string | Buffer },
  ): Promise<{ res: RawResponse; problem?: string }> {
    const isWrite = WRITE_METHODS.has(method.toLowerCase() as never);
    const before = isWrite ? await snapshotTables(t.pool, tables) : undefined;
    const res = await send({ method: method.toUpperCase(), ...req });
    const violation = contractViolation(res);
    if (violation) return { res, problem: violation };
    const dryRun = res.status === 200 && method.toLowerCase() === 'post' && /[?&]dryRun=true(&|$)/.test(req.path);
    if (before && (res.status >= 400 || dryRun)) {
      const changed = diffSnapshots(before, await snapshotTables(t.pool, tables));
      if (changed.length)
        return {
          res,
          problem: `${dryRun ? 'dry run' : `refused (${res.status} ${String(res.body?.code)})`} but changed tables: ${changed.join('; ')}`,
        };
    }
    return { res };
  }

  function toWire(req: FuzzRequest): { path: string; headers: Record<string, string>; body?: string } {
    const path = req.query ? `${req.path}?${req.query}` : req.path;
    const body = req.raw !== undefined ? req.raw : req.body !== undefined ? JSON.stringify(req.body) : undefined;
    return { path, headers: req.headers, body };
  }

  /** Runs a property over every operation and collects one report per failing operation. */
  async function fuzzAll(
    focus: 'body' | 'query' | 'path' | 'headers',
    numRuns: number,
    applies: (op: Operation) => boolean,
  ): Promise<{ failures: string[]; fuzzed: number }> {
    const failures: string[] = [];
    let fuzzed = 0;
    for (const op of ops.filter(applies)) {
      fuzzed++;
      // Writes consume what they touch (a release, a revoke): give each write its own fresh entities.
      if (WRITE_METHODS.has(op.method)) world = await seedFuzzWorld(t);
      const result = await fc.check(
        fc.asyncProperty(fuzzRequest(doc, op, world, focus), async (req) => {
          const wire = toWire(req);
          const { res, problem } = await exercise(op.method, wire);
          if (problem) {
            throw new Error(
              `${problem}\n    request: ${req.kind} ${op.method.toUpperCase()} ${short(wire.path, 200)} headers=${short(wire.headers)} body=${short(wire.body)}\n    answer: ${res.status} ${short(res.text)}`,
            );
          }
        }),
        { numRuns, seed: SEED + fuzzed, endOnFailure: true },
      );
      if (result.failed)
        failures.push(
          `${op.label} [${focus}] ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`,
        );
    }
    return { failures, fuzzed };
  }

  it('loads a spec with at least 20 operations and watches every table', async () => {
    expect(ops.length).toBeGreaterThanOrEqual(20);
    expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length);
    expect(tables).toEqual(expect.arrayContaining(REQUIRED_TABLES));
    // The seeded world is reachable: path params can be valid ids.
    for (const [resource, ids] of Object.entries(world.ids)) {
      const res = await send({ method: 'GET', path: `/api/v1/${resource}/${ids[0]}` });
      expect({ resource, status: res.status }).toEqual({ resource, status: 200 });
    }
  });

  it('fuzzes request bodies (valid, wrong types, missing, extra, huge, nested, injections) of every operation', async () => {
    const { failures, fuzzed } = await fuzzAll(
      'body',
      RUNS.body,
      (op) => op.body !== undefined || WRITE_METHODS.has(op.method),
    );
    expect(fuzzed).toBeGreaterThanOrEqual(10);
    expect(failures).toEqual([]);
  });

  it('fuzzes query strings (valid, invalid, unknown, repeated, broken encodings) of every operation', async () => {
    const { failures, fuzzed } = await fuzzAll('query', RUNS.query, () => true);
    expect(fuzzed).toBe(ops.length);
    expect(failures).toEqual([]);
  });

  it('fuzzes path parameters (seeded ids, random UUIDs, non-UUIDs, traversal, very long) of every operation', async () => {
    const { failures, fuzzed } = await fuzzAll('path', RUNS.path, (op) => op.pathParams.length > 0);
    expect(fuzzed).toBeGreaterThanOrEqual(10);
    expect(failures).toEqual([]);
  });

  it('fuzzes documented headers (If-Match, Idempotency-Key) of every operation', async () => {
    const { failures, fuzzed } = await fuzzAll('headers', RUNS.headers, (op) => op.headerParams.length > 0);
    expect(fuzzed).toBeGreaterThanOrEqual(5);
    expect(failures).toEqual([]);
  });

  describe('raw malformed payloads on every operation with a body', () => {
    const MIB = 1024 * 1024;
    const cases: {
      name: string;
      headers: Record<string, string>;
      body: () => string | Buffer;
      status: number;
      code: string;
    }[] = [
      { name: 'invalid JSON', headers: {}, body: () => '{"name": "x", ', status: 400, code: 'VALIDATION_FAILED' },
      { name: 'single-quoted JSON', headers: {}, body: () => "{'name': 'x'}", status: 400, code: 'VALIDATION_FAILED' },
      { name: 'a lone NaN', headers: {}, body: () => '{"a": NaN}', status: 400, code: 'VALIDATION_FAILED' },
      {
        name: 'an object nested 10,000 deep',
        headers: {},
        body: () => `{"name":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`,
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'an array nested 60,000 deep in a field (within the 128 KiB limit)',
        headers: {},
        body: () => `{"tags":${'['.repeat(60_000)}${']'.repeat(60_000)}}`,
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'text/plain',
        headers: { 'Content-Type': 'text/plain' },
        body: () => '{}',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'form-urlencoded',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: () => 'name=x&rir=RIPE',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'multipart',
        headers: { 'Content-Type': 'multipart/form-data; boundary=x' },
        body: () => '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'XML',
        headers: { 'Content-Type': 'application/xml' },
        body: () => '<a/>',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'a garbage Content-Type',
        headers: { 'Content-Type': '}}}{{{' },
        body: () => '{}',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'JSON in Latin-1',
        headers: { 'Content-Type': 'application/json; charset=iso-8859-1' },
        body: () => Buffer.from('{"name":"Caf\u00e9"}', 'latin1'),
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'an unknown charset',
        headers: { 'Content-Type': 'application/json; charset=klingon' },
        body: () => '{}',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'a 2 MiB JSON body',
        headers: {},
        body: () => JSON.stringify({ notes: 'x'.repeat(2 * MIB) }),
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      {
        name: 'a 2 MiB body of another type',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: () => Buffer.alloc(2 * MIB, 1),
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'gzip that inflates past 1 MiB',
        headers: { 'Content-Encoding': 'gzip' },
        body: () => gzipSync(JSON.stringify({ notes: 'x'.repeat(3 * MIB) })),
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      {
        name: 'corrupt gzip',
        headers: { 'Content-Encoding': 'gzip' },
        body: () => Buffer.from('definitely not gzip'),
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'truncated gzip',
        headers: { 'Content-Encoding': 'gzip' },
        body: () => gzipSync('{"name":"x","rir":"RIPE"}').subarray(0, 12),
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'corrupt deflate',
        headers: { 'Content-Encoding': 'deflate' },
        body: () => Buffer.from([0x78, 0x9c, 0xff, 0xff, 0x00, 0x01]),
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'an unknown Content-Encoding',
        headers: { 'Content-Encoding': 'snappy' },
        body: () => '{}',
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
    ];

    it.each(cases)('$name → $status $code, nothing written', async ({ headers, body, status, code }) => {
      const failures: string[] = [];
      const writes = ops.filter((op) => op.body !== undefined);
      expect(writes.length).toBeGreaterThanOrEqual(8);
      const payload = body();
      for (const op of writes) {
        // File uploads take their own media types and larger bodies (BODY_ROUTES with rawTypes); their limits are tested with them.
        const raw = BODY_ROUTES.find(
          (r) => r.rawTypes && r.method === op.method.toUpperCase() && r.path.test(op.path.replace(/\{[^}]+\}/g, 'x')),
        );
        const type = String(headers['Content-Type'] ?? 'application/json').split(';')[0];
        if (raw && (status === 413 || raw.rawTypes?.includes(type))) continue;
        const path = fillPath(
          op.path,
          Object.fromEntries(op.pathParams.map((p) => [p.name, '00000000-0000-4000-8000-000000000000'])),
        );
        // A bulk route with a larger limit of its own is held to that limit in the next test.
        const routeLimit = bodyRouteFor(op.method.toUpperCase(), path)?.limitBytes;
        if (status === 413 && routeLimit !== undefined && routeLimit > MIB) continue;
        const { res, problem } = await exercise(op.method, { path, headers, body: payload });
        if (problem) failures.push(`${op.label}: ${problem}`);
        else if (res.status !== status || res.body?.code !== code)
          failures.push(`${op.label}: expected ${status} ${code}, got ${res.status} ${short(res.text)}`);
      }
      expect(failures).toEqual([]);
    });

    // Up to 32 MiB: the 256 MiB VRP upload would cost CI half a gigabyte of memory to prove the same.
    it('every bulk route refuses a body one byte over its own limit: 413 naming the limit, nothing written', async () => {
      const tested = BODY_ROUTES.filter((route) => route.limitBytes <= 32 * MIB);
      const bulk = ops.filter((op) =>
        tested.some((route) => route.method === op.method.toUpperCase() && route.path.test(op.path)),
      );
      expect(bulk.length).toBeGreaterThanOrEqual(tested.length);
      const failures: string[] = [];
      for (const op of bulk) {
        const path = fillPath(
          op.path,
          Object.fromEntries(op.pathParams.map((p) => [p.name, '00000000-0000-4000-8000-000000000000'])),
        );
        const limit = bodyRouteFor(op.method.toUpperCase(), path)?.limitBytes ?? 0;
        const body = JSON.stringify({ notes: 'x'.repeat(limit) });
        const { res, problem } = await exercise(op.method, { path, body });
        if (problem) failures.push(`${op.label}: ${problem}`);
        else if (res.status !== 413 || res.body?.code !== 'PAYLOAD_TOO_LARGE')
          failures.push(`${op.label}: expected 413 PAYLOAD_TOO_LARGE, got ${res.status} ${short(res.text)}`);
      }
      expect(failures).toEqual([]);
    });
  });

  it('answers undocumented methods on documented paths with a problem, changing nothing', async () => {
    const failures: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      const filled = fillPath(path, {});
      for (const method of HTTP_METHODS.filter((m) => !(m in item))) {
        const { res, problem } = await exercise(method, { path: filled, body: method === 'get' ? undefined : '{}' });
        if (problem) failures.push(`${method.toUpperCase()} ${path}: ${problem}`);
        else if (res.status < 400)
          failures.push(`${method.toUpperCase()} ${path}: undocumented method answered ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers unknown and mangled paths with a 4xx problem', async () => {
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.stringMatching(/^[a-z0-9-]{1,20}$/).map((s) => `/api/v1/${s}`),
          fc.constantFrom(
            '/api/v2/lessors',
            '/api/v1/',
            '/api/v1//lessors',
            '/API/V1/LESSORS',
            '/api/v1/lessors/',
            '/api/v1/lessors/..',
            '/api/v1/lessors/%2e%2e/%2e%2e/health',
            '/api/v1/lessors%00',
            '/%2e%2e/etc/passwd',
            '//',
            '/api/v1/lessors;x=1',
            '/api/v1/leases/x/free/y',
            '/api/v1/lessors?limit=1#x',
          ),
          fc
            .string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 })
            .map((s) => `/${s.replace(/^\/+/, '')}`),
        ),
        fc.constantFrom('GET', 'POST', 'DELETE'),
        async (path, method) => {
          const { res, problem } = await exercise(method, { path, body: method === 'GET' ? undefined : '{}' });
          if (problem) failures.push(`${method} ${path}: ${problem}`);
          else if (res.status === 401) failures.push(`${method} ${path}: 401 with the admin key`);
        },
      ),
      { numRuns: 60, seed: SEED },
    );
    expect(failures).toEqual([]);
  });

  it('lets no body pollute Object.prototype of the running server', () => {
    const probe = {} as Record<string, unknown>;
    expect(probe.polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});
