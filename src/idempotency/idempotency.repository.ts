import { Injectable } from '@nestjs/common';
import type { IdempotencyClaim } from '../common/request-context';
import type { Queryable } from '../database/database.service';

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

/** Keys are honoured this long; rows older than this are ignored and may be claimed afresh. */
export const IDEMPOTENCY_TTL_HOURS = 24;

/** Rows are kept this long past their lifetime before the purge deletes them. */
export const IDEMPOTENCY_PURGE_AFTER_HOURS = IDEMPOTENCY_TTL_HOURS + 1;

@Injectable()
export class IdempotencyRepository {
  /**
   * Claims the key inside the change's transaction (persistence/writes.ts, its first statement).
   * A concurrent twin blocks on the primary key until the holder commits or rolls back; if it
   * committed, the DO UPDATE's WHERE is false, no row comes back, and this answers false. A row
   * past its lifetime is taken over. (Deliberately no separate SELECT: only the primary key can
   * decide a race.)
   */
  async claim(q: Queryable, claim: IdempotencyClaim): Promise<boolean> {
    const rows = await q.query<unknown[]>(
      `INSERT INTO idempotency_keys AS k (api_key_id, key, fingerprint, method, path)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT ON CONSTRAINT idempotency_keys_pkey DO UPDATE
         SET fingerprint = EXCLUDED.fingerprint, method = EXCLUDED.method, path = EXCLUDED.path, created_at = now(),
             status_code = NULL, response_headers = NULL, response_body = NULL, completed_at = NULL
         WHERE k.created_at < now() - make_interval(hours => $6)
       RETURNING 1`,
      [claim.apiKeyId, claim.key, claim.fingerprint, claim.method, claim.path, IDEMPOTENCY_TTL_HOURS],
    );
    return rows.length > 0;
  }

  /** The live row for this key, if any (rows past their lifetime count as absent). */
  async find(q: Queryable, apiKeyId: string, key: string): Promise<IdempotencyRow | undefined> {
    const rows = await q.query<
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
  async complete(q: Queryable, apiKeyId: string, key: string, response: StoredResponse): Promise<void> {
    await q.query(
      `UPDATE idempotency_keys SET status_code = $3, response_headers = $4, response_body = $5, completed_at = now()
       WHERE api_key_id = $1 AND key = $2 AND status_code IS NULL`,
      [apiKeyId, key, response.status, JSON.stringify(response.headers), response.body],
    );
  }

  /** Deletes rows older than the purge horizon; returns how many. */
  async purge(q: Queryable, olderThanHours = IDEMPOTENCY_PURGE_AFTER_HOURS): Promise<number> {
    const rows = await q.query<{ n: number }[]>(
      `WITH purged AS (DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1) RETURNING 1)
       SELECT count(*)::int AS n FROM purged`,
      [olderThanHours],
    );
    return rows[0].n;
  }
}
