import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config';
import { dataSourceOptions, runMigrations } from '../database/data-source';
import { Database } from '../database/database.service';
import { startEmbeddedPostgres } from '../database/embedded-postgres';

export interface CliDatabase {
  db: Database;
  close(): Promise<void>;
}

interface Logger {
  info(message: string): void;
  debug(message: string): void;
  error(message: string): void;
}

/**
 * The database the service uses: DATABASE_URL; else the embedded PostgreSQL in DATA_DIR — the one a
 * running service already started (never stopped from here), or a fresh start that stops on close.
 */
export async function openCliDatabase(
  config: Pick<AppConfig, 'databaseUrl' | 'dataDir'>,
  logger: Logger,
): Promise<CliDatabase> {
  let url = config.databaseUrl ?? runningEmbeddedPostgresUrl(config.dataDir);
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    const embedded = await startEmbeddedPostgres(config.dataDir, logger);
    url = embedded.url;
    stopEmbedded = () => embedded.stop();
  }
  try {
    await runMigrations(url);
    const dataSource = await new DataSource(dataSourceOptions(url, 2)).initialize();
    return {
      db: new Database(dataSource),
      close: async () => {
        await dataSource.destroy();
        await stopEmbedded?.();
      },
    };
  } catch (error) {
    await stopEmbedded?.().catch(() => undefined);
    throw error;
  }
}

/**
 * A service running on the embedded PostgreSQL owns it; starting it again from here would stop
 * that server (see stopStalePostmaster). Its postmaster.pid names the port; the password is in DATA_DIR.
 */
export function runningEmbeddedPostgresUrl(dataDir: string): string | undefined {
  const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
  const credentialsFile = path.join(dataDir, 'embedded-postgres.json');
  if (!fs.existsSync(pidFile) || !fs.existsSync(credentialsFile)) return undefined;
  const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0 || !isAlive(pid)) return undefined;
  const { password } = JSON.parse(fs.readFileSync(credentialsFile, 'utf8')) as { password: string };
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/iplease`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but owned by another user (the postgres system user when running as root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
