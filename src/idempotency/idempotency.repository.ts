import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { IDEMPOTENCY_TTL_HOURS } from './idempotency.claim';

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  /** The body exactly as first sent (JSON text), or null for an empty body. */
  body: string | null;
}

export interface IdempotencyRow {
  fingerprint: Buffer;
  response: StoredResponse | null;
}

/** Rows are kept this long past their lifetime before the purge deletes them. */
export const IDEMPOTENCY_PURGE_AFTER_HOURS = IDEMPOTENCY_TTL_HOURS + 1;

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly db: Database) {}

  /** The live row for this key, if any (rows past their lifetime count as absent). */
  async find(apiKeyId: string, key: string): Promise<IdempotencyRow | undefined> {
    const rows = await this.db.query<
      {
        fingerprint: Buffer;
        status_code: number | null;
        response_headers: Record<string, string> | null;
        response_body: string | null;
      }[]
    >(
      `SELECT fingerprint, status_code, response_headers, response_body FROM idempotency_keys
       WHERE api_key_id = $1 AND key = $2 AND created_at >= now() - make_interval(hours => $3)`,
      [apiKeyId, key, IDEMPOTENCY_TTL_HOURS],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      fingerprint: row.fingerprint,
      response:
        row.status_code === null
          ? null
          : { status: row.status_code, headers: row.response_headers ?? {}, body: row.response_body },
    };
  }

  /** Records the response of a request whose claim has committed. */
  async complete(apiKeyId: string, key: string, response: StoredResponse): Promise<void> {
    await this.db.query(
      `UPDATE idempotency_keys SET status_code = $3, response_headers = $4, response_body = $5, completed_at = now()
       WHERE api_key_id = $1 AND key = $2 AND status_code IS NULL`,
      [apiKeyId, key, response.status, JSON.stringify(response.headers), response.body],
    );
  }

  /** Deletes rows older than the purge horizon; returns how many. */
  async purge(olderThanHours = IDEMPOTENCY_PURGE_AFTER_HOURS): Promise<number> {
    const rows = await this.db.query<{ n: number }[]>(
      `WITH purged AS (DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1) RETURNING 1)
       SELECT count(*)::int AS n FROM purged`,
      [olderThanHours],
    );
    return rows[0].n;
  }
}
