import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchmark as allocationLatency } from './allocation-latency';
import { benchmark as httpThroughput } from './allocation-http-throughput';
import { benchmark as sqlBaseline } from './allocation-sql-baseline';
import { benchmark as sqlCeiling } from './allocation-sql-ceiling';
import type { Benchmark, Target } from './lib/benchmark';
import { ceilingTarget, ratioTarget } from './lib/report';
import { benchmark as rateLimit } from './rate-limit-overhead';
import { benchmark as reads } from './read-latency';
import { benchmark as events } from './events-webhooks';

/** The benchmarks of one `npm run bench`, in the order they run (later ones may reuse datasets). */
export const BENCHMARKS: Benchmark[] = [
  sqlBaseline,
  sqlCeiling,
  httpThroughput,
  allocationLatency,
  rateLimit,
  events,
  reads,
];

/**
 * Modules that join the run when their file exists, after the ones above, with no edit here:
 * each must export `benchmark: Benchmark` (and may export `targets: Target[]`). bench/reports.ts
 * (monthly cost over 10k leases / 1M allocations) is expected here; by the time it runs,
 * ctx.datasets.read describes the 100k-lease / 1M-allocation dataset the reads module seeded.
 */
export const OPTIONAL_MODULES = ['time', 'reports', 'replica', 'terraform', 'scale', 'routing', 'imports'];

export const TARGETS: Target[] = [
  ratioTarget(
    '(15) HTTP next-free, one lease, 32 clients ≥ 50% of the serialised bare-SQL baseline',
    'http.allocPerSec',
    'baseline.allocPerSec',
    0.5,
    true,
  ),
  ratioTarget(
    '(15) HTTP next-free, one lease, 32 clients above the serialised baseline (parallel within a lease)',
    'http.allocPerSec',
    'baseline.allocPerSec',
    1,
    true,
  ),
  ratioTarget(
    '(b) HTTP next-free throughput ≥ 50% of the raw SQL ceiling (a)',
    'http.allocPerSec',
    'sql.allocPerSec',
    0.5,
    true,
  ),
  ratioTarget(
    '(c) next-free p50 in the filled /8 ≤ 2× the empty /16',
    'latency.filled.p50',
    'latency.empty.p50',
    2,
    false,
  ),
  ratioTarget(
    '(c) next-free p99 in the filled /8 ≤ 2× the empty /16',
    'latency.filled.p99',
    'latency.empty.p99',
    2,
    false,
  ),
  ceilingTarget('(c) next-free p99 in the filled /8 ≤ 10 ms', 'latency.filled.p99', 10),
];

export function loadOptionalModules(): { benchmarks: Benchmark[]; targets: Target[] } {
  const benchmarks: Benchmark[] = [];
  const targets: Target[] = [];
  for (const name of OPTIONAL_MODULES) {
    const file = path.join(__dirname, `${name}.js`);
    if (!fs.existsSync(file)) continue;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(file) as { benchmark?: Benchmark; targets?: Target[] };
    if (!loaded.benchmark) throw new Error(`bench/${name}.ts must export "benchmark: Benchmark"`);
    benchmarks.push(loaded.benchmark);
    targets.push(...(loaded.targets ?? []));
  }
  return { benchmarks, targets };
}
