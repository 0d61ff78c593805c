import { AUDIT_ENTITY_TYPE_PATTERN, AUDIT_ENTITY_TYPES } from '../../src/audit/entity-types';
import { eventTypeFor } from '../../src/events/event-types';

describe('audit entity types', () => {
  it.each(AUDIT_ENTITY_TYPES)('%s is snake_case and accepted by the audit filter', (type) => {
    expect(type).toMatch(/^[a-z]+(_[a-z]+)*$/);
    expect(type).toMatch(AUDIT_ENTITY_TYPE_PATTERN);
    // Singular: the entity's name, as in `lease.created`, never the collection's.
    expect(type).not.toMatch(/s$/);
  });

  it('has no duplicates, and hyphenated or plural spellings are refused by the filter pattern or the list', () => {
    expect(new Set(AUDIT_ENTITY_TYPES).size).toBe(AUDIT_ENTITY_TYPES.length);
    expect('fx-rates').not.toMatch(AUDIT_ENTITY_TYPE_PATTERN);
    expect(AUDIT_ENTITY_TYPES).not.toContain('fx_rates');
  });

  it('publishes no event for API keys, FX rates or invoices, and names the others entity.action', () => {
    expect(['api_key', 'fx_rate', 'invoice'].map((e) => eventTypeFor(e as 'api_key', 'create'))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(eventTypeFor('lease', 'terminate')).toBe('lease.terminated');
  });
});
