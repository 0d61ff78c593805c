import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * No part of a secret in key lists: generated keys keep only their fixed `ipl_` marker, keys an
 * operator chose (ADMIN_API_KEY) none at all (NULL). Audit events keep the caller's X-Request-Id
 * beside the server-generated one, so a client cannot pose as another request (e.g. the CLI's ids).
 */
export class SecretsAndRequestIds1768000000000 implements MigrationInterface {
  name = 'SecretsAndRequestIds1768000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ALTER COLUMN key_prefix DROP NOT NULL`);
    await q.query(
      `UPDATE api_keys SET key_prefix = CASE WHEN key_prefix LIKE 'ipl\\_%' AND name <> 'bootstrap-admin (ADMIN_API_KEY)' THEN 'ipl_' END`,
    );
    await q.query(
      `ALTER TABLE api_keys ADD CONSTRAINT api_keys_key_prefix_check CHECK (key_prefix IS NULL OR key_prefix = 'ipl_')`,
    );
    await q.query(`ALTER TABLE audit_events ADD COLUMN client_request_id text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events DROP COLUMN client_request_id`);
    await q.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_key_prefix_check`);
    // The removed characters are gone for good; an empty prefix is what the old schema can hold.
    await q.query(`UPDATE api_keys SET key_prefix = '' WHERE key_prefix IS NULL`);
    await q.query(`ALTER TABLE api_keys ALTER COLUMN key_prefix SET NOT NULL`);
  }
}
