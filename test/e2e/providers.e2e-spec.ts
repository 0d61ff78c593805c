import { bearer, startTestApp, TestApp } from '../support/test-app';

describe('providers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const count = async () => Number((await t.pool.query('SELECT count(*) FROM providers')).rows[0].count);
  const stored = async (id: string) => (await t.pool.query('SELECT * FROM providers WHERE id = $1', [id])).rows[0];
  const fields = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field);
  /**
   * An allocation row pointing at the region and provider. If the allocations migration is not in
   * this build yet, a stand-in table with the same referencing columns takes its place (this
   * test file has its own database).
   */
  const insertAllocation = async (
    regionId: string,
    providerId: string,
    leasePrefix: string,
    prefix: string,
  ): Promise<string> => {
    const [{ present }] = (await t.pool.query(`SELECT to_regclass('allocations') IS NOT NULL AS present`)).rows;
    if (!present) {
      await t.pool.query(`
        CREATE TABLE allocations (
          id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          seq bigint GENERATED ALWAYS AS IDENTITY,
          prefix cidr NOT NULL,
          region_id uuid NOT NULL REFERENCES regions (id) ON DELETE RESTRICT,
          provider_id uuid NOT NULL REFERENCES providers (id) ON DELETE RESTRICT
        )`);
      return (
        await t.pool.query(
          `INSERT INTO allocations (prefix, region_id, provider_id) VALUES ($1, $2, $3) RETURNING id`,
          [prefix, regionId, providerId],
        )
      ).rows[0].id;
    }
    const lessor = (
      await t.pool.query(`INSERT INTO lessors (name, rir) VALUES ($1, 'RIPE') RETURNING id`, [
        `Lessor of ${leasePrefix}`,
      ])
    ).rows[0].id;
    const lease = (
      await t.pool.query(
        `INSERT INTO leases (prefix, lessor_id, start_date, price_per_ip_monthly, currency) VALUES ($1, $2, current_date - 1, 0.45, 'USD') RETURNING id`,
        [leasePrefix, lessor],
      )
    ).rows[0].id;
    return (
      await t.pool.query(
        `INSERT INTO allocations (lease_id, prefix, region_id, provider_id) VALUES ($1, $2, $3, $4) RETURNING id`,
        [lease, prefix, regionId, providerId],
      )
    ).rows[0].id;
  };

  let seq = 0;
  const create = async (body: Record<string, unknown> = {}) => {
    const res = await t.http
      .post('/api/v1/providers')
      .set(bearer())
      .send({ code: `p-${++seq}`, name: `Provider ${seq}`, ...body })
      .expect(201);
    return res.body as { id: string; code: string; version: number; minPrefixLength: number; maxPrefixLength: number };
  };

  it('creates, reads with ETag, updates with If-Match, refuses stale writes, deletes, and audits each change', async () => {
    const created = await t.http
      .post('/api/v1/providers')
      .set(bearer())
      .send({ code: 'aws', name: 'Amazon Web Services (BYOIP)', minPrefixLength: 8, maxPrefixLength: 24 })
      .expect(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      code: 'aws',
      name: 'Amazon Web Services (BYOIP)',
      minPrefixLength: 8,
      maxPrefixLength: 24,
      requiredOriginAsns: [],
      notes: null,
      version: 1,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: expect.stringMatching(/Z$/),
    });
    expect(created.headers.etag).toBe('"1"');
    const id = created.body.id as string;

    const read = await t.http.get(`/api/v1/providers/${id}`).set(bearer()).expect(200);
    expect(read.headers.etag).toBe('"1"');
    expect(read.body).toEqual(created.body);

    const updated = await t.http
      .patch(`/api/v1/providers/${id}`)
      .set(bearer())
      .set('If-Match', '"1"')
      .send({ notes: 'BYOIP eu-west-1', minPrefixLength: 16 })
      .expect(200);
    expect(updated.body).toMatchObject({
      code: 'aws',
      notes: 'BYOIP eu-west-1',
      minPrefixLength: 16,
      maxPrefixLength: 24,
      version: 2,
    });
    expect(updated.headers.etag).toBe('"2"');

    const stale = await t.http
      .patch(`/api/v1/providers/${id}`)
      .set(bearer())
      .set('If-Match', '"1"')
      .send({ notes: 'lost update' })
      .expect(412);
    expect(stale.body.code).toBe('PRECONDITION_FAILED');
    expect(stale.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await stored(id)).notes).toBe('BYOIP eu-west-1');

    const staleDelete = await t.http.delete(`/api/v1/providers/${id}`).set(bearer()).set('If-Match', '"1"').expect(412);
    expect(staleDelete.body.code).toBe('PRECONDITION_FAILED');
    expect(await stored(id)).toBeDefined();

    await t.http.delete(`/api/v1/providers/${id}`).set(bearer()).set('If-Match', '"2"').expect(204);
    const gone = await t.http.get(`/api/v1/providers/${id}`).set(bearer()).expect(404);
    expect(gone.body.code).toBe('NOT_FOUND');
    await t.http.patch(`/api/v1/providers/${id}`).set(bearer()).send({ notes: 'x' }).expect(404);
    await t.http.delete(`/api/v1/providers/${id}`).set(bearer()).expect(404);

    const audit = await t.pool.query(
      `SELECT action FROM audit_events WHERE entity_type = 'provider' AND entity_id = $1 ORDER BY seq`,
      [id],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['create', 'update', 'delete']);
  });

  it('defaults the prefix lengths to 8..32 and leaves notes null', async () => {
    const res = await t.http
      .post('/api/v1/providers')
      .set(bearer())
      .send({ code: 'hetzner', name: 'Hetzner' })
      .expect(201);
    expect(res.body).toMatchObject({ minPrefixLength: 8, maxPrefixLength: 32, notes: null });
    expect(await stored(res.body.id)).toMatchObject({ min_prefix_length: 8, max_prefix_length: 32 });
  });

  it('accepts the edges 0 and 32 and min equal to max', async () => {
    expect(await create({ minPrefixLength: 0, maxPrefixLength: 0 })).toMatchObject({
      minPrefixLength: 0,
      maxPrefixLength: 0,
    });
    expect(await create({ minPrefixLength: 32, maxPrefixLength: 32 })).toMatchObject({
      minPrefixLength: 32,
      maxPrefixLength: 32,
    });
    expect(await create({ code: 'a', name: 'One-letter code' })).toMatchObject({ code: 'a' });
    expect(await create({ code: `9${'-'.repeat(62)}` })).toMatchObject({ code: `9${'-'.repeat(62)}` });
  });

  it('refuses a duplicate code with ALREADY_EXISTS on create and on rename, writing nothing', async () => {
    await t.http.post('/api/v1/providers').set(bearer()).send({ code: 'gcp', name: 'Google Cloud' }).expect(201);
    const before = await count();
    const dup = await t.http
      .post('/api/v1/providers')
      .set(bearer())
      .send({ code: 'gcp', name: 'Another Google' })
      .expect(409);
    expect(dup.body).toMatchObject({ code: 'ALREADY_EXISTS', errors: [{ field: 'code' }] });
    expect(dup.body.detail).toContain('gcp');
    expect(await count()).toBe(before);

    const other = await create();
    const rename = await t.http.patch(`/api/v1/providers/${other.id}`).set(bearer()).send({ code: 'gcp' }).expect(409);
    expect(rename.body).toMatchObject({ code: 'ALREADY_EXISTS', errors: [{ field: 'code' }] });
    expect(await stored(other.id)).toMatchObject({ code: other.code, version: 1 });
  });

  it.each([
    ['missing everything', {}, 'code'],
    ['missing name', { code: 'x1' }, 'name'],
    ['unknown field', { code: 'x2', name: 'X', region: 'eu' }, 'region'],
    ['upper-case code', { code: 'AWS', name: 'X' }, 'code'],
    ['code with underscore', { code: 'my_cloud', name: 'X' }, 'code'],
    ['code starting with a dash', { code: '-aws', name: 'X' }, 'code'],
    ['code with a space', { code: 'on prem', name: 'X' }, 'code'],
    ['empty code', { code: '', name: 'X' }, 'code'],
    ['64-character code', { code: 'a'.repeat(64), name: 'X' }, 'code'],
    ['numeric code', { code: 42, name: 'X' }, 'code'],
    ['blank name', { code: 'x3', name: '   ' }, 'name'],
    ['name too long', { code: 'x4', name: 'n'.repeat(201) }, 'name'],
    ['minPrefixLength as a string', { code: 'x5', name: 'X', minPrefixLength: '24' }, 'minPrefixLength'],
    ['maxPrefixLength as a string', { code: 'x6', name: 'X', maxPrefixLength: '24' }, 'maxPrefixLength'],
    ['minPrefixLength 33', { code: 'x7', name: 'X', minPrefixLength: 33 }, 'minPrefixLength'],
    ['maxPrefixLength 33', { code: 'x8', name: 'X', maxPrefixLength: 33 }, 'maxPrefixLength'],
    ['negative minPrefixLength', { code: 'x9', name: 'X', minPrefixLength: -1 }, 'minPrefixLength'],
    ['fractional maxPrefixLength', { code: 'x10', name: 'X', maxPrefixLength: 24.5 }, 'maxPrefixLength'],
    ['null maxPrefixLength', { code: 'x11', name: 'X', maxPrefixLength: null }, 'maxPrefixLength'],
    ['min greater than max', { code: 'x12', name: 'X', minPrefixLength: 25, maxPrefixLength: 24 }, 'minPrefixLength'],
    ['max below the default min', { code: 'x13', name: 'X', maxPrefixLength: 4 }, 'maxPrefixLength'],
    ['min 32 with max 31', { code: 'x14', name: 'X', minPrefixLength: 32, maxPrefixLength: 31 }, 'minPrefixLength'],
    ['notes not a string', { code: 'x15', name: 'X', notes: 42 }, 'notes'],
  ])('refuses %s with VALIDATION_FAILED on that field and writes nothing', async (_label, body, field) => {
    const before = await count();
    const res = await t.http.post('/api/v1/providers').set(bearer()).send(body).expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(fields(res.body)).toContain(field);
    expect(await count()).toBe(before);
  });

  it('names both bounds when min exceeds max', async () => {
    const res = await t.http
      .post('/api/v1/providers')
      .set(bearer())
      .send({ code: 'range', name: 'X', minPrefixLength: 28, maxPrefixLength: 24 })
      .expect(400);
    expect(res.body.errors).toEqual([
      { field: 'minPrefixLength', message: 'minPrefixLength (28) must not be greater than maxPrefixLength (24)' },
    ]);
  });

  it('checks a PATCH of one bound against the stored other bound and changes nothing when refused', async () => {
    const p = await create({ minPrefixLength: 16, maxPrefixLength: 24 });

    const lowMax = await t.http
      .patch(`/api/v1/providers/${p.id}`)
      .set(bearer())
      .send({ maxPrefixLength: 12 })
      .expect(400);
    expect(lowMax.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'maxPrefixLength' }] });
    const highMin = await t.http
      .patch(`/api/v1/providers/${p.id}`)
      .set(bearer())
      .send({ minPrefixLength: 28 })
      .expect(400);
    expect(highMin.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'minPrefixLength' }] });
    const asString = await t.http
      .patch(`/api/v1/providers/${p.id}`)
      .set(bearer())
      .send({ maxPrefixLength: '28' })
      .expect(400);
    expect(fields(asString.body)).toEqual(['maxPrefixLength']);
    for (const [field, body] of [
      ['code', { code: null }],
      ['name', { name: null }],
      ['minPrefixLength', { minPrefixLength: null }],
      ['code', { code: 'Not A Slug' }],
      ['id', { id: '00000000-0000-0000-0000-000000000000' }],
    ] as const) {
      const res = await t.http.patch(`/api/v1/providers/${p.id}`).set(bearer()).send(body).expect(400);
      expect(fields(res.body)).toContain(field);
    }
    expect(await stored(p.id)).toMatchObject({
      min_prefix_length: 16,
      max_prefix_length: 24,
      code: p.code,
      version: 1,
    });

    const widened = await t.http
      .patch(`/api/v1/providers/${p.id}`)
      .set(bearer())
      .send({ minPrefixLength: 24 })
      .expect(200);
    expect(widened.body).toMatchObject({ minPrefixLength: 24, maxPrefixLength: 24, version: 2 });
    const both = await t.http
      .patch(`/api/v1/providers/${p.id}`)
      .set(bearer())
      .send({ minPrefixLength: 30, maxPrefixLength: 32 })
      .expect(200);
    expect(both.body).toMatchObject({ minPrefixLength: 30, maxPrefixLength: 32, version: 3 });
    const cleared = await t.http.patch(`/api/v1/providers/${p.id}`).set(bearer()).send({ notes: null }).expect(200);
    expect(cleared.body.notes).toBeNull();
  });

  it('filters the list by code and refuses a malformed filter', async () => {
    const a = await create();
    await create();
    const res = await t.http.get('/api/v1/providers').query({ code: a.code }).set(bearer()).expect(200);
    expect(res.body).toEqual({ items: [expect.objectContaining({ id: a.id, code: a.code })], nextCursor: null });
    const none = await t.http.get('/api/v1/providers').query({ code: 'no-such-provider' }).set(bearer()).expect(200);
    expect(none.body.items).toEqual([]);
    const bad = await t.http.get('/api/v1/providers').query({ code: 'AWS' }).set(bearer()).expect(400);
    expect(fields(bad.body)).toEqual(['code']);
  });

  it('pages in creation order', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { code: string }[]; nextCursor: string | null } } = await t.http
        .get('/api/v1/providers')
        .query({ limit: 3, ...(cursor ? { cursor } : {}) })
        .set(bearer())
        .expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      all.push(...res.body.items.map((p) => p.code));
      cursor = res.body.nextCursor;
    } while (cursor);
    const expected = (await t.pool.query('SELECT code FROM providers ORDER BY seq')).rows.map((r) => r.code);
    expect(expected.length).toBeGreaterThan(3);
    expect(all).toEqual(expected);
  });

  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    const bad = await t.http.get('/api/v1/providers/not-a-uuid').set(bearer()).expect(400);
    expect(fields(bad.body)).toEqual(['id']);
    const unknown = await t.http
      .get('/api/v1/providers/6f1c1f0e-8f5d-4c43-9a55-5b0f3c3f1a11')
      .set(bearer())
      .expect(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
  });

  it('lets a viewer read but not write, and refuses callers without a key', async () => {
    const p = await create();
    const viewer = await t.keyFor('viewer');
    const list = await t.http.get('/api/v1/providers').set(bearer(viewer)).expect(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).toContain(p.id);
    await t.http.get(`/api/v1/providers/${p.id}`).set(bearer(viewer)).expect(200);

    const before = await count();
    const post = await t.http
      .post('/api/v1/providers')
      .set(bearer(viewer))
      .send({ code: 'viewer-made', name: 'X' })
      .expect(403);
    expect(post.body.code).toBe('FORBIDDEN');
    expect(await count()).toBe(before);
    expect(
      (await t.http.patch(`/api/v1/providers/${p.id}`).set(bearer(viewer)).send({ name: 'Y' }).expect(403)).body.code,
    ).toBe('FORBIDDEN');
    expect((await t.http.delete(`/api/v1/providers/${p.id}`).set(bearer(viewer)).expect(403)).body.code).toBe(
      'FORBIDDEN',
    );
    expect(await stored(p.id)).toMatchObject({ version: 1 });

    const engineer = await t.keyFor('engineer');
    await t.http.post('/api/v1/providers').set(bearer(engineer)).send({ code: 'engineer-made', name: 'X' }).expect(201);

    const anonymous = await t.http.get('/api/v1/providers').expect(401);
    expect(anonymous.body.code).toBe('UNAUTHENTICATED');
    const anonymousPost = await t.http.post('/api/v1/providers').send({ code: 'anon', name: 'X' }).expect(401);
    expect(anonymousPost.body.code).toBe('UNAUTHENTICATED');
    expect(
      (await t.http.get('/api/v1/providers').set(bearer('ipl_not-a-real-key-000000000000000000')).expect(401)).body
        .code,
    ).toBe('UNAUTHENTICATED');
  });

  it('refuses to delete a provider that allocations refer to with IN_USE listing them', async () => {
    const p = await create();
    const region = await t.http
      .post('/api/v1/regions')
      .set(bearer())
      .send({ code: 'in-use-region', name: 'In use', countryCode: 'DE' })
      .expect(201);
    const allocationId = await insertAllocation(region.body.id, p.id, '185.10.20.0/24', '185.10.20.0/26');

    const res = await t.http.delete(`/api/v1/providers/${p.id}`).set(bearer()).expect(409);
    expect(res.body).toMatchObject({
      code: 'IN_USE',
      conflicts: [{ id: allocationId, prefix: '185.10.20.0/26', kind: 'allocation' }],
    });
    expect(await stored(p.id)).toMatchObject({ version: 1 });
    const audit = await t.pool.query(`SELECT action FROM audit_events WHERE entity_id = $1 AND action = 'delete'`, [
      p.id,
    ]);
    expect(audit.rows).toEqual([]);
  });

  it('documents the five operations and the BYOIP example in the OpenAPI document', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const ops = [
      doc.paths['/api/v1/providers'].get,
      doc.paths['/api/v1/providers'].post,
      doc.paths['/api/v1/providers/{id}'].get,
      doc.paths['/api/v1/providers/{id}'].patch,
      doc.paths['/api/v1/providers/{id}'].delete,
    ];
    expect(ops.map((o: { operationId: string }) => o.operationId)).toEqual([
      'listProviders',
      'createProvider',
      'getProvider',
      'updateProvider',
      'deleteProvider',
    ]);
    expect(doc.paths['/api/v1/providers'].post.requestBody.content['application/json'].examples.byoip.value).toEqual({
      code: 'aws',
      name: 'Amazon Web Services (BYOIP)',
      minPrefixLength: 8,
      maxPrefixLength: 24,
    });
    expect(doc.paths['/api/v1/providers/{id}'].patch.responses['412']).toBeDefined();
    expect(doc.components.schemas.CreateProviderDto.required).toEqual(['code', 'name']);
  });
});
