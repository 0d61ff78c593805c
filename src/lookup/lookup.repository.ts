import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/database.service';

export interface CoverRow {
  lease_id: string;
  allocation_id: string | null;
  allocation_prefix: string | null;
  description: string | null;
  tags: string[] | null;
  region_id: string | null;
  region_code: string | null;
  region_name: string | null;
  country_code: string | null;
  provider_id: string | null;
  provider_code: string | null;
  provider_name: string | null;
}

@Injectable()
export class LookupRepository {
  /**
   * What covers `ip` today. Both containment tests use the GiST inet_ops indexes; at most one lease
   * and one active allocation can cover a given address on a given day. The allocation is found by
   * its space, whichever lease it belongs to (a stranded one of an ended lease still occupies it);
   * without a lease covering today, a stranded allocation's own lease is answered.
   */
  async cover(q: Queryable, ip: string): Promise<CoverRow | undefined> {
    const rows = await q.query<CoverRow[]>(
      `SELECT coalesce(l.id, a.lease_id) AS lease_id, a.id AS allocation_id, a.prefix::text AS allocation_prefix, a.description, a.tags,
              r.id AS region_id, r.code AS region_code, r.name AS region_name, r.country_code,
              p.id AS provider_id, p.code AS provider_code, p.name AS provider_name
         FROM (SELECT 1) AS one
         LEFT JOIN (SELECT id FROM leases WHERE prefix >>= $1::cidr AND term @> current_date LIMIT 1) l ON true
         LEFT JOIN (SELECT * FROM allocations WHERE status = 'active' AND prefix >>= $1::cidr LIMIT 1) a ON true
         LEFT JOIN regions r ON r.id = a.region_id
         LEFT JOIN providers p ON p.id = a.provider_id
        WHERE l.id IS NOT NULL OR a.id IS NOT NULL`,
      [ip],
    );
    return rows[0];
  }
}
