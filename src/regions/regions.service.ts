import { ReadDatabase } from '../database/read-database.service';
import type { ExpectedVersion } from '../common/etag';
import { Injectable } from '@nestjs/common';
import { keyset, Page, toPage } from '../common/pagination';
import { ArchivableSpec, Writes } from '../persistence/writes';
import { onConstraintViolation } from '../database/pg-errors';
import { Database } from '../database/database.service';
import { AlreadyExists, InUse, ValidationFailed } from '../errors/domain-errors';
import { CreateRegionDto, RegionDto, RegionQuery, UpdateRegionDto } from './dto/region.dto';
import { RegionRow, RegionsRepository } from './regions.repository';

export function toRegionDto(row: RegionRow): RegionDto {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    countryCode: row.country_code,
    subdivisionCode: row.subdivision_code,
    city: row.city,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** A subdivision belongs to one country: GB-ENG goes with GB. Checked on the values as they will be stored. */
function checkSubdivisionInCountry(countryCode: string, subdivisionCode: string | null): void {
  if (subdivisionCode !== null && !subdivisionCode.startsWith(`${countryCode}-`)) {
    throw ValidationFailed.field(
      'subdivisionCode',
      `subdivisionCode ${subdivisionCode} is not in country ${countryCode}`,
    );
  }
}

@Injectable()
export class RegionsService {
  private readonly spec: ArchivableSpec<RegionRow, RegionDto>;

  constructor(
    /** Lists may come from a read replica. */
    private readonly reads: ReadDatabase,
    private readonly regions: RegionsRepository,
    private readonly writes: Writes,
    private readonly db: Database,
  ) {
    this.spec = { type: 'region', repository: regions, toView: toRegionDto };
  }

  async list(query: RegionQuery): Promise<Page<RegionDto>> {
    const page = keyset(query);
    return toPage(await this.regions.search(this.reads, page, query), page.limit, toRegionDto);
  }

  get(id: string): Promise<RegionDto> {
    return this.writes.get(this.spec, id);
  }

  create(dto: CreateRegionDto): Promise<RegionDto> {
    checkSubdivisionInCountry(dto.countryCode, dto.subdivisionCode ?? null);
    return this.uniqueCode(dto.code, () =>
      this.writes.create(this.spec, (tx) =>
        this.regions.insert(tx, {
          code: dto.code,
          name: dto.name,
          country_code: dto.countryCode,
          subdivision_code: dto.subdivisionCode ?? null,
          city: dto.city ?? null,
        }),
      ),
    );
  }

  update(id: string, dto: UpdateRegionDto, expected?: ExpectedVersion): Promise<RegionDto> {
    const values: Record<string, unknown> = {};
    if (dto.code !== undefined) values.code = dto.code;
    if (dto.name !== undefined) values.name = dto.name;
    if (dto.countryCode !== undefined) values.country_code = dto.countryCode;
    if (dto.subdivisionCode !== undefined) values.subdivision_code = dto.subdivisionCode;
    if (dto.city !== undefined) values.city = dto.city;
    return this.uniqueCode(dto.code, () =>
      this.writes.update(this.spec, id, expected, values, async (_tx, current) => {
        checkSubdivisionInCountry(
          dto.countryCode ?? current.country_code,
          dto.subdivisionCode === undefined ? current.subdivision_code : dto.subdivisionCode,
        );
      }),
    );
  }

  /** Contract "Archiving": deleted when nothing ever referred to it, archived when only history does. */
  delete(id: string, expected?: ExpectedVersion): Promise<void> {
    return this.writes.deleteOrArchive(this.spec, id, expected, async (tx) => {
      const allocations = await this.regions.currentReferences(tx, id);
      if (allocations.length === 0) return undefined;
      return new InUse(
        `region ${id} is still used by ${allocations[0].total} active allocation(s); move or release them first` +
          (allocations[0].total > allocations.length ? ` (the first ${allocations.length} are listed).` : '.'),
        allocations.map((a) => ({ id: a.id, prefix: a.prefix, kind: 'allocation' })),
      );
    });
  }

  private uniqueCode<T>(code: string | undefined, write: () => Promise<T>): Promise<T> {
    return onConstraintViolation(
      { regions_code_key: () => new AlreadyExists(`A region with code "${code}" already exists.`, 'code') },
      write,
    );
  }
}
