import { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys carry a version (ETag, If-Match on revocation) and updated_at, like every other entity. */
export class ApiKeyVersion1774000001000 implements MigrationInterface {
  name = 'ApiKeyVersion1774000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN version integer NOT NULL DEFAULT 1`);
    await q.query(`ALTER TABLE api_keys ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`);
    await q.query(`UPDATE api_keys SET updated_at = coalesce(revoked_at, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP COLUMN updated_at`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN version`);
  }
}
