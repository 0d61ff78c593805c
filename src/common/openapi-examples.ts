import type { OpenAPIObject } from '@nestjs/swagger';
import type { Queryable } from '../database/database.service';

/** Placeholders used in request examples, filled with real ids when the spec is served. */
export const EXAMPLE_ID_PLACEHOLDERS = {
  lessor: '<id of a lessor>',
  region: '<id of a region>',
  provider: '<id of a provider>',
  lease: '<id of a lease>',
} as const;

type Entity = keyof typeof EXAMPLE_ID_PLACEHOLDERS;

/**
 * Examples in Swagger UI should work when pasted. Ids cannot be known when the spec is written, so
 * the served spec carries the newest lessor, region, provider and lease ids of this database in
 * place of the placeholders (a placeholder stays where none exists yet).
 */
export async function withExampleIds(document: OpenAPIObject, db: Queryable): Promise<OpenAPIObject> {
  let ids: Partial<Record<Entity, string | null>>;
  try {
    const rows = await db.query<Record<Entity, string | null>[]>(
      `SELECT (SELECT id FROM lessors WHERE archived_at IS NULL ORDER BY seq DESC LIMIT 1) AS lessor,
              (SELECT id FROM regions WHERE archived_at IS NULL ORDER BY seq DESC LIMIT 1) AS region,
              (SELECT id FROM providers WHERE archived_at IS NULL ORDER BY seq DESC LIMIT 1) AS provider,
              (SELECT id FROM leases WHERE term @> current_date ORDER BY seq DESC LIMIT 1) AS lease`,
    );
    ids = rows[0];
  } catch {
    return document; // the spec must stay available while the database is not
  }
  let text = JSON.stringify(document);
  for (const [entity, placeholder] of Object.entries(EXAMPLE_ID_PLACEHOLDERS) as [Entity, string][]) {
    const id = ids[entity];
    if (id) text = text.split(placeholder).join(id);
  }
  return JSON.parse(text) as OpenAPIObject;
}
