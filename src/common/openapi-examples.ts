import type { OpenAPIObject } from '@nestjs/swagger';

/** Placeholders used in request examples, filled with real ids when the spec is served. */
export const EXAMPLE_ID_PLACEHOLDERS = {
  lessor: '<id of a lessor>',
  region: '<id of a region>',
  provider: '<id of a provider>',
  lease: '<id of a lease>',
} as const;

type Entity = keyof typeof EXAMPLE_ID_PLACEHOLDERS;

export type ExampleIds = Partial<Record<Entity, string | null>>;

/**
 * Examples in Swagger UI should work when pasted. Ids cannot be known when the spec is written, so
 * the served spec carries the newest lessor, region, provider and lease ids of this database in
 * place of the placeholders (a placeholder stays where none exists yet).
 */
export function withExampleIds(document: OpenAPIObject, ids: ExampleIds): OpenAPIObject {
  let text = JSON.stringify(document);
  for (const [entity, placeholder] of Object.entries(EXAMPLE_ID_PLACEHOLDERS) as [Entity, string][]) {
    const id = ids[entity];
    if (id) text = text.split(placeholder).join(id);
  }
  return JSON.parse(text) as OpenAPIObject;
}
