import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { DomainError } from '../errors/domain-errors';
import { LeasesRepository } from '../leases/leases.repository';
import { toLeaseDto } from '../leases/leases.service';
import { LessorsRepository } from '../lessors/lessors.repository';
import { toLessorDto } from '../lessors/lessors.service';
import type { LookupResultDto } from './lookup.controller';

interface CoverRow {
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
export class LookupService {
  constructor(
    private readonly db: Database,
    private readonly leases: LeasesRepository,
    private readonly lessors: LessorsRepository,
  ) {}

  async find(ip: string): Promise<LookupResultDto> {
    // Both containment tests use the GiST inet_ops indexes; at most one lease and one active
    // allocation can cover a given address on a given day. The allocation is found by its space,
    // whichever lease it belongs to (a stranded one of an ended lease still occupies it); without a
    // lease covering today, a stranded allocation's own lease is answered.
    const rows = await this.db.query<CoverRow[]>(
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
    const row = rows[0];
    if (!row) throw new DomainError('NOT_FOUND', `No lease covers ${ip} today.`);
    const lease = await this.leases.findById(this.db, row.lease_id);
    const lessor = lease && (await this.lessors.findById(this.db, lease.lessor_id));
    if (!lease || !lessor) throw new DomainError('NOT_FOUND', `No lease covers ${ip} today.`);
    return {
      query: ip,
      lease: toLeaseDto(lease),
      lessor: toLessorDto(lessor),
      allocation: row.allocation_id
        ? {
            id: row.allocation_id,
            prefix: row.allocation_prefix as string,
            description: row.description,
            tags: row.tags ?? [],
          }
        : null,
      region: row.region_id
        ? {
            id: row.region_id,
            code: row.region_code as string,
            name: row.region_name as string,
            countryCode: (row.country_code as string).trim(),
          }
        : null,
      provider: row.provider_id
        ? { id: row.provider_id, code: row.provider_code as string, name: row.provider_name as string }
        : null,
    };
  }
}
