import * as os from 'node:os';
import type { BenchContext, Benchmark } from './lib/benchmark';
import { dotted } from './lib/ipv4';
import { allocateOverHttp, sqlLatency } from './allocation-latency';
import { insertLease } from './lib/seed';
import { loopFor, sequential, summarise } from './lib/stats';

export interface ReadDataset {
  leases: number;
  allocations: number;
  /** The span every seeded lease lies in (one /24 each, consecutive). */
  span: string;
  /** Allocations fill each lease from its first address up to here (exclusive), in equal slots. */
  allocatedAddressesPerLease: number;
  lessorIds: string[];
  regionIds: string[];
  providerIds: string[];
}

/**
 * Reads at scale: seeds `readLeases` leases (one /24 each) and `readAllocations` allocations
 * spread evenly over them, then times single reads one at a time (client side, loopback) and a
 * mixed read load from `concurrency` clients, sampling the service's RSS under it.
 *
 * Seeding is set-based SQL with session_replication_role = replica, which skips triggers and
 * foreign-key checks for the bulk insert (the rows are valid by construction; exclusion
 * constraints and every index are still maintained). free_blocks is written to match.
 * The dataset stays for later modules: ctx.datasets.read.
 */
export const benchmark: Benchmark = {
  name: 'reads',
  title: 'Read latency at scale',
  async run(ctx) {
    const started = Date.now();
    const dataset = await seedReadDataset(ctx);
    ctx.datasets.read = dataset;
    const seedSeconds = (Date.now() - started) / 1000;
    ctx.log(`seeded ${dataset.leases} leases and ${dataset.allocations} allocations in ${seedSeconds.toFixed(1)} s`);
    ctx.record({
      key: 'reads.seedSeconds',
      metric: `seed ${dataset.leases.toLocaleString('en-US')} leases + ${dataset.allocations.toLocaleString('en-US')} allocations`,
      value: seedSeconds,
      unit: 's',
      note: 'set-based SQL, incl. ANALYZE',
    });

    const { rows: sample } = await ctx.db.query<{ id: string; network: string }>(
      `SELECT id, (prefix - '0.0.0.0'::inet)::text AS network FROM leases WHERE prefix <<= $1::cidr ORDER BY random() LIMIT 2000`,
      [dataset.span],
    );
    const pick = () => sample[Math.floor(Math.random() * sample.length)];
    // Keyset cursors encode the creation sequence ('s<seq>', base64url): a cursor 90% of the way in.
    const deepCursor = async (table: string) => {
      const { rows } = await ctx.db.query(
        `SELECT seq FROM ${table} ORDER BY seq OFFSET (SELECT (count(*) * 0.9)::bigint FROM ${table}) LIMIT 1`,
      );
      return Buffer.from(`s${rows[0].seq}`, 'utf8').toString('base64url');
    };
    const [deepAllocations, deepLeases] = [await deepCursor('allocations'), await deepCursor('leases')];

    const reads: { key: string; label: string; path: () => string }[] = [
      { key: 'getLease', label: 'GET /leases/{id} (random lease)', path: () => `/api/v1/leases/${pick().id}` },
      {
        key: 'lookup',
        label: 'GET /lookup?ip= (random allocated address)',
        path: () =>
          `/api/v1/lookup?ip=${dotted(Number(pick().network) + Math.floor(Math.random() * dataset.allocatedAddressesPerLease))}`,
      },
      {
        key: 'listAllocations1',
        label: 'GET /allocations?limit=50, page 1',
        path: () => '/api/v1/allocations?limit=50',
      },
      {
        key: 'listAllocationsDeep',
        label: 'GET /allocations?limit=50, cursor at 90%',
        path: () => `/api/v1/allocations?limit=50&cursor=${deepAllocations}`,
      },
      { key: 'listLeases1', label: 'GET /leases?limit=50, page 1', path: () => '/api/v1/leases?limit=50' },
      {
        key: 'listLeasesDeep',
        label: 'GET /leases?limit=50, cursor at 90%',
        path: () => `/api/v1/leases?limit=50&cursor=${deepLeases}`,
      },
    ];
    const get = async (path: string) => {
      const res = await ctx.http.get(path);
      if (res.status !== 200)
        throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
      return res;
    };

    for (const read of reads) {
      const latency = summarise(await sequential(ctx.options.readSamples, 20, () => get(read.path())));
      ctx.record({
        key: `reads.${read.key}.p50`,
        metric: `${read.label}, p50`,
        value: latency.p50,
        unit: 'ms',
        note: `1 client, ${latency.count} sequential, client side`,
      });
      ctx.record({ key: `reads.${read.key}.p99`, metric: `${read.label}, p99`, value: latency.p99, unit: 'ms' });
    }

    const stopRss = ctx.service.sampleRss();
    const mixed = await loopFor(
      { concurrency: ctx.options.concurrency, warmupMs: 1000, durationMs: ctx.options.durationSeconds * 1000 },
      (worker) => get(reads[worker % reads.length].path()),
    );
    const rss = stopRss();
    const latency = summarise(mixed.latencies);
    ctx.record({
      key: 'reads.mixedPerSec',
      metric: `mixed reads above, ${ctx.options.concurrency} clients`,
      value: mixed.results.length / mixed.seconds,
      unit: 'req/s',
      note: `p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms`,
    });
    ctx.record({
      key: 'rss.readPeak',
      metric: 'service RSS peak under the mixed read load',
      value: rss.peakMiB,
      unit: 'MiB',
    });

    // Without leaseId the service searches every active lease's free blocks (best fit overall).
    const anyLease = summarise(
      await sequential(200, 10, async () => {
        const res = await ctx.http.post('/api/v1/allocations', {
          prefixLength: 28,
          regionId: ctx.world.regionId,
          providerId: ctx.world.providerId,
        });
        if (res.status !== 201)
          throw new Error(`allocation without leaseId answered ${res.status}: ${JSON.stringify(res.body)}`);
      }),
    );
    ctx.record({
      key: 'reads.anyLease.p50',
      metric: `next-free /28 without leaseId (${(await leaseCount(ctx)).toLocaleString('en-US')} leases), p50`,
      value: anyLease.p50,
      unit: 'ms',
      note: `1 client, ${anyLease.count} sequential`,
    });
    ctx.record({
      key: 'reads.anyLease.p99',
      metric: 'next-free /28 without leaseId, p99',
      value: anyLease.p99,
      unit: 'ms',
    });

    // The same allocation as (c)'s empty /16, but with a million rows in allocations: the global
    // exclusion index (allocations_no_overlap) is checked on every insert.
    const fresh = await insertLease(ctx.db, ctx.world, ctx.takePrefix(16).prefix);
    const total = (await ctx.db.query(`SELECT count(*)::int AS n FROM allocations`)).rows[0].n as number;
    const http = summarise(await sequential(500, 20, () => allocateOverHttp(ctx, fresh)));
    ctx.record({
      key: 'reads.freshLease.p50',
      metric: `next-free /28 in an empty /16, ${total.toLocaleString('en-US')} allocations in the table, p50`,
      value: http.p50,
      unit: 'ms',
      note: `HTTP, 1 client, ${http.count} sequential`,
    });
    ctx.record({ key: 'reads.freshLease.p99', metric: 'same, p99', value: http.p99, unit: 'ms' });
    const sql = summarise(await sqlLatency(ctx, fresh, 500));
    ctx.record({
      key: 'reads.freshLease.sqlP50',
      metric: 'same, bare SQL transaction, p50',
      value: sql.p50,
      unit: 'ms',
      note: `${sql.count} sequential, 1 pg client`,
    });
    ctx.record({
      key: 'reads.freshLease.sqlP99',
      metric: 'same, bare SQL transaction, p99',
      value: sql.p99,
      unit: 'ms',
    });
  },
};

