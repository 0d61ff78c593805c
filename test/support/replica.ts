import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/database/embedded-postgres';

/**
 * A real PostgreSQL primary and a streaming replica made with pg_basebackup, for the read-routing
 * tests and benchmark. The embedded package ships no pg_basebackup, so this uses a full
 * installation's binaries (PG_BIN_DIR, or the newest /usr/lib/postgresql/<major>/bin: Debian's 15
 * on these machines). As root, both servers run as the `postgres` system user, as the embedded
 * helper does.
 */
export interface ReplicaPair {
  primaryUrl: string;
  replicaUrl: string;
  /** Stops applying WAL on the replica (it keeps receiving): from now on it lags. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Waits until the replica has applied everything the primary has written so far. */
  catchUp(): Promise<void>;
  stopReplica(): Promise<void>;
  stop(): Promise<void>;
}

const BINARIES = ['initdb', 'postgres', 'pg_basebackup'];

export function findPostgresBinaries(): string | undefined {
  const candidates = process.env.PG_BIN_DIR
    ? [process.env.PG_BIN_DIR]
    : fs.existsSync('/usr/lib/postgresql')
      ? fs
          .readdirSync('/usr/lib/postgresql')
          .filter((v) => /^\d+$/.test(v))
          .sort((a, b) => Number(b) - Number(a))
          .map((v) => `/usr/lib/postgresql/${v}/bin`)
      : [];
  return candidates.find((dir) => BINARIES.every((b) => fs.existsSync(path.join(dir, b))));
}

export async function startReplicaPair(binDir: string): Promise<ReplicaPair> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'iplease-replica-'));
  fs.chmodSync(root, 0o755);
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const password = 'replica-test-password';
  const primaryDir = path.join(root, 'primary');
  const replicaDir = path.join(root, 'replica');
  for (const dir of [primaryDir, replicaDir]) {
    fs.mkdirSync(dir, { mode: 0o700 });
    if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  }
  const pwFile = path.join(root, 'pw');
  fs.writeFileSync(pwFile, password, { mode: 0o644 });
  execFileSync(
    path.join(binDir, 'initdb'),
    ['-D', primaryDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwFile}`, '--encoding=UTF8', '--no-sync'],
    { ...asOwner, stdio: 'ignore', cwd: root },
  );
  const servers: ChildProcess[] = [];
  const stop = async () => {
    for (const child of [...servers].reverse()) await stopServer(child);
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    const primaryPort = await freePort();
    servers.push(await startServer(binDir, primaryDir, primaryPort, asOwner, root));
    const admin = new Client({ connectionString: `postgres://postgres:${password}@127.0.0.1:${primaryPort}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE iplease');
    await admin.end();

    execFileSync(
      path.join(binDir, 'pg_basebackup'),
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(primaryPort),
        '-U',
        'postgres',
        '-D',
        replicaDir,
        '-R',
        '-X',
        'stream',
        '--no-sync',
        '--checkpoint=fast',
      ],
      { ...asOwner, stdio: 'ignore', cwd: root, env: { ...process.env, PGPASSWORD: password } },
    );
    const replicaPort = await freePort();
    const replica = await startServer(binDir, replicaDir, replicaPort, asOwner, root);
    servers.push(replica);

    const primaryUrl = `postgres://postgres:${password}@127.0.0.1:${primaryPort}/iplease`;
    const replicaUrl = `postgres://postgres:${password}@127.0.0.1:${replicaPort}/iplease`;
    const onReplica = async (sql: string) => {
      const c = new Client({ connectionString: replicaUrl });
      await c.connect();
      try {
        return (await c.query(sql)).rows;
      } finally {
        await c.end();
      }
    };
    return {
      primaryUrl,
      replicaUrl,
      pauseReplay: async () => void (await onReplica('SELECT pg_wal_replay_pause()')),
      resumeReplay: async () => void (await onReplica('SELECT pg_wal_replay_resume()')),
      async catchUp() {
        const p = new Client({ connectionString: primaryUrl });
        await p.connect();
        try {
          const lsn = (await p.query(`SELECT pg_current_wal_lsn()::text AS lsn`)).rows[0].lsn as string;
          for (let i = 0; i < 1500; i++) {
            const [row] = await onReplica(`SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn AS done`);
            if (row.done) return;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          throw new Error('the replica did not catch up within 30 s');
        } finally {
          await p.end();
        }
      },
      stopReplica: () => stopServer(replica),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT'); // fast shutdown
  await exited;
}

async function startServer(
  binDir: string,
  dataDir: string,
  port: number,
  asOwner: { uid?: number; gid?: number },
  cwd: string,
): Promise<ChildProcess> {
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    fsync: 'off',
    max_connections: '100',
  };
  const child = spawn(
    path.join(binDir, 'postgres'),
    ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    { ...asOwner, cwd, stdio: 'ignore' },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres in ${dataDir} exited with ${child.exitCode}`);
    const c = new Client({ host: '127.0.0.1', port, user: 'postgres', password: 'x', database: 'postgres' });
    const error = await c.connect().then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    await c.end().catch(() => undefined);
    // Up once it answers with a SQLSTATE (a wrong password is an answer); 57P03: still starting.
    if (!error || (error.code && /^[0-9A-Z]{5}$/.test(error.code) && error.code !== '57P03')) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`postgres in ${dataDir} did not start within 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}
