import { Injectable } from '@nestjs/common';
import { requestContext } from '../common/request-context';
import { afterCommit, Queryable } from '../database/database.service';
import { eventsWritten } from '../health/metrics';
import type { EventPosition } from './event-cursor';

export interface NewEvent {
  /** Preset when something must refer to the event before it is written (the scheduler's fire key). */
  id?: string;
  type: string;
  entityType: string;
  entityId: string;
  data?: unknown;
  previous?: unknown;
}

export interface EventRow {
  id: string;
  seq: string;
  xid: string;
  type: string;
  occurred_at: Date;
  entity_type: string;
  entity_id: string;
  actor_key_id: string | null;
  actor_name: string | null;
  request_id: string | null;
  client_request_id: string | null;
  data: unknown;
  previous: unknown;
}

export interface EventFilter {
  /** An exact type, or a family such as "lease.*". */
  type?: string;
  entityId?: string;
}

export const EVENT_COLUMNS = `id, seq, xid::text AS xid, type, occurred_at, entity_type, entity_id, actor_key_id,
  actor_name, request_id, client_request_id, data, previous`;

/**
 * The transactional outbox. append() runs inside the caller's transaction, so an event exists
 * exactly when its change does; the same statement queues one delivery per subscribed webhook.
 */
@Injectable()
export class EventsRepository {
  /**
   * @param alongside another INSERT (the audit row) to run in the same statement: one round trip
   *   inside the change's transaction instead of two, which matters under a per-lease lock.
   */
  async append(tx: Queryable, event: NewEvent, alongside?: { sql: string; params: unknown[] }): Promise<string> {
    const ctx = requestContext.current();
    const params: unknown[] = [
      event.type,
      event.entityType,
      event.entityId,
      ctx?.actor?.keyId ?? null,
      ctx?.actor?.name ?? ctx?.operator ?? null,
      ctx?.requestId ?? null,
      event.data === undefined ? null : JSON.stringify(event.data),
      event.previous === undefined ? null : JSON.stringify(event.previous),
      event.id ?? null,
      ctx?.clientRequestId ?? null,
    ];
    let also = '';
    if (alongside) {
      const offset = params.length;
      also = `, alongside AS (${alongside.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`;
      params.push(...alongside.params);
    }
    const rows = await tx.query<{ id: string }[]>(
      `WITH event AS (
         INSERT INTO events (id, type, entity_type, entity_id, actor_key_id, actor_name, request_id, client_request_id, data, previous)
         VALUES (coalesce($9::uuid, gen_random_uuid()), $1, $2, $3, $4, $5, $6, $10, $7, $8)
         RETURNING id, type
       ), queued AS (
         INSERT INTO webhook_deliveries (webhook_id, event_id)
         SELECT w.id, event.id FROM event JOIN webhooks w ON w.active AND webhook_wants(w.event_types, event.type)
       )${also}
       SELECT id FROM event`,
      params,
    );
    this.countAfterCommit(tx, [event.type]);
    return rows[0].id;
  }

  /** The events-written metric, counted once the transaction that appended them commits. */
  countAfterCommit(tx: Queryable, types: readonly string[]): void {
    afterCommit(tx, () => {
      for (const type of types) eventsWritten.inc({ type });
    });
  }

  /**
   * The events of many changes to one entity type, in one statement: each entry publishes its
   * `types` in order, entries in the given order (the same rows and deliveries as append() once per event). The
   * entries are sent and parsed once, as the CTE `entries(value, n)` with value = { entityId, data },
   * which `alongside` (the audit rows) may read too; its $n are numbered from 1 like its params.
   */
  async appendForEntries(
    tx: Queryable,
    entityType: string,
    entries: readonly { entityId: string; data: unknown; types: readonly string[] }[],
    alongside: { sql: string; params: unknown[] },
  ): Promise<void> {
    if (entries.length === 0) return;
    const ctx = requestContext.current();
    const params: unknown[] = [
      // An undefined data drops the key: the audit row reads SQL NULL, the event JSON null.
      JSON.stringify(entries.map((e) => ({ entityId: e.entityId, data: e.data, types: e.types }))),
      entityType,
      ctx?.actor?.keyId ?? null,
      ctx?.actor?.name ?? ctx?.operator ?? null,
      ctx?.requestId ?? null,
      ctx?.clientRequestId ?? null,
    ];
    const offset = params.length;
    const also = alongside.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    params.push(...alongside.params);
    await tx.query(
      `WITH entries AS (
         SELECT e.value, e.n FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(value, n)
       ), alongside AS (${also}
       ), event AS (
         INSERT INTO events (type, entity_type, entity_id, actor_key_id, actor_name, request_id, client_request_id, data, previous)
         SELECT t.type, $2, (value ->> 'entityId')::uuid, $3, $4, $5, $6, coalesce(value -> 'data', 'null'), 'null'
           FROM entries CROSS JOIN LATERAL jsonb_array_elements_text(value -> 'types') WITH ORDINALITY AS t(type, k)
          ORDER BY n, k
         RETURNING id, type
       )
       INSERT INTO webhook_deliveries (webhook_id, event_id)
       SELECT w.id, event.id FROM event JOIN webhooks w ON w.active AND webhook_wants(w.event_types, event.type)`,
      params,
    );
    afterCommit(tx, () => {
      for (const e of entries) for (const type of e.types) eventsWritten.inc({ type });
    });
  }

  /**
   * Events after `after` in feed order, only among those whose writing transaction lies below
   * this snapshot's xmin: every transaction there has ended, so no event can later commit at a
   * position before the last one served. Fetches limit+1 rows to tell whether more are ready.
   */
  page(q: Queryable, after: EventPosition | undefined, filter: EventFilter, limit: number): Promise<EventRow[]> {
    const params: unknown[] = [after?.xid ?? '0', after?.seq ?? '0'];
    const clauses = ['(xid, seq) > ($1::xid8, $2::bigint)', 'xid < pg_snapshot_xmin(pg_current_snapshot())'];
    if (filter.type?.endsWith('.*')) {
      params.push(filter.type.slice(0, -1));
      clauses.push(`left(type, length($${params.length})) = $${params.length}`);
    } else if (filter.type && filter.type !== '*') {
      params.push(filter.type);
      clauses.push(`type = $${params.length}`);
    }
    if (filter.entityId) {
      params.push(filter.entityId);
      clauses.push(`entity_id = $${params.length}`);
    }
    params.push(limit + 1);
    // Qualified: a bare "xid" in ORDER BY would be the text output column (so "10000" < "9999").
    return q.query<EventRow[]>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE ${clauses.join(' AND ')} ORDER BY events.xid, events.seq LIMIT $${params.length}`,
      params,
    );
  }

  async findById(q: Queryable, id: string): Promise<EventRow | undefined> {
    const rows = await q.query<EventRow[]>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = $1`, [id]);
    return rows[0];
  }
}
