/**
 * Reports at scale: monthly cost by provider (and the other reports) over 10,000 leases and
 * 1,000,000 allocations. Target: monthly-cost by provider answers in < 1 s.
 *
 * Two ways to run it:
 * - standalone (this file is the entry point): a fresh database (embedded PostgreSQL in a temp
 *   folder, or a new database on the server DATABASE_URL points at), the 10k/1M dataset seeded
 *   with generate_series, the app started in-process, requests timed over HTTP:
 *     npx tsc -p bench/tsconfig.json && node .test-build/bench/bench/reports.js
 *   (env: BENCH_SAMPLES=20, BENCH_KEEP=1 to keep the temp folder)
 * - as a module of `npm run bench` (bench/index.ts loads it when present): it times the same
 *   requests against the dataset the run already holds, seeding its own only when there is none.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Pool } from 'pg';
import pino from 'pino';
import { createApp } from '../src/bootstrap';
import { loadConfig } from '../src/config/config';
import { runMigrations } from '../src/database/data-source';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import type { Benchmark, Target } from './lib/benchmark';
import { backfillHistory } from './lib/history';
import { HttpClient } from './lib/http';
import { ceilingTarget } from './lib/report';
import { sequential, summarise } from './lib/stats';

export const LEASES = 10_000;
export const ALLOCATIONS_PER_LEASE = 100;

/**
 * 20 lessors, 10 providers, 20 regions; 10k /22 leases (a third open-ended, a third auto-renewing,
 * a third with a fixed end, some already expired; 20 % EUR); 100 /29 allocations per lease created
 * over two years, 30 % of them released after 0-399 days. Triggers and foreign-key checks are
 * skipped for the bulk insert (session_replication_role = replica; rows are valid by
 * construction); every index and the exclusion constraint are still maintained.
 */
