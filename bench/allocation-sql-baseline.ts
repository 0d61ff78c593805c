import { Client } from 'pg';
import type { Benchmark } from './lib/benchmark';
import { dotted } from './lib/ipv4';
import { insertLease } from './lib/seed';
import { loopFor } from './lib/stats';

const BASELINE_LOCK = 7_433_015;

/**
 * The serialised bare-SQL baseline (pgbench-like): `concurrency` pg clients, each looping
 * `BEGIN; SELECT pg_advisory_xact_lock(k); INSERT INTO allocations … ; COMMIT` into one /12 — the
 * minimal work of a serialised allocator (one lock, one insert under the same exclusion
 * constraint, a durable commit), with the next /28 computed by the client: no free-space index,
 * no audit row, no HTTP. The HTTP next-free throughput is compared with it (issue 15's targets).
 */
export const benchmark: Benchmark = {
  name: 'sql-baseline',
  title: 'Serialised bare-SQL baseline (advisory lock + INSERT)',
  async run(ctx) {
    const { prefix, network } = ctx.takePrefix(12);
    const leaseId = await insertLease(ctx.db, ctx.world, prefix);
    const clients = await Promise.all(
      Array.from({ length: ctx.options.concurrency }, async () => {
        const client = new Client({ connectionString: ctx.databaseUrl, options: '-c TimeZone=UTC' });
        await client.connect();
        return client;
      }),
    );
    let next = 0;
    try {
      const run = await loopFor(
        {
          concurrency: clients.length,
          warmupMs: ctx.options.warmupSeconds * 1000,
          durationMs: ctx.options.durationSeconds * 1000,
        },
        async (worker) => {
          const c = clients[worker];
          await c.query('BEGIN');
          try {
            await c.query('SELECT pg_advisory_xact_lock($1)', [BASELINE_LOCK]);
            await c.query(
              `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, requested_prefix_length, strategy)
               VALUES ($1, $2::cidr, $3, $4, 28, 'best-fit')`,
              [leaseId, `${dotted(network + 16 * next++)}/28`, ctx.world.regionId, ctx.world.providerId],
            );
            await c.query('COMMIT');
          } catch (error) {
            await c.query('ROLLBACK');
            throw error;
          }
        },
      );
      ctx.record({
        key: 'baseline.allocPerSec',
        metric: `advisory lock + INSERT under the exclusion constraint, ${clients.length} pg clients`,
        value: run.results.length / run.seconds,
        unit: 'alloc/s',
        note: `${run.results.length} in ${run.seconds.toFixed(1)} s; serialised by one advisory lock`,
      });
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  },
};
