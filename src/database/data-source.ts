import { types } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ListenedClient } from './listened-client';
import { grantServingRole } from './serving-role';

// Calendar dates stay 'YYYY-MM-DD' strings: the pg default turns them into local-time Date objects.
types.setTypeParser(1082, (value: string) => value);

export const MIGRATION_LOCK_ID = 7_433_001;

export function dataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [],
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: 'iplease',
    extra: {
      Client: ListenedClient,
      max: poolSize,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30_000,
      // Bounds every statement so a stuck database gives 503, not a hung request.
      statement_timeout: 8_000,
      query_timeout: 10_000,
      keepAlive: true,
      lock_timeout: 10_000,
      idle_in_transaction_session_timeout: 30_000,
      // Calendar arithmetic (lease status, current_date) is defined in UTC everywhere.
      options: '-c TimeZone=UTC',
    },
  };
}

/**
 * Applies pending migrations under an advisory lock, so several instances starting at once
 * against one database migrate it exactly once; `url` logs in as the schema's owner. Then, under
 * the same lock, grants `servingRole` (when it is another role) what the API needs and no more.
 */
export async function runMigrations(url: string, servingRole?: string): Promise<string[]> {
  const dataSource = new DataSource({ ...dataSourceOptions(url, 2) });
  await dataSource.initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    if (servingRole) {
      const [{ owner }] = (await lock.query('SELECT current_user AS owner')) as { owner: string }[];
      if (owner !== servingRole) await grantServingRole(lock, servingRole);
    }
    return applied.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lock.release();
    await dataSource.destroy();
  }
}

/** Rolls back every applied migration (used by the down-migration test). */
export async function revertAllMigrations(url: string): Promise<number> {
  const dataSource = new DataSource({ ...dataSourceOptions(url, 2) });
  await dataSource.initialize();
  let reverted = 0;
  try {
    while ((await dataSource.query(`SELECT count(*)::int AS n FROM migrations`))[0].n > 0) {
      await dataSource.undoLastMigration({ transaction: 'each' });
      reverted++;
    }
  } finally {
    await dataSource.destroy();
  }
  return reverted;
}
