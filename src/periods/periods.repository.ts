import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/database.service';

export interface PeriodEventRow {
  id: string;
  action: 'close' | 'reopen';
  through: string | null;
  reason: string | null;
  at: Date;
  actor_key_id: string | null;
  actor_name: string | null;
}

/** Months are stored as their first day ('2026-09-01'); the API speaks 'YYYY-MM'. */
@Injectable()
export class PeriodsRepository {
  async closedThrough(q: Queryable): Promise<string | null> {
    const rows = await q.query<{ through: string | null }[]>(`SELECT period_closed_through() AS through`);
    return rows[0]?.through ?? null;
  }

  events(q: Queryable): Promise<PeriodEventRow[]> {
    return q.query(`SELECT id, action, through, reason, at, actor_key_id, actor_name FROM period_events ORDER BY seq`);
  }

  /**
   * Waits for every write in flight to the tables that feed the monthly cost, and holds new ones
   * back until the closing transaction commits, so the frozen figures and the guard agree.
   */
  async lockCostTables(q: Queryable): Promise<void> {
    await q.query(`LOCK TABLE leases, lease_amendments, allocations, allocation_history, fx_rates IN SHARE MODE`);
  }

  /**
   * Closing aggregates a month per lease (100k groups at 1M allocations) and builds the lease
   * grouping's jsonb; at the default 4 MB these spill to disk. Only this transaction gets more.
   */
  async allowClosingMemory(q: Queryable): Promise<void> {
    await q.query(`SET LOCAL work_mem = '64MB'`);
  }

  /** The first day of the earliest month any lease has a day in (null: no lease). */
  async firstLeasedMonth(q: Queryable): Promise<string | null> {
    const rows = await q.query<{ first: string | null }[]>(
      `SELECT date_trunc('month', min(lower(term)))::date AS first FROM leases`,
    );
    return rows[0]?.first ?? null;
  }

  async record(
    q: Queryable,
    event: {
      action: 'close' | 'reopen';
      through: string | null;
      reason: string | null;
      keyId: string | null;
      name: string | null;
    },
  ): Promise<PeriodEventRow> {
    const rows = await q.query<PeriodEventRow[]>(
      `INSERT INTO period_events (action, through, reason, actor_key_id, actor_name) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, action, through, reason, at, actor_key_id, actor_name`,
      [event.action, event.through, event.reason, event.keyId, event.name],
    );
    return rows[0];
  }

  /** Frozen figures of months after `through` (all of them when null) are dropped: those months are open again. */
  async thaw(q: Queryable, through: string | null): Promise<void> {
    await q.query(`DELETE FROM closed_month_reports WHERE $1::date IS NULL OR month > $1::date`, [through]);
  }
}
