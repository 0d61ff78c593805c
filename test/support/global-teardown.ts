import * as fs from 'node:fs';
import { Client } from 'pg';
import type { EmbeddedPostgresHandle } from '../../src/database/embedded-postgres';
import { TEST_ENV } from './test-env';

export default async function globalTeardown(): Promise<void> {
  const embedded = (globalThis as Record<string, unknown>).__ipleaseEmbedded as
    { handle: EmbeddedPostgresHandle; dataDir: string } | undefined;
  if (embedded) {
    await embedded.handle.stop();
    fs.rmSync(embedded.dataDir, { recursive: true, force: true });
    return;
  }
  // External database: leave it as found, minus what the run created.
  const admin = new Client({ connectionString: process.env[TEST_ENV.adminUrl] });
  await admin.connect();
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname LIKE $1 || '%'`,
    [process.env[TEST_ENV.template]],
  );
  for (const { datname } of rows)
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(datname)} WITH (FORCE)`);
  await admin.end();
}
