import { Injectable } from '@nestjs/common';
import { Database, Queryable } from '../database/database.service';
import { Keyset } from '../common/pagination';
import { Filter, TableRepository, VersionedRow } from '../common/table.repository';

export interface RegionRow extends VersionedRow {
  code: string;
  name: string;
  country_code: string;
  subdivision_code: string | null;
  city: string | null;
}

@Injectable()
export class RegionsRepository extends TableRepository<RegionRow> {
  constructor(private readonly db: Database) {
    super('regions');
  }

  search(page: Keyset, query: { countryCode?: string; code?: string }): Promise<RegionRow[]> {
    const filters: Filter[] = [];
    if (query.countryCode) filters.push({ sql: 'country_code = $1', params: [query.countryCode] });
    if (query.code) filters.push({ sql: 'code = $1', params: [query.code] });
    return this.list(this.db, page, filters);
  }

  /**
   * Allocations that refer to the region, for the IN_USE answer. The allocations table comes
   * with a later migration, so this looks it up by name first and answers [] while it is absent.
   */
  async referencingAllocations(q: Queryable, id: string): Promise<{ id: string; prefix: string }[]> {
    const [{ present }] = await q.query<{ present: boolean }[]>(`SELECT to_regclass('allocations') IS NOT NULL AS present`);
    if (!present) return [];
    return q.query<{ id: string; prefix: string }[]>(
      `SELECT id, prefix::text AS prefix FROM allocations WHERE region_id = $1 ORDER BY seq LIMIT 100`,
      [id],
    );
  }
}
