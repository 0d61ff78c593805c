import { Client } from 'pg';
import type { Benchmark } from './lib/benchmark';
import { machineCpu } from './lib/machine';
import { insertLease } from './lib/seed';
import { loopFor, summarise } from './lib/stats';

/**
 * (a) The ceiling: what Postgres alone sustains for next-free allocations into ONE lease, with the
 * exact statements the service runs per allocation (lease lock, free_blocks_take, insert), from
 * `concurrency` connections. Every allocation in a lease serialises on that lease's row lock, so
 * this is the rate of the critical section, not of the machine.
 */
export const benchmark: Benchmark = {
  name: 'sql-ceiling',
  title: 'Raw SQL allocation ceiling',
  async run(ctx) {
    const { prefix } = ctx.takePrefix(12);
    const leaseId = await insertLease(ctx.db, ctx.world, prefix);
    const clients = await Promise.all(
      Array.from({ length: ctx.options.concurrency }, async () => {
        const client = new Client({ connectionString: ctx.databaseUrl, options: '-c TimeZone=UTC' });
        await client.connect();
        return client;
      }),
    );
    try {
      const { world } = ctx;
      const countedFrom = Date.now() + ctx.options.warmupSeconds * 1000;
      let cpuAtStart: { busy: number; total: number } | undefined;
      const run = await loopFor(
        {
          concurrency: clients.length,
          warmupMs: ctx.options.warmupSeconds * 1000,
          durationMs: ctx.options.durationSeconds * 1000,
        },
        async (worker) => {
          const c = clients[worker];
          if (!cpuAtStart && Date.now() >= countedFrom) cpuAtStart = machineCpu();
          await c.query('BEGIN');
          try {
            await c.query(`SELECT id FROM leases WHERE id = $1 FOR NO KEY UPDATE`, [leaseId]);
            const taken = await c.query(`SELECT free_blocks_take($1, $2, $3)::text AS prefix`, [leaseId, 28, false]);
            const block = taken.rows[0].prefix as string | null;
            if (!block) throw new Error(`lease ${prefix} is full: make the run shorter or the lease bigger`);
            await c.query(
              `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, requested_prefix_length, strategy) VALUES ($1, $2::cidr, $3, $4, 28, 'best-fit') RETURNING id`,
              [leaseId, block, world.regionId, world.providerId],
            );
            await c.query('COMMIT');
          } catch (error) {
            await c.query('ROLLBACK');
            throw error;
          }
        },
      );
      const latency = summarise(run.latencies);
      const cpuAtEnd = machineCpu();
      ctx.record({
        key: 'sql.allocPerSec',
        metric: `next-free /28 into one /12, ${clients.length} pg clients`,
        value: run.results.length / run.seconds,
        unit: 'alloc/s',
        note: `${run.results.length} in ${run.seconds.toFixed(1)} s; BEGIN, lock, take, INSERT, COMMIT${cpuAtStart ? `; whole machine ${(((cpuAtEnd.busy - cpuAtStart.busy) / (cpuAtEnd.total - cpuAtStart.total)) * 100).toFixed(0)}% busy` : ''}`,
      });
      ctx.record({
        key: 'sql.loadedP50',
        metric: 'per-transaction latency under that load, p50',
        value: latency.p50,
        unit: 'ms',
      });
      ctx.record({
        key: 'sql.loadedP99',
        metric: 'per-transaction latency under that load, p99',
        value: latency.p99,
        unit: 'ms',
      });
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  },
};
