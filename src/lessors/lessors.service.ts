import { ReadDatabase } from '../database/read-database.service';
import type { ExpectedVersion } from '../common/etag';
import { Injectable } from '@nestjs/common';
import { keyset, Page, toPage } from '../common/pagination';
import { ArchivableSpec, Writes } from '../persistence/writes';
import { onConstraintViolation } from '../database/pg-errors';
import { AlreadyExists, InUse } from '../errors/domain-errors';
import { Database } from '../database/database.service';
import { CreateLessorDto, LessorDto, LessorQuery, UpdateLessorDto } from './dto/lessor.dto';
import { LessorRow, LessorsRepository } from './lessors.repository';

export function toLessorDto(row: LessorRow): LessorDto {
  return {
    id: row.id,
    name: row.name,
    rir: row.rir,
    orgHandle: row.org_handle,
    contactEmail: row.contact_email,
    notes: row.notes,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

@Injectable()
export class LessorsService {
  private readonly spec: ArchivableSpec<LessorRow, LessorDto>;

  constructor(
    /** Lists may come from a read replica. */
    private readonly reads: ReadDatabase,
    private readonly lessors: LessorsRepository,
    private readonly writes: Writes,
    private readonly db: Database,
  ) {
    this.spec = { type: 'lessor', repository: lessors, toView: toLessorDto };
  }

  async list(query: LessorQuery): Promise<Page<LessorDto>> {
    const page = keyset(query);
    return toPage(await this.lessors.search(this.reads, page, query), page.limit, toLessorDto);
  }

  get(id: string): Promise<LessorDto> {
    return this.writes.get(this.spec, id);
  }

  create(dto: CreateLessorDto): Promise<LessorDto> {
    return this.uniqueName(dto.name, () =>
      this.writes.create(this.spec, (tx) =>
        this.lessors.insert(tx, {
          name: dto.name,
          rir: dto.rir,
          org_handle: dto.orgHandle ?? null,
          contact_email: dto.contactEmail ?? null,
          notes: dto.notes ?? null,
        }),
      ),
    );
  }

  update(id: string, dto: UpdateLessorDto, expected?: ExpectedVersion): Promise<LessorDto> {
    const values: Record<string, unknown> = {};
    if (dto.name !== undefined) values.name = dto.name;
    if (dto.rir !== undefined) values.rir = dto.rir;
    if (dto.orgHandle !== undefined) values.org_handle = dto.orgHandle;
    if (dto.contactEmail !== undefined) values.contact_email = dto.contactEmail;
    if (dto.notes !== undefined) values.notes = dto.notes;
    return this.uniqueName(dto.name, () => this.writes.update(this.spec, id, expected, values));
  }

  /** Contract "Archiving": deleted when nothing ever referred to it, archived when only history does. */
  delete(id: string, expected?: ExpectedVersion): Promise<void> {
    return this.writes.deleteOrArchive(this.spec, id, expected, async (tx) => {
      const leases = await this.lessors.currentReferences(tx, id);
      if (leases.length === 0) return undefined;
      return new InUse(
        `lessor ${id} still has ${leases[0].total} current lease(s); terminate them (or let them end) first` +
          (leases[0].total > leases.length ? ` (the first ${leases.length} are listed).` : '.'),
        leases.map((l) => ({ id: l.id, prefix: l.prefix, kind: 'lease' })),
      );
    });
  }

  private uniqueName<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
    return onConstraintViolation(
      { lessors_name_key: () => new AlreadyExists(`A lessor named "${name}" already exists.`, 'name') },
      write,
    );
  }
}
