import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/database.service';
import type { ScheduledEventType } from '../events/event-types';

/** Something that is due to fire: once per entity, kind, term and threshold. */
export interface DueFire {
  entity_id: string;
  kind: ScheduledEventType;
  term_end: string;
  threshold: number;
  days_left: number | null;
}

export const SCHEDULER_LOCK_ID = 7_433_012;

// Lease terms and statuses come from the same SQL functions as the API and the reports.
const LEASES_TODAY = `
  SELECT l.id, l.auto_renew, l.end_date, l.terminated_on, l.notice_period_days, l.created_at,
         lease_status_on(l.start_date, l.end_date, l.auto_renew, l.terminated_on, current_date) AS status,
         lease_term_end_on(l.end_date, l.auto_renew, l.renewal_term_months, l.terminated_on, current_date) AS term_end,
         (l.created_at AT TIME ZONE 'UTC')::date AS created_on,
         lease_term_end_on(l.end_date, l.auto_renew, l.renewal_term_months, NULL, (l.created_at AT TIME ZONE 'UTC')::date) AS term_end_when_created
    FROM leases l`;

const NOT_FIRED = `NOT EXISTS (SELECT 1 FROM scheduled_fires f
  WHERE f.entity_id = due.entity_id AND f.kind = due.kind AND f.term_end = due.term_end AND f.threshold = due.threshold)`;

@Injectable()
export class SchedulerRepository {
  /** Only one instance works at a time; the others skip (the unique key would stop them anyway). */
  async tryLock(tx: Queryable): Promise<boolean> {
    const rows = await tx.query<{ locked: boolean }[]>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
      SCHEDULER_LOCK_ID,
    ]);
    return rows[0].locked;
  }

  /**
   * Everything due today that has not fired yet, up to `limit`. Conditions that became true while
   * no instance was running are still true (or were true on a day in between, and are judged on
   * today), so a late tick catches up.
   */
  due(q: Queryable, noticeThresholds: number[], limit: number): Promise<DueFire[]> {
    return q.query<DueFire[]>(
      `WITH lt AS (${LEASES_TODAY}),
       due AS (
         -- Notice deadline (term end minus notice period) within a threshold: each threshold once per term.
         SELECT lt.id AS entity_id, 'lease.notice_deadline_approaching' AS kind, lt.term_end, t.threshold,
                (lt.term_end - lt.notice_period_days) - current_date AS days_left
           FROM lt CROSS JOIN unnest($1::int[]) AS t(threshold)
          WHERE lt.status IN ('pending', 'active') AND lt.terminated_on IS NULL AND lt.term_end IS NOT NULL
            AND (lt.term_end - lt.notice_period_days) - current_date BETWEEN 0 AND t.threshold
         UNION ALL
         -- The term ends within 7 days and will not roll on.
         SELECT lt.id, 'lease.term_ending', lt.term_end, 0, lt.term_end - current_date
           FROM lt
          WHERE lt.status IN ('pending', 'active') AND lt.term_end IS NOT NULL
            AND (NOT lt.auto_renew OR lt.terminated_on IS NOT NULL)
            AND lt.term_end - current_date BETWEEN 0 AND 7
         UNION ALL
         -- An auto-renewing lease is in a later term than when it was recorded.
         SELECT lt.id, 'lease.renewed', lt.term_end, 0, NULL
           FROM lt
          WHERE lt.status = 'active' AND lt.auto_renew AND lt.terminated_on IS NULL AND lt.end_date < current_date
            AND lt.term_end > lt.term_end_when_created
         UNION ALL
         -- The term ran out without renewal (not for leases recorded long after they ended: imports of history).
         SELECT lt.id, 'lease.expired', lt.term_end, 0, NULL
           FROM lt
          WHERE lt.status = 'expired' AND lt.end_date + 1 >= lt.created_on
         UNION ALL
         -- An active allocation whose lease is no longer in force.
         SELECT a.id, 'allocation.stranded', lt.term_end, 0, NULL
           FROM allocations a JOIN lt ON lt.id = a.lease_id
          WHERE a.status = 'active' AND lt.status IN ('expired', 'terminated')
       )
       SELECT entity_id, kind, term_end, threshold, days_left FROM due WHERE ${NOT_FIRED}
        ORDER BY term_end, entity_id, kind, threshold DESC
        LIMIT $2`,
      [noticeThresholds, limit],
    );
  }

  /** Claims the fire's key; false when it already fired (here or on another instance). */
  async claim(tx: Queryable, fire: DueFire, eventId: string): Promise<boolean> {
    const rows = await tx.query<unknown[]>(
      `INSERT INTO scheduled_fires (entity_id, kind, term_end, threshold, event_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT ON CONSTRAINT scheduled_fires_pkey DO NOTHING RETURNING event_id`,
      [fire.entity_id, fire.kind, fire.term_end, fire.threshold, eventId],
    );
    return rows.length === 1;
  }
}
