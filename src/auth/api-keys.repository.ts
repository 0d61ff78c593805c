import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/database.service';
import type { Keyset } from '../common/pagination';
import type { Role } from '../common/request-context';
import { Filter, TableRepository, VersionedRow } from '../persistence/table.repository';

export interface ApiKeyRow extends VersionedRow {
  name: string;
  role: Role;
  key_hash: Buffer;
  key_prefix: string | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/**
 * A live key as authentication finds it, with the primary's WAL position at that moment
 * (read-your-writes on replicas) and whether its last use is due to be recorded (see touch).
 */
export type ActiveApiKey = ApiKeyRow & { wal_position: string; touch_due: boolean };

const BOOTSTRAP_LOCK_ID = 7_433_002;
/** A key's last use is recorded when it has none or it is over a minute old (database time). */
const TOUCH_DUE = `(last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`;

@Injectable()
export class ApiKeysRepository extends TableRepository<ApiKeyRow> {
  constructor() {
    super('api_keys');
  }

  async findActiveByHash(q: Queryable, hash: Buffer): Promise<ActiveApiKey | undefined> {
    // The primary's WAL position comes along for free: reads routed to a replica wait for it (ReadDatabase).
    const rows = await q.query<ActiveApiKey[]>(
      `SELECT *, pg_current_wal_lsn()::text AS wal_position, ${TOUCH_DUE} AS touch_due
         FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    return rows[0];
  }

  async insertKey(
    q: Queryable,
    key: { name: string; role: Role; hash: Buffer; prefix: string | null },
  ): Promise<ApiKeyRow> {
    const rows = await q.query<ApiKeyRow[]>(
      `INSERT INTO api_keys (name, role, key_hash, key_prefix) VALUES ($1, $2, $3, $4) RETURNING *`,
      [key.name, key.role, key.hash, key.prefix],
    );
    return rows[0];
  }

  /** Inserts the key unless one with the same hash exists (revoked or not); returns the new row, if any. */
  async insertIfAbsent(
    q: Queryable,
    key: { name: string; role: Role; hash: Buffer; prefix: string | null },
  ): Promise<ApiKeyRow | undefined> {
    const rows = await q.query<ApiKeyRow[]>(
      `INSERT INTO api_keys (name, role, key_hash, key_prefix) VALUES ($1, $2, $3, $4)
       ON CONFLICT ON CONSTRAINT api_keys_key_hash_key DO NOTHING RETURNING *`,
      [key.name, key.role, key.hash, key.prefix],
    );
    return rows[0];
  }

  async findByHash(q: Queryable, hash: Buffer): Promise<ApiKeyRow | undefined> {
    const rows = await q.query<ApiKeyRow[]>(`SELECT * FROM api_keys WHERE key_hash = $1`, [hash]);
    return rows[0];
  }

  /** Active keys with this name whose hash differs (a bootstrap key that has since been replaced). */
  lockActiveByNameExcept(tx: Queryable, name: string, hash: Buffer): Promise<ApiKeyRow[]> {
    return tx.query<ApiKeyRow[]>(
      `SELECT * FROM api_keys WHERE name = $1 AND key_hash <> $2 AND revoked_at IS NULL ORDER BY seq FOR UPDATE`,
      [name, hash],
    );
  }

  /** Serialises instances starting at once: only one of them may register or mint a bootstrap key. */
  async lockForBootstrap(tx: Queryable): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK_ID]);
  }

  async anyExists(q: Queryable): Promise<boolean> {
    const rows = await q.query<unknown[]>(`SELECT 1 FROM api_keys LIMIT 1`);
    return rows.length > 0;
  }

  /**
   * Records a key's use, best effort and at most once a minute per key: a busy key must not turn
   * every read into a write. Call it only when the lookup said `touch_due`: the condition is
   * repeated here for instances racing each other, but a request whose key was recorded within the
   * minute sends nothing (one query per request saved, a third of what a next-free sends).
   */
  touch(q: Queryable, id: string): void {
    q.query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND ${TOUCH_DUE}`, [id]).catch(() => undefined);
  }

  // --- Key administration (API and CLI) ---

  /** Keyset page in creation order, revoked keys included. */
  search(q: Queryable, page: Keyset, role?: Role): Promise<ApiKeyRow[]> {
    const filters: Filter[] = role ? [{ sql: 'role = $1', params: [role] }] : [];
    return this.list(q, page, filters);
  }

  /**
   * Locks every active admin key and returns their ids. Two admins revoking each other at once
   * serialise here, and the second sees the first's revocation (READ COMMITTED re-checks locked rows).
   */
  async lockActiveAdmins(tx: Queryable): Promise<string[]> {
    const rows = await tx.query<{ id: string }[]>(
      `SELECT id FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL ORDER BY seq FOR UPDATE`,
    );
    return rows.map((r) => r.id);
  }

  async revoke(tx: Queryable, id: string): Promise<ApiKeyRow> {
    const rows = await tx.query<[ApiKeyRow[], number]>(
      `UPDATE api_keys SET revoked_at = now(), version = version + 1, updated_at = now() WHERE id = $1 RETURNING *`,
      [id],
    );
    return rows[0][0];
  }
}
