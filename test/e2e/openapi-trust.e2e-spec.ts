import { getMetadataStorage } from 'class-validator';
import type { Document } from 'openapi-backend';
import type { Response } from 'supertest';
import { createLease, seedWorld } from '../support/fixtures';
import { backendFor, specViolation } from '../support/openapi-responses';
import { fetchOpenApi } from '../support/openapi-spec';
import type { OpenApiDocument } from '../support/openapi-spec';
import { bearer, startTestApp, TestApp } from '../support/test-app';

/**
 * Issue 10 item 15, "a spec clients can trust": the served document says exactly what the server
 * sends and enforces. Every other e2e request is also checked against it (test/support/openapi-responses.ts).
 */

type Node = Record<string, unknown>;
interface ValidationMeta {
  name?: string;
  propertyName: string;
  each?: boolean;
}

/** Every schema object in the document with its JSON pointer (examples skipped: they are data). */
function schemas(doc: OpenApiDocument): { pointer: string; schema: Node }[] {
  const found: { pointer: string; schema: Node }[] = [];
  const visit = (node: unknown, pointer: string) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((item, i) => visit(item, `${pointer}/${i}`));
    const schema = node as Node;
    if (typeof schema.type === 'string' || schema.nullable !== undefined || schema.allOf || schema.anyOf)
      found.push({ pointer, schema });
    for (const [key, value] of Object.entries(schema))
      if (key !== 'example' && key !== 'examples') visit(value, `${pointer}/${key.replace(/\//g, '~1')}`);
  };
  visit(doc.paths, '#/paths');
  visit(doc.components, '#/components');
  return found;
}

const fake = (status: number, type: string, body: unknown, headers: Record<string, string> = {}) =>
  ({ status, type, body, headers: { 'x-request-id': 'r-1', ...headers } }) as unknown as Response;

