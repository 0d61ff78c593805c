import { cidrFromString, overlaps } from '../../src/ip';
import { createLease, seedWorld, World } from '../support/fixtures';
import { bearer, createTestDatabase, dropTestDatabase, startTestApp, TestApp } from '../support/test-app';

/**
 * Two service instances on one database, as a horizontally scaled deployment runs them: the
 * guarantees (no overlap, exact capacity, one winner per prefix) come from Postgres, not from
 * anything held in one process.
 */
describe('two app instances on one database', () => {
  let url: string;
  let instances: [TestApp, TestApp];
  let w: World;

  beforeAll(async () => {
    url = await createTestDatabase();
    instances = [await startTestApp({}, url), await startTestApp({}, url)];
    w = await seedWorld(instances[0]);
  });
  afterAll(async () => {
    for (const t of instances ?? []) await t.close();
    await dropTestDatabase(url);
  });

  const allocate = (t: TestApp, body: Record<string, unknown>) =>
    t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ regionId: w.regionId, providerId: w.providerId, ...body });

  it('72 concurrent next-free /28 requests into one /22, alternating instances: 64 distinct allocations, 8 NO_CAPACITY', async () => {
    const leaseId = await createLease(instances[1], w, '91.210.0.0/22');
    const results = await Promise.all(
      Array.from({ length: 72 }, (_, i) =>
        allocate(instances[i % 2], { leaseId, prefixLength: 28 }).then((res) => ({ instance: i % 2, res })),
      ),
    );

    expect(results.filter(({ res }) => res.status >= 500)).toEqual([]);
    const created = results.filter(({ res }) => res.status === 201);
    const refused = results.filter(({ res }) => res.status !== 201);
    expect(created).toHaveLength(64);
    expect(refused.map(({ res }) => [res.status, res.body.code])).toEqual(
      Array.from({ length: 8 }, () => [409, 'NO_CAPACITY']),
    );
    // Each instance got 36 requests and at most 8 failed overall: both did real work.
    for (const instance of [0, 1])
      expect(created.filter((r) => r.instance === instance).length).toBeGreaterThanOrEqual(28);

    const prefixes = created.map(({ res }) => res.body.prefix as string);
    expect(new Set(prefixes).size).toBe(64);
    const blocks = prefixes.map(cidrFromString);
    const overlapping = blocks.flatMap((a, i) =>
      blocks
        .slice(i + 1)
        .filter((b) => overlaps(a, b))
        .map((b) => `${a.network}/${a.length} & ${b.network}/${b.length}`),
    );
    expect(overlapping).toEqual([]);
    expect(prefixes.every((p) => p.endsWith('/28') && p.startsWith('91.210.'))).toBe(true);

    // The database agrees: 64 active rows, and nothing left in the free index.
    const pool = instances[0].pool;
    const rows = await pool.query(
      `SELECT prefix::text AS prefix FROM allocations WHERE lease_id = $1 AND status = 'active' ORDER BY prefix`,
      [leaseId],
    );
    expect(rows.rows.map((r) => r.prefix).sort()).toEqual([...prefixes].sort());
    expect((await pool.query(`SELECT prefix::text FROM free_blocks WHERE lease_id = $1`, [leaseId])).rows).toEqual([]);
  });

  it('16 concurrent explicit claims of one prefix split across both instances: exactly one 201', async () => {
    const leaseId = await createLease(instances[0], w, '91.210.8.0/24');
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => allocate(instances[i % 2], { prefix: '91.210.8.64/26' })),
    );

    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array.from({ length: 15 }, () => 409)]);
    const winner = results.find((r) => r.status === 201);
    expect(winner?.body).toMatchObject({ leaseId, prefix: '91.210.8.64/26', strategy: 'explicit' });
    for (const loser of results.filter((r) => r.status === 409)) {
      expect(loser.body).toMatchObject({
        code: 'PREFIX_OVERLAP',
        conflicts: [{ id: winner?.body.id, prefix: '91.210.8.64/26', kind: 'allocation' }],
      });
    }
    const pool = instances[1].pool;
    expect(
      (await pool.query(`SELECT count(*)::int AS n FROM allocations WHERE lease_id = $1`, [leaseId])).rows[0].n,
    ).toBe(1);
    const free = await pool.query(
      `SELECT prefix::text AS prefix FROM free_blocks WHERE lease_id = $1 ORDER BY prefix`,
      [leaseId],
    );
    expect(free.rows.map((r) => r.prefix)).toEqual(['91.210.8.0/26', '91.210.8.128/25']);
  });
});
