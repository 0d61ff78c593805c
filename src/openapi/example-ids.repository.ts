import type { ExampleIds } from '../common/openapi-examples';
import type { Queryable } from '../database/database.service';

/** The ids the served spec puts into its request examples: the newest current lessor, region, provider and lease. */
export class ExampleIdsRepository {
  async newest(q: Queryable): Promise<ExampleIds> {
    const rows = await q.query<ExampleIds[]>(
      `SELECT (SELECT id FROM lessors WHERE archived_at IS NULL ORDER BY seq DESC LIMIT 1) AS lessor,
              (SELECT id FROM regions WHERE archived_at IS NULL ORDER BY seq DESC LIMIT 1) AS region,
              (SELECT id FROM providers WHERE archived_at IS NULL ORDER BY seq DESC LIMIT 1) AS provider,
              (SELECT id FROM leases WHERE term @> current_date ORDER BY seq DESC LIMIT 1) AS lease`,
    );
    return rows[0];
  }
}
