import type { Pool, PoolClient } from 'pg';
import type { Queryable } from '../../src/database/database.service';

/**
 * A node-postgres client or pool seen as the Queryable that repositories take, so tests call the
 * repositories themselves instead of copies of their SQL. (Rows only, as TypeORM gives them for
 * SELECT and INSERT … RETURNING; the repositories' function calls are all SELECTs.)
 */
export function asQueryable(client: Pool | PoolClient): Queryable {
  return {
    query: async <T>(sql: string, parameters?: unknown[]) => (await client.query(sql, parameters)).rows as T,
  };
}
