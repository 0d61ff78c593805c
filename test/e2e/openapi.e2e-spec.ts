import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import { EXAMPLE_ID_PLACEHOLDERS } from '../../src/common/openapi-examples';
import { CLIENT_TYPES_FILE, generateClientTypes } from '../../scripts/generate-client';
import { lintOpenApi, withSampleExampleIds } from '../../scripts/lint-openapi';
import { buildSpecWithoutDatabase, projectRoot } from '../../scripts/openapi-spec';
import { createLease, seedWorld } from '../support/fixtures';
import { ADMIN_KEY, startTestApp, TestApp } from '../support/test-app';

/** A spec clients can trust: served = exported, linted, complete, and true to what the server enforces. */

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  allOf?: Schema[];
}
interface Response {
  description?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: {
    content: Record<string, { schema?: Schema; example?: unknown; examples?: Record<string, { value?: unknown }> }>;
  };
  responses: Record<string, Response>;
}
interface Op {
  method: string;
  path: string;
  operation: Operation;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
/** Public by contract: no key needed. Everything else needs `Authorization: Bearer <key>`. */
const PUBLIC = [
  'GET /health',
  'GET /health/ready',
  'GET /metrics',
  'GET /geofeed.csv',
  'GET /reports',
  'GET /reports/routing',
];
const ARTIFACTS = join(projectRoot(), 'test-artifacts');

function operations(spec: OpenAPIObject): Op[] {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => (item as Record<string, unknown>)[m]).map((method) => ({
      method,
      path,
      operation: (item as Record<string, Operation>)[method],
    })),
  );
}
const label = (op: Op) => `${op.method.toUpperCase()} ${op.path}`;

function resolve(spec: OpenAPIObject, schema: Schema | undefined): Schema {
  if (!schema) return {};
  if (schema.$ref)
    return resolve(spec, (spec.components?.schemas as Record<string, Schema>)[schema.$ref.split('/').pop() as string]);
  if (schema.allOf)
    return schema.allOf
      .map((s) => resolve(spec, s))
      .reduce(
        (a, b) => ({
          ...a,
          ...b,
          properties: { ...a.properties, ...b.properties },
          required: [...(a.required ?? []), ...(b.required ?? [])],
        }),
        {},
      );
  return schema;
}

/** The public document, or (with `key`) the one with live example ids that Swagger UI shows after Authorize. */
async function fetchSpec(t: TestApp, key?: string): Promise<OpenAPIObject> {
  const res = await fetch(`${t.baseUrl}/docs-json`, key ? { headers: { Authorization: `Bearer ${key}` } } : {});
  expect(res.status).toBe(200);
  return (await res.json()) as OpenAPIObject;
}

