import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys: one row per (calling API key, Idempotency-Key). The row is inserted in the same
 * transaction as the change it guards (status_code NULL until the response is stored), so a
 * committed change always has its claim and a concurrent twin blocks on the primary key.
 */
export class Idempotency1764000002000 implements MigrationInterface {
  name = 'Idempotency1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotency_keys (
        api_key_id       uuid NOT NULL,
        key              text NOT NULL,
        fingerprint      bytea NOT NULL,
        method           text NOT NULL,
        path             text NOT NULL,
        status_code      smallint,
        response_headers jsonb,
        response_body    text,
        created_at       timestamptz NOT NULL DEFAULT now(),
        completed_at     timestamptz,
        CONSTRAINT idempotency_keys_pkey PRIMARY KEY (api_key_id, key),
        CONSTRAINT idempotency_keys_api_key_id_fkey FOREIGN KEY (api_key_id) REFERENCES api_keys (id) ON DELETE CASCADE,
        CONSTRAINT idempotency_keys_key_check CHECK (length(key) BETWEEN 1 AND 255),
        CONSTRAINT idempotency_keys_completed_check CHECK ((status_code IS NULL) = (completed_at IS NULL))
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
  }
}
