import { Injectable } from '@nestjs/common';
import { ReadDatabase } from '../database/read-database.service';
import { NothingFound } from '../errors/domain-errors';
import { LeasesRepository } from '../leases/leases.repository';
import { toLeaseDto } from '../leases/leases.service';
import { LessorsRepository } from '../lessors/lessors.repository';
import { toLessorDto } from '../lessors/lessors.service';
import type { LookupResultDto } from './lookup.controller';
import { LookupRepository } from './lookup.repository';

@Injectable()
export class LookupService {
  constructor(
    private readonly db: ReadDatabase,
    private readonly leases: LeasesRepository,
    private readonly lessors: LessorsRepository,
    private readonly lookup: LookupRepository,
  ) {}

  async find(ip: string): Promise<LookupResultDto> {
    const row = await this.lookup.cover(this.db, ip);
    if (!row) throw new NothingFound(`No lease covers ${ip} today.`);
    const lease = await this.leases.findById(this.db, row.lease_id);
    const lessor = lease && (await this.lessors.findById(this.db, lease.lessor_id));
    if (!lease || !lessor) throw new NothingFound(`No lease covers ${ip} today.`);
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
