import { Injectable } from '@nestjs/common';
import { Keyset } from '../common/pagination';
import { Filter, TableRepository, VersionedRow } from '../common/table.repository';
import { Database, Queryable } from '../database/database.service';
import type { AllocationQuery, AllocationStatus } from './dto/allocation.dto';
import { Listed, LISTED_SQL } from '../reputation/listed';

export interface AllocationRow extends VersionedRow {
  lease_id: string;
  prefix: string;
  region_id: string;
  provider_id: string;
  status: AllocationStatus;
  occupied: boolean;
  requested_prefix_length: number | null;
  strategy: string;
  name: string | null;
  origin_asn: string | null;
  description: string | null;
  tags: string[];
  released_at: Date | null;
  hold_until: Date | null;
  listed?: Listed[];
}

export interface Placement {
  outcome: 'no-lease' | 'inactive' | 'outside' | 'full' | 'taken' | 'placed';
  leasePrefix: string | null;
  placed: string | null;
}

export interface LockedLease {
  id: string;
  prefix: string;
  active: boolean;
}

export const ALLOCATION_COLUMNS = `id, seq, lease_id, prefix::text AS prefix, region_id, provider_id, status, occupied, requested_prefix_length,
  strategy, name, origin_asn, description, tags, released_at, hold_until, version, created_at, updated_at,
  ${LISTED_SQL('allocations.prefix')} AS listed`;

@Injectable()
export class AllocationsRepository extends TableRepository<AllocationRow> {
  constructor(private readonly db: Database) {
    super('allocations', ALLOCATION_COLUMNS, `status = 'active'`);
  }

  search(page: Keyset, query: AllocationQuery): Promise<AllocationRow[]> {
    const filters: Filter[] = [{ sql: 'status = $1', params: [query.status ?? 'active'] }];
    if (query.leaseId) filters.push({ sql: 'lease_id = $1', params: [query.leaseId] });
    if (query.regionId) filters.push({ sql: 'region_id = $1', params: [query.regionId] });
    if (query.providerId) filters.push({ sql: 'provider_id = $1', params: [query.providerId] });
    if (query.contains) filters.push({ sql: 'prefix >>= $1::cidr', params: [query.contains] });
    if (query.within) filters.push({ sql: 'prefix <<= $1::cidr', params: [query.within] });
    if (query.tag) filters.push({ sql: 'tags @> ARRAY[$1]::text[]', params: [query.tag] });
    if (query.name !== undefined) filters.push({ sql: 'name = $1', params: [query.name] });
    return this.list(this.db, page, filters);
  }

  /**
   * The per-lease lock every change to a lease's space goes through. FOR NO KEY UPDATE still lets
   * allocations reference the row (their foreign key takes KEY SHARE) but serialises allocators.
   */
  async lockLease(tx: Queryable, leaseId: string): Promise<LockedLease | undefined> {
    const rows = await tx.query<LockedLease[]>(
      `SELECT id, prefix::text AS prefix, term @> current_date AS active FROM leases WHERE id = $1 FOR NO KEY UPDATE`,
      [leaseId],
    );
    return rows[0];
  }

  /** The active lease whose prefix contains this one today (at most one can, by the lease constraint). */
  async activeLeaseContaining(q: Queryable, prefix: string): Promise<string | undefined> {
    const rows = await q.query<{ id: string }[]>(
      `SELECT id FROM leases WHERE prefix >>= $1::cidr AND term @> current_date LIMIT 1`,
      [prefix],
    );
    return rows[0]?.id;
  }

  /** Best-fit candidate lease across all active leases: the smallest free block that fits, lowest address first. */
  async bestLeaseFor(q: Queryable, length: number, firstFit: boolean, skip: string[]): Promise<string | undefined> {
    const order = firstFit ? 'fb.prefix' : 'fb.length DESC, fb.prefix';
    const rows = await q.query<{ lease_id: string }[]>(
      `SELECT fb.lease_id FROM free_blocks fb JOIN leases l ON l.id = fb.lease_id
        WHERE fb.length <= $1 AND l.term @> current_date AND NOT (fb.lease_id = ANY ($2::uuid[]))
        ORDER BY ${order} LIMIT 1`,
      [length, skip],
    );
    return rows[0]?.lease_id;
  }

  /** Released space whose hold has run out goes back to the free list (under the lease lock). */
  async reclaimExpiredHolds(tx: Queryable, leaseId: string): Promise<void> {
    await tx.query(
      `WITH reclaimed AS (
         UPDATE allocations SET occupied = false
          WHERE lease_id = $1 AND status = 'released' AND occupied AND hold_until <= now()
          RETURNING prefix)
       SELECT free_blocks_release($1, prefix) FROM reclaimed`,
      [leaseId],
    );
  }

  /**
   * The critical section in one round trip (SQL function allocation_place): lock the lease, check it
   * is active, reclaim expired holds, then take the next free /length or claim `prefix`.
   */
  async place(
    tx: Queryable,
    leaseId: string,
    request: { length: number; firstFit: boolean } | { prefix: string },
  ): Promise<Placement> {
    const rows = await tx.query<Placement[]>(
      `SELECT outcome, lease_prefix AS "leasePrefix", placed FROM allocation_place($1, $2, $3, $4::cidr)`,
      'prefix' in request ? [leaseId, null, false, request.prefix] : [leaseId, request.length, request.firstFit, null],
    );
    return rows[0];
  }

  async releaseBlock(tx: Queryable, leaseId: string, prefix: string): Promise<void> {
    await tx.query(`SELECT free_blocks_release($1, $2::cidr)`, [leaseId, prefix]);
  }

  occupiedOverlapping(q: Queryable, prefix: string): Promise<{ id: string; prefix: string; status: string }[]> {
    return q.query(
      `SELECT id, prefix::text AS prefix, status FROM allocations WHERE occupied AND prefix && $1::cidr ORDER BY allocations.prefix LIMIT 50`,
      [prefix],
    );
  }

  freeBlocks(q: Queryable, leaseId: string): Promise<{ prefix: string; length: number; network: string }[]> {
    return q.query(
      `SELECT prefix::text AS prefix, length, (prefix - '0.0.0.0'::inet)::text AS network FROM free_blocks WHERE lease_id = $1 ORDER BY free_blocks.prefix`,
      [leaseId],
    );
  }

  async hasExpiredHolds(q: Queryable, leaseId: string): Promise<boolean> {
    const rows = await q.query<unknown[]>(
      `SELECT 1 FROM allocations WHERE lease_id = $1 AND status = 'released' AND occupied AND hold_until <= now() LIMIT 1`,
      [leaseId],
    );
    return rows.length > 0;
  }

  async activeNamed(q: Queryable, name: string): Promise<boolean> {
    const rows = await q.query<unknown[]>(`SELECT 1 FROM allocations WHERE name = $1 AND status = 'active'`, [name]);
    return rows.length > 0;
  }

  async insertAllocation(tx: Queryable, values: Record<string, unknown>): Promise<AllocationRow> {
    return this.insert(tx, values);
  }
}
