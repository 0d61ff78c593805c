/**
 * Every `entityType` the audit trail records, one spelling style: the entity's name, singular, in
 * snake_case (`api_key`, `fx_rate`). The audit filter (`?entityType=`) accepts exactly this shape.
 */
export const AUDIT_ENTITY_TYPES = [
  'lessor',
  'provider',
  'region',
  'lease',
  'allocation',
  'webhook',
  'period',
  'invoice',
  'fx_rate',
  'api_key',
] as const;
export type AuditEntityType = (typeof AUDIT_ENTITY_TYPES)[number];

/** The shape of an audit entity type (and of the `entityType` filter). */
export const AUDIT_ENTITY_TYPE_PATTERN = /^[a-z][a-z_]{0,39}$/;
