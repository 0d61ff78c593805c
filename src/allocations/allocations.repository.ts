import { Injectable } from '@nestjs/common';
import { Keyset } from '../common/pagination';
import { Filter, TableRepository, VersionedRow } from '../persistence/table.repository';
import type { InlineRecording } from '../persistence/writes';
import { Queryable } from '../database/database.service';
import type { AllocationQuery, AllocationStatus } from './dto/allocation.dto';
import { Listed, LISTED_SQL } from '../reputation/reputation.repository';

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
  effective_date: string;
  lease_active: boolean;
  listed?: Listed[];
}

export interface HistoryRow {
  lease_id: string;
  region_id: string;
  provider_id: string;
  valid_from: string;
  valid_to: string | null;
}

/** The columns a history period carries; a change sets some of them from a day on. */
export interface Assignment {
  lease_id?: string;
  region_id?: string;
  provider_id?: string;
}

export interface Placement {
  outcome: 'no-lease' | 'inactive' | 'outside' | 'full' | 'taken' | 'placed';
  leasePrefix: string | null;
  placed: string | null;
}

/** allocation_create's answer: a placement outcome, a backdating refusal, or the created row. */
export interface CreatedPlacement {
  outcome: Placement['outcome'] | 'future' | 'before-lease-start' | 'held';
  leasePrefix: string | null;
  placed: string | null;
  /** The lease's first day, when the outcome is before-lease-start. */
  leaseStart: string | null;
  /** The new row, when the outcome is placed. */
  created: AllocationRow | undefined;
}

/** The columns a new allocation is given. */
export interface NewAllocation {
  region_id: string;
  provider_id: string;
  strategy: string;
  name: string | null;
  origin_asn: number | null;
  description: string | null;
  tags: string[];
  /** A backdated first day; null: the creation day. */
  effective_date: string | null;
}

export interface LockedLease {
  id: string;
  prefix: string;
  active: boolean;
}

export const ALLOCATION_COLUMNS = `id, seq, lease_id, prefix::text AS prefix, region_id, provider_id, status, occupied, requested_prefix_length,
  strategy, name, origin_asn, description, tags, released_at, hold_until, effective_date, version, created_at, updated_at,
  (SELECT l.term @> current_date FROM leases l WHERE l.id = allocations.lease_id) AS lease_active,
  ${LISTED_SQL('allocations.prefix')} AS listed`;

@Injectable()
export class AllocationsRepository extends TableRepository<AllocationRow> {
  constructor() {
    super('allocations', ALLOCATION_COLUMNS, `status = 'active'`);
  }