describe('the served OpenAPI document', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  beforeAll(async () => {
    t = await startTestApp();
    doc = await fetchOpenApi(t);
  });
  afterAll(() => t.close());

  it('types every whole number as integer: no `type: number` is left anywhere', () => {
    // Money, rates and ratios are decimal strings in this API; a `number` here would be a count,
    // length, version or ASN that generators turn into a float.
    const numbers = schemas(doc)
      .filter(({ schema }) => schema.type === 'number')
      .map(({ pointer }) => pointer);
    expect(numbers).toEqual([]);
  });

  it('gives ASNs and anything that can pass 2^31 the int64 format', () => {
    const narrow = schemas(doc)
      .filter(({ pointer, schema }) => {
        if (schema.type !== 'integer' || schema.format === 'int64') return false;
        const named = /asn/i.test(pointer.split('/').slice(-3).join('/'));
        return named || (typeof schema.maximum === 'number' && schema.maximum > 2 ** 31 - 1);
      })
      .map(({ pointer }) => pointer);
    expect(narrow).toEqual([]);
    const lease = (doc.components?.schemas?.LeaseDto?.properties ?? {}) as Record<string, Node>;
    expect(lease.originAsn).toMatchObject({ type: 'integer', format: 'int64', nullable: true });
  });

  it('never pairs nullable with allOf, leaves it without a type, or with an enum that lacks null (OpenAPI 3.0.3)', () => {
    const broken = schemas(doc)
      .filter(
        ({ schema }) =>
          schema.nullable === true &&
          (schema.allOf !== undefined ||
            schema.type === undefined ||
            (Array.isArray(schema.enum) && !schema.enum.includes(null))),
      )
      .map(({ pointer }) => pointer);
    expect(broken).toEqual([]);
    const lookup = (doc.components?.schemas?.LookupResultDto?.properties ?? {}) as Record<string, Node>;
    for (const field of ['allocation', 'region', 'provider']) {
      expect(lookup[field]).toMatchObject({ anyOf: [{ $ref: expect.any(String) }, { nullable: true, enum: [null] }] });
    }
  });

  it('answers GET /lookup with null allocation, region and provider that validate against the spec', async () => {
    const world = await seedWorld(t);
    await createLease(t, world, '81.81.81.0/24');
    // t.http validates the answer against the served document; before the fix this failed on `null`.
    const res = await t.http.get('/api/v1/lookup').query({ ip: '81.81.81.9' }).set(bearer()).expect(200);
    expect(res.body).toMatchObject({ allocation: null, region: null, provider: null });
    const api = await backendFor(doc as unknown as Document);
    const url = `${t.baseUrl}/api/v1/lookup?ip=81.81.81.9`;
    expect(specViolation(api, 'GET', url, fake(200, 'application/json', res.body))).toBeUndefined();
    // …and the validator is not blind: a region that is neither an object nor null is caught.
    expect(specViolation(api, 'GET', url, fake(200, 'application/json', { ...res.body, region: 'eu' }))).toMatch(
      /region/,
    );
  });

  it('documents X-Request-Id (always), ETag and Location (required where always sent), Retry-After and X-RateLimit-*', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const responses = (operation?.responses ?? {}) as Record<string, { headers?: Record<string, Node> }>;
        for (const [status, response] of Object.entries(responses)) {
          const where = `${method.toUpperCase()} ${path} ${status}`;
          expect([where, response.headers?.['X-Request-Id']?.required]).toEqual([where, true]);
          if (response.headers?.ETag) expect([where, response.headers.ETag.required]).toEqual([where, true]);
          if (status === '429' || status === '503')
            expect([where, response.headers?.['Retry-After']?.required]).toEqual([where, true]);
          if ((operation?.security ?? []).length > 0 && status === '200')
            expect([where, Object.keys(response.headers ?? {})]).toEqual([
              where,
              expect.arrayContaining(['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']),
            ]);
        }
      }
    }
    const created = doc.paths['/api/v1/allocations']?.post?.responses?.['201'] as { headers: Record<string, Node> };
    expect(created.headers.Location).toMatchObject({ required: true });
    const csv = doc.paths['/api/v1/leases']?.get?.responses?.['200'] as { headers: Record<string, Node> };
    expect(csv.headers['Content-Disposition']).toBeDefined();
  });

  it('states what the server enforces on requests: closed bodies, uuid path ids, 400/413/415 for bodies', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        // Any body can be refused: malformed (400), too large (413), or of a type the route does not take (415).
        if (operation?.requestBody)
          expect([where, Object.keys(operation.responses ?? {})]).toEqual([
            where,
            expect.arrayContaining(['400', '413', '415']),
          ]);
        const ref = (operation?.requestBody?.content?.['application/json']?.schema as Node | undefined)?.$ref;
        if (typeof ref === 'string') {
          const body = doc.components?.schemas?.[ref.split('/').pop() as string] as Node;
          expect([where, body.additionalProperties]).toEqual([where, false]);
        }
        for (const parameter of operation?.parameters ?? [])
          if (parameter.in === 'path' && /(^id|Id)$/.test(parameter.name))
            expect([where, parameter.name, parameter.schema?.format]).toEqual([where, parameter.name, 'uuid']);
      }
    }
  });

  it('documents the patterns, enums and uuid formats the request DTOs validate (class-validator metadata)', () => {
    const stored = (getMetadataStorage() as unknown as { validationMetadatas: Map<{ name: string }, ValidationMeta[]> })
      .validationMetadatas;
    const components = (doc.components?.schemas ?? {}) as Record<string, Node>;
    const missing: string[] = [];
    for (const [target, metas] of stored) {
      const schema = components[target.name];
      // Only DTOs that are request bodies (closed by the spec pass); query DTOs become parameters.
      if (!schema || schema.additionalProperties !== false) continue;
      for (const meta of metas) {
        const property = (schema.properties as Record<string, Node> | undefined)?.[meta.propertyName];
        const where = `${target.name}.${meta.propertyName}`;
        if (!property) continue;
        const own = meta.each && property.items ? (property.items as Node) : property;
        if (meta.name === 'matches' && typeof own.pattern !== 'string') missing.push(`${where}: pattern`);
        if ((meta.name === 'isIn' || meta.name === 'isEnum') && !Array.isArray(own.enum))
          missing.push(`${where}: enum`);
        if (meta.name === 'isUuid' && own.format !== 'uuid') missing.push(`${where}: format uuid`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('documents the patterns, enums and uuid formats the query DTOs validate on their parameters', () => {
    const stored = (getMetadataStorage() as unknown as { validationMetadatas: Map<{ name: string }, ValidationMeta[]> })
      .validationMetadatas;
    const queryParams = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).flatMap(([method, operation]) =>
        (operation?.parameters ?? [])
          .filter((p) => p.in === 'query')
          .map((p) => ({
            where: `${method.toUpperCase()} ${path} ?${p.name}`,
            name: p.name,
            schema: (p.schema ?? {}) as Node,
          })),
      ),
    );
    const missing: string[] = [];
    for (const [target, metas] of stored) {
      if (!/Query$/.test(target.name)) continue;
      for (const meta of metas) {
        for (const param of queryParams.filter((p) => p.name === meta.propertyName)) {
          const own = param.schema;
          if (meta.name === 'matches' && typeof own.pattern !== 'string' && own.format === undefined)
            missing.push(`${target.name}.${meta.propertyName} (${param.where}): pattern`);
          if ((meta.name === 'isIn' || meta.name === 'isEnum') && !Array.isArray(own.enum))
            missing.push(`${target.name}.${meta.propertyName} (${param.where}): enum`);
          if (meta.name === 'isUuid' && own.format !== 'uuid')
            missing.push(`${target.name}.${meta.propertyName} (${param.where}): format uuid`);
        }
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });

  it('the response check fails undocumented statuses, media types, missing required headers and wrong bodies', async () => {
    const api = await backendFor(doc as unknown as Document);
    const region = `${t.baseUrl}/api/v1/regions/00000000-0000-4000-8000-000000000000`;
    expect(specViolation(api, 'GET', region, fake(418, 'application/json', {}))).toMatch(/does not document/);
    expect(specViolation(api, 'GET', region, fake(200, 'text/html', '<p>'))).toMatch(/Content-Type text\/html/);
    const problem = { type: 'x', title: 'x', status: 404, detail: 'x', code: 'NOT_FOUND' };
    expect(specViolation(api, 'GET', region, fake(404, 'application/problem+json', problem))).toBeUndefined();
    expect(
      specViolation(api, 'GET', region, fake(404, 'application/problem+json', { ...problem, status: '404' })),
    ).toMatch(/status/);
    const noEtag = fake(200, 'application/json', {});
    expect(specViolation(api, 'GET', region, noEtag)).toMatch(/required header\(s\) ETag/);
    expect(specViolation(api, 'GET', `${t.baseUrl}/api/v1/no-such-thing`, fake(200, 'application/json', {}))).toMatch(
      /no operation/,
    );
  });
});

describe('rate-limit headers, validated on real answers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ rateLimitPerMinute: 2 });
  });
  afterAll(() => t.close());

  it('sends the documented X-RateLimit-* integers, then a 429 with Retry-After', async () => {
    const first = await t.http.get('/api/v1/regions').set(bearer()).expect(200);
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    expect(Number(first.headers['x-ratelimit-remaining'])).toBe(1);
    await t.http.get('/api/v1/regions').set(bearer()).expect(200);
    const refused = await t.http.get('/api/v1/regions').set(bearer()).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
