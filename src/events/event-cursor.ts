import { ValidationFailed } from '../errors/domain-errors';

/** A position in the event feed: the writing transaction's id, then the insertion sequence. */
export interface EventPosition {
  xid: string;
  seq: string;
}

export function encodeEventCursor(position: EventPosition): string {
  return Buffer.from(`x${position.xid}.${position.seq}`, 'utf8').toString('base64url');
}

export function decodeEventCursor(cursor: string, field = 'after'): EventPosition {
  const decoded = /^[A-Za-z0-9_-]{1,80}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^x(\d{1,20})\.(\d{1,19})$/.exec(decoded);
  if (!match) throw ValidationFailed.field(field, `${field} must be a cursor from a previous answer of GET /events`);
  return { xid: match[1], seq: match[2] };
}
