import type { BenchContext, Benchmark } from './lib/benchmark';
import { insertLease } from './lib/seed';
import { sequential, summarise } from './lib/stats';

const WARMUP = 50;
const SQL_SAMPLES = 500;

/**
 * (c) Latency of one next-free /28 allocation with nothing else running: one HTTP client, one
 * request at a time, timed client side over loopback (so it includes HTTP parsing, auth and
 * the JSON answer, and no queueing). Once in an empty /16, once in a /8 that already holds
 * `filledAllocations` active allocations, fragmented by releasing a tenth of what was taken.
 * The same transaction over a bare pg connection is timed beside it, to separate the database
 * from the service.
 */
export const benchmark: Benchmark = {
  name: 'alloc-latency',
  title: 'Next-free allocation latency, empty vs filled lease',
  async run(ctx) {
    // The empty /16 holds 4,096 /28s: room for the HTTP and SQL samples with their warm-ups.
    const samples = Math.min(ctx.options.latencySamples, 4096 - WARMUP - SQL_SAMPLES - 20);
    const empty = await insertLease(ctx.db, ctx.world, ctx.takePrefix(16).prefix);
    const filled = await insertLease(ctx.db, ctx.world, ctx.takePrefix(8).prefix);
    const seedStarted = Date.now();
    const holes = await fillLease(ctx, filled, ctx.options.filledAllocations);
    ctx.record({
      key: 'latency.fillSeconds',
      metric: `fill the /8: ${(ctx.options.filledAllocations + holes).toLocaleString('en-US')} takes, ${holes.toLocaleString('en-US')} released again`,
      value: (Date.now() - seedStarted) / 1000,
      unit: 's',
      note: 'free_blocks_take / allocation_release in plpgsql loops',
    });

    // The floor under every write: one durable commit (an xid assigned, so the WAL is flushed).
    const commit = summarise(await sequential(SQL_SAMPLES, 20, () => ctx.db.query('SELECT txid_current()')));
    ctx.record({
      key: 'latency.commitP50',
      metric: 'bare durable commit (SELECT txid_current()), p50',
      value: commit.p50,
      unit: 'ms',
      note: `${commit.count} sequential; WAL flush floor`,
    });
    ctx.record({ key: 'latency.commitP99', metric: 'bare durable commit, p99', value: commit.p99, unit: 'ms' });

    for (const [label, leaseId] of [
      ['empty', empty],
      ['filled', filled],
    ] as const) {
      const where =
        label === 'empty'
          ? 'an empty /16'
          : `a /8 holding ${ctx.options.filledAllocations.toLocaleString('en-US')} allocations`;
      const http = summarise(await sequential(samples, WARMUP, () => allocateOverHttp(ctx, leaseId)));
      ctx.record({
        key: `latency.${label}.p50`,
        metric: `next-free /28 in ${where}, p50`,
        value: http.p50,
        unit: 'ms',
        note: `HTTP, 1 client, ${http.count} sequential requests, client side`,
      });
      ctx.record({
        key: `latency.${label}.p99`,
        metric: `next-free /28 in ${where}, p99`,
        value: http.p99,
        unit: 'ms',
      });
      const sql = summarise(await sqlLatency(ctx, leaseId, SQL_SAMPLES));
      ctx.record({
        key: `latency.${label}.sqlP50`,
        metric: `same, bare SQL transaction, p50`,
        value: sql.p50,
        unit: 'ms',
        note: `${sql.count} sequential, 1 pg client`,
      });
      ctx.record({
        key: `latency.${label}.sqlP99`,
        metric: `same, bare SQL transaction, p99`,
        value: sql.p99,
        unit: 'ms',
      });
    }
    const freeBlocks = (await ctx.db.query(`SELECT count(*)::int AS n FROM free_blocks WHERE lease_id = $1`, [filled]))
      .rows[0].n;
    ctx.log(`the filled /8 ends with ${freeBlocks} free blocks`);
  },
};