  search(q: Queryable, page: Keyset, query: AllocationQuery): Promise<AllocationRow[]> {
    const filters: Filter[] = [{ sql: 'status = $1', params: [query.status ?? 'active'] }];
    if (query.leaseId) filters.push({ sql: 'lease_id = $1', params: [query.leaseId] });
    if (query.regionId) filters.push({ sql: 'region_id = $1', params: [query.regionId] });
    if (query.providerId) filters.push({ sql: 'provider_id = $1', params: [query.providerId] });
    if (query.contains) filters.push({ sql: 'prefix >>= $1::cidr', params: [query.contains] });
    if (query.within) filters.push({ sql: 'prefix <<= $1::cidr', params: [query.within] });
    if (query.tag) filters.push({ sql: 'tags @> ARRAY[$1]::text[]', params: [query.tag] });
    if (query.name !== undefined) filters.push({ sql: 'name = $1', params: [query.name] });
    return this.list(q, page, filters);
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
    await tx.query(`SELECT free_blocks_reclaim_holds(prefix) FROM leases WHERE id = $1`, [leaseId]);
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

  /**
   * Create in one round trip (SQL function allocation_create): what place() does, then the checks of a
   * backdated effective date, the insert, its audit row and events, so the lease lock is held for this
   * one statement plus COMMIT. Nothing is written unless the outcome is placed.
   */
  async create(
    tx: Queryable,
    leaseId: string,
    request: { length: number; firstFit: boolean } | { prefix: string },
    values: NewAllocation,
    recording: InlineRecording,
  ): Promise<CreatedPlacement> {
    const placement = 'prefix' in request ? [null, false, request.prefix] : [request.length, request.firstFit, null];
    const rows = await tx.query<(Record<string, unknown> & { outcome: CreatedPlacement['outcome'] })[]>(
      `SELECT c.outcome, c.lease_prefix, c.placed, c.lease_start, c.lease_active, c.listed, (c.created).*
         FROM allocation_create($1, $2, $3, $4::cidr, $5, $6, $7, $8, $9, $10, $11, $12::date, $13, $14, $15, $16, $17) c`,
      [
        leaseId,
        ...placement,
        values.region_id,
        values.provider_id,
        values.strategy,
        values.name,
        values.origin_asn,
        values.description,
        values.tags,
        values.effective_date,
        recording.actorKeyId,
        recording.actorName,
        recording.requestId,
        recording.clientRequestId,
        recording.eventTypes,
      ],
    );
    const { outcome, lease_prefix, placed, lease_start, ...row } = rows[0];
    return {
      outcome,
      leasePrefix: lease_prefix as string | null,
      placed: placed as string | null,
      leaseStart: lease_start as string | null,
      created: outcome === 'placed' ? (row as unknown as AllocationRow) : undefined,
    };
  }

  /**
   * Releases an active allocation under its lease's lock (SQL function allocation_release). With
   * `holdDays` the block stays occupied that long; without (null), it goes back to every lease that
   * overlaps it. Its history stops counting from today (trigger allocations_track_history).
   */
  async release(q: Queryable, id: string, holdDays: number | null): Promise<AllocationRow | undefined> {
    const rows = await q.query<AllocationRow[]>(
      `SELECT ${ALLOCATION_COLUMNS} FROM allocation_release($1, make_interval(days => $2)) AS allocations`,
      [id, holdDays],
    );
    return rows[0];
  }

  /**
   * Sets the given columns on every day from `from` on: the period holding `from` is split there,
   * later periods take the new values (other columns keep their own history), and neighbours that
   * became equal are merged.
   */
  async reassignFrom(tx: Queryable, id: string, from: string, change: Assignment): Promise<void> {
    const holding = await tx.query<{ id: string; upper: string | null }[]>(
      `SELECT id, upper(valid) AS upper FROM allocation_history WHERE allocation_id = $1 AND valid @> $2::date AND lower(valid) < $2::date`,
      [id, from],
    );
    if (holding[0]) {
      await tx.query(`UPDATE allocation_history SET valid = daterange(lower(valid), $2::date) WHERE id = $1`, [
        holding[0].id,
        from,
      ]);
      await tx.query(
        `INSERT INTO allocation_history (allocation_id, lease_id, region_id, provider_id, prefix, valid)
         SELECT allocation_id, lease_id, region_id, provider_id, prefix, daterange($2::date, $3::date)
           FROM allocation_history WHERE id = $1`,
        [holding[0].id, from, holding[0].upper],
      );
    }
    await tx.query(
      `UPDATE allocation_history
          SET lease_id = coalesce($3, lease_id), region_id = coalesce($4, region_id), provider_id = coalesce($5, provider_id)
        WHERE allocation_id = $1 AND lower(valid) >= $2::date
          AND (lease_id, region_id, provider_id) IS DISTINCT FROM (coalesce($3, lease_id), coalesce($4, region_id), coalesce($5, provider_id))`,
      [id, from, change.lease_id ?? null, change.region_id ?? null, change.provider_id ?? null],
    );
    await this.mergeHistory(tx, id, from);
  }

  /** Joins adjacent periods with the same assignment, looking only at periods that start on or after `from`. */
  private async mergeHistory(tx: Queryable, id: string, from: string): Promise<void> {
    for (;;) {
      const pairs = await tx.query<{ keep: string; drop: string; upper: string | null }[]>(
        `SELECT a.id AS keep, b.id AS drop, upper(b.valid) AS upper
           FROM allocation_history a JOIN allocation_history b
             ON b.allocation_id = a.allocation_id AND lower(b.valid) = upper(a.valid)
          WHERE a.allocation_id = $1 AND lower(b.valid) >= $2::date
            AND (a.lease_id, a.region_id, a.provider_id) = (b.lease_id, b.region_id, b.provider_id)
          ORDER BY lower(a.valid) LIMIT 1`,
        [id, from],
      );
      if (!pairs[0]) return;
      await tx.query(`DELETE FROM allocation_history WHERE id = $1`, [pairs[0].drop]);
      await tx.query(`UPDATE allocation_history SET valid = daterange(lower(valid), $2::date) WHERE id = $1`, [
        pairs[0].keep,
        pairs[0].upper,
      ]);
    }
  }

  history(q: Queryable, id: string): Promise<HistoryRow[]> {
    return q.query(
      `SELECT lease_id, region_id, provider_id, lower(valid) AS valid_from, upper(valid) - 1 AS valid_to
         FROM allocation_history WHERE allocation_id = $1 ORDER BY lower(valid)`,
      [id],
    );
  }

  /** Other allocations that held space overlapping `prefix` on some day from `from` on (for backdated creates). */
  heldSince(q: Queryable, prefix: string, from: string): Promise<{ id: string; prefix: string; status: string }[]> {
    return q.query(
      `SELECT DISTINCT a.id, a.prefix::text AS prefix, a.status, a.seq
         FROM allocation_history h JOIN allocations a ON a.id = h.allocation_id
        WHERE h.prefix && $1::cidr AND h.valid && daterange($2::date, NULL)
        ORDER BY a.seq LIMIT 50`,
      [prefix, from],
    );
  }

  /** 409 PERIOD_CLOSED (SQL function period_assert_open, the guard every trigger uses) when `day` is in a closed month. */
  async assertPeriodOpen(q: Queryable, day: string, what: string): Promise<void> {
    await q.query(`SELECT period_assert_open($1::date, $2)`, [day, what]);
  }

  leaseStart(q: Queryable, leaseId: string): Promise<{ start_date: string; prefix: string; active: boolean }[]> {
    return q.query(
      `SELECT start_date, prefix::text AS prefix, term @> current_date AS active FROM leases WHERE id = $1`,
      [leaseId],
    );
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
      `SELECT 1 FROM allocations
        WHERE lease_id IN (SELECT o.id FROM leases o JOIN leases l ON o.prefix && l.prefix WHERE l.id = $1)
          AND status = 'released' AND occupied AND hold_until <= now() LIMIT 1`,
      [leaseId],
    );
    return rows.length > 0;
  }

  /** The database's today (contract: days are UTC dates as PostgreSQL sees them). */
  async today(q: Queryable): Promise<string> {
    const rows = await q.query<{ today: string }[]>(`SELECT current_date AS today`);
    return rows[0].today;
  }

  async activeNamed(q: Queryable, name: string): Promise<boolean> {
    const rows = await q.query<unknown[]>(`SELECT 1 FROM allocations WHERE name = $1 AND status = 'active'`, [name]);
    return rows.length > 0;
  }
}
