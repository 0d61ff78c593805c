import { Injectable } from '@nestjs/common';
import { Queryable } from '../database/database.service';
import { LEASE_STATUS_SQL } from '../leases/leases.repository';
import { Keyset } from '../common/pagination';
import { ArchivableTableRepository, Filter, VersionedRow } from '../persistence/table.repository';
import type { Rir } from './dto/lessor.dto';

export interface LessorRow extends VersionedRow {
  name: string;
  rir: Rir;
  org_handle: string | null;
  contact_email: string | null;
  notes: string | null;
}

@Injectable()
export class LessorsRepository extends ArchivableTableRepository<LessorRow> {
  constructor() {
    super('lessors');
  }

  search(q: Queryable, page: Keyset, query: { rir?: Rir; q?: string }): Promise<LessorRow[]> {
    const filters: Filter[] = [];
    if (query.rir) filters.push({ sql: 'rir = $1', params: [query.rir] });
    if (query.q)
      filters.push({ sql: `name ILIKE '%' || $1 || '%' ESCAPE '\\'`, params: [query.q.replace(/[\\%_]/g, '\\$&')] });
    return this.list(q, page, filters);
  }

  /**
   * Leases that still make the lessor current: pending or running ones whose termination (if any)
   * is not yet effective, and any lease still holding active (possibly stranded) allocations.
   */
  /** The first 100 current leases (oldest first), each row carrying how many there are in all. */
  async currentReferences(q: Queryable, id: string): Promise<{ id: string; prefix: string; total: number }[]> {
    return q.query<{ id: string; prefix: string; total: number }[]>(
      `SELECT id, prefix::text AS prefix, (count(*) OVER ())::int AS total FROM leases
        WHERE lessor_id = $1
          AND ((${LEASE_STATUS_SQL} IN ('pending', 'active') AND (terminated_on IS NULL OR terminated_on > current_date))
               OR EXISTS (SELECT 1 FROM allocations a WHERE a.lease_id = leases.id AND a.status = 'active'))
        ORDER BY seq LIMIT 100`,
      [id],
    );
  }
}
