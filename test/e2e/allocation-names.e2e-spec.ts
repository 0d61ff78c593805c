import { createLease, seedWorld, World } from '../support/fixtures';
import { bearer, startTestApp, TestApp } from '../support/test-app';

describe('allocation names and origin ASNs', () => {
  let t: TestApp;
  let w: World;
  let leaseId: string;
  const allocate = (body: Record<string, unknown>, query = '') =>
    t.http
      .post(`/api/v1/allocations${query}`)
      .set(bearer())
      .send({ regionId: w.regionId, providerId: w.providerId, leaseId, ...body });

  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t);
    leaseId = await createLease(t, w, '91.201.0.0/20');
  });
  afterAll(() => t.close());

  it('a name is unique among active allocations, found by ?name=, and free again once released', async () => {
    const first = await allocate({ prefixLength: 28, name: 'web-prod-1', originAsn: 16509 }).expect(201);
    expect(first.body).toMatchObject({ name: 'web-prod-1', originAsn: 16509 });

    const taken = await allocate({ prefixLength: 28, name: 'web-prod-1' }).expect(409);
    expect(taken.body).toMatchObject({ code: 'ALREADY_EXISTS', errors: [{ field: 'name' }] });
    const dryRun = await allocate({ prefixLength: 28, name: 'web-prod-1' }, '?dryRun=true').expect(409);
    expect(dryRun.body.code).toBe('ALREADY_EXISTS');

    const found = await t.http.get('/api/v1/allocations?name=web-prod-1').set(bearer()).expect(200);
    expect(found.body.items.map((a: { id: string }) => a.id)).toEqual([first.body.id]);
    const none = await t.http.get('/api/v1/allocations?name=web-prod-2').set(bearer()).expect(200);
    expect(none.body.items).toEqual([]);

    await t.http.delete(`/api/v1/allocations/${first.body.id}`).set(bearer()).expect(204);
    const again = await allocate({ prefixLength: 28, name: 'web-prod-1' }).expect(201);
    const released = await t.http.get('/api/v1/allocations?name=web-prod-1&status=released').set(bearer()).expect(200);
    expect(released.body.items.map((a: { id: string }) => a.id)).toEqual([first.body.id]);
    const active = await t.http.get('/api/v1/allocations?name=web-prod-1').set(bearer()).expect(200);
    expect(active.body.items.map((a: { id: string }) => a.id)).toEqual([again.body.id]);
  });

  it('two creates racing for one name: exactly one wins, the other is 409', async () => {
    const results = await Promise.all(
      [0, 1, 2, 3].map(() => allocate({ prefixLength: 29, name: 'racer' }).then((r) => r.status)),
    );
    expect(results.filter((s) => s === 201)).toHaveLength(1);
    expect(results.filter((s) => s === 409)).toHaveLength(3);
    const count = await t.pool.query(`SELECT count(*)::int AS n FROM allocations WHERE name = 'racer'`);
    expect(count.rows[0].n).toBe(1);
  });

  it('PATCH renames, clears with null, and refuses a taken name', async () => {
    const a = await allocate({ prefixLength: 29, name: 'patch-a' }).expect(201);
    await allocate({ prefixLength: 29, name: 'patch-b' }).expect(201);
    const clash = await t.http
      .patch(`/api/v1/allocations/${a.body.id}`)
      .set(bearer())
      .send({ name: 'patch-b' })
      .expect(409);
    expect(clash.body).toMatchObject({ code: 'ALREADY_EXISTS', errors: [{ field: 'name' }] });
    const renamed = await t.http
      .patch(`/api/v1/allocations/${a.body.id}`)
      .set(bearer())
      .send({ name: 'patch-c', originAsn: 8075 })
      .expect(200);
    expect(renamed.body).toMatchObject({ name: 'patch-c', originAsn: 8075, version: 2 });
    const cleared = await t.http
      .patch(`/api/v1/allocations/${a.body.id}`)
      .set(bearer())
      .send({ name: null, originAsn: null })
      .expect(200);
    expect(cleared.body).toMatchObject({ name: null, originAsn: null });
  });

  it.each([
    ['empty', ''],
    ['129 characters', 'x'.repeat(129)],
    ['a control character', 'bad\u0007name'],
    ['a newline', 'two\nlines'],
    ['leading whitespace', ' padded'],
    ['not a string', 42],
  ])('refuses a name that is %s, naming the field, writing nothing', async (_label, name) => {
    const before = await t.pool.query(`SELECT count(*)::int AS n FROM allocations`);
    const res = await allocate({ prefixLength: 29, name }).expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'name' }] });
    const after = await t.pool.query(`SELECT count(*)::int AS n FROM allocations`);
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('accepts 128 characters of non-ASCII printable text', async () => {
    const name = 'é'.repeat(127) + '🌍';
    const res = await allocate({ prefixLength: 29, name }).expect(201);
    expect(res.body.name).toBe(name);
  });

  it.each([
    [0, 'AS0'],
    [23456, 'AS_TRANS'],
    [64496, 'documentation'],
    [64511, 'documentation'],
    [65535, 'reserved'],
    [65536, 'documentation'],
    [65551, 'documentation'],
    [4294967295, 'reserved'],
    [4294967296, 'from 1 to'],
    ['16509', 'integer'],
    [1.5, 'integer'],
  ])('refuses origin AS %p on allocations and leases (%s)', async (originAsn, words) => {
    const res = await allocate({ prefixLength: 29, originAsn }).expect(400);
    expect(res.body.errors).toEqual([{ field: 'originAsn', message: expect.stringContaining(words) }]);
    const lease = await t.http
      .post('/api/v1/leases')
      .set(bearer())
      .send({
        prefix: '91.202.0.0/24',
        lessorId: w.lessorId,
        startDate: '2025-01-01',
        pricePerIpMonthly: '0.5',
        currency: 'USD',
        originAsn,
      })
      .expect(400);
    expect(lease.body.errors).toEqual([{ field: 'originAsn', message: expect.stringContaining(words) }]);
  });

  it('accepts the edges next to reserved ranges', async () => {
    for (const originAsn of [1, 23455, 64495, 64512, 65534, 65552, 4294967294]) {
      await allocate({ prefixLength: 29, originAsn }).expect(201);
    }
  });

  it('providers carry requiredOriginAsns, validated element by element', async () => {
    const created = await t.http
      .post('/api/v1/providers')
      .set(bearer())
      .send({ code: `aws-byoip-${process.pid}`, name: 'AWS', maxPrefixLength: 24, requiredOriginAsns: [16509, 14618] })
      .expect(201);
    expect(created.body.requiredOriginAsns).toEqual([16509, 14618]);
    const bad = await t.http
      .patch(`/api/v1/providers/${created.body.id}`)
      .set(bearer())
      .send({ requiredOriginAsns: [8075, 64500] })
      .expect(400);
    expect(bad.body.errors).toEqual([{ field: 'requiredOriginAsns', message: expect.stringContaining('item 1') }]);
    const patched = await t.http
      .patch(`/api/v1/providers/${created.body.id}`)
      .set(bearer())
      .send({ requiredOriginAsns: [8075] })
      .expect(200);
    expect(patched.body.requiredOriginAsns).toEqual([8075]);
    const plain = await t.http.get(`/api/v1/providers/${w.providerId}`).set(bearer()).expect(200);
    expect(plain.body.requiredOriginAsns).toEqual([]);
  });
});
