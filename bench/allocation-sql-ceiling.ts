import { Client } from 'pg';
import type { Benchmark } from './lib/benchmark';
import { machineCpu } from './lib/machine';
import { insertLease } from './lib/seed';
import { loopFor, summarise } from './lib/stats';

/**
 * (a) The ceiling: what Postgres alone sustains for next-free allocations into ONE lease, with the
 * exact statement the service runs per allocation (allocation_create: shared lease lock, take,
 * insert, audit row, event), from `concurrency` connections. Allocations within a lease run in
 * parallel (issue 15), so this is bounded by the machine and the commit path, not by one lock.
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
            const created = await c.query(
              `SELECT c.outcome, (c.created).id FROM allocation_create($1, 28, false, NULL, $2, $3, 'best-fit', NULL, NULL, NULL,
                 '{}', NULL, NULL, 'bench', NULL, NULL, '{allocation.created}') c`,
              [leaseId, world.regionId, world.providerId],
            );
            if (created.rows[0].outcome !== 'placed')
              throw new Error(`lease ${prefix} is full: make the run shorter or the lease bigger`);
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
        note: `${run.results.length} in ${run.seconds.toFixed(1)} s; BEGIN, allocation_create, COMMIT${cpuAtStart ? `; whole machine ${(((cpuAtEnd.busy - cpuAtStart.busy) / (cpuAtEnd.total - cpuAtStart.total)) * 100).toFixed(0)}% busy` : ''}`,
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
