import { Injectable } from '@nestjs/common';
import { requestContext } from '../common/request-context';
import type { Queryable } from '../database/database.service';

export type AuditAction = 'create' | 'update' | 'delete' | 'release' | 'terminate' | 'revoke';

export interface AuditEntry {
  action: AuditAction;
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

/** Writes audit events inside the caller's transaction, so an event exists exactly when its change does. */
@Injectable()
export class AuditRepository {
  async record(tx: Queryable, entry: AuditEntry): Promise<void> {
    const ctx = requestContext.current();
    await tx.query(
      `INSERT INTO audit_events (actor_key_id, actor_name, action, entity_type, entity_id, before, after, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        ctx?.actor?.keyId ?? null,
        ctx?.actor?.name ?? null,
        entry.action,
        entry.entityType,
        entry.entityId,
        entry.before === undefined ? null : JSON.stringify(entry.before),
        entry.after === undefined ? null : JSON.stringify(entry.after),
        ctx?.requestId ?? null,
      ],
    );
  }
}