export async function seedReportsDataset(
  db: Pool,
  log: (m: string) => void = () => undefined,
  options: { rebuildIndexes?: boolean } = {},
): Promise<{ leases: number; allocations: number }> {
  const c = await db.connect();
  try {
    // On a database of our own, the allocations' plain indexes are dropped for the bulk load and
    // rebuilt afterwards from their own definitions. The exclusion constraint stays: re-adding it
    // checks every row again and costs more than maintaining it during the load.
    const rebuild = options.rebuildIndexes
      ? await c.query<{ name: string; def: string }>(
          `SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
            WHERE i.tablename = 'allocations' AND i.schemaname = 'public'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = 'allocations'::regclass AND k.conname = i.indexname)`,
        )
      : { rows: [] };
    for (const r of rebuild.rows) await c.query(`DROP INDEX ${r.name}`);
    await c.query(`SET session_replication_role = replica`);
    await c.query(`SET maintenance_work_mem = '256MB'`);
    const tag = randomBytes(3).toString('hex');
    await c.query(
      `INSERT INTO lessors (name, rir) SELECT 'Report lessor ${tag} ' || g, 'RIPE' FROM generate_series(1, 20) g`,
    );
    await c.query(
      `INSERT INTO providers (code, name) SELECT 'rep-${tag}-' || g, 'Report provider ' || g FROM generate_series(1, 10) g`,
    );
    await c.query(
      `INSERT INTO regions (code, name, country_code) SELECT 'rep-${tag}-' || g, 'Report region ' || g, 'IE' FROM generate_series(1, 20) g`,
    );
    const ids = async (table: string, like: string) =>
      (await c.query<{ ids: string[] }>(`SELECT array_agg(id ORDER BY seq) AS ids FROM ${table} WHERE ${like}`)).rows[0]
        .ids;
    const lessorIds = await ids('lessors', `name LIKE 'Report lessor ${tag} %'`);
    const providerIds = await ids('providers', `code LIKE 'rep-${tag}-%'`);
    const regionIds = await ids('regions', `code LIKE 'rep-${tag}-%'`);
    // 11.0.0.0/8 holds 16,384 /22s: room for 10k leases.
    const { rows: span } = await c.query<{ taken: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM leases WHERE prefix && '11.0.0.0/8') AS taken`,
    );
    if (span[0].taken) throw new Error('11.0.0.0/8 already holds leases in this database; use a fresh one');

    let t0 = Date.now();
    await c.query(
      `INSERT INTO leases (prefix, lessor_id, start_date, end_date, auto_renew, price_per_ip_monthly, currency)
       SELECT set_masklen('11.0.0.0'::inet + (g - 1) * 1024, 22)::cidr, ($1::uuid[])[1 + g % 20], date '2024-01-01' + (g % 500),
              CASE WHEN g % 3 = 0 THEN NULL ELSE date '2026-01-31' + (g % 600) END, g % 3 = 1,
              0.30 + (g % 50) / 100.0, CASE WHEN g % 5 = 0 THEN 'EUR' ELSE 'USD' END
         FROM generate_series(1, $2::int) g`,
      [lessorIds, LEASES],
    );
    log(`  ${LEASES} leases in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const batches = 10;
    for (let b = 0; b < batches; b++) {
      t0 = Date.now();
      await c.query(
        `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, status, occupied, created_at, updated_at, released_at, effective_date)
         SELECT l.id, set_masklen(l.prefix + k * 8, 29)::cidr, ($1::uuid[])[1 + (l.seq * 7 + k) % 20], ($2::uuid[])[1 + (l.seq + k) % 10],
                CASE WHEN k % 10 < 3 THEN 'released' ELSE 'active' END, k % 10 >= 3, c.created, c.created,
                CASE WHEN k % 10 < 3 THEN c.created + ((k * 37 + l.seq) % 400) * interval '1 day' END,
                (c.created AT TIME ZONE 'UTC')::date
           FROM (SELECT id, prefix, seq FROM leases WHERE prefix <<= '11.0.0.0/8' ORDER BY seq OFFSET $3 LIMIT $4) l
          CROSS JOIN generate_series(0, $5::int - 1) k
          CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01 00:00Z' + ((l.seq * 131 + k * 17) % 700) * interval '1 day' + (k % 24) * interval '1 hour' AS created) c
          ORDER BY l.seq, k`,
        [regionIds, providerIds, b * (LEASES / batches), LEASES / batches, ALLOCATIONS_PER_LEASE],
      );
      log(`  allocations batch ${b + 1}/${batches} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    for (const r of rebuild.rows) {
      t0 = Date.now();
      await c.query(r.def);
      log(`  rebuilt ${r.name} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    await backfillHistory(c);
    await c.query(`SET session_replication_role = DEFAULT`);
    await c.query(`VACUUM ANALYZE leases`);
    await c.query(`VACUUM ANALYZE allocations`);
    await c.query(`VACUUM ANALYZE allocation_history`);
    await c.query(`VACUUM ANALYZE lease_amendments`);
    return { leases: LEASES, allocations: LEASES * ALLOCATIONS_PER_LEASE };
  } finally {
    await c.query(`RESET session_replication_role`).catch(() => undefined);
    c.release();
  }
}

interface Timed {
  key: string;
  label: string;
  p50: number;
  p90: number;
  max: number;
  count: number;
  rows: number;
}

/** Sequential requests, one client, client-side latency over loopback (after 3 uncounted warm-ups). */
export async function timeReports(http: HttpClient, samples: number): Promise<Timed[]> {
  const month = new Date().toISOString().slice(0, 7);
  const requests: [string, string, string][] = [
    [
      'monthlyCost.provider',
      `monthly-cost by provider (${month})`,
      `/api/v1/reports/monthly-cost?month=${month}&groupBy=provider`,
    ],
    ['monthlyCost.region', 'monthly-cost by region', `/api/v1/reports/monthly-cost?month=${month}&groupBy=region`],
    ['monthlyCost.lessor', 'monthly-cost by lessor', `/api/v1/reports/monthly-cost?month=${month}&groupBy=lessor`],
    [
      'monthlyCost.lease',
      'monthly-cost by lease (10k+ rows)',
      `/api/v1/reports/monthly-cost?month=${month}&groupBy=lease`,
    ],
    ['forecast', 'forecast, 12 months', `/api/v1/reports/forecast?from=${month}&months=12`],
    ['utilization.provider', 'utilization by provider', `/api/v1/reports/utilization?groupBy=provider`],
    ['renewals', 'renewals, 90 days', `/api/v1/reports/renewals?withinDays=90`],
  ];
  const out: Timed[] = [];
  for (const [key, label, url] of requests) {
    let rows = 0;
    const latencies = await sequential(samples, 3, async () => {
      const res = await http.get<{ rows: unknown[] }>(url);
      if (res.status !== 200)
        throw new Error(`GET ${url} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
      rows = res.body.rows.length;
    });
    const s = summarise(latencies);
    out.push({
      key,
      label,
      p50: s.p50,
      p90: latencies.sort((a, b) => a - b)[Math.ceil(0.9 * latencies.length) - 1],
      max: s.max,
      count: s.count,
      rows,
    });
  }
  return out;
}

export const benchmark: Benchmark = {
  name: 'reports',
  title: 'Reports over a large inventory',
  async run(ctx) {
    const { rows } = await ctx.db.query<{ leases: number; allocations: number }>(
      `SELECT (SELECT count(*)::int FROM leases) AS leases, (SELECT count(*)::int FROM allocations) AS allocations`,
    );
    let size = rows[0];
    if (size.allocations < 500_000) {
      ctx.log('seeding 10k leases and 1M allocations for the reports');
      await seedReportsDataset(ctx.db, ctx.log);
      size = (
        await ctx.db.query(
          `SELECT (SELECT count(*)::int FROM leases) AS leases, (SELECT count(*)::int FROM allocations) AS allocations`,
        )
      ).rows[0];
    }
    const scale = `${size.leases.toLocaleString('en-US')} leases, ${size.allocations.toLocaleString('en-US')} allocations`;
    for (const r of await timeReports(ctx.http, 20)) {
      ctx.record({
        key: `reports.${r.key}.p50`,
        metric: `${r.label}, p50`,
        value: r.p50,
        unit: 'ms',
        note: `${scale}; 1 client, ${r.count} sequential; ${r.rows} rows`,
      });
    }
  },
};

export const targets: Target[] = [
  ceilingTarget(
    'monthly-cost by provider p50 < 1 s (10k leases / 1M allocations)',
    'reports.monthlyCost.provider.p50',
    1000,
  ),
];

async function main(): Promise<void> {
  const samples = Number(process.env.BENCH_SAMPLES ?? 20);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iplease-bench-reports-'));
  // PostgreSQL runs as the postgres user when this runs as root: it must be able to enter the folder.
  fs.chmodSync(workDir, 0o755);
  const quiet = { info: () => undefined, debug: () => undefined, error: (m: string) => process.stderr.write(`${m}\n`) };
  let adminUrl = process.env.DATABASE_URL;
  let stopPostgres: (() => Promise<void>) | undefined;
  if (!adminUrl) {
    const handle = await startEmbeddedPostgres(path.join(workDir, 'pg'), quiet, {
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
    });
    adminUrl = handle.adminUrl;
    stopPostgres = () => handle.stop();
  }
  const database = `iplease_bench_reports_${process.pid}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();

  const apiKey = `ipl_bench-${randomBytes(24).toString('hex')}`;
  const db = new Pool({ connectionString: databaseUrl, max: 2 });
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  try {
    await runMigrations(databaseUrl);
    console.log(
      `seeding ${LEASES.toLocaleString('en-US')} leases and ${(LEASES * ALLOCATIONS_PER_LEASE).toLocaleString('en-US')} allocations…`,
    );
    const t0 = Date.now();
    await seedReportsDataset(db, (m) => console.log(m), { rebuildIndexes: true });
    console.log(`seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    app = await createApp(
      { ...loadConfig({}), adminApiKey: apiKey, logLevel: 'silent', rateLimitPerMinute: 0 },
      databaseUrl,
      pino({ level: 'silent' }),
    );
    await app.listen(0, '127.0.0.1');
    const http = new HttpClient((await app.getUrl()).replace('[::1]', '127.0.0.1'), apiKey, 4);

    const version = (await db.query(`SELECT current_setting('server_version') AS v`)).rows[0].v;
    const results = await timeReports(http, samples);
    console.log(
      `\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, PostgreSQL ${version}, Node ${process.version}`,
    );
    console.log(`requests: 1 client, ${samples} sequential after 3 warm-ups, client-side latency over loopback\n`);
    console.log(
      `${'report'.padEnd(40)} ${'rows'.padStart(6)} ${'p50 ms'.padStart(9)} ${'p90 ms'.padStart(9)} ${'max ms'.padStart(9)}`,
    );
    for (const r of results)
      console.log(
        `${r.label.padEnd(40)} ${String(r.rows).padStart(6)} ${r.p50.toFixed(1).padStart(9)} ${r.p90.toFixed(1).padStart(9)} ${r.max.toFixed(1).padStart(9)}`,
      );
    const headline = results[0];
    console.log(
      `\nmonthly-cost by provider: p50 ${headline.p50.toFixed(0)} ms — target < 1000 ms: ${headline.p50 < 1000 ? 'met' : 'NOT met'}`,
    );
  } finally {
    await app?.close();
    await db.end();
    if (stopPostgres) await stopPostgres();
    else {
      const cleanup = new Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await cleanup.end();
    }
    if (!process.env.BENCH_KEEP) fs.rmSync(workDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