async function leaseCount(ctx: BenchContext): Promise<number> {
  return (await ctx.db.query(`SELECT count(*)::int AS n FROM leases`)).rows[0].n;
}

/** Allocations per /24 lease are laid out in equal slots from the bottom: the slot count is a power of two. */
function slotsPerLease(perLease: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, perLease)));
}

async function seedReadDataset(ctx: BenchContext): Promise<ReadDataset> {
  const leases = ctx.options.readLeases;
  const perLease = Math.round(ctx.options.readAllocations / leases);
  if (perLease > 256) throw new Error('at most 256 allocations per lease (each lease is a /24)');
  const slots = slotsPerLease(perLease);
  const slotLength = 24 + Math.log2(slots);
  const slotSize = 256 / slots;
  const span = ctx.takePrefix(32 - Math.ceil(Math.log2(leases * 256)));

  // The free remainder of every lease after its allocations: the aligned blocks of [perLease * slotSize, 256).
  const freeTail: { offset: number; length: number }[] = [];
  for (let offset = perLease * slotSize; offset < 256;) {
    let size = 256;
    while (offset % size !== 0 || offset + size > 256) size /= 2;
    freeTail.push({ offset, length: 32 - Math.log2(size) });
    offset += size;
  }

  const started = Date.now();
  const c = await ctx.db.connect();
  try {
    await c.query(`SET session_replication_role = replica`);
    await c.query(`SET maintenance_work_mem = '256MB'`);
    const ids = async (sql: string) => (await c.query<{ id: string }>(sql)).rows.map((r) => r.id);
    const lessorIds = await ids(
      `INSERT INTO lessors (name, rir) SELECT 'Read lessor ' || g, (ARRAY['ARIN','RIPE','APNIC','LACNIC','AFRINIC'])[1 + g % 5] FROM generate_series(1, 100) g RETURNING id`,
    );
    const regionIds = await ids(
      `INSERT INTO regions (code, name, country_code) SELECT 'read-' || g, 'Read region ' || g, (ARRAY['IE','DE','US','JP','BR'])[1 + g % 5] FROM generate_series(1, 20) g RETURNING id`,
    );
    const providerIds = await ids(
      `INSERT INTO providers (code, name) SELECT 'read-' || g, 'Read provider ' || g FROM generate_series(1, 5) g RETURNING id`,
    );

    await c.query(
      `INSERT INTO leases (prefix, lessor_id, start_date, end_date, auto_renew, price_per_ip_monthly, currency, tags)
       SELECT cidr_of($1::bigint + (g - 1) * 256, 24), ($2::uuid[])[1 + g % 100], date '2025-01-01' + (g % 200),
              CASE WHEN g % 4 = 0 THEN date '2027-06-30' END, g % 8 = 0, 0.30 + (g % 40) / 100.0,
              CASE WHEN g % 10 = 0 THEN 'EUR' ELSE 'USD' END, CASE WHEN g % 3 = 0 THEN ARRAY['prod'] ELSE '{}' END
         FROM generate_series(1, $3::int) g`,
      [span.network, lessorIds, leases],
    );
    // Allocations in batches, each a pseudo-random 1/20th of all (lease, slot) pairs inserted in
    // random order, on a few connections at once (the service is idle meanwhile). Address order
    // would be closer to what best-fit produces, but it builds the GiST exclusion index several
    // times slower (and worse); see docs/benchmarks.md.
    const batches = 20;
    let nextBatch = 0;
    let done = 0;
    const workers = Math.max(1, Math.min(4, os.availableParallelism()));
    await Promise.all(
      Array.from({ length: workers }, async () => {
        const w = await ctx.db.connect();
        try {
          await w.query(`SET session_replication_role = replica`);
          for (let b = nextBatch++; b < batches; b = nextBatch++) {
            await w.query(
              `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, requested_prefix_length, strategy, tags, effective_date)
               SELECT l.id, cidr_of((l.prefix - '0.0.0.0'::inet) + j * $2::int, $3::int), ($4::uuid[])[1 + (l.seq + j) % 20], ($5::uuid[])[1 + (l.seq + j) % 5],
                      $3::int, 'best-fit', CASE WHEN j = 0 THEN ARRAY['edge'] ELSE '{}' END, l.start_date + (j % 120)
                 FROM leases l CROSS JOIN generate_series(0, $6::int - 1) j
                WHERE l.prefix <<= $1::cidr AND ((l.seq * 256 + j) * 7919) % $7::int = $8::int
                ORDER BY random()`,
              [span.prefix, slotSize, slotLength, regionIds, providerIds, perLease, batches, b],
            );
            done++;
            if (done % 5 === 0)
              ctx.log(
                `  allocations: ${done}/${batches} batches after ${((Date.now() - started) / 1000).toFixed(0)} s`,
              );
          }
        } finally {
          await w.query(`RESET session_replication_role`).catch(() => undefined);
          w.release();
        }
      }),
    );
    await c.query(`DELETE FROM free_blocks WHERE lease_id IN (SELECT id FROM leases WHERE prefix <<= $1::cidr)`, [
      span.prefix,
    ]);
    await c.query(
      `INSERT INTO free_blocks (lease_id, prefix)
       SELECT l.id, cidr_of((l.prefix - '0.0.0.0'::inet) + t.offset_, t.length_)
         FROM leases l CROSS JOIN unnest($2::int[], $3::int[]) AS t(offset_, length_)
        WHERE l.prefix <<= $1::cidr`,
      [span.prefix, freeTail.map((t) => t.offset), freeTail.map((t) => t.length)],
    );
    await c.query(`SET session_replication_role = DEFAULT`);
    await c.query(`ANALYZE`);
    return {
      leases,
      allocations: leases * perLease,
      span: span.prefix,
      allocatedAddressesPerLease: perLease * slotSize,
      lessorIds,
      regionIds,
      providerIds,
    };
  } finally {
    await c.query(`RESET session_replication_role`).catch(() => undefined);
    c.release();
  }
}
