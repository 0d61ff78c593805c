import { bearer, startTestApp, TestApp } from '../support/test-app';

describe('lessors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const count = async () => Number((await t.pool.query('SELECT count(*) FROM lessors')).rows[0].count);

  it('creates, reads with ETag, updates with If-Match, refuses a stale update, deletes', async () => {
    const created = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .send({ name: 'Acme Holdings', rir: 'ARIN', orgHandle: 'ACME-1' })
      .expect(201);
    expect(created.body).toMatchObject({
      name: 'Acme Holdings',
      rir: 'ARIN',
      orgHandle: 'ACME-1',
      contactEmail: null,
      version: 1,
    });
    expect(created.headers.etag).toBe('"1"');
    const id = created.body.id as string;

    const read = await t.http.get(`/api/v1/lessors/${id}`).set(bearer()).expect(200);
    expect(read.headers.etag).toBe('"1"');

    const updated = await t.http
      .patch(`/api/v1/lessors/${id}`)
      .set(bearer())
      .set('If-Match', '"1"')
      .send({ contactEmail: 'noc@acme.example' })
      .expect(200);
    expect(updated.body).toMatchObject({ contactEmail: 'noc@acme.example', version: 2 });

    const stale = await t.http
      .patch(`/api/v1/lessors/${id}`)
      .set(bearer())
      .set('If-Match', '"1"')
      .send({ notes: 'x' })
      .expect(412);
    expect(stale.body.code).toBe('PRECONDITION_FAILED');
    expect(stale.headers['content-type']).toMatch(/application\/problem\+json/);

    await t.http.delete(`/api/v1/lessors/${id}`).set(bearer()).set('If-Match', '"2"').expect(204);
    const gone = await t.http.get(`/api/v1/lessors/${id}`).set(bearer()).expect(404);
    expect(gone.body.code).toBe('NOT_FOUND');
  });

  it('refuses a duplicate name case-insensitively with ALREADY_EXISTS and writes nothing', async () => {
    await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Dup Networks', rir: 'RIPE' }).expect(201);
    const before = await count();
    const dup = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .send({ name: 'dup networks', rir: 'RIPE' })
      .expect(409);
    expect(dup.body).toMatchObject({ code: 'ALREADY_EXISTS', errors: [{ field: 'name' }] });
    expect(await count()).toBe(before);
  });

  it.each([
    ['unknown field', { name: 'X', rir: 'RIPE', extra: 1 }, 'extra'],
    ['bad rir', { name: 'X', rir: 'IANA' }, 'rir'],
    ['blank name', { name: '   ', rir: 'RIPE' }, 'name'],
    ['name not a string', { name: 42, rir: 'RIPE' }, 'name'],
    ['bad email', { name: 'X', rir: 'RIPE', contactEmail: 'nope' }, 'contactEmail'],
    ['missing everything', {}, 'name'],
  ])('refuses %s with one error per field and writes nothing', async (_label, body, field) => {
    const before = await count();
    const res = await t.http.post('/api/v1/lessors').set(bearer()).send(body).expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await count()).toBe(before);
  });

  it('paginates in creation order with an opaque cursor', async () => {
    for (let i = 0; i < 5; i++)
      await t.http
        .post('/api/v1/lessors')
        .set(bearer())
        .send({ name: `Page ${i}`, rir: 'APNIC' })
        .expect(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { name: string }[]; nextCursor: string | null } } = await t.http
        .get('/api/v1/lessors')
        .query({ limit: 2, rir: 'APNIC', ...(cursor ? { cursor } : {}) })
        .set(bearer())
        .expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((l) => l.name));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['Page 0', 'Page 1', 'Page 2', 'Page 3', 'Page 4']);
    await t.http.get('/api/v1/lessors').query({ cursor: 'garbage!' }).set(bearer()).expect(400);
    await t.http.get('/api/v1/lessors').query({ limit: 501 }).set(bearer()).expect(400);
    await t.http.get('/api/v1/lessors').query({ limit: '0' }).set(bearer()).expect(400);
  });
});
