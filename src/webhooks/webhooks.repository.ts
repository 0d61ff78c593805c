import { Injectable } from '@nestjs/common';
import type { Keyset } from '../common/pagination';
import { TableRepository, VersionedRow } from '../persistence/table.repository';
import type { Queryable } from '../database/database.service';
import type { EventRow } from '../events/events.repository';
import type { DeliveryStatus } from './dto/webhook.dto';

export interface WebhookRow extends VersionedRow {
  url: string;
  event_types: string[];
  description: string | null;
  active: boolean;
  secret: string;
}

export interface DeliveryRow {
  id: string;
  seq: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  status: DeliveryStatus;
  next_attempt_at: Date | null;
  response_status: number | null;
  duration_ms: number | null;
  error: string | null;
  at: Date | null;
}

/** A pending attempt this instance has claimed, with what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  attempt: number;
  token: string;
  url: string;
  secret: string;
  event: EventRow;
}

export interface DeliveryResult {
  status: Exclude<DeliveryStatus, 'pending'>;
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
  /** When set, the next attempt is queued this many seconds from now. */
  retryInSeconds?: number;
}

const DELIVERY_COLUMNS = `d.id, d.seq, d.webhook_id, d.event_id, e.type AS event_type, d.attempt, d.status,
  d.next_attempt_at, d.response_status, d.duration_ms, d.error, d.at`;

@Injectable()
export class WebhooksRepository extends TableRepository<WebhookRow> {
  constructor() {
    super('webhooks');
  }

  search(q: Queryable, page: Keyset): Promise<WebhookRow[]> {
    return this.list(q, page);
  }
}

/** The delivery log, which is also the work queue (one row per attempt). */
@Injectable()
export class DeliveriesRepository {
  /**
   * Claims up to `limit` due attempts of active webhooks for `leaseSeconds`. SKIP LOCKED lets
   * several instances claim at once without waiting on or taking each other's rows; locked_until
   * keeps a claimed attempt away from them while its HTTP request runs, and frees it again if this
   * instance dies before recording the result.
   */
  async claim(q: Queryable, limit: number, leaseSeconds: number, token: string): Promise<ClaimedDelivery[]> {
    // UPDATE … RETURNING comes back from TypeORM as [rows, affected].
    const [rows] = await q.query<[ClaimedDelivery[], number]>(
      `WITH due AS (
         SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.active
          WHERE d.status = 'pending' AND d.next_attempt_at <= now()
            AND (d.locked_until IS NULL OR d.locked_until < now())
          ORDER BY d.next_attempt_at, d.seq
          LIMIT $1
          FOR UPDATE OF d SKIP LOCKED
       )
       UPDATE webhook_deliveries d
          SET locked_until = now() + make_interval(secs => $2), locked_by = $3
         FROM due, webhooks w, events e
        WHERE d.id = due.id AND w.id = d.webhook_id AND e.id = d.event_id
      RETURNING d.id, d.webhook_id, d.event_id, d.attempt, d.locked_by AS token, w.url, w.secret,
        json_build_object('id', e.id, 'seq', e.seq::text, 'xid', e.xid::text, 'type', e.type,
          'occurred_at', e.occurred_at, 'entity_type', e.entity_type, 'entity_id', e.entity_id,
          'actor_key_id', e.actor_key_id, 'actor_name', e.actor_name, 'request_id', e.request_id,
          'client_request_id', e.client_request_id,
          'data', e.data, 'previous', e.previous) AS event`,
      [limit, leaseSeconds, token],
    );
    return rows;
  }

  /**
   * Records the outcome of a claimed attempt (and queues its retry) unless the claim was lost:
   * then another instance owns the attempt and this result is dropped. Returns whether it counted.
   */
  async complete(tx: Queryable, claimed: ClaimedDelivery, result: DeliveryResult): Promise<boolean> {
    const retry = result.retryInSeconds;
    const rows = await tx.query<[{ id: string }[], number]>(
      `UPDATE webhook_deliveries
          SET status = $3, response_status = $4, duration_ms = $5, error = $6, at = now(), locked_until = NULL,
              next_attempt_at = CASE WHEN $7::double precision IS NULL THEN NULL ELSE now() + make_interval(secs => $7) END
        WHERE id = $1 AND locked_by = $2 AND status = 'pending'
      RETURNING id`,
      [claimed.id, claimed.token, result.status, result.responseStatus, result.durationMs, result.error, retry ?? null],
    );
    if (rows[0].length === 0) return false;
    if (retry !== undefined) {
      await tx.query(
        `INSERT INTO webhook_deliveries (webhook_id, event_id, attempt, next_attempt_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))
         ON CONFLICT ON CONSTRAINT webhook_deliveries_attempt_key DO NOTHING`,
        [claimed.webhook_id, claimed.event_id, claimed.attempt + 1, retry],
      );
    }
    return true;
  }

  /** Queues one more attempt of a logged delivery's event, due now. */
  async redeliver(tx: Queryable, webhookId: string, deliveryId: string): Promise<DeliveryRow | undefined> {
    const rows = await tx.query<{ id: string }[]>(
      `INSERT INTO webhook_deliveries (webhook_id, event_id, attempt)
       SELECT d.webhook_id, d.event_id,
              (SELECT max(attempt) + 1 FROM webhook_deliveries x WHERE x.webhook_id = d.webhook_id AND x.event_id = d.event_id)
         FROM webhook_deliveries d WHERE d.id = $1 AND d.webhook_id = $2
       RETURNING id`,
      [deliveryId, webhookId],
    );
    return rows[0] ? this.findById(tx, rows[0].id) : undefined;
  }

  async findById(q: Queryable, id: string): Promise<DeliveryRow | undefined> {
    const rows = await q.query<DeliveryRow[]>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = $1`,
      [id],
    );
    return rows[0];
  }

  search(
    q: Queryable,
    webhookId: string,
    page: Keyset,
    filter: { status?: DeliveryStatus; eventId?: string },
  ): Promise<DeliveryRow[]> {
    const params: unknown[] = [webhookId, page.afterSeq];
    const clauses = ['d.webhook_id = $1', 'd.seq > $2'];
    if (filter.status) {
      params.push(filter.status);
      clauses.push(`d.status = $${params.length}`);
    }
    if (filter.eventId) {
      params.push(filter.eventId);
      clauses.push(`d.event_id = $${params.length}`);
    }
    params.push(page.limit + 1);
    return q.query<DeliveryRow[]>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
        WHERE ${clauses.join(' AND ')} ORDER BY d.seq LIMIT $${params.length}`,
      params,
    );
  }

  /** Age in seconds of the oldest event still waiting for a delivery to an active webhook; 0 when none. */
  async oldestUndeliveredAgeSeconds(q: Queryable): Promise<number> {
    const rows = await q.query<{ age: number | null }[]>(
      `SELECT extract(epoch FROM now() - min(e.occurred_at))::float8 AS age
         FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id AND w.active
        WHERE d.status = 'pending'`,
    );
    return rows[0]?.age ?? 0;
  }
}
