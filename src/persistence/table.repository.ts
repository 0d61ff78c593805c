import type { Queryable } from '../database/database.service';
import type { Keyset } from '../common/pagination';

export interface VersionedRow {
  id: string;
  seq: string;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface Filter {
  sql: string;
  params: unknown[];
}

/**
 * The plain-table half of a repository: by-id reads, row locks, versioned updates and keyset
 * lists over one table. Columns are passed as SQL names; values always as parameters.
 */
export class TableRepository<Row extends VersionedRow> {
  /**
   * @param findableWhen extra condition for by-id reads and locks: rows outside it answer 404
   *   (released allocations, for instance), while lists may still reach them through filters.
   */
  constructor(
    protected readonly table: string,
    private readonly selectList = '*',
    private readonly findableWhen = 'true',
  ) {}

  async findById(q: Queryable, id: string): Promise<Row | undefined> {
    const rows = await q.query<Row[]>(
      `SELECT ${this.selectList} FROM ${this.table} WHERE id = $1 AND ${this.findableWhen}`,
      [id],
    );
    return rows[0];
  }

  async lockById(q: Queryable, id: string): Promise<Row | undefined> {
    const rows = await q.query<Row[]>(
      `SELECT ${this.selectList} FROM ${this.table} WHERE id = $1 AND ${this.findableWhen} FOR UPDATE`,
      [id],
    );
    return rows[0];
  }

  async insert(q: Queryable, values: Record<string, unknown>): Promise<Row> {
    const columns = Object.keys(values);
    const placeholders = columns.map((_, i) => `$${i + 1}`);
    const rows = await q.query<Row[]>(
      `INSERT INTO ${this.table} (${columns.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING ${this.selectList}`,
      Object.values(values),
    );
    return rows[0];
  }

  /** Applies the changed columns and bumps version; a no-op patch still counts as a change. */
  async update(q: Queryable, id: string, values: Record<string, unknown>): Promise<Row> {
    const columns = Object.keys(values);
    const assignments = columns.map((column, i) => `${column} = $${i + 2}`);
    const rows = await q.query<[Row[], number]>(
      `UPDATE ${this.table} SET ${[...assignments, 'version = version + 1', 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${this.selectList}`,
      [id, ...Object.values(values)],
    );
    return rows[0][0];
  }

  async delete(q: Queryable, id: string): Promise<void> {
    await q.query(`DELETE FROM ${this.table} WHERE id = $1`, [id]);
  }

  /** Keyset page in creation order; fetches limit+1 rows so toPage can tell whether more exist. */
  async list(q: Queryable, page: Keyset, filters: Filter[] = []): Promise<Row[]> {
    const params: unknown[] = [page.afterSeq];
    const clauses = ['seq > $1'];
    for (const filter of filters) {
      const offset = params.length;
      clauses.push(filter.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`));
      params.push(...filter.params);
    }
    params.push(page.limit + 1);
    return q.query<Row[]>(
      `SELECT ${this.selectList} FROM ${this.table} WHERE ${clauses.join(' AND ')} ORDER BY seq LIMIT $${params.length}`,
      params,
    );
  }
}

/**
 * A table whose rows can be archived (contract: "Archiving"): archived rows answer 404 on reads,
 * are left out of lists, and stay in the table so history and reports keep their last label.
 */
export class ArchivableTableRepository<Row extends VersionedRow> extends TableRepository<Row> {
  constructor(table: string) {
    super(table, '*', 'archived_at IS NULL');
  }

  override list(q: Queryable, page: Keyset, filters: Filter[] = []): Promise<Row[]> {
    return super.list(q, page, [...filters, { sql: 'archived_at IS NULL', params: [] }]);
  }

  async archive(q: Queryable, id: string): Promise<void> {
    await q.query(
      `UPDATE ${this.table} SET archived_at = now(), version = version + 1, updated_at = now() WHERE id = $1`,
      [id],
    );
  }
}
