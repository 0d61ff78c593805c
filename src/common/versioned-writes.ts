import { Injectable } from '@nestjs/common';
import { AuditAction, AuditRepository } from '../audit/audit.repository';
import { Database, Tx } from '../database/database.service';
import { InUse, NotFound, PreconditionFailed } from '../errors/domain-errors';
import { FOREIGN_KEY_VIOLATION, isPgCode, UNIQUE_VIOLATION } from '../database/pg-errors';
import { ifMatch } from './etag';
import type { ArchivableTableRepository, TableRepository, VersionedRow } from './table.repository';

export interface EntitySpec<Row extends VersionedRow, View> {
  /** Name used in messages and the audit trail, e.g. "lessor". */
  type: string;
  repository: TableRepository<Row>;
  toView(row: Row): View;
}

export type ArchivableSpec<Row extends VersionedRow, View> = EntitySpec<Row, View> & {
  repository: ArchivableTableRepository<Row>;
};

/**
 * The write path every resource shares: one transaction, the row locked, If-Match checked,
 * the change and its audit event committed together.
 */
@Injectable()
export class VersionedWrites {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditRepository,
  ) {}

  create<Row extends VersionedRow, View>(spec: EntitySpec<Row, View>, insert: (tx: Tx) => Promise<Row>): Promise<View> {
    return this.db.transaction(async (tx) => {
      const row = await insert(tx);
      const view = spec.toView(row);
      await this.audit.record(tx, { action: 'create', entityType: spec.type, entityId: row.id, after: view });
      return view;
    });
  }

  /** Locks the row, checks If-Match, then lets `change` act; `change` returns the new row. */
  mutate<Row extends VersionedRow, View>(
    spec: EntitySpec<Row, View>,
    id: string,
    ifMatchHeader: string | undefined,
    action: AuditAction,
    change: (tx: Tx, current: Row) => Promise<Row | undefined>,
  ): Promise<View | undefined> {
    return this.db.transaction(async (tx) => {
      const current = await this.lockForChange(tx, spec, id, ifMatchHeader);
      const before = spec.toView(current);
      const next = await change(tx, current);
      const after = next ? spec.toView(next) : undefined;
      await this.audit.record(tx, { action, entityType: spec.type, entityId: id, before, after });
      return after;
    });
  }

  update<Row extends VersionedRow, View>(
    spec: EntitySpec<Row, View>,
    id: string,
    ifMatchHeader: string | undefined,
    values: Record<string, unknown>,
    check?: (tx: Tx, current: Row) => Promise<void>,
  ): Promise<View> {
    return this.mutate(spec, id, ifMatchHeader, 'update', async (tx, current) => {
      await check?.(tx, current);
      return spec.repository.update(tx, id, values);
    }) as Promise<View>;
  }

  async delete<Row extends VersionedRow, View>(
    spec: EntitySpec<Row, View>,
    id: string,
    ifMatchHeader: string | undefined,
    check?: (tx: Tx, current: Row) => Promise<void>,
  ): Promise<void> {
    await this.mutate(spec, id, ifMatchHeader, 'delete', async (tx, current) => {
      await check?.(tx, current);
      await spec.repository.delete(tx, id);
      return undefined;
    });
  }

  /** Deletes; when foreign keys still point at the row, answers with the IN_USE that `explain` builds. */
  async deleteUnlessReferenced<Row extends VersionedRow, View>(
    spec: EntitySpec<Row, View>,
    id: string,
    ifMatchHeader: string | undefined,
    explain: () => Promise<InUse>,
  ): Promise<void> {
    try {
      await this.delete(spec, id, ifMatchHeader);
    } catch (error) {
      if (isPgCode(error, FOREIGN_KEY_VIOLATION)) throw await explain();
      throw error;
    }
  }

  /**
   * Contract "Archiving": refuses with the IN_USE that `currentReferences` finds (anything current
   * pointing at the row); otherwise deletes the row, and when only history still refers to it
   * (a foreign key from any table, also ones added later) archives it instead.
   */
  async deleteOrArchive<Row extends VersionedRow, View>(
    spec: ArchivableSpec<Row, View>,
    id: string,
    ifMatchHeader: string | undefined,
    currentReferences: (tx: Tx) => Promise<InUse | undefined>,
  ): Promise<void> {
    await this.mutate(spec, id, ifMatchHeader, 'delete', async (tx) => {
      const inUse = await currentReferences(tx);
      if (inUse) throw inUse;
      try {
        await this.db.savepoint(tx, () => spec.repository.delete(tx, id));
      } catch (error) {
        if (!isPgCode(error, FOREIGN_KEY_VIOLATION)) throw error;
        await spec.repository.archive(tx, id);
      }
      return undefined;
    });
  }

  async lockForChange<Row extends VersionedRow, View>(
    tx: Tx,
    spec: EntitySpec<Row, View>,
    id: string,
    ifMatchHeader: string | undefined,
  ): Promise<Row> {
    const current = await spec.repository.lockById(tx, id);
    if (!current) throw new NotFound(spec.type, id);
    const matches = ifMatch(ifMatchHeader);
    if (matches && !matches(current.version)) throw new PreconditionFailed(spec.type, id, current.version);
    return current;
  }

  async get<Row extends VersionedRow, View>(spec: EntitySpec<Row, View>, id: string): Promise<View> {
    const row = await spec.repository.findById(this.db, id);
    if (!row) throw new NotFound(spec.type, id);
    return spec.toView(row);
  }
}

/** Runs a write; a violation of the named unique constraint becomes the ALREADY_EXISTS that `conflict` builds. */
export async function uniqueOr<T>(constraint: string, conflict: () => Error, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isPgCode(error, UNIQUE_VIOLATION, constraint)) throw conflict();
    throw error;
  }
}
