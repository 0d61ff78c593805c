import { bearer, startTestApp, TestApp } from '../support/test-app';

describe('regions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const count = async () => Number((await t.pool.query('SELECT count(*) FROM regions')).rows[0].count);
  const stored = async (id: string) => (await t.pool.query('SELECT * FROM regions WHERE id = $1', [id])).rows[0];
  const fields = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field);
  const messageFor = (body: { errors?: { field: string; message: string }[] }, field: string) =>
    body.errors?.find((e) => e.field === field)?.message;
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
      .post('/api/v1/regions')
      .set(bearer())
      .send({ code: `r-${++seq}`, name: `Region ${seq}`, countryCode: 'DE', ...body })
      .expect(201);
    return res.body as {
      id: string;
      code: string;
      countryCode: string;
      subdivisionCode: string | null;
      city: string | null;
      version: number;
    };
  };

  it('creates the documented example, reads with ETag, updates with If-Match, refuses stale writes, deletes, and audits each change', async () => {
    const created = await t.http
      .post('/api/v1/regions')
      .set(bearer())
      .send({
        code: 'eu-west-1',
        name: 'AWS Europe (Ireland)',
        countryCode: 'IE',
        subdivisionCode: 'IE-D',
        city: 'Dublin',
      })
      .expect(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      code: 'eu-west-1',
      name: 'AWS Europe (Ireland)',
      countryCode: 'IE',
      subdivisionCode: 'IE-D',
      city: 'Dublin',
      version: 1,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: expect.stringMatching(/Z$/),
    });
    expect(created.headers.etag).toBe('"1"');
    const id = created.body.id as string;

    const read = await t.http.get(`/api/v1/regions/${id}`).set(bearer()).expect(200);
    expect(read.headers.etag).toBe('"1"');
    expect(read.body).toEqual(created.body);

    const updated = await t.http
      .patch(`/api/v1/regions/${id}`)
      .set(bearer())
      .set('If-Match', '"1"')
      .send({ city: 'Dublin 2', name: 'Ireland' })
      .expect(200);
    expect(updated.body).toMatchObject({
      code: 'eu-west-1',
      countryCode: 'IE',
      subdivisionCode: 'IE-D',
      city: 'Dublin 2',
      name: 'Ireland',
      version: 2,
    });
    expect(updated.headers.etag).toBe('"2"');

    const stale = await t.http
      .patch(`/api/v1/regions/${id}`)
      .set(bearer())
      .set('If-Match', '"1"')
      .send({ city: 'Cork' })
      .expect(412);
    expect(stale.body.code).toBe('PRECONDITION_FAILED');
    expect(stale.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await stored(id)).city).toBe('Dublin 2');

    const staleDelete = await t.http.delete(`/api/v1/regions/${id}`).set(bearer()).set('If-Match', '"1"').expect(412);
    expect(staleDelete.body.code).toBe('PRECONDITION_FAILED');
    expect(await stored(id)).toBeDefined();

    await t.http.delete(`/api/v1/regions/${id}`).set(bearer()).set('If-Match', '"2"').expect(204);
    const gone = await t.http.get(`/api/v1/regions/${id}`).set(bearer()).expect(404);
    expect(gone.body.code).toBe('NOT_FOUND');
    await t.http.patch(`/api/v1/regions/${id}`).set(bearer()).send({ city: 'x' }).expect(404);
    await t.http.delete(`/api/v1/regions/${id}`).set(bearer()).expect(404);

    const audit = await t.pool.query(
      `SELECT action FROM audit_events WHERE entity_type = 'region' AND entity_id = $1 ORDER BY seq`,
      [id],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['create', 'update', 'delete']);
  });

  it('leaves subdivisionCode and city null when not given, and accepts a 100-character non-ASCII city', async () => {
    const bare = await create({ countryCode: 'SG' });
    expect(bare).toMatchObject({ countryCode: 'SG', subdivisionCode: null, city: null });
    const city = `São Paulo ${'é'.repeat(90)}`;
    expect(city.length).toBe(100);
    const br = await create({ countryCode: 'BR', subdivisionCode: 'BR-SP', city });
    expect(br.city).toBe(city);
    expect(await stored(br.id)).toMatchObject({ country_code: 'BR', subdivision_code: 'BR-SP', city });
  });

  it('refuses a duplicate code with ALREADY_EXISTS on create and on rename, writing nothing', async () => {
    await t.http
      .post('/api/v1/regions')
      .set(bearer())
      .send({ code: 'us-east-1', name: 'N. Virginia', countryCode: 'US', subdivisionCode: 'US-VA' })
      .expect(201);
    const before = await count();
    const dup = await t.http
      .post('/api/v1/regions')
      .set(bearer())
      .send({ code: 'us-east-1', name: 'Again', countryCode: 'US' })
      .expect(409);
    expect(dup.body).toMatchObject({ code: 'ALREADY_EXISTS', errors: [{ field: 'code' }] });
    expect(dup.body.detail).toContain('us-east-1');
    expect(await count()).toBe(before);

    const other = await create();
    const rename = await t.http
      .patch(`/api/v1/regions/${other.id}`)
      .set(bearer())
      .send({ code: 'us-east-1' })
      .expect(409);
    expect(rename.body).toMatchObject({ code: 'ALREADY_EXISTS', errors: [{ field: 'code' }] });
    expect(await stored(other.id)).toMatchObject({ code: other.code, version: 1 });
  });

  const valid = { code: 'v-1', name: 'Valid', countryCode: 'GB', subdivisionCode: 'GB-ENG', city: 'London' };
  it.each([
    ['missing everything', {}, 'code'],
    ['missing countryCode', { code: 'v-2', name: 'X' }, 'countryCode'],
    ['unknown field', { ...valid, postalCode: 'EC1' }, 'postalCode'],
    ['upper-case code', { ...valid, code: 'EU-WEST-1' }, 'code'],
    ['code with underscores', { ...valid, code: 'eu_west_1' }, 'code'],
    ['code starting with a dash', { ...valid, code: '-eu' }, 'code'],
    ['64-character code', { ...valid, code: 'r'.repeat(64) }, 'code'],
    ['blank name', { ...valid, name: ' ' }, 'name'],
    ['unassigned country XX', { ...valid, countryCode: 'XX', subdivisionCode: undefined }, 'countryCode'],
    ['lower-case country gb', { ...valid, countryCode: 'gb', subdivisionCode: undefined }, 'countryCode'],
    ['reserved country UK', { ...valid, countryCode: 'UK', subdivisionCode: undefined }, 'countryCode'],
    ['alpha-3 country GBR', { ...valid, countryCode: 'GBR', subdivisionCode: undefined }, 'countryCode'],
    ['numeric country', { ...valid, countryCode: 826, subdivisionCode: undefined }, 'countryCode'],
    ['null country', { ...valid, countryCode: null, subdivisionCode: undefined }, 'countryCode'],
    ['subdivision of another country', { ...valid, subdivisionCode: 'US-CA' }, 'subdivisionCode'],
    ['unknown subdivision', { ...valid, subdivisionCode: 'GB-XXX' }, 'subdivisionCode'],
    ['lower-case subdivision', { ...valid, subdivisionCode: 'gb-eng' }, 'subdivisionCode'],
    ['country code as subdivision', { ...valid, subdivisionCode: 'GB' }, 'subdivisionCode'],
    ['city with a comma', { ...valid, city: 'London, City of' }, 'city'],
    ['city with a newline', { ...valid, city: 'Lon\ndon' }, 'city'],
    ['city with a carriage return', { ...valid, city: 'Lon\rdon' }, 'city'],
    ['city over 100 characters', { ...valid, city: 'L'.repeat(101) }, 'city'],
    ['empty city', { ...valid, city: '' }, 'city'],
    ['blank city', { ...valid, city: '   ' }, 'city'],
    ['city not a string', { ...valid, city: 7 }, 'city'],
  ])('refuses %s with VALIDATION_FAILED on that field and writes nothing', async (_label, body, field) => {
    const before = await count();
    const res = await t.http.post('/api/v1/regions').set(bearer()).send(body).expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(fields(res.body)).toContain(field);
    expect(await count()).toBe(before);
  });

  it('explains a refused country or subdivision code', async () => {
    const post = (body: Record<string, unknown>) =>
      t.http
        .post('/api/v1/regions')
        .set(bearer())
        .send({ code: 'explain', name: 'X', ...body })
        .expect(400);
    expect(messageFor((await post({ countryCode: 'XX' })).body, 'countryCode')).toMatch(
      /ISO 3166-1 alpha-2.*"XX" is not one/,
    );
    expect(messageFor((await post({ countryCode: 'gb' })).body, 'countryCode')).toMatch(/did you mean GB\?/);
    expect(messageFor((await post({ countryCode: 'UK' })).body, 'countryCode')).toMatch(
      /"UK" \(United Kingdom\) is reserved, not assigned: use GB/,
    );
    const mismatch = await post({ countryCode: 'GB', subdivisionCode: 'US-CA' });
    expect(mismatch.body.errors).toEqual([
      { field: 'subdivisionCode', message: 'subdivisionCode US-CA is not in country GB' },
    ]);
    expect(messageFor((await post({ countryCode: 'GB', city: 'a,b' })).body, 'city')).toMatch(/commas/);
    expect((await t.pool.query(`SELECT count(*) FROM regions WHERE code = 'explain'`)).rows[0].count).toBe('0');
  });

  it('validates a PATCH against the stored values merged with the patch, changing nothing when refused', async () => {
    const r = await create({ countryCode: 'GB', subdivisionCode: 'GB-ENG', city: 'London' });

    const countryOnly = await t.http
      .patch(`/api/v1/regions/${r.id}`)
      .set(bearer())
      .send({ countryCode: 'US' })
      .expect(400);
    expect(countryOnly.body.errors).toEqual([
      { field: 'subdivisionCode', message: 'subdivisionCode GB-ENG is not in country US' },
    ]);
    const subdivisionOnly = await t.http
      .patch(`/api/v1/regions/${r.id}`)
      .set(bearer())
      .send({ subdivisionCode: 'US-CA' })
      .expect(400);
    expect(subdivisionOnly.body.errors).toEqual([
      { field: 'subdivisionCode', message: 'subdivisionCode US-CA is not in country GB' },
    ]);
    for (const [field, body] of [
      ['countryCode', { countryCode: null }],
      ['countryCode', { countryCode: 'UK' }],
      ['code', { code: null }],
      ['name', { name: null }],
      ['city', { city: 'Soho, London' }],
      ['subdivisionCode', { subdivisionCode: 'GB-NOPE' }],
    ] as const) {
      const res = await t.http.patch(`/api/v1/regions/${r.id}`).set(bearer()).send(body).expect(400);
      expect(fields(res.body)).toContain(field);
    }
    expect(await stored(r.id)).toMatchObject({
      country_code: 'GB',
      subdivision_code: 'GB-ENG',
      city: 'London',
      version: 1,
    });

    const moved = await t.http
      .patch(`/api/v1/regions/${r.id}`)
      .set(bearer())
      .send({ countryCode: 'US', subdivisionCode: 'US-CA', city: 'San Jose' })
      .expect(200);
    expect(moved.body).toMatchObject({ countryCode: 'US', subdivisionCode: 'US-CA', city: 'San Jose', version: 2 });
    const cleared = await t.http
      .patch(`/api/v1/regions/${r.id}`)
      .set(bearer())
      .send({ subdivisionCode: null, city: null })
      .expect(200);
    expect(cleared.body).toMatchObject({ countryCode: 'US', subdivisionCode: null, city: null, version: 3 });
    const otherCountry = await t.http
      .patch(`/api/v1/regions/${r.id}`)
      .set(bearer())
      .send({ countryCode: 'FR' })
      .expect(200);
    expect(otherCountry.body).toMatchObject({ countryCode: 'FR', subdivisionCode: null, version: 4 });
    const subdivisionOfStoredCountry = await t.http
      .patch(`/api/v1/regions/${r.id}`)
      .set(bearer())
      .send({ subdivisionCode: 'FR-IDF' })
      .expect(200);
    expect(subdivisionOfStoredCountry.body).toMatchObject({ countryCode: 'FR', subdivisionCode: 'FR-IDF', version: 5 });
  });

  it('filters the list by countryCode and code, and refuses malformed filters', async () => {
    const jp = await create({ countryCode: 'JP', subdivisionCode: 'JP-13', city: 'Tokyo' });
    const jp2 = await create({ countryCode: 'JP' });
    await create({ countryCode: 'KR' });
    const byCountry = await t.http.get('/api/v1/regions').query({ countryCode: 'JP' }).set(bearer()).expect(200);
    expect(byCountry.body.items.map((i: { id: string }) => i.id)).toEqual([jp.id, jp2.id]);
    expect(byCountry.body.nextCursor).toBeNull();
    const byCode = await t.http.get('/api/v1/regions').query({ code: jp2.code }).set(bearer()).expect(200);
    expect(byCode.body.items.map((i: { id: string }) => i.id)).toEqual([jp2.id]);
    const both = await t.http
      .get('/api/v1/regions')
      .query({ countryCode: 'KR', code: jp.code })
      .set(bearer())
      .expect(200);
    expect(both.body.items).toEqual([]);

    const paged = await t.http.get('/api/v1/regions').query({ countryCode: 'JP', limit: 1 }).set(bearer()).expect(200);
    expect(paged.body.items.map((i: { id: string }) => i.id)).toEqual([jp.id]);
    const next = await t.http
      .get('/api/v1/regions')
      .query({ countryCode: 'JP', limit: 1, cursor: paged.body.nextCursor })
      .set(bearer())
      .expect(200);
    expect(next.body.items.map((i: { id: string }) => i.id)).toEqual([jp2.id]);

    expect(
      fields((await t.http.get('/api/v1/regions').query({ countryCode: 'jp' }).set(bearer()).expect(400)).body),
    ).toEqual(['countryCode']);
    expect(
      fields((await t.http.get('/api/v1/regions').query({ code: 'Not A Code' }).set(bearer()).expect(400)).body),
    ).toEqual(['code']);
  });

  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    const bad = await t.http.get('/api/v1/regions/42').set(bearer()).expect(400);
    expect(fields(bad.body)).toEqual(['id']);
    const unknown = await t.http.get('/api/v1/regions/6f1c1f0e-8f5d-4c43-9a55-5b0f3c3f1a11').set(bearer()).expect(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
  });

  it('lets a viewer read but not write, and refuses callers without a key', async () => {
    const r = await create();
    const viewer = await t.keyFor('viewer');
    const list = await t.http.get('/api/v1/regions').set(bearer(viewer)).expect(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).toContain(r.id);
    await t.http.get(`/api/v1/regions/${r.id}`).set(bearer(viewer)).expect(200);

    const before = await count();
    const post = await t.http
      .post('/api/v1/regions')
      .set(bearer(viewer))
      .send({ code: 'viewer-made', name: 'X', countryCode: 'DE' })
      .expect(403);
    expect(post.body.code).toBe('FORBIDDEN');
    expect(await count()).toBe(before);
    expect(
      (await t.http.patch(`/api/v1/regions/${r.id}`).set(bearer(viewer)).send({ name: 'Y' }).expect(403)).body.code,
    ).toBe('FORBIDDEN');
    expect((await t.http.delete(`/api/v1/regions/${r.id}`).set(bearer(viewer)).expect(403)).body.code).toBe(
      'FORBIDDEN',
    );
    expect(await stored(r.id)).toMatchObject({ version: 1 });

    const finance = await t.keyFor('finance');
    expect(
      (
        await t.http
          .post('/api/v1/regions')
          .set(bearer(finance))
          .send({ code: 'finance-made', name: 'X', countryCode: 'DE' })
          .expect(403)
      ).body.code,
    ).toBe('FORBIDDEN');
    const engineer = await t.keyFor('engineer');
    await t.http
      .post('/api/v1/regions')
      .set(bearer(engineer))
      .send({ code: 'engineer-made', name: 'X', countryCode: 'DE' })
      .expect(201);

    const anonymous = await t.http.get('/api/v1/regions').expect(401);
    expect(anonymous.body.code).toBe('UNAUTHENTICATED');
    const anonymousPost = await t.http
      .post('/api/v1/regions')
      .send({ code: 'anon', name: 'X', countryCode: 'DE' })
      .expect(401);
    expect(anonymousPost.body.code).toBe('UNAUTHENTICATED');
    expect(await stored(r.id)).toBeDefined();
  });

  it('refuses to delete a region that allocations refer to with IN_USE listing them', async () => {
    const r = await create();
    const provider = await t.http
      .post('/api/v1/providers')
      .set(bearer())
      .send({ code: 'in-use-provider', name: 'In use' })
      .expect(201);
    const allocationId = await insertAllocation(r.id, provider.body.id, '185.10.30.0/24', '185.10.30.128/25');

    const res = await t.http.delete(`/api/v1/regions/${r.id}`).set(bearer()).expect(409);
    expect(res.body).toMatchObject({
      code: 'IN_USE',
      conflicts: [{ id: allocationId, prefix: '185.10.30.128/25', kind: 'allocation' }],
    });
    expect(await stored(r.id)).toMatchObject({ version: 1 });
  });

  it('documents the five operations and the eu-west-1 example in the OpenAPI document', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const ops = [
      doc.paths['/api/v1/regions'].get,
      doc.paths['/api/v1/regions'].post,
      doc.paths['/api/v1/regions/{id}'].get,
      doc.paths['/api/v1/regions/{id}'].patch,
      doc.paths['/api/v1/regions/{id}'].delete,
    ];
    expect(ops.map((o: { operationId: string }) => o.operationId)).toEqual([
      'listRegions',
      'createRegion',
      'getRegion',
      'updateRegion',
      'deleteRegion',
    ]);
    const example = doc.paths['/api/v1/regions'].post.requestBody.content['application/json'].examples.dublin.value;
    expect(example).toEqual({
      code: 'eu-west-1',
      name: 'AWS Europe (Ireland)',
      countryCode: 'IE',
      subdivisionCode: 'IE-D',
      city: 'Dublin',
    });
    const before = await count();
    await t.http
      .post('/api/v1/regions')
      .set(bearer())
      .send({ ...example, code: 'example-check' })
      .expect(201);
    expect(await count()).toBe(before + 1);
  });
});