export async function allocateOverHttp(ctx: BenchContext, leaseId: string): Promise<void> {
  const res = await ctx.http.post('/api/v1/allocations', {
    leaseId,
    prefixLength: 28,
    regionId: ctx.world.regionId,
    providerId: ctx.world.providerId,
  });
  if (res.status !== 201) throw new Error(`allocation answered ${res.status}: ${JSON.stringify(res.body)}`);
}

export async function sqlLatency(ctx: BenchContext, leaseId: string, count: number): Promise<number[]> {
  const c = await ctx.db.connect();
  try {
    return await sequential(count, 20, async () => {
      await c.query('BEGIN');
      await c.query(`SELECT id FROM leases WHERE id = $1 FOR NO KEY UPDATE`, [leaseId]);
      const block = (await c.query(`SELECT free_blocks_take($1, 28, false)::text AS prefix`, [leaseId])).rows[0].prefix;
      await c.query(
        `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, requested_prefix_length, strategy) VALUES ($1, $2::cidr, $3, $4, 28, 'best-fit')`,
        [leaseId, block, ctx.world.regionId, ctx.world.providerId],
      );
      await c.query('COMMIT');
    });
  } finally {
    c.release();
  }
}

/**
 * Fills a lease through the same functions the service uses: free_blocks_take in plpgsql loops
 * of TAKE_CHUNK per transaction (one huge transaction would leave every split's dead index
 * entries in front of the next search: quadratic), the allocation rows in one INSERT with
 * triggers and constraints on, then a random ninth of them released through
 * allocation_release (the service's release) so the free index holds thousands of small holes. Ends with exactly
 * `active` active allocations; returns how many were released.
 */
const TAKE_CHUNK = 10_000;

async function fillLease(ctx: BenchContext, leaseId: string, active: number): Promise<number> {
  const released = Math.floor(active / 9);
  const total = active + released;
  const c = await ctx.db.connect();
  try {
    await c.query(`CREATE TEMP TABLE bench_taken (prefix cidr NOT NULL)`);
    for (let done = 0; done < total; done += TAKE_CHUNK) {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('bench.lease', $1, true), set_config('bench.taken', $2, true)`, [
        leaseId,
        String(Math.min(TAKE_CHUNK, total - done)),
      ]);
      await c.query(`
        DO $$
        DECLARE
          lease uuid := current_setting('bench.lease')::uuid;
        BEGIN
          PERFORM 1 FROM leases WHERE id = lease FOR NO KEY UPDATE;
          FOR i IN 1 .. current_setting('bench.taken')::int LOOP
            INSERT INTO bench_taken VALUES (free_blocks_take(lease, 28, false));
          END LOOP;
        END $$`);
      await c.query('COMMIT');
      await c.query('VACUUM free_blocks');
    }
    await c.query('BEGIN');
    await c.query(
      `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, requested_prefix_length, strategy)
       SELECT $1, prefix, $2, $3, 28, 'best-fit' FROM bench_taken ORDER BY prefix`,
      [leaseId, ctx.world.regionId, ctx.world.providerId],
    );
    await c.query(`SELECT set_config('bench.lease', $1, true), set_config('bench.released', $2, true)`, [
      leaseId,
      String(released),
    ]);
    await c.query(`
      DO $$
      DECLARE
        lease uuid := current_setting('bench.lease')::uuid;
        victim record;
      BEGIN
        FOR victim IN
          SELECT id FROM allocations WHERE lease_id = lease ORDER BY random() LIMIT current_setting('bench.released')::int
        LOOP
          PERFORM allocation_release(victim.id, NULL);
        END LOOP;
      END $$`);
    await c.query('COMMIT');
    await c.query('DROP TABLE bench_taken');
    await c.query('VACUUM ANALYZE free_blocks');
    await c.query('ANALYZE allocations');
    const n = (
      await c.query(`SELECT count(*)::int AS n FROM allocations WHERE lease_id = $1 AND status = 'active'`, [leaseId])
    ).rows[0].n;
    if (n !== active) throw new Error(`expected ${active} active allocations in the filled lease, found ${n}`);
    return released;
  } catch (error) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    c.release();
  }
}
