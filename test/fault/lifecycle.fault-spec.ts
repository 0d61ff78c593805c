import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../src/database/embedded-postgres';
import { listeningPort, ServiceProcess, startService } from '../support/process';
import { faultMainJs, isAlive, OwnPostgres, postmasterPid, tempDir, waitUntil } from './support';

const KEY = 'ipl_fault-lifecycle-admin-key-0123456789';
const ROOT = path.resolve(__dirname, '../..');

const lockOwner = (dataDir: string) =>
  Number(fs.readFileSync(path.join(dataDir, 'iplease.pid'), 'utf8').split('\n')[0]);
const lessors = (port: number) =>
  fetch(`http://127.0.0.1:${port}/api/v1/lessors`, { headers: { Authorization: `Bearer ${KEY}` } }).then(
    (r) => r.status,
  );
const ready = (port: number) => fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.status);

/** Stops what a test started even when it failed half-way. */
const started: ServiceProcess[] = [];
function service(env: Record<string, string>): ServiceProcess {
  const proc = startService(faultMainJs(), { ADMIN_API_KEY: KEY, LOG_LEVEL: 'warn', ...env });
  started.push(proc);
  return proc;
}
afterEach(async () => {
  for (const proc of started.splice(0)) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGTERM');
      await proc.exited(15_000).catch(() => proc.child.kill('SIGKILL'));
    }
  }
});

describe('one DATA_DIR, one instance (issue 10, item 1)', () => {
  it('refuses a second start with one line naming the owner, and takes over the lock after a crash', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const first = service({ PORT: '0', DATA_DIR: dataDir });
    const port = await listeningPort(first);
    expect(lockOwner(dataDir)).toBe(first.child.pid);
    const postgresBefore = postmasterPid(path.join(dataDir, 'pg'));

    const second = service({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    expect((await second.exited(30_000)).code).toBe(1);
    expect(second.output().trim()).toBe(
      `DATA_DIR ${dataDir} is in use by process ${first.child.pid}; stop it first or choose another DATA_DIR`,
    );
    // The first instance and its PostgreSQL are untouched.
    expect(isAlive(postgresBefore)).toBe(true);
    expect(await lessors(port)).toBe(200);
    expect(await ready(port)).toBe(200);

    // A crash leaves the lock file and an orphaned PostgreSQL behind; the next start recovers from both.
    first.child.kill('SIGKILL');
    await first.exited();
    expect(fs.existsSync(path.join(dataDir, 'iplease.pid'))).toBe(true);
    const third = service({ PORT: '0', DATA_DIR: dataDir });
    const thirdPort = await listeningPort(third);
    expect(lockOwner(dataDir)).toBe(third.child.pid);
    expect(isAlive(postgresBefore)).toBe(false);
    expect(await lessors(thirdPort)).toBe(200);
    third.child.kill('SIGTERM');
    expect(await third.exited()).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(dataDir, 'iplease.pid'))).toBe(false);
  }, 120_000);
});

describe('npm start and signals (issue 10, item 2)', () => {
  /** A package whose start script is the real one, pointed at the fault build (so npm runs exactly what `npm start` runs). */
  function npmPackage(): string {
    const real = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const dir = tempDir('iplease-npm-');
    const start = real.scripts.start.replace('dist/src/main.js', faultMainJs());
    expect(start).not.toBe(real.scripts.start);
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'npm-start-probe', version: '1.0.0', private: true, scripts: { start } }),
    );
    return dir;
  }

  function npmStart(cwd: string, env: Record<string, string>) {
    const child = spawn('npm', ['start', '--silent'], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', ADMIN_API_KEY: KEY, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output: () => output, exited };
  }

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to the npm process stops node, then PostgreSQL, and npm ends with status 0',
    async (signal) => {
      const dataDir = path.join(tempDir(), 'data');
      const npm = npmStart(npmPackage(), { PORT: '0', DATA_DIR: dataDir });
      await waitUntil(
        () => npm.output().includes('iplease listening'),
        60_000,
        `the service to listen:\n${npm.output()}`,
      );
      const port = Number(/iplease listening on http:\/\/\S+?:(\d+) /.exec(npm.output())?.[1]);
      expect(port).toBeGreaterThan(0);
      const node = lockOwner(dataDir);
      const postgres = postmasterPid(path.join(dataDir, 'pg'));

      npm.child.kill(signal);
      expect(await npm.exited).toBe(0);
      await waitUntil(() => !isAlive(node) && !isAlive(postgres), 15_000, 'node and PostgreSQL to stop');
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    },
    120_000,
  );

  it('node stops (and PostgreSQL with it) when npm is killed outright', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const npm = npmStart(npmPackage(), { PORT: '0', DATA_DIR: dataDir });
    await waitUntil(
      () => npm.output().includes('iplease listening'),
      60_000,
      `the service to listen:\n${npm.output()}`,
    );
    const node = lockOwner(dataDir);
    const postgres = postmasterPid(path.join(dataDir, 'pg'));

    npm.child.kill('SIGKILL');
    await waitUntil(() => !isAlive(node) && !isAlive(postgres), 20_000, 'the orphaned node and PostgreSQL to stop');
  }, 120_000);

  it('a port in use is one clear line, and the embedded PostgreSQL it started is stopped again', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const dataDir = path.join(tempDir(), 'data');
      const proc = service({ PORT: String(port), DATA_DIR: dataDir });
      expect((await proc.exited(60_000)).code).toBe(1);
      expect(proc.output().trim()).toBe(
        `Port ${port} on 127.0.0.1 is already in use (PORT, HOST); stop the other process or choose another PORT`,
      );
      expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
      expect(fs.existsSync(path.join(dataDir, 'iplease.pid'))).toBe(false);
    } finally {
      blocker.close();
    }
  }, 120_000);
});

