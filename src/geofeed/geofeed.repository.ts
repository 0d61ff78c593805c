import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/database.service';

export interface GeofeedRow {
  prefix: string;
  country_code: string;
  subdivision_code: string | null;
  city: string | null;
}

const CURSOR = 'geofeed_lines';

@Injectable()
export class GeofeedRepository {
  /** Changes whenever an allocation, region or lease changes, and at midnight UTC (leases start and end). */
  async changeMarker(q: Queryable): Promise<string> {
    const rows = await q.query<{ marker: string }[]>(
      `SELECT last_value::text || ':' || is_called::text || ':' || current_date::text AS marker FROM geofeed_changes`,
    );
    return rows[0].marker;
  }

  /**
   * Active allocations of leases active today, in prefix order, from a server-side cursor: run it
   * inside Database.readOnlySnapshot, so memory stays flat however many allocations there are.
   * `onBatch` answers false to stop early (the client went away).
   */
  async forEachBatch(
    q: Queryable,
    batchSize: number,
    onBatch: (rows: GeofeedRow[]) => Promise<boolean>,
  ): Promise<void> {
    await q.query(
      `DECLARE ${CURSOR} NO SCROLL CURSOR FOR
       SELECT a.prefix::text AS prefix, r.country_code, r.subdivision_code, r.city
         FROM allocations a
         JOIN regions r ON r.id = a.region_id
         JOIN leases l ON l.id = a.lease_id
        WHERE a.status = 'active' AND l.term @> current_date
        ORDER BY a.prefix`,
    );
    for (;;) {
      const rows = await q.query<GeofeedRow[]>(`FETCH ${batchSize} FROM ${CURSOR}`);
      if (rows.length > 0 && !(await onBatch(rows))) break;
      if (rows.length < batchSize) break;
    }
  }
}
