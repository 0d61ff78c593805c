import { runMigrations } from '../../src/database/data-source';
import { createLease, seedWorld, World } from '../support/fixtures';
import { findPostgresBinaries, ReplicaPair, startReplicaPair } from '../support/replica';
import { bearer, startTestApp, TestApp } from '../support/test-app';

const binDir = findPostgresBinaries();
if (!binDir) {
  console.warn(
    'replica read tests SKIPPED: no PostgreSQL installation with pg_basebackup (set PG_BIN_DIR, or apt-get install postgresql)',
  );
}
const describeWithReplica = binDir ? describe : describe.skip;

/**
 * DATABASE_REPLICA_URL against a real streaming replica (pg_basebackup): lists, lookups and reports
 * come from the replica once it has replayed up to the request's arrival; a lagging or stopped
 * replica leaves them to the primary, with the right answer and never a 500.
 */
describeWithReplica('reads from a streaming replica', () => {
  let pair: ReplicaPair;
  let t: TestApp;
  let w: World;
  let leaseId: string;

  beforeAll(async () => {
    pair = await startReplicaPair(binDir as string);
    await runMigrations(pair.primaryUrl);
    t = await startTestApp({ databaseReplicaUrl: pair.replicaUrl }, pair.primaryUrl);
    w = await seedWorld(t);
    leaseId = await createLease(t, w, '185.77.0.0/22');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await pair?.stop();
  });

  /** iplease_read_queries_total by served_by/reason, from /metrics. */
  const readCounts = async (): Promise<Record<string, number>> => {
    const text = (await t.http.get('/metrics').expect(200)).text;
    const counts: Record<string, number> = {};
    for (const m of text.matchAll(/^iplease_read_queries_total\{served_by="(\w+)",reason="([\w-]+)"\} (\d+)/gm))
      counts[`${m[1]}/${m[2]}`] = Number(m[3]);
    return counts;
  };
  const delta = (before: Record<string, number>, after: Record<string, number>, key: string) =>
    (after[key] ?? 0) - (before[key] ?? 0);

  const allocate = async () =>
    (
      await t.http
        .post('/api/v1/allocations')
        .set(bearer())
        .send({ leaseId, prefixLength: 28, regionId: w.regionId, providerId: w.providerId })
        .expect(201)
    ).body as { id: string; prefix: string };

  const readEverything = async (allocation: { id: string; prefix: string }) => {
    const list = await t.http.get(`/api/v1/allocations?leaseId=${leaseId}&limit=500`).set(bearer()).expect(200);
    expect(list.body.items.map((a: { id: string }) => a.id)).toContain(allocation.id);
    const lookup = await t.http
      .get(`/api/v1/lookup?ip=${allocation.prefix.split('/')[0]}`)
      .set(bearer())
      .expect(200);
    expect(lookup.body.allocation?.id).toBe(allocation.id);
    const report = await t.http.get('/api/v1/reports/utilization?groupBy=lease').set(bearer()).expect(200);
    const row = report.body.rows.find((r: { key: string }) => r.key === leaseId);
    return { allocatedInReport: Number(row.allocatedAddresses) };
  };

  it('a replica that has caught up answers lists, lookups and reports', async () => {
    const mine = await allocate();
    await pair.catchUp();
    const before = await readCounts();
    const { allocatedInReport } = await readEverything(mine);
    expect(allocatedInReport).toBe(16);
    const after = await readCounts();
    expect(delta(before, after, 'replica/fresh')).toBeGreaterThanOrEqual(3);
    expect(delta(before, after, 'primary/lagging') + delta(before, after, 'primary/unavailable')).toBe(0);
  });

  it('a lagging replica (replay paused) never gives a stale answer: the primary answers, with the caller’s own write', async () => {
    await pair.pauseReplay();
    try {
      const allocatedBefore = (await readEverything(await allocate())).allocatedInReport;
      expect(allocatedBefore).toBe(32);
      const mine = await allocate();
      const before = await readCounts();
      const { allocatedInReport } = await readEverything(mine);
      expect(allocatedInReport).toBe(allocatedBefore + 16);
      const after = await readCounts();
      expect(delta(before, after, 'primary/lagging')).toBeGreaterThanOrEqual(3);
      expect(delta(before, after, 'replica/fresh')).toBe(0);
    } finally {
      await pair.resumeReplay();
    }
    // Once replay resumes, the replica serves again.
    await pair.catchUp();
    const before = await readCounts();
    await t.http.get('/api/v1/allocations').set(bearer()).expect(200);
    expect(delta(before, await readCounts(), 'replica/fresh')).toBe(1);
  });

  it('a replica that is down: reads go to the primary, correct and never a 500', async () => {
    await pair.stopReplica();
    const mine = await allocate();
    const before = await readCounts();
    for (let i = 0; i < 3; i++) await readEverything(mine);
    await t.http.get('/api/v1/reports/monthly-cost?month=2026-01&groupBy=lease').set(bearer()).expect(200);
    await t.http.get('/api/v1/leases').set(bearer()).expect(200);
    const after = await readCounts();
    expect(delta(before, after, 'primary/unavailable')).toBeGreaterThanOrEqual(11);
    expect(delta(before, after, 'replica/fresh')).toBe(0);
  });
});
