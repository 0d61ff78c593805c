import type { BenchContext, Benchmark, Target } from './lib/benchmark';
import { dotted } from './lib/ipv4';
import { ceilingTarget, ratioTarget } from './lib/report';
import { allocateOverHttp } from './allocation-latency';
import { insertLease } from './lib/seed';
import { sequential, summarise } from './lib/stats';

/** /28 slots filled per /16 lease (3/4 of 4,096); the free rest of each lease is one aligned /18. */
const SLOTS_PER_LEASE = 3072;
const LEASE_LENGTH = 16;
const ALLOCATION_LENGTH = 28;
const LEASES_PER_BATCH = 50;

/**
 * Flat at scale (opt-in: `--scale-allocations=10000000`, or BENCH_SCALE_ALLOCATIONS): next-free
 * and lookup latency with an empty allocations table, then again after seeding that many /28
 * allocations in ADDRESS order (what best fit produces, the worst case for the overlap index).
 *
 * Seeding is set-based SQL on two connections (session_replication_role = replica skips
 * triggers and foreign-key checks for the bulk insert; the exclusion constraint and every index
 * are maintained). 10M rows take several minutes on 2 CPUs, which is why it is opt-in.
 */
export const benchmark: Benchmark = {
  name: 'scale',
  title: 'Next-free and lookup latency: empty vs a large allocations table',
  async run(ctx) {
    const target = ctx.options.scaleAllocations;
    if (!target) {
      ctx.log('skipped: give --scale-allocations=10000000 (or BENCH_SCALE_ALLOCATIONS) to run it');
      return;
    }
    // The measured lease of the big dataset has 1,024 free /28s: room for the samples and warm-up.
    const samples = Math.min(ctx.options.latencySamples, 900);
    const emptyLease = await insertLease(ctx.db, ctx.world, ctx.takePrefix(16).prefix);
    const lookupNet = ctx.takePrefix(16);
    const lookupLease = await insertLease(ctx.db, ctx.world, lookupNet.prefix);
    // A few allocations at the bottom of a lease, so lookups before the seeding hit something.
    for (let i = 0; i < 16; i++) await allocateOverHttp(ctx, lookupLease);
    const measure = async (leaseId: string, randomAddress: () => number) => {
      const next = summarise(await sequential(samples, 50, () => allocateOverHttp(ctx, leaseId)));
      const lookup = summarise(
        await sequential(samples, 50, async () => {
          const ip = dotted(randomAddress());
          const res = await ctx.http.get(`/api/v1/lookup?ip=${ip}`);
          if (res.status !== 200) throw new Error(`lookup ${ip} answered ${res.status}`);
        }),
      );
      return { next, lookup };
    };
    const small = await measure(emptyLease, () => lookupNet.network + Math.floor(Math.random() * 16 * 16));
    const rowsBefore = (await ctx.db.query(`SELECT count(*)::int AS n FROM allocations`)).rows[0].n as number;

    const started = Date.now();
    const seeded = await seedScale(ctx, target);
    const seedSeconds = (Date.now() - started) / 1000;
    const rowsAfter = (await ctx.db.query(`SELECT count(*)::int AS n FROM allocations`)).rows[0].n as number;
    ctx.record({
      key: 'scale.seedSeconds',
      metric: `seed ${seeded.allocations.toLocaleString('en-US')} /28 allocations in address order (${seeded.leases.toLocaleString('en-US')} /16 leases)`,
      value: seedSeconds,
      unit: 's',
      note: `${Math.round(seeded.allocations / seedSeconds).toLocaleString('en-US')} rows/s; set-based SQL, 2 connections, incl. ANALYZE`,
    });
    // Lookups of random allocated addresses anywhere in the seeded span.
    const big = await measure(
      seeded.firstLeaseId,
      () =>
        seeded.firstLeaseNetwork +
        Math.floor(Math.random() * seeded.leases) * 2 ** (32 - LEASE_LENGTH) +
        Math.floor(Math.random() * SLOTS_PER_LEASE * 16),
    );

    const where = (n: number) => `${n.toLocaleString('en-US')} allocations in the table`;
    const rows: [string, string, number][] = [
      ['scale.empty.next.p50', `next-free /28, empty lease, ${where(rowsBefore)}, p50`, small.next.p50],
      ['scale.empty.next.p99', `same, p99`, small.next.p99],
      ['scale.full.next.p50', `next-free /28, lease 3/4 full, ${where(rowsAfter)}, p50`, big.next.p50],
      ['scale.full.next.p99', `same, p99`, big.next.p99],
      ['scale.empty.lookup.p50', `GET /lookup?ip=, ${where(rowsBefore)}, p50`, small.lookup.p50],
      ['scale.empty.lookup.p99', `same, p99`, small.lookup.p99],
      ['scale.full.lookup.p50', `GET /lookup?ip=, ${where(rowsAfter)}, p50`, big.lookup.p50],
      ['scale.full.lookup.p99', `same, p99`, big.lookup.p99],
    ];
    for (const [key, metric, value] of rows)
      ctx.record({
        key,
        metric,
        value,
        unit: 'ms',
        note: metric.endsWith('p50') ? `HTTP, 1 client, ${samples} sequential, client side` : undefined,
      });
  },
};

