import { encodeEventCursor } from './event-cursor';
import type { EventDto } from './dto/event.dto';
import type { EventRow } from './events.repository';

export function toEventDto(row: EventRow): EventDto {
  const actor = row.actor_key_id || row.actor_name ? { keyId: row.actor_key_id, name: row.actor_name } : null;
  return {
    id: row.id,
    seq: Number(row.seq),
    cursor: encodeEventCursor(row),
    type: row.type,
    occurredAt: row.occurred_at.toISOString(),
    entityType: row.entity_type,
    entityId: row.entity_id,
    actor,
    requestId: row.request_id,
    clientRequestId: row.client_request_id,
    data: row.data,
    previous: row.previous,
  };
}
