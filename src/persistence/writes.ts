import { Injectable } from '@nestjs/common';
import { AuditAction, AuditRepository, Recorder } from '../audit/audit.repository';
import type { AuditEntityType } from '../audit/entity-types';
import { ExpectedVersion, versionMatches } from '../common/etag';
import { IdempotencyClaim, requestContext } from '../common/request-context';
import { Database, Queryable, Tx } from '../database/database.service';
import { FOREIGN_KEY_VIOLATION, isPgCode, LOCK_NOT_AVAILABLE } from '../database/pg-errors';
import { InUse, NotFound, PreconditionFailed } from '../errors/domain-errors';
import { IdempotencyKeyInUse, IdempotencyRaceLost } from '../idempotency/idempotency.errors';
import { IdempotencyRepository } from '../idempotency/idempotency.repository';
import { eventTypesFor } from '../events/event-types';
import type { ArchivableTableRepository, TableRepository, VersionedRow } from './table.repository';

export interface EntitySpec<Row extends VersionedRow, View> {
  /** The audit trail's entityType, e.g. "lessor", "api_key". */
  type: AuditEntityType;
  /** How messages name it, when not `type` (e.g. "API key"). */
  label?: string;
  repository: TableRepository<Row>;
  toView(row: Row): View;
}

/** What an insert that writes its own audit row and events must record: who, and which event types. */
export interface InlineRecording extends Recorder {
  eventTypes: string[];
}

export type ArchivableSpec<Row extends VersionedRow, View> = EntitySpec<Row, View> & {
  repository: ArchivableTableRepository<Row>;
};

/**
 * The one write path. Every change runs in `transaction`, whose steps are, in order:
 * 1. one READ COMMITTED transaction, retried from the start on deadlock or serialization failure;
 * 2. the request's Idempotency-Key claimed as its first statement (when the request carries an
 *    unclaimed one), so the claim commits with the change or not at all;
 * 3. for an existing row: the row locked and the client's expected version (If-Match) checked;
 * 4. the change itself;
 * 5. its audit event, in the same transaction (or, for allocation creates, in the change's own
 *    statement: createRecordedInline).
 * Services describe the change; they never open transactions of their own.
 */
