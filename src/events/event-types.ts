import type { AuditEntityType } from '../audit/entity-types';

/** Past tense of each audit action, as it appears in an event type (`lease.terminated`). */
const PAST: Record<string, string> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
  release: 'released',
  terminate: 'terminated',
  amend: 'amended',
  renew: 'renewed',
  move: 'moved',
  close: 'closed',
  reopen: 'reopened',
  revoke: 'revoked',
};

/**
 * Entities whose changes are not published as events, because the feed is readable by every role:
 * API keys are visible to admins only, FX rates and invoices to finance and admin only.
 */
const UNPUBLISHED = new Set<AuditEntityType>(['api_key', 'fx_rate', 'invoice']);

/** The event type a change produces, or undefined when that entity is not published. */
export function eventTypeFor(entityType: AuditEntityType, action: string): string | undefined {
  if (UNPUBLISHED.has(entityType)) return undefined;
  return `${entityType}.${PAST[action] ?? `${action}d`}`;
}

/**
 * Every event type one change produces: its own (`lease.created`), plus `lease.listed` when a new
 * lease lands on space a reputation list (Spamhaus DROP) covers — the warning an operator must see
 * before announcing it. `after` is the API representation, whose `listed` names the list entries.
 */
export function eventTypesFor(entityType: AuditEntityType, action: string, after: unknown): string[] {
  const type = eventTypeFor(entityType, action);
  if (!type) return [];
  const listed = (after as { listed?: unknown[] } | null | undefined)?.listed;
  if (type === 'lease.created' && Array.isArray(listed) && listed.length > 0) return [type, 'lease.listed'];
  return [type];
}

/** Time-driven types, written by the scheduler rather than by a change. */
export const SCHEDULED_EVENT_TYPES = [
  'lease.notice_deadline_approaching',
  'lease.term_ending',
  'lease.renewed',
  'lease.expired',
  'allocation.stranded',
] as const;
export type ScheduledEventType = (typeof SCHEDULED_EVENT_TYPES)[number];

/** Every type the service writes, for documentation and filters. */
export const EVENT_TYPES: readonly string[] = [
  ...['lessor', 'provider', 'region', 'lease', 'webhook'].flatMap((e) => [
    `${e}.created`,
    `${e}.updated`,
    `${e}.deleted`,
  ]),
  'lease.amended',
  'lease.terminated',
  'lease.listed',
  'allocation.created',
  'allocation.updated',
  'allocation.released',
  'period.closed',
  'period.reopened',
  ...SCHEDULED_EVENT_TYPES,
];

/** A subscription or query filter: "*", "lease.*" or an exact type. */
export const EVENT_TYPE_PATTERN = /^(\*|[a-z_]{1,40}\.(\*|[a-z_]{1,60}))$/;

/** The same rule as the SQL function webhook_wants, for code that has no database at hand. */
export function typeMatches(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  return pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1));
}
