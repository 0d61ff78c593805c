import { Injectable } from '@nestjs/common';
import { Queryable } from '../database/database.service';
import { Keyset } from '../common/pagination';
import { ArchivableTableRepository, Filter, VersionedRow } from '../persistence/table.repository';

export interface ProviderRow extends VersionedRow {
  code: string;
  name: string;
  min_prefix_length: number;
  max_prefix_length: number;
  required_origin_asns: string[];
  notes: string | null;
}

@Injectable()
export class ProvidersRepository extends ArchivableTableRepository<ProviderRow> {
  constructor() {
    super('providers');
  }

  search(q: Queryable, page: Keyset, query: { code?: string }): Promise<ProviderRow[]> {
    const filters: Filter[] = [];
    if (query.code) filters.push({ sql: 'code = $1', params: [query.code] });
    return this.list(q, page, filters);
  }

  /** Active allocations that refer to the provider: while any exists it cannot be deleted or archived. */
  async currentReferences(q: Queryable, id: string): Promise<{ id: string; prefix: string; total: number }[]> {
    return q.query<{ id: string; prefix: string; total: number }[]>(
      `SELECT id, prefix::text AS prefix, (count(*) OVER ())::int AS total FROM allocations WHERE provider_id = $1 AND status = 'active' ORDER BY seq LIMIT 100`,
      [id],
    );
  }
}
