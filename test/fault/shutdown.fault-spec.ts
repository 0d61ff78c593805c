import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/database/embedded-postgres';
import { startService } from '../support/process';
import {
  Api,
  clusterState,
  createLease,
  faultMainJs,
  isAlive,
  killCluster,
  OwnPostgres,
  postmasterPid,
  seedWorld,
  sleep,
  tempDir,
  waitUntil,
} from './support';

const KEY = 'ipl_fault-shutdown-admin-key-0123456789';
const IN_FLIGHT = 24;

interface Outcome {
  status?: number;
  body?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  connection?: string;
  error?: string;
  at: number;
}

/** One request on a keep-alive agent, as a real HTTP client sends it; a reset or truncated body is an error. */
function send(agent: http.Agent, port: number, method: string, urlPath: string, body?: unknown): Promise<Outcome> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const failed = (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, at: Date.now() });
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent,
        headers: {
          Authorization: `Bearer ${KEY}`,
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', failed);
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode, body: parsed, connection: res.headers.connection, at: Date.now() });
        });
      },
    );
    req.on('error', failed);
    req.setTimeout(30_000, () => req.destroy(Object.assign(new Error('no answer in 30 s'), { code: 'HANG' })));
    req.end(payload);
  });
}

/** Whether a brand-new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/**
 * SIGTERM to a real service process (its own embedded PostgreSQL) while requests are provably
 * inside it: each holds a database transaction, waiting on a lease row lock the test holds.
 */