@Injectable()
export class Writes {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditRepository,
    private readonly idempotency: IdempotencyRepository,
  ) {}

  /** Steps 1 and 2: `change` runs in one retried transaction that begins with the idempotency claim. */
  async transaction<T>(change: (tx: Tx) => Promise<T>): Promise<T> {
    const claim = requestContext.current()?.idempotency;
    const result = await this.db.transaction(async (tx) => {
      if (claim && !claim.claimed) await this.claimIdempotencyKey(tx, claim);
      return change(tx);
    });
    if (claim) claim.claimed = true;
    return result;
  }

  /** Inserts a row (`insert` may check and refuse first) and audits its creation. */
  create<Row extends VersionedRow, View>(spec: EntitySpec<Row, View>, insert: (tx: Tx) => Promise<Row>): Promise<View> {
    return this.transaction(async (tx) => {
      const row = await insert(tx);
      const view = spec.toView(row);
      await this.record(tx, spec, 'create', row.id, undefined, view);
      return view;
    });
  }

  /**
   * Like create, for an insert whose one statement also writes its audit row (after = the view of
   * the row) and its events, so a lock that statement takes is held for it plus COMMIT
   * (allocation_create); without an idempotency claim it runs with no transaction around it. Only for entity types whose create publishes no derived event (not leases:
   * lease.listed depends on the row).
   */
  createRecordedInline<Row extends VersionedRow, View>(
    spec: EntitySpec<Row, View>,
    insert: (q: Queryable, recording: InlineRecording) => Promise<Row>,
  ): Promise<View> {
    const change = async (q: Queryable) => {
      const eventTypes = eventTypesFor(spec.type, 'create', undefined);
      const row = await insert(q, { ...this.audit.recorder(), eventTypes });
      this.audit.recordedInline(q, eventTypes);
      return spec.toView(row);
    };
    // Without an Idempotency-Key to claim, the one statement needs no transaction around it.
    const claim = requestContext.current()?.idempotency;
    return claim && !claim.claimed ? this.transaction(change) : this.db.autocommit(change);
  }

  /** Locks the row, checks the expected version, then lets `change` act; `change` returns the new row. */
  mutate<Row extends VersionedRow, View>(
    spec: EntitySpec<Row, View>,
    id: string,
    expected: ExpectedVersion,
    action: AuditAction,
    change: (tx: Tx, current: Row) => Promise<Row | undefined>,
  ): Promise<View | undefined> {
    return this.transaction(async (tx) => {
      const current = await this.lockForChange(tx, spec, id, expected);
      const before = spec.toView(current);
      const next = await change(tx, current);
      const after = next ? spec.toView(next) : undefined;
      await this.record(tx, spec, action, id, before, after);
      return after;
    });
  }

  update<Row extends VersionedRow, View>(
    spec: EntitySpec<Row, View>,
    id: string,
    expected: ExpectedVersion,
    values: Record<string, unknown>,
    check?: (tx: Tx, current: Row) => Promise<void>,
  ): Promise<View> {
    return this.mutate(spec, id, expected, 'update', async (tx, current) => {
      await check?.(tx, current);
      return spec.repository.update(tx, id, values);
    }) as Promise<View>;
  }

  async delete<Row extends VersionedRow, View>(
    spec: EntitySpec<Row, View>,
    id: string,
    expected: ExpectedVersion,
    check?: (tx: Tx, current: Row) => Promise<void>,
  ): Promise<void> {
    await this.mutate(spec, id, expected, 'delete', async (tx, current) => {
      await check?.(tx, current);
      await spec.repository.delete(tx, id);
      return undefined;
    });
  }

  /** Deletes; when foreign keys still point at the row, answers with the IN_USE that `explain` builds. */
  async deleteUnlessReferenced<Row extends VersionedRow, View>(
    spec: EntitySpec<Row, View>,
    id: string,
    expected: ExpectedVersion,
    explain: () => Promise<InUse>,
  ): Promise<void> {
    try {
      await this.delete(spec, id, expected);
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
    expected: ExpectedVersion,
    currentReferences: (tx: Tx) => Promise<InUse | undefined>,
  ): Promise<void> {
    await this.mutate(spec, id, expected, 'delete', async (tx) => {
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

  /** Step 3: the row, locked for the rest of the transaction, at a version the client expects. */
  async lockForChange<Row extends VersionedRow, View>(
    tx: Tx,
    spec: EntitySpec<Row, View>,
    id: string,
    expected: ExpectedVersion,
  ): Promise<Row> {
    const current = await spec.repository.lockById(tx, id);
    if (!current) throw new NotFound(spec.label ?? spec.type, id);
    if (!versionMatches(expected, current.version))
      throw new PreconditionFailed(spec.label ?? spec.type, id, current.version);
    return current;
  }

  /** Step 5, for writes that shape their transaction themselves (API key revocation). */
  async record<Row extends VersionedRow, View>(
    tx: Tx,
    spec: EntitySpec<Row, View>,
    action: AuditAction,
    id: string,
    before: View | undefined,
    after: View | undefined,
  ): Promise<void> {
    await this.audit.record(tx, { action, entityType: spec.type, entityId: id, before, after });
  }

  async get<Row extends VersionedRow, View>(spec: EntitySpec<Row, View>, id: string): Promise<View> {
    const row = await spec.repository.findById(this.db, id);
    if (!row) throw new NotFound(spec.label ?? spec.type, id);
    return spec.toView(row);
  }

  /**
   * Step 2. A concurrent twin blocks on the key's primary key until the holder commits or rolls
   * back; if it committed, nothing is claimed and this transaction is abandoned (the interceptor
   * then replays the twin's answer).
   */
  private async claimIdempotencyKey(tx: Tx, claim: IdempotencyClaim): Promise<void> {
    let claimed: boolean;
    try {
      claimed = await this.idempotency.claim(tx, claim);
    } catch (error) {
      if (isPgCode(error, LOCK_NOT_AVAILABLE)) throw new IdempotencyKeyInUse();
      throw error;
    }
    if (!claimed) throw new IdempotencyRaceLost();
  }
}
