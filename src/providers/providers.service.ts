import { ReadDatabase } from '../database/read-database.service';
import type { ExpectedVersion } from '../common/etag';
import { Injectable } from '@nestjs/common';
import { keyset, Page, toPage } from '../common/pagination';
import { ArchivableSpec, Writes } from '../persistence/writes';
import { onConstraintViolation } from '../database/pg-errors';
import { Database } from '../database/database.service';
import { AlreadyExists, InUse, ValidationFailed } from '../errors/domain-errors';
import {
  CreateProviderDto,
  DEFAULT_MAX_PREFIX_LENGTH,
  DEFAULT_MIN_PREFIX_LENGTH,
  ProviderDto,
  ProviderQuery,
  UpdateProviderDto,
} from './dto/provider.dto';
import { ProviderRow, ProvidersRepository } from './providers.repository';

export function toProviderDto(row: ProviderRow): ProviderDto {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    minPrefixLength: row.min_prefix_length,
    maxPrefixLength: row.max_prefix_length,
    requiredOriginAsns: row.required_origin_asns.map(Number),
    notes: row.notes,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * min ≤ max once the request is applied to what is stored (or to the defaults on create). The
 * error names the field the caller sent, so a PATCH of one bound points at that bound.
 */
function checkPrefixLengthRange(
  min: number,
  max: number,
  sent: { minPrefixLength?: number; maxPrefixLength?: number },
): void {
  if (min <= max) return;
  const field =
    sent.minPrefixLength === undefined && sent.maxPrefixLength !== undefined ? 'maxPrefixLength' : 'minPrefixLength';
  throw ValidationFailed.field(field, `minPrefixLength (${min}) must not be greater than maxPrefixLength (${max})`);
}

@Injectable()
export class ProvidersService {
  private readonly spec: ArchivableSpec<ProviderRow, ProviderDto>;

  constructor(
    /** Lists may come from a read replica. */
    private readonly reads: ReadDatabase,
    private readonly providers: ProvidersRepository,
    private readonly writes: Writes,
    private readonly db: Database,
  ) {
    this.spec = { type: 'provider', repository: providers, toView: toProviderDto };
  }

  async list(query: ProviderQuery): Promise<Page<ProviderDto>> {
    const page = keyset(query);
    return toPage(await this.providers.search(this.reads, page, query), page.limit, toProviderDto);
  }

  get(id: string): Promise<ProviderDto> {
    return this.writes.get(this.spec, id);
  }

  create(dto: CreateProviderDto): Promise<ProviderDto> {
    const min = dto.minPrefixLength ?? DEFAULT_MIN_PREFIX_LENGTH;
    const max = dto.maxPrefixLength ?? DEFAULT_MAX_PREFIX_LENGTH;
    checkPrefixLengthRange(min, max, dto);
    return this.uniqueCode(dto.code, () =>
      this.writes.create(this.spec, (tx) =>
        this.providers.insert(tx, {
          code: dto.code,
          name: dto.name,
          min_prefix_length: min,
          max_prefix_length: max,
          required_origin_asns: [...new Set(dto.requiredOriginAsns ?? [])],
          notes: dto.notes ?? null,
        }),
      ),
    );
  }

  update(id: string, dto: UpdateProviderDto, expected?: ExpectedVersion): Promise<ProviderDto> {
    const values: Record<string, unknown> = {};
    if (dto.code !== undefined) values.code = dto.code;
    if (dto.name !== undefined) values.name = dto.name;
    if (dto.minPrefixLength !== undefined) values.min_prefix_length = dto.minPrefixLength;
    if (dto.maxPrefixLength !== undefined) values.max_prefix_length = dto.maxPrefixLength;
    if (dto.notes !== undefined) values.notes = dto.notes;
    if (dto.requiredOriginAsns !== undefined) values.required_origin_asns = [...new Set(dto.requiredOriginAsns)];
    return this.uniqueCode(dto.code, () =>
      this.writes.update(this.spec, id, expected, values, async (_tx, current) => {
        checkPrefixLengthRange(
          dto.minPrefixLength ?? current.min_prefix_length,
          dto.maxPrefixLength ?? current.max_prefix_length,
          dto,
        );
      }),
    );
  }

  /** Contract "Archiving": deleted when nothing ever referred to it, archived when only history does. */
  delete(id: string, expected?: ExpectedVersion): Promise<void> {
    return this.writes.deleteOrArchive(this.spec, id, expected, async (tx) => {
      const allocations = await this.providers.currentReferences(tx, id);
      if (allocations.length === 0) return undefined;
      return new InUse(
        `provider ${id} is still used by ${allocations[0].total} active allocation(s); move or release them first` +
          (allocations[0].total > allocations.length ? ` (the first ${allocations.length} are listed).` : '.'),
        allocations.map((a) => ({ id: a.id, prefix: a.prefix, kind: 'allocation' })),
      );
    });
  }

  private uniqueCode<T>(code: string | undefined, write: () => Promise<T>): Promise<T> {
    return onConstraintViolation(
      { providers_code_key: () => new AlreadyExists(`A provider with code "${code}" already exists.`, 'code') },
      write,
    );
  }
}
