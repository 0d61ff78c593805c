import { Database } from '../../src/database/database.service';
import { toProblem } from '../../src/errors/problem.filter';
import { ADMIN_KEY, startTestApp, TestApp } from '../support/test-app';
import {
  Api,
  clusterState,
  createLease,
  expectUnavailable,
  OwnPostgres,
  pooled,
  Reply,
  seedWorld,
  sleep,
  spaceReport,
  waitUntil,
  World,
} from './support';

/** Every answer during an outage must come within this (the pool's connect timeout is 3 s). */
const REQUEST_BOUND_MS = 5_000;

/**
 * The database goes away under a running service (its own PostgreSQL, so nothing else notices):
 * clean 503s at once, /health stays up, and when the database is back on the same port the
 * service recovers by itself, with everything committed before the outage intact.
 */
describe('database outage (app in-process, its own PostgreSQL)', () => {
  let pg: OwnPostgres;
  let t: TestApp;
  let api: Api;
  let anon: Api;
  let w: World;
  const allocation = (body: Record<string, unknown>) => ({ regionId: w.regionId, providerId: w.providerId, ...body });

  beforeAll(async () => {
    pg = await OwnPostgres.create();
    t = await startTestApp({}, pg.url);
    // The test's own pool sees its idle connections die with the server; that is expected here.
    t.pool.on('error', () => undefined);
    api = new Api(t.baseUrl, ADMIN_KEY);
    anon = new Api(t.baseUrl);
    w = await seedWorld(api);
  }, 60_000);

  afterAll(async () => {
    if (pg && !pg.running) await pg.start().catch(() => undefined);
    await t?.close();
    await pg?.destroy();
  });

  it.each([
    ['stopped (fast shutdown)', 'stop', '91.210.0'],
    ['crashed (SIGKILL to the postmaster and every backend)', 'crash', '91.210.1'],
  ] as const)(
    'database %s: 503 UNAVAILABLE within 5 s, /health 200, recovery on restart without losing committed data',
    async (_label, how, net) => {
      const leaseId = await createLease(api, w, `${net}.0/24`);
      // Committed before the outage; the pool now holds idle connections to the server about to go.
      const before: Reply[] = [];
      for (let i = 0; i < 6; i++)
        before.push(await api.expect(201, 'POST', '/api/v1/allocations', allocation({ leaseId, prefixLength: 28 })));
      expect(before.map((r) => r.body.prefix)).toEqual([0, 16, 32, 48, 64, 80].map((n) => `${net}.${n}/28`));

      await (how === 'stop' ? pg.stop() : pg.crash());
      // A real crash leaves the cluster marked as running: the restart has to recover from the WAL.
      expect(clusterState(pg.clusterDir)).toBe(how === 'stop' ? 'shut down' : 'in production');

      const unknownKey = new Api(t.baseUrl, 'ipl_an-unknown-key-that-needs-the-database');
      const probes: Array<() => Promise<Reply>> = [
        () => api.get('/api/v1/allocations'),
        () => api.get(`/api/v1/allocations/${before[0].body.id}`),
        () => api.post('/api/v1/allocations', allocation({ leaseId, prefixLength: 28 })),
        () => api.post('/api/v1/allocations', allocation({ prefix: `${net}.128/28` })),
        () => api.get(`/api/v1/leases/${leaseId}/free`),
        () => api.request('DELETE', `/api/v1/allocations/${before[1].body.id}`),
        () => unknownKey.get('/api/v1/lessors'),
        () => anon.get('/health/ready'),
      ];
      for (const probe of probes) expectUnavailable(await probe(), REQUEST_BOUND_MS);
      // The same under concurrency: nothing queues up behind a dead pool.
      const burst = await Promise.all(Array.from({ length: 32 }, (_, i) => probes[i % probes.length]()));
      for (const reply of burst) expectUnavailable(reply, REQUEST_BOUND_MS);
      const live = await anon.get('/health');
      expect([live.status, live.body]).toEqual([200, { status: 'ok' }]);

      // Back on the same port and data: the service heals without a restart.
      await pg.start();
      await waitUntil(
        async () => (await anon.get('/health/ready')).status === 200,
        20_000,
        '/health/ready to answer 200 again',
      );
      // Every pooled connection works again, not just the one readiness happened to use.
      const reads = await Promise.all(
        Array.from({ length: 30 }, () => api.get(`/api/v1/allocations?leaseId=${leaseId}&limit=100`)),
      );
      expect(reads.map((r) => r.status)).toEqual(reads.map(() => 200));

      // Nothing committed before the outage was lost, and nothing was written during it.
      expect(reads[0].body.items.map((a: { id: string }) => a.id).sort()).toEqual(before.map((r) => r.body.id).sort());
      for (const created of before) {
        const again = await api.expect(200, 'GET', `/api/v1/allocations/${created.body.id}`);
        expect(again.body).toMatchObject({
          id: created.body.id,
          prefix: created.body.prefix,
          status: 'active',
          version: 1,
        });
      }
      const next = await api.expect(201, 'POST', '/api/v1/allocations', allocation({ leaseId, prefixLength: 28 }));
      expect(next.body.prefix).toBe(`${net}.96/28`);
      expect(await spaceReport(pg, leaseId)).toMatchObject({ consistent: true, active: 7, duplicates: 0 });
    },
    60_000,
  );

  it('a connection lost between two statements of a transaction is reported as UNAVAILABLE, not as an internal error', async () => {
    // The window the burst below hits by chance, made certain: the session dies while idle in
    // its transaction, and TypeORM has released the query runner before the next statement.
    const db = t.app.get(Database);
    let statements = 0;
    const failure = await db
      .transaction(async (tx) => {
        await tx.query('SELECT 1');
        statements++;
        const [{ terminated }] = await pg.query<{ terminated: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS terminated FROM pg_stat_activity WHERE application_name = 'iplease' AND state = 'idle in transaction'`,
        );
        expect(terminated).toBe(1);
        await sleep(200);
        await tx.query('SELECT 1');
        statements++;
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(statements).toBe(1);
    expect(failure).toBeDefined();
    const { problem, retryAfterSeconds, unexpected } = toProblem(failure);
    expect({ status: problem.status, code: problem.code, retryAfterSeconds, unexpected }).toEqual({
      status: 503,
      code: 'UNAVAILABLE',
      retryAfterSeconds: 2,
      unexpected: false,
    });
    // The pool dropped the dead connection: the next requests are served normally.
    const reads = await Promise.all(Array.from({ length: 10 }, () => api.get('/api/v1/lessors')));
    expect(reads.map((r) => r.status)).toEqual(reads.map(() => 200));
  });

  it('database restarted in the middle of 100 concurrent allocations: each one succeeded or failed cleanly; no duplicates, no overlaps, free space consistent', async () => {
    const leaseId = await createLease(api, w, '91.211.0.0/20');
    let completed = 0;
    let restart: Promise<void> | undefined;
    let restartedAt = Infinity;
    const results = await pooled(100, 16, async (i) => {
      const requestId = `burst-${i}`;
      let reply: Reply | { status: 0; error: string; text: string; headers?: undefined; body?: undefined; ms: number };
      try {
        reply = await api.post(
          '/api/v1/allocations',
          allocation({ leaseId, prefixLength: 28, description: requestId }),
          { 'X-Request-Id': requestId },
        );
      } catch (error) {
        reply = { status: 0, error: String((error as Error).cause ?? error), text: '', ms: 0 };
      }
      const finishedAt = Date.now();
      if (++completed === 30) {
        restart = (async () => {
          await pg.stop();
          await pg.start();
          restartedAt = Date.now();
        })();
      }
      // A well-behaved client: after a 503 it waits as Retry-After says before its next request.
      if (reply.status === 503) await sleep(Number(reply.headers?.get('retry-after') ?? 1) * 1000);
      return { i, requestId, reply, finishedAt };
    });
    await restart;

    const statuses = results.map((r) => r.reply.status);
    const counts = statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
    // Only clean outcomes: no 500s, no resets or hangs.
    expect(
      results
        .filter((r) => ![201, 503, 409].includes(r.reply.status))
        .map((r) => `${r.requestId}: ${r.reply.status} ${'error' in r.reply ? r.reply.error : r.reply.text}`),
    ).toEqual([]);
    for (const { reply } of results.filter((r) => r.reply.status !== 201)) {
      expect(reply.headers?.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(reply.body.code).toBe(reply.status === 503 ? 'UNAVAILABLE' : 'NO_CAPACITY');
    }
    // The restart was felt mid-burst, and the burst went on succeeding after it.
    expect(counts[503] ?? 0).toBeGreaterThan(0);
    expect(results.filter((r) => r.reply.status === 201 && r.finishedAt > restartedAt).length).toBeGreaterThan(0);

    // What the database holds matches exactly what the clients were told.
    const rows = await pg.query<{ description: string; id: string; prefix: string }>(
      `SELECT description, id::text, prefix::text FROM allocations WHERE lease_id = $1 AND status = 'active'`,
      [leaseId],
    );
    const audits = await pg.query<{ client_request_id: string; entity_id: string }>(
      `SELECT client_request_id, entity_id::text FROM audit_events WHERE entity_type = 'allocation' AND action = 'create' AND client_request_id LIKE 'burst-%'`,
    );
    const created = results.filter((r) => r.reply.status === 201);
    expect(rows).toHaveLength(created.length);
    for (const { requestId, reply } of results) {
      const written = rows.filter((row) => row.description === requestId);
      const audited = audits.filter((a) => a.client_request_id === requestId);
      if (reply.status === 201) {
        expect(written).toEqual([{ description: requestId, id: reply.body.id, prefix: reply.body.prefix }]);
        expect(audited).toEqual([{ client_request_id: requestId, entity_id: reply.body.id }]);
      } else {
        expect({ requestId, written, audited }).toEqual({ requestId, written: [], audited: [] });
      }
    }
    expect(new Set(rows.map((r) => r.prefix)).size).toBe(rows.length);
    expect(await spaceReport(pg, leaseId)).toMatchObject({
      consistent: true,
      overlaps: 0,
      duplicates: 0,
      active: created.length,
      free: expect.any(Number),
    });

    // And the service carries on normally.
    await api.expect(201, 'POST', '/api/v1/allocations', allocation({ leaseId, prefixLength: 28 }));
    expect(await spaceReport(pg, leaseId)).toMatchObject({ consistent: true, active: created.length + 1 });
  }, 60_000);
});
