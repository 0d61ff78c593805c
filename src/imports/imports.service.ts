import { Writes } from '../persistence/writes';
import { Injectable } from '@nestjs/common';
import { toAllocationDto } from '../allocations/allocations.service';
import { ALLOCATION_COLUMNS, AllocationRow } from '../allocations/allocations.repository';
import { AuditRepository } from '../audit/audit.repository';
import { Tx } from '../database/database.service';
import { ValidationFailed } from '../errors/domain-errors';
import { LeasesRepository } from '../leases/leases.repository';
import { toLeaseDto } from '../leases/leases.service';
import { LessorRow } from '../lessors/lessors.repository';
import { toLessorDto } from '../lessors/lessors.service';
import { ImportKind, ImportResultDto } from './dto/import.dto';
import { bodyFormat, readRows, RowError, rowErrors, SourceRow } from './import-source';
import {
  ALLOCATION_COLUMNS as ALLOCATION_IMPORT_COLUMNS,
  ALLOCATION_REQUIRED,
  LEASE_COLUMNS,
  LEASE_REQUIRED,
  readAllocationRows,
  readLeaseRows,
} from './import-rows';
import { ImportsRepository } from './imports.repository';

/** More rows than this in one request are refused: split the file. */
export const MAX_IMPORT_ROWS = 50_000;

/** Thrown inside the transaction to roll a dry run back after every check has passed. */
class DryRunRollback {
  constructor(readonly result: ImportResultDto) {}
}

export interface ImportOptions {
  dryRun: boolean;
  ignoreUnknownColumns: boolean;
}

/**
 * Bulk import of leases and allocations: all or nothing. Field errors (no database needed) and
 * data errors (overlaps, unknown codes, space outside leases) are collected for every row before
 * anything is written; the writes then go through the same constraints, triggers and SQL
 * functions as single creates, in one transaction with one audit event per created entity.
 */
@Injectable()
export class ImportsService {
  constructor(
    private readonly writes: Writes,
    private readonly imports: ImportsRepository,
    private readonly leases: LeasesRepository,
    private readonly audit: AuditRepository,
  ) {}

  async import(
    kind: ImportKind,
    body: Buffer,
    contentType: string | undefined,
    options: ImportOptions,
  ): Promise<ImportResultDto> {
    const format = bodyFormat(contentType);
    if (!format) {
      throw ValidationFailed.field(
        'body',
        'send text/csv (a header row, then data rows) or application/json { "rows": [...] }',
      );
    }
    const columns =
      kind === 'leases'
        ? { known: LEASE_COLUMNS, required: LEASE_REQUIRED }
        : { known: ALLOCATION_IMPORT_COLUMNS, required: ALLOCATION_REQUIRED };
    const errors: RowError[] = [];
    const sources = readRows(body, format, columns, options.ignoreUnknownColumns, errors);
    const total = sources.length + new Set(errors.map((e) => e.row)).size;
    if (total === 0) throw ValidationFailed.field('body', 'has no data rows');
    if (total > MAX_IMPORT_ROWS) {
      throw ValidationFailed.field('body', `has ${total} rows; at most ${MAX_IMPORT_ROWS} per request`);
    }
    try {
      return kind === 'leases'
        ? await this.importLeases(sources, total, errors, options.dryRun)
        : await this.importAllocations(sources, total, errors, options.dryRun);
    } catch (error) {
      if (error instanceof DryRunRollback) return error.result;
      throw error;
    }
  }

  private importLeases(
    sources: SourceRow[],
    total: number,
    errors: RowError[],
    dryRun: boolean,
  ): Promise<ImportResultDto> {
    const rows = readLeaseRows(sources, errors);
    return this.writes.transaction(async (tx) => {
      const problems = [...errors];
      if (rows.length) {
        await this.imports.stageLeases(tx, rows);
        problems.push(...(await this.imports.leaseProblems(tx)));
      }
      if (problems.length) throw rowErrors(problems);
      const lessors = (await this.imports.createMissingLessors(tx)) as unknown as LessorRow[];
      const ids = await this.imports.insertLeases(tx);
      await this.audit.recordMany(
        tx,
        'create',
        'lessor',
        lessors.map((l) => ({ entityId: l.id, after: toLessorDto(l) })),
      );
      const created = await this.leases.findMany(tx, ids);
      await this.audit.recordMany(
        tx,
        'create',
        'lease',
        created.map((l) => ({ entityId: l.id, after: toLeaseDto(l) })),
      );
      return this.finish({ kind: 'leases', dryRun, rows: total, created: ids.length, lessorsCreated: lessors.length });
    });
  }

  private importAllocations(
    sources: SourceRow[],
    total: number,
    errors: RowError[],
    dryRun: boolean,
  ): Promise<ImportResultDto> {
    const rows = readAllocationRows(sources, errors, new Date().toISOString().slice(0, 10));
    return this.writes.transaction(async (tx: Tx) => {
      const problems = [...errors];
      if (rows.length) {
        await this.imports.stageAllocations(tx, rows);
        await this.imports.lockLeasesAndReclaimHolds(tx);
        problems.push(...(await this.imports.allocationProblems(tx)));
      }
      if (problems.length) throw rowErrors(problems);
      const refused = await this.imports.placeAllocations(tx);
      if (refused.length) {
        // Another writer took space between the checks and the lock: report it like a check would.
        throw rowErrors(
          refused.map((r) => ({ row: r.row, field: 'prefix', message: `could not be claimed (${r.outcome}); retry` })),
        );
      }
      const created = (await this.imports.insertAllocations(tx, ALLOCATION_COLUMNS)) as unknown as AllocationRow[];
      await this.audit.recordMany(
        tx,
        'create',
        'allocation',
        created.map((a) => ({ entityId: a.id, after: toAllocationDto(a) })),
      );
      return this.finish({ kind: 'allocations', dryRun, rows: total, created: created.length });
    });
  }

  private finish(result: ImportResultDto): ImportResultDto {
    if (result.dryRun) throw new DryRunRollback(result);
    return result;
  }
}