describe('graceful shutdown (real service process, its own embedded PostgreSQL)', () => {
  const dirs: string[] = [];
  let initialised: string | undefined; // a DATA_DIR whose cluster exists, to save the next test an initdb
  afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it('SIGTERM with requests in flight: refuses new connections, completes every in-flight request, closes pool and Postgres, exits 0 within 10 s', async () => {
    const base = tempDir();
    dirs.push(base);
    const dataDir = path.join(base, 'data');
    const port = await freePort();
    const service = startService(faultMainJs(), {
      PORT: String(port),
      DATA_DIR: dataDir,
      ADMIN_API_KEY: KEY,
      LOG_LEVEL: 'info',
      DB_POOL_SIZE: String(IN_FLIGHT + 8),
      RATE_LIMIT_PER_MINUTE: '0',
    });
    try {
      await service.waitFor(/iplease listening/, 60_000);
      initialised = dataDir;
      const api = new Api(`http://127.0.0.1:${port}`, KEY);
      const w = await seedWorld(api);
      const leaseId = await createLease(api, w, '91.212.0.0/22');

      // Behind the API: the service's own cluster, as its files describe it.
      const clusterDir = path.join(dataDir, 'pg');
      const postmaster = postmasterPid(clusterDir);
      const pgPort = Number(fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[3]);
      const { password } = JSON.parse(fs.readFileSync(path.join(dataDir, 'embedded-postgres.json'), 'utf8')) as {
        password: string;
      };
      const dbUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/iplease`;
      const waitingOnLock = async () => {
        const probe = new Client({ connectionString: dbUrl });
        await probe.connect();
        try {
          const { rows } = await probe.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'iplease' AND wait_event_type = 'Lock'`,
          );
          return rows[0].n as number;
        } finally {
          await probe.end();
        }
      };

      // Hold the lease row: every next-free allocation into it waits inside its transaction.
      const holder = new Client({ connectionString: dbUrl });
      holder.on('error', () => undefined);
      await holder.connect();
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM leases WHERE id = $1 FOR UPDATE', [leaseId]);

      const agent = new http.Agent({ keepAlive: true });
      const followUps: Outcome[] = [];
      let settled = 0;
      const inFlight = Array.from({ length: IN_FLIGHT }, (_, i) =>
        send(agent, port, 'POST', '/api/v1/allocations', {
          leaseId,
          prefixLength: 28,
          regionId: w.regionId,
          providerId: w.providerId,
          description: `in-flight-${i}`,
        }).then(async (outcome) => {
          settled++;
          // A busy client goes straight on with its next request, on the same agent (keep-alive).
          const until = Date.now() + 15_000;
          while (Date.now() < until) {
            const next = await send(agent, port, 'GET', '/health');
            followUps.push(next);
            if (next.error) break;
          }
          return outcome;
        }),
      );
      await waitUntil(
        async () => (await waitingOnLock()) === IN_FLIGHT,
        15_000,
        `${IN_FLIGHT} requests waiting on the lease lock`,
      );
      expect(settled).toBe(0);

      const sigtermAt = Date.now();
      service.child.kill('SIGTERM');
      // The listener closes at once, while every in-flight request is still held.
      await waitUntil(() => refused(port), 3_000, 'new connections to be refused');
      expect(settled).toBe(0);
      await sleep(300);
      expect(settled).toBe(0);

      // Let them through: ending the session releases the lock.
      await holder.end();
      const outcomes = await Promise.all(inFlight);
      const exit = await service.exited(10_000);
      const shutdownMs = Date.now() - sigtermAt;

      // Every in-flight request got its complete answer.
      expect(outcomes.map((o) => o.error ?? o.status)).toEqual(outcomes.map(() => 201));
      expect(outcomes.every((o) => typeof o.body?.id === 'string' && o.body.prefix.endsWith('/28'))).toBe(true);
      expect(new Set(outcomes.map((o) => o.body.prefix)).size).toBe(IN_FLIGHT);
      // Keep-alive clients are told to go (each answer closes its connection), so no later request
      // is reset or kept going until the deadline: it is answered or refused.
      expect(outcomes.map((o) => o.connection)).toEqual(outcomes.map(() => 'close'));
      expect(followUps.filter((o) => o.error !== undefined && o.error !== 'ECONNREFUSED')).toEqual([]);
      expect(followUps.filter((o) => o.error === undefined && o.status !== 200)).toEqual([]);

      expect(exit).toEqual({ code: 0, signal: null });
      expect(shutdownMs).toBeLessThan(10_000);
      expect(isAlive(postmaster)).toBe(false);
      const output = service.output();
      expect(output).toMatch(/shutting down: finishing in-flight requests/);
      expect(output).toMatch(/"msg":"stopped"/);
      expect(output).not.toMatch(/"level":"(error|fatal)"/);
      // Postgres was shut down cleanly (its control file says so), not left behind or killed.
      expect(clusterState(clusterDir)).toBe('shut down');

      // What the clients were told is what the database holds after the restart.
      const pg = OwnPostgres.attach(base);
      await pg.start();
      try {
        const rows = await pg.query<{ id: string }>(
          `SELECT id::text FROM allocations WHERE lease_id = $1 AND status = 'active'`,
          [leaseId],
        );
        expect(rows.map((r) => r.id).sort()).toEqual(outcomes.map((o) => o.body.id).sort());
      } finally {
        await pg.stop();
      }
    } finally {
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
      const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
      if (fs.existsSync(pidFile) && isAlive(postmasterPid(path.dirname(pidFile))))
        process.kill(postmasterPid(path.dirname(pidFile)), 'SIGINT');
    }
  }, 90_000);

  it('SIGTERM after its embedded Postgres died: answers 503 meanwhile, then exits 0 at once instead of waiting for a Postgres that is gone', async () => {
    let dataDir = initialised;
    if (!dataDir) {
      const base = tempDir();
      dirs.push(base);
      dataDir = path.join(base, 'data');
    }
    const port = await freePort();
    const service = startService(faultMainJs(), {
      PORT: String(port),
      DATA_DIR: dataDir,
      ADMIN_API_KEY: KEY,
      LOG_LEVEL: 'info',
    });
    try {
      await service.waitFor(/iplease listening/, 60_000);
      const victims = killCluster(path.join(dataDir, 'pg'));
      await waitUntil(() => victims.every((pid) => !isAlive(pid)), 10_000, 'the killed Postgres to disappear');

      const anon = new Api(`http://127.0.0.1:${port}`);
      const [ready, live] = [await anon.get('/health/ready'), await anon.get('/health')];
      expect([ready.status, ready.body?.code, live.status]).toEqual([503, 'UNAVAILABLE', 200]);

      const sigtermAt = Date.now();
      service.child.kill('SIGTERM');
      expect(await service.exited(10_000)).toEqual({ code: 0, signal: null });
      expect(Date.now() - sigtermAt).toBeLessThan(5_000);
      // The whole shutdown sequence ran (before the fix it silently stopped at a Postgres that was gone).
      expect(service.output()).toMatch(/"msg":"stopped"/);
      expect(service.output()).not.toMatch(/shutdown took longer/);
    } finally {
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    }
  }, 60_000);
});
