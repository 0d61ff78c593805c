import { Injectable } from '@nestjs/common';
import type { Keyset } from '../common/pagination';
import { requestContext } from '../common/request-context';
import type { Queryable } from '../database/database.service';
import { eventTypesFor } from '../events/event-types';
import { EventsRepository } from '../events/events.repository';
import type { AuditEntityType } from './entity-types';

export const AUDIT_ACTIONS = [
  'create',
  'update',
  'delete',
  'release',
  'terminate',
  'revoke',
  'amend',
  'renew',
  'move',
  'close',
  'reopen',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  action: AuditAction;
  entityType: AuditEntityType;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditEventRow {
  id: string;
  seq: string;
  at: Date;
  actor_key_id: string | null;
  actor_name: string | null;
  action: AuditAction;
  entity_type: string;
  entity_id: string;
  before: unknown;
  after: unknown;
  request_id: string | null;
  client_request_id: string | null;
}

export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  actorKeyId?: string;
  action?: AuditAction;
  /** Events about these entity types are left out (what the caller's role may not see). */
  hiddenEntityTypes?: string[];
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
}

/** Who acted and in which request: the columns every audit row and event carry. */
export interface Recorder {
  actorKeyId: string | null;
  actorName: string | null;
  requestId: string | null;
  clientRequestId: string | null;
}

/**
 * Writes audit events inside the caller's transaction, so an event exists exactly when its change
 * does. Every write path records its change here, so this is also where the change is published
 * to the event log (and so to webhooks), in the same transaction.
 */
@Injectable()
export class AuditRepository {
  constructor(private readonly events: EventsRepository) {}

  /** The current request's recorder (the CLI's operator when no API key acted). */
  recorder(): Recorder {
    const ctx = requestContext.current();
    return {
      actorKeyId: ctx?.actor?.keyId ?? null,
      actorName: ctx?.actor?.name ?? ctx?.operator ?? null,
      requestId: ctx?.requestId ?? null,
      clientRequestId: ctx?.clientRequestId ?? null,
    };
  }

  async record(tx: Queryable, entry: AuditEntry): Promise<void> {
    const by = this.recorder();
    const audit = {
      sql: `INSERT INTO audit_events (actor_key_id, actor_name, action, entity_type, entity_id, before, after, request_id, client_request_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      params: [
        by.actorKeyId,
        by.actorName,
        entry.action,
        entry.entityType,
        entry.entityId,
        entry.before === undefined ? null : JSON.stringify(entry.before),
        entry.after === undefined ? null : JSON.stringify(entry.after),
        by.requestId,
        by.clientRequestId,
      ],
    };
    const [type, ...derived] = eventTypesFor(entry.entityType, entry.action, entry.after);
    if (!type) {
      await tx.query(audit.sql, audit.params);
      return;
    }
    const event = { entityType: entry.entityType, entityId: entry.entityId, data: entry.after, previous: entry.before };
    await this.events.append(tx, { type, ...event }, audit);
    for (const also of derived) await this.events.append(tx, { type: also, ...event });
  }

  /**
   * For a change whose own statement writes its audit row and events (allocation_create, one round
   * trip under the lease lock): the bookkeeping record() does besides its INSERTs.
   */
  recordedInline(tx: Queryable, eventTypes: readonly string[]): void {
    this.events.countAfterCommit(tx, eventTypes);
  }

  /**
   * Many audit events of one action and entity type, and the events each change would publish on
   * its own (record()), in one statement that sends and parses the entries once (bulk imports).
   */
  async recordMany(
    tx: Queryable,
    action: AuditAction,
    entityType: AuditEntityType,
    entries: { entityId: string; after: unknown }[],
  ): Promise<void> {
    if (entries.length === 0) return;
    const ctx = requestContext.current();
    await this.events.appendForEntries(
      tx,
      entityType,
      entries.map((e) => ({ entityId: e.entityId, data: e.after, types: eventTypesFor(entityType, action, e.after) })),
      {
        sql: `INSERT INTO audit_events (actor_key_id, actor_name, action, entity_type, entity_id, before, after, request_id, client_request_id)
              SELECT $1, $2, $3, $4, (value ->> 'entityId')::uuid, NULL, value -> 'data', $5, $6 FROM entries ORDER BY n`,
        params: [
          ctx?.actor?.keyId ?? null,
          ctx?.actor?.name ?? ctx?.operator ?? null,
          action,
          entityType,
          ctx?.requestId ?? null,
          ctx?.clientRequestId ?? null,
        ],
      },
    );
  }

  /** Keyset page in recording order; fetches limit+1 rows so toPage can tell whether more exist. */
  search(q: Queryable, page: Keyset, filter: AuditFilter): Promise<AuditEventRow[]> {
    const params: unknown[] = [page.afterSeq];
    const clauses = ['seq > $1'];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      clauses.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.entityType !== undefined) add('entity_type = ?', filter.entityType);
    if (filter.entityId !== undefined) add('entity_id = ?', filter.entityId);
    if (filter.actorKeyId !== undefined) add('actor_key_id = ?', filter.actorKeyId);
    if (filter.action !== undefined) add('action = ?', filter.action);
    if (filter.hiddenEntityTypes?.length) add('NOT (entity_type = ANY(?))', filter.hiddenEntityTypes);
    if (filter.since !== undefined) add('at >= ?', filter.since);
    if (filter.until !== undefined) add('at < ?', filter.until);
    params.push(page.limit + 1);
    return q.query<AuditEventRow[]>(
      `SELECT id, seq, at, actor_key_id, actor_name, action, entity_type, entity_id, before, after, request_id, client_request_id
       FROM audit_events WHERE ${clauses.join(' AND ')} ORDER BY seq LIMIT $${params.length}`,
      params,
    );
  }
}