export const targets: Target[] = [
  ratioTarget(
    '(3) next-free p50 at the large table ≤ 2× the empty case',
    'scale.full.next.p50',
    'scale.empty.next.p50',
    2,
    false,
  ),
  ceilingTarget('(3) next-free p99 at the large table ≤ 10 ms', 'scale.full.next.p99', 10),
  ratioTarget(
    '(3) lookup p50 at the large table ≤ 2× the empty case',
    'scale.full.lookup.p50',
    'scale.empty.lookup.p50',
    2,
    false,
  ),
];

async function seedScale(
  ctx: BenchContext,
  wanted: number,
): Promise<{ leases: number; allocations: number; firstLeaseId: string; firstLeaseNetwork: number }> {
  const leases = Math.ceil(wanted / SLOTS_PER_LEASE);
  const allocations = leases * SLOTS_PER_LEASE;
  const span = ctx.takePrefix(32 - Math.ceil(Math.log2(leases * 2 ** (32 - LEASE_LENGTH))));
  const leaseSize = 2 ** (32 - LEASE_LENGTH);
  const slotSize = 2 ** (32 - ALLOCATION_LENGTH);
  const tailOffset = SLOTS_PER_LEASE * slotSize;
  const tailLength = 32 - Math.log2(leaseSize - tailOffset);
  const c = await ctx.db.connect();
  let firstLeaseId: string;
  try {
    await c.query(`SET session_replication_role = replica`);
    await c.query(
      `INSERT INTO leases (prefix, lessor_id, start_date, price_per_ip_monthly, currency)
       SELECT cidr_of($1::bigint + (g - 1) * $2::bigint, $3), $4, date '2025-01-01', 0.40, 'USD'
         FROM generate_series(1, $5::int) g`,
      [span.network, leaseSize, LEASE_LENGTH, ctx.world.lessorId, leases],
    );
    // Triggers are off: each lease's free space is written here, the aligned tail after its slots.
    await c.query(
      `INSERT INTO free_blocks (lease_id, prefix)
       SELECT id, cidr_of((prefix - '0.0.0.0'::inet) + $2::bigint, $3) FROM leases WHERE prefix <<= $1::cidr`,
      [span.prefix, tailOffset, tailLength],
    );
    firstLeaseId = (
      await c.query(`SELECT id FROM leases WHERE prefix = cidr_of($1::bigint, $2)`, [span.network, LEASE_LENGTH])
    ).rows[0].id;
  } finally {
    await c.query(`RESET session_replication_role`).catch(() => undefined);
    c.release();
  }

  const batches = Math.ceil(leases / LEASES_PER_BATCH);
  let nextBatch = 0;
  let done = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      const w = await ctx.db.connect();
      try {
        await w.query(`SET session_replication_role = replica`);
        await w.query(`SET synchronous_commit = off`);
        for (let b = nextBatch++; b < batches; b = nextBatch++) {
          const from = span.network + b * LEASES_PER_BATCH * leaseSize;
          const count = Math.min(LEASES_PER_BATCH, leases - b * LEASES_PER_BATCH);
          // Rows in address order, each lease filled from its bottom: what months of best fit leave behind.
          await w.query(
            `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, requested_prefix_length, strategy, effective_date)
             SELECT l.id, cidr_of($1::bigint + g * $2::bigint + j * $3::bigint, $4), $5, $6, $4, 'best-fit', date '2025-01-01'
               FROM generate_series(0, $7::int - 1) g
               JOIN leases l ON l.prefix = cidr_of($1::bigint + g * $2::bigint, $8)
              CROSS JOIN generate_series(0, $9::int - 1) j
              ORDER BY g, j`,
            [
              from,
              leaseSize,
              slotSize,
              ALLOCATION_LENGTH,
              ctx.world.regionId,
              ctx.world.providerId,
              count,
              LEASE_LENGTH,
              SLOTS_PER_LEASE,
            ],
          );
          done++;
          if (done % 10 === 0 || done === batches)
            ctx.log(
              `  ${Math.min(allocations, done * LEASES_PER_BATCH * SLOTS_PER_LEASE).toLocaleString('en-US')} allocations after ${((Date.now() - started) / 1000).toFixed(0)} s`,
            );
        }
      } finally {
        await w.query(`RESET session_replication_role`).catch(() => undefined);
        await w.query(`RESET synchronous_commit`).catch(() => undefined);
        w.release();
      }
    }),
  );
  await ctx.db.query(`VACUUM ANALYZE allocations`);
  await ctx.db.query(`ANALYZE leases`);
  await ctx.db.query(`ANALYZE free_blocks`);
  return { leases, allocations, firstLeaseId, firstLeaseNetwork: span.network };
}
