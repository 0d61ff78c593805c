import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';

export interface GeofeedRow {
  prefix: string;
  country_code: string;
  subdivision_code: string | null;
  city: string | null;
}

const CURSOR = 'geofeed_lines';

@Injectable()
export class GeofeedRepository {
  constructor(private readonly db: Database) {}

  /** Changes whenever an allocation, region or lease changes, and at midnight UTC (leases start and end). */
  async changeMarker(): Promise<string> {
    const rows = await this.db.query<{ marker: string }[]>(
      `SELECT last_value::text || ':' || is_called::text || ':' || current_date::text AS marker FROM geofeed_changes`,
    );
    return rows[0].marker;
  }

  /**
   * Active allocations of leases active today, in prefix order, from a server-side cursor in one
   * read-only snapshot: memory stays flat however many allocations there are. `onBatch` answers
   * false to stop early (the client went away).
   */
  async forEachBatch(batchSize: number, onBatch: (rows: GeofeedRow[]) => Promise<boolean>): Promise<void> {
    const runner = this.db.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      await runner.query('SET TRANSACTION READ ONLY');
      await runner.query(
        `DECLARE ${CURSOR} NO SCROLL CURSOR FOR
         SELECT a.prefix::text AS prefix, r.country_code, r.subdivision_code, r.city
           FROM allocations a
           JOIN regions r ON r.id = a.region_id
           JOIN leases l ON l.id = a.lease_id
          WHERE a.status = 'active' AND l.term @> current_date
          ORDER BY a.prefix`,
      );
      for (;;) {
        const rows = (await runner.query(`FETCH ${batchSize} FROM ${CURSOR}`)) as GeofeedRow[];
        if (rows.length > 0 && !(await onBatch(rows))) break;
        if (rows.length < batchSize) break;
      }
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
}
