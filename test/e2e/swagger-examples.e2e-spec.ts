import { bearer, startTestApp, TestApp } from '../support/test-app';

type Spec = {
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string;
        requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }>; example?: unknown }> };
      }
    >
  >;
};

/** The new user's first five minutes: every step uses the request example exactly as Swagger UI shows it. */
describe('Swagger request examples work as pasted', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function example(operationId: string, name?: string): Promise<Record<string, unknown>> {
    const spec: Spec = (await t.http.get('/docs-json').set(bearer()).expect(200)).body;
    for (const path of Object.values(spec.paths)) {
      for (const operation of Object.values(path)) {
        if (operation.operationId !== operationId) continue;
        const content = operation.requestBody?.content['application/json'];
        const examples = content?.examples;
        const value = examples ? (name ? examples[name] : Object.values(examples)[0])?.value : content?.example;
        if (value) return value as Record<string, unknown>;
        // A body schema without examples: build it from the schema's property examples.
        throw new Error(`${operationId} has no request example`);
      }
    }
    throw new Error(`no operation ${operationId}`);
  }

  async function schemaExample(operationId: string): Promise<Record<string, unknown>> {
    const spec = (await t.http.get('/docs-json').set(bearer()).expect(200)).body;
    for (const path of Object.values(spec.paths) as Record<
      string,
      { operationId: string; requestBody?: { content: Record<string, { schema: { $ref: string } }> } }
    >[]) {
      for (const operation of Object.values(path)) {
        if (operation.operationId !== operationId) continue;
        const ref = operation.requestBody?.content['application/json'].schema.$ref as string;
        const schema = spec.components.schemas[ref.split('/').pop() as string];
        return Object.fromEntries(
          Object.entries(schema.properties as Record<string, { example?: unknown }>)
            .filter(([, p]) => p.example !== undefined)
            .map(([k, p]) => [k, p.example]),
        );
      }
    }
    throw new Error(`no operation ${operationId}`);
  }

  it('creates a lessor and a lease from the examples, then is refused the overlapping second lease naming the first', async () => {
    const lessorBody = await example('createLessor').catch(() => schemaExample('createLessor'));
    await t.http.post('/api/v1/lessors').set(bearer()).send(lessorBody).expect(201);

    const leaseBody = await example('createLease', 'fixedTerm');
    const lease = await t.http.post('/api/v1/leases').set(bearer()).send(leaseBody).expect(201);

    const again = await t.http.post('/api/v1/leases').set(bearer()).send(leaseBody).expect(409);
    expect(again.body.code).toBe('PREFIX_OVERLAP');
    expect(again.body.conflicts[0].id).toBe(lease.body.id);
    expect(again.body.detail).toContain(lease.body.id);
  });

  it('allocates the next free block from the allocation example once a region and provider exist', async () => {
    await t.http
      .post('/api/v1/regions')
      .set(bearer())
      .send(await example('createRegion').catch(() => schemaExample('createRegion')))
      .expect(201);
    await t.http
      .post('/api/v1/providers')
      .set(bearer())
      .send(await example('createProvider').catch(() => schemaExample('createProvider')))
      .expect(201);
    const body = await example('createAllocation', 'nextFree');
    const res = await t.http.post('/api/v1/allocations').set(bearer()).send(body).expect(201);
    expect(res.body.prefix).toBe('185.10.20.0/24');
    const explicit = await t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send(await example('createAllocation', 'explicit'))
      .expect(201);
    expect(explicit.body.prefix).toBe('185.10.23.0/24');
  });

  // Issue 10 item 4: the public document carries no live ids and does not change with the data.
  it('serves the public document with placeholders, and the ids only to a request with a valid key', async () => {
    const lessor = await t.http.get('/api/v1/lessors?limit=1').set(bearer()).expect(200);
    const liveId: string = lessor.body.items[0].id;
    const first = await t.http.get('/docs-json').expect(200);
    await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Another Lessor', rir: 'ARIN' }).expect(201);
    const second = await t.http.get('/docs-json').expect(200);
    expect(second.text).toBe(first.text);
    expect(first.text).not.toContain(liveId);
    expect(first.text).toContain('<id of a lessor>');
    const init = await t.http.get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).not.toContain(liveId);
    const unknownKey = await t.http.get('/docs-json').set('Authorization', 'Bearer ipl_not-a-key').expect(200);
    expect(unknownKey.text).toBe(first.text);
    const withKey = await t.http.get('/docs-json').set(bearer()).expect(200);
    expect(withKey.text).not.toContain('<id of a lessor>');
  });

  it('gives each error status its own example', async () => {
    const spec = (await t.http.get('/docs-json').expect(200)).body;
    const responses = spec.paths['/api/v1/leases'].post.responses as Record<
      string,
      { content?: Record<string, { example?: { status: number; code: string } }> }
    >;
    const examples = Object.entries(responses)
      .filter(([status]) => Number(status) >= 400)
      .map(([status, r]) => [Number(status), r.content?.['application/problem+json']?.example]);
    expect(examples.length).toBeGreaterThan(3);
    for (const [status, example] of examples) expect(example).toMatchObject({ status });
    expect(new Set(examples.map(([, e]) => (e as { code: string }).code)).size).toBe(examples.length);
  });
});
