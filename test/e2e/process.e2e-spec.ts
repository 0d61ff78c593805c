import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../src/database/embedded-postgres';
import { buildService, startService, systemUser } from '../support/process';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The service as `npm start` runs it: embedded Postgres in DATA_DIR, migrations, HTTP, clean stop. */
describe('service process', () => {
  let mainJs: string;
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iplease-proc-'));
    fs.chmodSync(dir, 0o755);
    dirs.push(dir);
    return dir;
  };

  beforeAll(() => {
    mainJs = buildService('process');
  }, 120_000);
  afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it('starts on embedded Postgres, prints a generated admin key once, reuses its data, stops cleanly on SIGTERM', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const port = await freePort();
    const first = startService(mainJs, { PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    const [, key] = await first.waitFor(/^\s+(ipl_[A-Za-z0-9_-]{43})$/m);
    await first.waitFor(/iplease listening/);
    const health = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(health.status).toBe(200);
    const me = await fetch(`http://127.0.0.1:${port}/api/v1/lessors`, { headers: { Authorization: `Bearer ${key}` } });
    expect(me.status).toBe(200);
    expect(first.output()).not.toMatch(/"level":"(error|fatal)"/);
    const postmasterPid = Number(fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

    first.child.kill('SIGTERM');
    expect(await first.exited(10_000)).toEqual({ code: 0, signal: null });
    expect(isAlive(postmasterPid)).toBe(false);

    // Second start: same data, same key, no new key printed.
    const second = startService(mainJs, { PORT: String(port), DATA_DIR: dataDir });
    await second.waitFor(/iplease listening/);
    const again = await fetch(`http://127.0.0.1:${port}/api/v1/lessors`, {
      headers: { Authorization: `Bearer ${key}` },
    });
    expect(again.status).toBe(200);
    expect(second.output()).not.toMatch(/ipl_[A-Za-z0-9_-]{43}/);
    second.child.kill('SIGINT');
    expect((await second.exited(10_000)).code).toBe(0);
  }, 120_000);

  (process.getuid?.() === 0 ? it : it.skip)(
    'refuses, with a line that says what to do, a DATA_DIR the postgres user cannot reach when run as root',
    async () => {
      const hidden = tempDir();
      fs.chmodSync(hidden, 0o700);
      const proc = startService(mainJs, { PORT: String(await freePort()), DATA_DIR: path.join(hidden, 'data') });
      expect((await proc.exited(20_000)).code).toBe(1);
      expect(proc.output()).toContain(`the postgres user cannot enter ${hidden}`);
    },
    30_000,
  );

  it('stops with one clear line naming the variable when configuration is invalid', async () => {
    const bad = startService(mainJs, { PORT: 'eighty', DATA_DIR: tempDir() });
    const { code } = await bad.exited(10_000);
    expect(code).toBe(1);
    expect(bad.output().trim()).toBe('Invalid configuration: PORT must be an integer number (got "eighty")');
  }, 30_000);

  const asRoot = process.getuid?.() === 0;
  (asRoot && systemUser('postgres') ? it : it.skip)(
    'runs as a normal (non-root) user too',
    async () => {
      const user = systemUser('postgres') as { uid: number; gid: number };
      const base = tempDir();
      fs.chmodSync(base, 0o777);
      const port = await freePort();
      const proc = startService(
        mainJs,
        { PORT: String(port), DATA_DIR: path.join(base, 'data'), ADMIN_API_KEY: 'ipl_normal-user-admin-key-123456' },
        { ...user, cwd: base },
      );
      await proc.waitFor(/iplease listening/);
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/lessors`, {
        headers: { Authorization: 'Bearer ipl_normal-user-admin-key-123456' },
      });
      expect(res.status).toBe(200);
      proc.child.kill('SIGTERM');
      expect((await proc.exited(10_000)).code).toBe(0);
    },
    120_000,
  );
});
