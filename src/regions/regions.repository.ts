import { Injectable } from '@nestjs/common';
import { Queryable } from '../database/database.service';
import { Keyset } from '../common/pagination';
import { ArchivableTableRepository, Filter, VersionedRow } from '../persistence/table.repository';

export interface RegionRow extends VersionedRow {
  code: string;
  name: string;
  country_code: string;
  subdivision_code: string | null;
  city: string | null;
}

@Injectable()
export class RegionsRepository extends ArchivableTableRepository<RegionRow> {
  constructor() {
    super('regions');
  }

  search(q: Queryable, page: Keyset, query: { countryCode?: string; code?: string }): Promise<RegionRow[]> {
    const filters: Filter[] = [];
    if (query.countryCode) filters.push({ sql: 'country_code = $1', params: [query.countryCode] });
    if (query.code) filters.push({ sql: 'code = $1', params: [query.code] });
    return this.list(q, page, filters);
  }

  /** Active allocations that refer to the region: while any exists it cannot be deleted or archived. */
  async currentReferences(q: Queryable, id: string): Promise<{ id: string; prefix: string; total: number }[]> {
    return q.query<{ id: string; prefix: string; total: number }[]>(
      `SELECT id, prefix::text AS prefix, (count(*) OVER ())::int AS total FROM allocations WHERE region_id = $1 AND status = 'active' ORDER BY seq LIMIT 100`,
      [id],
    );
  }
}