describe('OpenAPI document', () => {
  let t: TestApp;
  let spec: OpenAPIObject;
  let ops: Op[];

  beforeAll(async () => {
    t = await startTestApp();
    spec = await fetchSpec(t); // an empty database: example id placeholders stay as they are
    ops = operations(spec);
  });
  afterAll(() => t?.close());

  it('is exactly what the database-free export (npm run spec:export) produces', async () => {
    expect(ops.length).toBeGreaterThan(30);
    expect(await buildSpecWithoutDatabase()).toEqual(spec);
  });

  it('gives every operation a unique operationId', () => {
    const ids = ops.map((op) => op.operation.operationId);
    const missing = ops.filter((op) => !op.operation.operationId).map(label);
    expect(missing).toEqual([]);
    const duplicated = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(duplicated).toEqual([]);
  });

  it('declares the bearer scheme on every non-public operation and none on the public ones', () => {
    expect(spec.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const publicOps = ops
      .filter((op) => Array.isArray(op.operation.security) && op.operation.security.length === 0)
      .map(label);
    expect(publicOps.sort()).toEqual([...PUBLIC].sort());
    const wrong = ops
      .filter(
        (op) =>
          !PUBLIC.includes(label(op)) && JSON.stringify(op.operation.security) !== JSON.stringify([{ bearer: [] }]),
      )
      .map(label);
    expect(wrong).toEqual([]);
  });

  it('matches what the server enforces: without a key, exactly the non-public operations answer 401', async () => {
    const mismatches: string[] = [];
    await Promise.all(
      ops.map(async (op) => {
        const url = t.baseUrl + op.path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
        const res = await fetch(url, { method: op.method.toUpperCase(), headers: { Accept: 'application/json, */*' } });
        await res.arrayBuffer();
        const isPublic = op.operation.security?.length === 0;
        if (isPublic ? res.status === 401 || res.status === 403 : res.status !== 401)
          mismatches.push(`${label(op)}: spec says ${isPublic ? 'public' : 'bearer'}, server answered ${res.status}`);
      }),
    );
    expect(mismatches).toEqual([]);
  });

  it('describes every response, and every error as problem+json with the usual authenticated answers', () => {
    const problems: string[] = [];
    for (const op of ops) {
      for (const [status, response] of Object.entries(op.operation.responses)) {
        if (!response.description?.trim()) problems.push(`${label(op)} ${status}: no description`);
        if (Number(status) >= 400) {
          const schema = response.content?.['application/problem+json']?.schema;
          if (schema?.$ref !== '#/components/schemas/ProblemDto')
            problems.push(`${label(op)} ${status}: not application/problem+json ProblemDto`);
        }
      }
      if (!op.operation.security?.length) continue;
      for (const status of ['400', '401', '403', '429', '503']) {
        if (!op.operation.responses[status]) problems.push(`${label(op)}: ${status} not documented`);
      }
      if (!Object.keys(op.operation.responses).some((s) => s.startsWith('2')))
        problems.push(`${label(op)}: no success response`);
    }
    expect(problems).toEqual([]);
  });

  it('documents ETag on every answer that carries a versioned entity, If-Match on every change of one, Idempotency-Key on every POST', () => {
    const problems: string[] = [];
    let entityAnswers = 0;
    for (const op of ops) {
      for (const [status, response] of Object.entries(op.operation.responses)) {
        const schema = resolve(spec, response.content?.['application/json']?.schema);
        if (!status.startsWith('2') || !schema.properties?.version) continue;
        entityAnswers++;
        if (!response.headers?.ETag) problems.push(`${label(op)} ${status}: no ETag header`);
      }
      const headers = (op.operation.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
      const versioned = ['patch', 'delete'].includes(op.method) || op.path.endsWith('/terminate');
      if (
        versioned &&
        op.path.startsWith('/api/v1/') &&
        !op.path.startsWith('/api/v1/api-keys') &&
        !headers.includes('If-Match')
      )
        problems.push(`${label(op)}: no If-Match`);
      if (op.method === 'post' && op.operation.security?.length && !headers.includes('Idempotency-Key'))
        problems.push(`${label(op)}: no Idempotency-Key`);
    }
    expect(entityAnswers).toBeGreaterThanOrEqual(15); // get, create and update of five entities, and terminate
    expect(problems).toEqual([]);
  });

  it('has an example on every request body, each with the required fields and only known fields', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const op of ops) {
      if (!op.operation.requestBody) continue;
      const content = op.operation.requestBody.content;
      // File uploads (CSV, NDJSON, drop.txt) document their text media with sample files.
      for (const [type, textMedia] of Object.entries(content)) {
        if (type === 'application/json') continue;
        if (!['text/csv', 'application/x-ndjson', 'text/plain'].includes(type))
          problems.push(`${label(op)}: request body media ${type}`);
        const samples = Object.values(textMedia.examples ?? {}).map((e) => e.value);
        if (samples.length === 0 || samples.some((v) => typeof v !== 'string' || v === ''))
          problems.push(`${label(op)} ${type}: needs a sample file as example`);
        checked++;
      }
      const media = content['application/json'];
      if (!media) {
        if (!content['text/csv'] && !content['application/x-ndjson'] && !content['text/plain'])
          problems.push(`${label(op)}: request body is not application/json`);
        continue;
      }
      const examples = media.examples
        ? Object.entries(media.examples).map(([name, e]) => [name, e.value] as const)
        : media.example !== undefined
          ? [['example', media.example] as const]
          : [];
      if (examples.length === 0) problems.push(`${label(op)}: request body has no example`);
      const schema = resolve(spec, media.schema);
      for (const [name, value] of examples) {
        checked++;
        const body = value as Record<string, unknown>;
        for (const field of schema.required ?? [])
          if (!(field in body)) problems.push(`${label(op)} example ${name}: required ${field} missing`);
        for (const field of Object.keys(body))
          if (!schema.properties?.[field]) problems.push(`${label(op)} example ${name}: unknown field ${field}`);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12);
    expect(problems).toEqual([]);
  });

  it('passes Redocly lint (.redocly.yaml) as served to a database with data, with no errors or warnings', async () => {
    // With data and a key, the served examples carry real ids instead of "<id of a …>" (src/common/openapi-examples.ts).
    const world = await seedWorld(t);
    await createLease(t, world, '185.20.0.0/24');
    const served = await fetchSpec(t, ADMIN_KEY);
    const text = JSON.stringify(served);
    for (const placeholder of Object.values(EXAMPLE_ID_PLACEHOLDERS)) expect(text).not.toContain(placeholder);
    const result = lintOpenApi(served, join(ARTIFACTS, 'openapi.json'));
    expect(result.report).toBe('');
    expect(result.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('lint is live: a duplicated operationId, an invalid example and a bare 4xx fail it', async () => {
    const broken = await withSampleExampleIds(JSON.parse(JSON.stringify(spec)) as OpenAPIObject);
    const paths = broken.paths as Record<string, Record<string, Operation>>;
    paths['/api/v1/lessors'].get.operationId = 'createLessor';
    const body = paths['/api/v1/regions'].post.requestBody!.content['application/json'];
    body.examples = { bad: { value: { code: 'x', name: 'X', countryCode: 42 } } };
    paths['/api/v1/lookup'].get.responses['404'] = {
      description: 'Gone.',
      content: { 'application/json': { schema: { type: 'object' } } },
    };
    const result = lintOpenApi(broken, join(ARTIFACTS, 'openapi.broken.json'));
    const rules = new Set(result.problems.map((p) => p.ruleId));
    expect([...rules].sort()).toEqual([
      'no-invalid-media-type-examples',
      'operation-4xx-problem-details-rfc7807',
      'operation-operationId-unique',
    ]);
  });

  it('generates exactly the committed client types (run `npm run client:generate` after changing the API)', () => {
    const committed = readFileSync(CLIENT_TYPES_FILE, 'utf8');
    const generated = generateClientTypes(spec);
    if (generated !== committed) {
      const a = generated.split('\n');
      const b = committed.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      throw new Error(
        `test/support/generated/iplease-api.ts is stale: run \`npm run client:generate\` and commit it.\n` +
          `first difference at line ${line + 1}:\n  generated: ${a[line]}\n  committed: ${b[line]}`,
      );
    }
    expect(generated).toContain('"/api/v1/allocations/{id}"');
  });
});
