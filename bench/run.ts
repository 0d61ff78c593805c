import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { runMigrations } from '../src/database/data-source';
import { EmbeddedPostgresHandle, startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { BENCHMARKS, loadOptionalModules, TARGETS } from './index';
import type { BenchContext, BenchOptions, ResultRow } from './lib/benchmark';
import { HttpClient } from './lib/http';
import { AddressSpace } from './lib/ipv4';
import { describeMachine } from './lib/machine';
import { markdownBlock, RunSummary, textTable, writeDoc } from './lib/report';
import { seedWorld } from './lib/seed';
import { ServiceHandle, startService } from './lib/service';

const USAGE = `npm run bench [-- options]

Starts its own embedded PostgreSQL and the compiled service in a temporary folder, runs every
benchmark in bench/index.ts against them, prints one table and rewrites the generated block of
docs/benchmarks.md. Each option also reads an environment variable (BENCH_<NAME>).

  --only=a,b                 run these benchmarks only (${BENCHMARKS.map((b) => b.name).join(', ')})
  --duration=10              seconds per throughput measurement (after --warmup)
  --warmup=2                 seconds of uncounted warm-up before each throughput measurement
  --concurrency=32           concurrent clients for throughput measurements
  --samples=1000             sequential requests per latency measurement
  --filled-allocations=100000  allocations already in the /8 for the latency comparison
  --read-leases=100000       leases seeded for the read benchmark
  --read-allocations=1000000 allocations seeded for the read benchmark
  --read-samples=500         sequential requests per read measurement
  --scale-allocations=0      opt-in: seed this many /28s in address order and compare next-free and
                             lookup latency with the empty case (10000000 takes several minutes)
  --pg=name=value            extra PostgreSQL setting (repeatable), e.g. --pg=synchronous_commit=off
  --log-level=info           the service's LOG_LEVEL (its log goes to a file in the temp folder)
  --no-docs                  do not touch docs/benchmarks.md
  --keep                     keep the temp folder (database and service log) afterwards
  --cpu-prof=DIR             run the service with node --cpu-prof, writing its profile into DIR
                             (summarise with: node scripts/cpu-profile-summary.js DIR/*.cpuprofile)`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      samples: { type: 'string' },
      'filled-allocations': { type: 'string' },
      'read-leases': { type: 'string' },
      'read-allocations': { type: 'string' },
      'read-samples': { type: 'string' },
      'scale-allocations': { type: 'string' },
      pg: { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      'no-docs': { type: 'boolean' },
      keep: { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const pick = (name: keyof typeof values) => {
    const given = values[name] ?? process.env[`BENCH_${String(name).toUpperCase().replace(/-/g, '_')}`];
    return typeof given === 'string' ? given : undefined;
  };
  const int = (name: keyof typeof values, fallback: number) => {
    const raw = pick(name);
    if (raw === undefined) return fallback;
    const n = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${String(name)} must be a positive integer (got ${raw})`);
    return n;
  };
  const only = pick('only')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const options: BenchOptions = {
    durationSeconds: int('duration', 10),
    warmupSeconds: int('warmup', 2),
    concurrency: int('concurrency', 32),
    latencySamples: int('samples', 1000),
    filledAllocations: int('filled-allocations', 100_000),
    readLeases: int('read-leases', 100_000),
    readAllocations: int('read-allocations', 1_000_000),
    readSamples: int('read-samples', 500),
    scaleAllocations: pick('scale-allocations') === '0' ? 0 : int('scale-allocations', 0),
    only,
  };
  const pgSettings = Object.fromEntries(
    (values.pg ?? process.env.BENCH_PG?.split(/\s+/).filter(Boolean) ?? []).map((s) => {
      const eq = s.indexOf('=');
      if (eq <= 0) throw new Error(`--pg takes name=value (got ${s})`);
      return [s.slice(0, eq), s.slice(eq + 1)];
    }),
  );
  return {
    options,
    pgSettings,
    logLevel: pick('log-level') ?? 'info',
    writeDocs: !values['no-docs'],
    keep: !!values.keep,
    cpuProfileDir: pick('cpu-prof'),
  };
}

function repoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'iplease') return dir;
  }
  throw new Error('cannot find the iplease package.json above the compiled bench');
}

async function main(): Promise<void> {
  const { options, pgSettings, logLevel, writeDocs, keep, cpuProfileDir } = parseOptions();
  const optional = loadOptionalModules();
  const all = [...BENCHMARKS, ...optional.benchmarks];
  const unknown = options.only?.filter((name) => !all.some((b) => b.name === name)) ?? [];
  if (unknown.length)
    throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${all.map((b) => b.name).join(', ')}`);
  const selected = all.filter((b) => !options.only || options.only.includes(b.name));

  const startedAt = new Date();
  const t0 = Date.now();
  const log = (message: string) =>
    console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${message}`);
  const loadBefore = os.loadavg()[0];
  if (loadBefore > 0.7)
    log(
      `warning: the 1-minute load average is ${loadBefore.toFixed(2)} on ${os.availableParallelism()} CPUs; other work will skew the numbers`,
    );
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iplease-bench-'));
  let pg: EmbeddedPostgresHandle | undefined;
  let service: ServiceHandle | undefined;
  let db: Pool | undefined;
  let http: HttpClient | undefined;
  const extras: { service: ServiceHandle; http: HttpClient }[] = [];
  const cleanup = async () => {
    http?.close();
    for (const extra of extras) {
      extra.http.close();
      await extra.service.stop().catch(() => undefined);
    }
    await db?.end().catch(() => undefined);
    await service?.stop().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
    if (!keep) fs.rmSync(workDir, { recursive: true, force: true });
    else log(`kept ${workDir}`);
  };
  process.once('SIGINT', () => {
    log('interrupted; cleaning up');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    log(`starting embedded PostgreSQL in ${workDir}`);
    pg = await startEmbeddedPostgres(
      workDir,
      { info: log, debug: () => undefined, error: (m) => console.error(m) },
      { settings: pgSettings },
    );
    await runMigrations(pg.url);
    db = new Pool({ connectionString: pg.url, max: 8, options: '-c TimeZone=UTC' });
    db.on('error', (error) => log(`idle database connection failed: ${error.message}`));
    const world = await seedWorld(db);
    const machine = await describeMachine(db);

    const apiKey = `ipl_bench_${randomBytes(16).toString('hex')}`;
    const mainJs = path.resolve(__dirname, '..', 'src', 'main.js');
    log(`starting the service (${path.relative(repoRoot(), mainJs)})`);
    const serviceEnv = { DATABASE_URL: pg.url, ADMIN_API_KEY: apiKey, LOG_LEVEL: logLevel, RATE_LIMIT_PER_MINUTE: '0' };
    service = await startService(
      mainJs,
      serviceEnv,
      workDir,
      cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProfileDir)}`] : [],
    );
    http = new HttpClient(service.baseUrl, apiKey, Math.max(64, options.concurrency));

    const results = new Map<string, ResultRow>();
    const datasets: Record<string, unknown> = {};
    const space = new AddressSpace();
    for (const bench of selected) {
      log(`${bench.name}: ${bench.title}`);
      const ctx: BenchContext = {
        options,
        db,
        databaseUrl: pg.url,
        service,
        http,
        world,
        takePrefix: (length) => space.take(length),
        record: (row) => {
          const full = { ...row, benchmark: bench.name };
          results.set(row.key, full);
          log(`  ${row.metric}: ${row.value.toFixed(2)} ${row.unit}`);
        },
        results,
        startService: async (env) => {
          const extraDir = fs.mkdtempSync(path.join(workDir, 'service-'));
          const extra = await startService(mainJs, { ...serviceEnv, ...env }, extraDir);
          const client = {
            service: extra,
            http: new HttpClient(extra.baseUrl, apiKey, Math.max(64, options.concurrency)),
          };
          extras.push(client);
          return client;
        },
        log: (m) => log(`  ${m}`),
        datasets,
      };
      await bench.run(ctx);
    }

    const summary: RunSummary = {
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      startedAt,
      totalSeconds: (Date.now() - t0) / 1000,
      machine,
      options: {
        ...options,
        logLevel,
        ...(Object.keys(pgSettings).length ? { pg: Object.entries(pgSettings).map(([k, v]) => `${k}=${v}`) } : {}),
      },
      results: [...results.values()],
      targets: [...TARGETS, ...optional.targets].map((t) => ({
        description: t.description,
        outcome: t.check(results),
      })),
      notes: [
        `1-minute load average: ${loadBefore.toFixed(2)} before the run, ${os.loadavg()[0].toFixed(2)} at the end (the run itself loads the machine).`,
        'Service: the compiled main.js as a child process (DATABASE_URL set, RATE_LIMIT_PER_MINUTE=0, pool 20); load generator: this process, node:http keep-alive agent.',
        'Latencies are client side over loopback; "1 client, sequential" means one request in flight at a time.',
      ],
    };
    console.log(`\n${textTable(summary)}\n`);
    if (writeDocs) {
      const doc = path.join(repoRoot(), 'docs', 'benchmarks.md');
      writeDoc(doc, markdownBlock(summary));
      log(`wrote ${path.relative(repoRoot(), doc)}`);
    }
  } catch (error) {
    if (service && fs.existsSync(service.logFile)) {
      console.error(
        `last lines of the service log (${service.logFile}):\n${fs.readFileSync(service.logFile, 'utf8').split('\n').slice(-40).join('\n')}`,
      );
    }
    throw error;
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