describe('where it listens and what it says (issue 10, items 7 and 13)', () => {
  it('binds 127.0.0.1 by default and says so in one human line, even at LOG_LEVEL=warn', async () => {
    const proc = service({ PORT: '0', DATA_DIR: path.join(tempDir(), 'data') });
    const port = await listeningPort(proc);
    const url = `http://127.0.0.1:${port}`;
    expect(proc.output().trim()).toBe(`iplease listening on ${url} - API docs ${url}/docs, dashboard ${url}/reports`);

    // Not reachable on the machine's other addresses (before HOST, it bound every interface).
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal);
    if (external) {
      await expect(fetch(`http://${external.address}:${port}/health`)).rejects.toThrow();
    }
  }, 120_000);

  it('HOST=0.0.0.0 binds every IPv4 interface and prints that address; route mapping only at debug', async () => {
    const proc = service({
      PORT: '0',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      DATA_DIR: path.join(tempDir(), 'data'),
    });
    // The JSON log line comes first; the plain line for people follows it.
    const port = await listeningPort(proc);
    expect(proc.output()).toContain(`iplease listening on http://0.0.0.0:${port} - API docs`);
    expect(proc.output()).not.toMatch(/Mapped \{/);
    expect(proc.output().split('\n').filter(Boolean).length).toBeLessThan(12);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  }, 120_000);
});

describe('readiness tells the truth (issue 10, item 3)', () => {
  it('is not ready when its embedded PostgreSQL is gone, even if another PostgreSQL answers on the same port', async () => {
    const base = tempDir();
    const dataDir = path.join(base, 'data');
    const proc = service({ PORT: '0', DATA_DIR: dataDir });
    const port = await listeningPort(proc);
    expect(await ready(port)).toBe(200);
    const clusterDir = path.join(dataDir, 'pg');
    const postgresPort = Number(fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[3]);

    // Someone stops this instance's PostgreSQL and starts another cluster, same port and password, in its place.
    const owner = postmasterPid(clusterDir);
    process.kill(owner, 'SIGINT');
    await waitUntil(() => !isAlive(owner), 15_000, 'PostgreSQL to stop');
    const impostorBase = tempDir();
    fs.mkdirSync(path.join(impostorBase, 'data'));
    fs.copyFileSync(
      path.join(dataDir, 'embedded-postgres.json'),
      path.join(impostorBase, 'data', 'embedded-postgres.json'),
    );
    const impostor = OwnPostgres.attach(impostorBase);
    impostor.port = postgresPort;
    await impostor.start();
    try {
      expect(impostor.port).toBe(postgresPort);
      for (let i = 0; i < 3; i++) {
        // Up, and saying it is not ready. It once died here instead (an unlistened pg 'error'), so say what it printed.
        const status = await ready(port).catch((error: Error) => {
          throw new Error(`the service is gone (${error.message}); it printed:\n${proc.output()}`);
        });
        expect(status).toBe(503);
      }
    } finally {
      await impostor.destroy();
    }
  }, 120_000);
});
