import { MIGRATIONS } from '../../migrations';
import { freePort } from '../../src/database/embedded-postgres';
import { ServiceProcess, startService } from '../support/process';
import { Api, createLease, faultMainJs, OwnPostgres, Reply, seedWorld, spaceReport, World } from './support';

const KEY = 'ipl_fault-instances-admin-key-0123456789';
const INSTANCES = 3;

/**
 * Three real service processes on one database, as a scaled-out deployment runs them: every
 * guarantee has to come from PostgreSQL, since no process knows what the others do.
 */
describe('three service processes on one database', () => {
  let pg: OwnPostgres;
  const services: ServiceProcess[] = [];
  let apis: Api[];
  let w: World;
  const allocation = (body: Record<string, unknown>) => ({ regionId: w.regionId, providerId: w.providerId, ...body });
  const tally = (replies: Reply[]) =>
    replies
      .map((r) => `${r.status} ${r.body?.code ?? ''}`.trim())
      .reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {});

  beforeAll(async () => {
    // Not migrated: the three instances start at once and race to migrate it.
    pg = await OwnPostgres.create({ migrate: false });
    const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
    for (const port of ports) {
      services.push(
        startService(faultMainJs(), {
          PORT: String(port),
          DATABASE_URL: pg.url,
          ADMIN_API_KEY: KEY,
          LOG_LEVEL: 'info',
          RATE_LIMIT_PER_MINUTE: '0',
        }),
      );
    }
    await Promise.all(services.map((s) => s.waitFor(/iplease listening/, 60_000)));
    apis = ports.map((port) => new Api(`http://127.0.0.1:${port}`, KEY));
    w = await seedWorld(apis[0]);
  }, 90_000);

  afterAll(async () => {
    for (const service of services)
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    await pg?.destroy();
  });

  it('started together on an empty database: migrated exactly once, every instance ready', async () => {
    const applied = await pg.query<{ name: string }>('SELECT name FROM migrations ORDER BY id');
    expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((m) => m.name));
    const ready = await Promise.all(apis.map((api) => api.get('/health/ready')));
    expect(ready.map((r) => r.status)).toEqual(apis.map(() => 200));
    for (const service of services) expect(service.output()).not.toMatch(/"level":"(error|fatal)"/);
  });

  it('3 × 40 concurrent next-free /28 requests into one /22 through all instances: exactly 64 created, 56 NO_CAPACITY, no overlaps', async () => {
    const leaseId = await createLease(apis[1], w, '91.213.0.0/22');
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        apis[i % INSTANCES]
          .post('/api/v1/allocations', allocation({ leaseId, prefixLength: 28 }))
          .then((reply) => ({ instance: i % INSTANCES, reply })),
      ),
    );
    expect(tally(results.map((r) => r.reply))).toEqual({ '201': 64, '409 NO_CAPACITY': 56 });
    const created = results.filter((r) => r.reply.status === 201);
    // Real contention: more than one process won blocks.
    expect(new Set(created.map((r) => r.instance)).size).toBeGreaterThan(1);

    const prefixes = created.map((r) => r.reply.body.prefix as string);
    expect(new Set(prefixes).size).toBe(64);
    const rows = await pg.query<{ id: string; prefix: string }>(
      `SELECT id::text, prefix::text FROM allocations WHERE lease_id = $1 AND status = 'active' ORDER BY prefix`,
      [leaseId],
    );
    expect(rows.map((r) => r.id).sort()).toEqual(created.map((r) => r.reply.body.id).sort());
    const [{ overlapping }] = await pg.query<{ overlapping: number }>(
      `SELECT count(*)::int AS overlapping FROM allocations a JOIN allocations b ON a.id < b.id AND a.prefix && b.prefix WHERE a.status = 'active' AND b.status = 'active'`,
    );
    expect(overlapping).toBe(0);
    expect(await spaceReport(pg, leaseId)).toMatchObject({
      consistent: true,
      active: 64,
      free: 0,
      overlaps: 0,
      duplicates: 0,
    });
  });

  it('concurrent explicit claims across instances: one prefix claimed 18 times, and 9 nested prefixes twice each: exactly one 201 each', async () => {
    const same = await createLease(apis[2], w, '91.213.8.0/24');
    const claims = await Promise.all(
      Array.from({ length: 18 }, (_, i) =>
        apis[i % INSTANCES].post('/api/v1/allocations', allocation({ prefix: '91.213.8.64/26' })),
      ),
    );
    expect(tally(claims)).toEqual({ '201': 1, '409 PREFIX_OVERLAP': 17 });
    expect(await spaceReport(pg, same)).toMatchObject({ consistent: true, active: 1 });

    // Every prefix from /24 to /32 that holds 91.213.9.200: all overlap one another.
    const nested = await createLease(apis[0], w, '91.213.9.0/24');
    const chain = [
      '91.213.9.0/24',
      '91.213.9.128/25',
      '91.213.9.192/26',
      '91.213.9.192/27',
      '91.213.9.192/28',
      '91.213.9.200/29',
      '91.213.9.200/30',
      '91.213.9.200/31',
      '91.213.9.200/32',
    ];
    const racing = await Promise.all(
      [...chain, ...chain].map((prefix, i) => apis[i % INSTANCES].post('/api/v1/allocations', allocation({ prefix }))),
    );
    expect(tally(racing)).toEqual({ '201': 1, '409 PREFIX_OVERLAP': 17 });
    const winner = racing.find((r) => r.status === 201) as Reply;
    const rows = await pg.query<{ prefix: string }>(
      `SELECT prefix::text FROM allocations WHERE lease_id = $1 AND status = 'active'`,
      [nested],
    );
    expect(rows).toEqual([{ prefix: winner.body.prefix }]);
    expect(await spaceReport(pg, nested)).toMatchObject({ consistent: true, active: 1 });
  });

  it('all three stop cleanly on SIGTERM', async () => {
    for (const service of services) service.child.kill('SIGTERM');
    const exits = await Promise.all(services.map((s) => s.exited(10_000)));
    expect(exits).toEqual(services.map(() => ({ code: 0, signal: null })));
    for (const service of services) expect(service.output()).not.toMatch(/"level":"(error|fatal)"/);
  });
});
