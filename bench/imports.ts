/**
 * Bulk import at the size issue 14 names: 10,000 rows in one CSV request, for allocations (/30s
 * into a fresh /16 lease, each with a name) and for leases (/24s, one new lessor). Each is run
 * three times on fresh space; the median is recorded. Target: a few seconds (≤ 2 s each).
 */
import type { BenchContext, Benchmark, Target } from './lib/benchmark';
import { dotted } from './lib/ipv4';
import { ceilingTarget } from './lib/report';
import { insertLease } from './lib/seed';

export const IMPORT_ROWS = 10_000;
const RUNS = 3;

async function importCsv(ctx: BenchContext, kind: string, lines: string[]): Promise<number> {
  const body = Buffer.from(lines.join('\r\n'));
  const started = process.hrtime.bigint();
  const res = await ctx.http.send<{ created: number }>('POST', `/api/v1/imports/${kind}`, body, 'text/csv');
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.status !== 201 || res.body.created !== IMPORT_ROWS) {
    throw new Error(`${kind} import answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const seconds = (values: number[]) => values.map((v) => (v / 1000).toFixed(2)).join(', ');

export const benchmark: Benchmark = {
  name: 'imports',
  title: 'Bulk import: 10,000 allocations and 10,000 leases, one CSV request each',
  async run(ctx) {
    const { db, world } = ctx;
    await db.query(
      `INSERT INTO providers (code, name, max_prefix_length) VALUES ('bench-import', 'Import provider', 30)
       ON CONFLICT DO NOTHING`,
    );

    const allocationTimes: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const lease = ctx.takePrefix(16);
      await insertLease(db, world, lease.prefix);
      const lines = ['prefix,region,provider,name'];
      for (let i = 0; i < IMPORT_ROWS; i++) {
        lines.push(`${dotted(lease.network + i * 4)}/30,bench-1,bench-import,import-${run}-${i}`);
      }
      allocationTimes.push(await importCsv(ctx, 'allocations', lines));
    }
    ctx.record({
      key: 'imports.allocations',
      metric: `POST /imports/allocations, ${IMPORT_ROWS.toLocaleString('en')} /30s into a /16 (CSV), median of ${RUNS}`,
      value: median(allocationTimes) / 1000,
      unit: 's',
      note: `runs: ${seconds(allocationTimes)} s`,
    });

    const leaseTimes: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const space = ctx.takePrefix(10);
      const lines = ['prefix,lessor,rir,startDate,pricePerIpMonthly,currency'];
      for (let i = 0; i < IMPORT_ROWS; i++) {
        lines.push(`${dotted(space.network + i * 256)}/24,Import lessor ${run},RIPE,2025-01-01,0.4,USD`);
      }
      leaseTimes.push(await importCsv(ctx, 'leases', lines));
    }
    ctx.record({
      key: 'imports.leases',
      metric: `POST /imports/leases, ${IMPORT_ROWS.toLocaleString('en')} /24s, one new lessor (CSV), median of ${RUNS}`,
      value: median(leaseTimes) / 1000,
      unit: 's',
      note: `runs: ${seconds(leaseTimes)} s`,
    });
  },
};

export const targets: Target[] = [
  ceilingTarget('10,000-row allocation import ≤ 2 s', 'imports.allocations', 2),
  ceilingTarget('10,000-row lease import ≤ 2 s', 'imports.leases', 2),
];
