import type { IdempotencyClaim } from '../common/request-context';
import type { Queryable } from '../database/database.service';
import { isPgCode, LOCK_NOT_AVAILABLE } from '../database/pg-errors';
import { IdempotencyKeyInUse, IdempotencyRaceLost } from './idempotency.errors';

/** Keys are honoured this long; rows older than this are ignored and may be claimed afresh. */
export const IDEMPOTENCY_TTL_HOURS = 24;

/**
 * The first statement of a request's write transaction. A concurrent twin blocks on the primary key
 * until the holder commits or rolls back; if it committed, the DO UPDATE's WHERE is false, no row
 * comes back and the twin's transaction is abandoned. A row past its lifetime is taken over.
 * (Deliberately no separate SELECT: only the primary key can decide a race.)
 */
export async function claimIdempotencyKey(tx: Queryable, claim: IdempotencyClaim): Promise<void> {
  let rows: unknown[];
  try {
    rows = await tx.query<unknown[]>(
      `INSERT INTO idempotency_keys AS k (api_key_id, key, fingerprint, method, path)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT ON CONSTRAINT idempotency_keys_pkey DO UPDATE
         SET fingerprint = EXCLUDED.fingerprint, method = EXCLUDED.method, path = EXCLUDED.path, created_at = now(),
             status_code = NULL, response_headers = NULL, response_body = NULL, completed_at = NULL
         WHERE k.created_at < now() - make_interval(hours => $6)
       RETURNING 1`,
      [claim.apiKeyId, claim.key, claim.fingerprint, claim.method, claim.path, IDEMPOTENCY_TTL_HOURS],
    );
  } catch (error) {
    if (isPgCode(error, LOCK_NOT_AVAILABLE)) throw new IdempotencyKeyInUse();
    throw error;
  }
  if (rows.length === 0) throw new IdempotencyRaceLost();
}
