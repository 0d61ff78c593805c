import { Pool } from 'pg';
import { runMigrations } from '../src/database/data-source';
import { findPostgresBinaries, startReplicaPair } from '../test/support/replica';
import type { Benchmark } from './lib/benchmark';
import { insertLease, seedWorld } from './lib/seed';
import { loopFor, summarise } from './lib/stats';

const LEASES = 20_000;
const ALLOCATIONS_PER_LEASE = 10;
const ALLOCATING_CLIENTS = 8;
const REPORTING_CLIENTS = 2;

/**
 * (6) Allocation throughput while reports run, without and with DATABASE_REPLICA_URL. Needs a full
 * PostgreSQL installation for pg_basebackup (Debian's 15 here; the embedded package has none), so
 * this module runs its own primary + streaming replica pair from those binaries, seeds 20,000
 * leases / 200,000 allocations, and starts two more service instances on it: one reading from the
 * primary only, one routing reports to the replica. Skipped when no such installation is found.
 */
export const benchmark: Benchmark = {
  name: 'replica',
  title: 'Allocation throughput while reports run, with and without a read replica',
  async run(ctx) {
    const binDir = findPostgresBinaries();
    if (!binDir) {
      ctx.log('skipped: no PostgreSQL installation with pg_basebackup (set PG_BIN_DIR)');
      return;
    }
    const pair = await startReplicaPair(binDir);
    const pool = new Pool({ connectionString: pair.primaryUrl, max: 4, options: '-c TimeZone=UTC' });
    const services: { stop(): Promise<void> }[] = [];
    try {
      await runMigrations(pair.primaryUrl);
      const world = await seedWorld(pool);
      const seedStarted = Date.now();
      await seed(pool, world, ctx.takePrefix(32 - Math.ceil(Math.log2(LEASES * 256))));
      await pair.catchUp();
      ctx.log(
        `seeded ${LEASES} leases and ${LEASES * ALLOCATIONS_PER_LEASE} allocations in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s`,
      );
      const month = new Date().toISOString().slice(0, 7);
      for (const [label, env] of [
        ['primary only', { DATABASE_URL: pair.primaryUrl }],
        ['reports on the replica', { DATABASE_URL: pair.primaryUrl, DATABASE_REPLICA_URL: pair.replicaUrl }],
      ] as const) {
        const { service, http } = await ctx.startService(env);
        services.push(service);
        const leaseId = await insertLease(pool, world, ctx.takePrefix(12).prefix);
        const body = { leaseId, prefixLength: 28, regionId: world.regionId, providerId: world.providerId };
        const reportLatencies: number[] = [];
        const run = await loopFor(
          {
            concurrency: ALLOCATING_CLIENTS + REPORTING_CLIENTS,
            warmupMs: ctx.options.warmupSeconds * 1000,
            durationMs: ctx.options.durationSeconds * 1000,
          },
          async (worker) => {
            if (worker < REPORTING_CLIENTS) {
              const t0 = Date.now();
              const res = await http.get(`/api/v1/reports/monthly-cost?month=${month}&groupBy=provider`);
              if (res.status !== 200) throw new Error(`monthly-cost answered ${res.status}`);
              reportLatencies.push(Date.now() - t0);
              return 'report';
            }
            const res = await http.post('/api/v1/allocations', body);
            if (res.status !== 201) throw new Error(`allocation answered ${res.status}: ${JSON.stringify(res.body)}`);
            return 'allocation';
          },
        );
        const allocations = run.results.filter((r) => r === 'allocation').length;
        const reports = run.results.length - allocations;
        const key = label === 'primary only' ? 'primary' : 'replica';
        ctx.record({
          key: `replica.${key}.allocPerSec`,
          metric: `next-free /28, ${ALLOCATING_CLIENTS} clients, while ${REPORTING_CLIENTS} clients run monthly-cost (${label})`,
          value: allocations / run.seconds,
          unit: 'alloc/s',
          note: `${reports} reports in ${run.seconds.toFixed(1)} s, report p50 ${summarise(reportLatencies).p50.toFixed(0)} ms; ${LEASES * ALLOCATIONS_PER_LEASE} allocations; PostgreSQL from ${binDir}`,
        });
        await service.stop();
      }
    } finally {
      for (const service of services) await service.stop().catch(() => undefined);
      await pool.end();
      await pair.stop();
    }
  },
};

async function seed(
  pool: Pool,
  world: { lessorId: string; regionId: string; providerId: string },
  span: { prefix: string; network: number },
): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query(`SET session_replication_role = replica`);
    await c.query(
      `INSERT INTO leases (prefix, lessor_id, start_date, price_per_ip_monthly, currency)
       SELECT cidr_of($1::bigint + (g - 1) * 256, 24), $2, date '2025-01-01', 0.30 + (g % 40) / 100.0, 'USD'
         FROM generate_series(1, $3::int) g`,
      [span.network, world.lessorId, LEASES],
    );
    await c.query(
      `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, requested_prefix_length, strategy)
       SELECT l.id, cidr_of((l.prefix - '0.0.0.0'::inet) + j * 16, 28), $2, $3, 28, 'best-fit'
         FROM leases l CROSS JOIN generate_series(0, $4::int - 1) j
        WHERE l.prefix <<= $1::cidr`,
      [span.prefix, world.regionId, world.providerId, ALLOCATIONS_PER_LEASE],
    );
    // The free rest of each /24 after its first 10 /28s (160 addresses): .160/27 and .192/26.
    await c.query(
      `INSERT INTO free_blocks (lease_id, prefix)
       SELECT l.id, cidr_of((l.prefix - '0.0.0.0'::inet) + t.offset_, t.length_)
         FROM leases l CROSS JOIN (VALUES (160, 27), (192, 26)) AS t(offset_, length_)
        WHERE l.prefix <<= $1::cidr`,
      [span.prefix],
    );
    await c.query(`RESET session_replication_role`);
    await c.query(`ANALYZE`);
  } finally {
    c.release();
  }
}
