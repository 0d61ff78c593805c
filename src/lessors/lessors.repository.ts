import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { Keyset } from '../common/pagination';
import { Filter, TableRepository, VersionedRow } from '../common/table.repository';
import type { Rir } from './dto/lessor.dto';

export interface LessorRow extends VersionedRow {
  name: string;
  rir: Rir;
  org_handle: string | null;
  contact_email: string | null;
  notes: string | null;
}

@Injectable()
export class LessorsRepository extends TableRepository<LessorRow> {
  constructor(private readonly db: Database) {
    super('lessors');
  }

  search(page: Keyset, query: { rir?: Rir; q?: string }): Promise<LessorRow[]> {
    const filters: Filter[] = [];
    if (query.rir) filters.push({ sql: 'rir = $1', params: [query.rir] });
    if (query.q)
      filters.push({ sql: `name ILIKE '%' || $1 || '%' ESCAPE '\\'`, params: [query.q.replace(/[\\%_]/g, '\\$&')] });
    return this.list(this.db, page, filters);
  }
}
