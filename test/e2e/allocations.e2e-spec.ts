import { Client } from 'pg';
import { cidrFromString, contains, overlaps } from '../../src/ip';
import { createLease, seedWorld, World } from '../support/fixtures';
import { bearer, startTestApp, TestApp } from '../support/test-app';

describe('allocations', () => {
  let t: TestApp;
  let w: World;
  const allocate = (body: Record<string, unknown>, query = '') =>
    t.http
      .post(`/api/v1/allocations${query}`)
      .set(bearer())
      .send({ regionId: w.regionId, providerId: w.providerId, ...body });
  const rowCount = async (table: string) => Number((await t.pool.query(`SELECT count(*) FROM ${table}`)).rows[0].count);

  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t);
  });
  afterAll(() => t.close());

  it('the NetBox classic: four /30s fill a /28 in order, the fifth is NO_CAPACITY, "30" as a string is 400', async () => {
    const leaseId = await createLease(t, w, '91.200.12.0/28');
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await allocate({ leaseId, prefixLength: 30 }).expect(201);
      expect(res.body).toMatchObject({
        leaseId,
        status: 'active',
        requestedPrefixLength: 30,
        strategy: 'best-fit',
        addressCount: 4,
        version: 1,
      });
      got.push(res.body.prefix);
    }
    expect(got).toEqual(['91.200.12.0/30', '91.200.12.4/30', '91.200.12.8/30', '91.200.12.12/30']);
    const fifth = await allocate({ leaseId, prefixLength: 30 }).expect(409);
    expect(fifth.body.code).toBe('NO_CAPACITY');
    const asString = await allocate({ leaseId, prefixLength: '30' }).expect(400);
    expect(asString.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'prefixLength' }] });
    const lease = await t.http.get(`/api/v1/leases/${leaseId}`).set(bearer()).expect(200);
    expect(lease.body.allocatedAddressCount).toBe(16);
  });

  it('best-fit takes the smallest hole that fits; first-fit the lowest one', async () => {
    const leaseId = await createLease(t, w, '91.200.13.0/24');
    // Fragment: take /26 .0 and /27 .64, release .0/26 -> free: .0/26, .96/27, .128/25
    const a = await allocate({ leaseId, prefix: '91.200.13.0/26' }).expect(201);
    await allocate({ leaseId, prefix: '91.200.13.64/27' }).expect(201);
    await t.http.delete(`/api/v1/allocations/${a.body.id}`).set(bearer()).expect(204);
    const best = await allocate({ leaseId, prefixLength: 27 }).expect(201);
    expect(best.body.prefix).toBe('91.200.13.96/27');
    const first = await allocate({ leaseId, prefixLength: 27, strategy: 'first-fit' }).expect(201);
    expect(first.body).toMatchObject({ prefix: '91.200.13.0/27', strategy: 'first-fit' });
    const free = await t.http.get(`/api/v1/leases/${leaseId}/free`).set(bearer()).expect(200);
    expect(free.body).toEqual({
      items: [
        { prefix: '91.200.13.32/27', addressCount: 32 },
        { prefix: '91.200.13.128/25', addressCount: 128 },
      ],
      total: 2,
      freeAddresses: 160,
    });
    const free28 = await t.http
      .get(`/api/v1/leases/${leaseId}/free`)
      .query({ prefixLength: 28, limit: 3 })
      .set(bearer())
      .expect(200);
    expect(free28.body.total).toBe(10);
    expect(free28.body.items.map((i: { prefix: string }) => i.prefix)).toEqual([
      '91.200.13.32/28',
      '91.200.13.48/28',
      '91.200.13.128/28',
    ]);
  });

  it('refuses an explicit overlap with PREFIX_OVERLAP listing the conflict, and writes nothing', async () => {
    const leaseId = await createLease(t, w, '91.200.14.0/24');
    const held = await allocate({ prefix: '91.200.14.0/25' }).expect(201);
    expect(held.body.leaseId).toBe(leaseId);
    const [allocations, audits] = [await rowCount('allocations'), await rowCount('audit_events')];
    const res = await allocate({ prefix: '91.200.14.64/26' }).expect(409);
    expect(res.body).toMatchObject({
      code: 'PREFIX_OVERLAP',
      conflicts: [{ id: held.body.id, prefix: '91.200.14.0/25', kind: 'allocation' }],
    });
    const bigger = await allocate({ prefix: '91.200.14.0/24' }).expect(409);
    expect(bigger.body.code).toBe('PREFIX_OVERLAP');
    expect([await rowCount('allocations'), await rowCount('audit_events')]).toEqual([allocations, audits]);
  });

  it.each([
    ['outside every lease', { prefix: '91.201.0.0/24' }, 409, 'NOT_IN_ACTIVE_LEASE'],
    ['both prefix and prefixLength', { prefix: '91.200.15.0/26', prefixLength: 26 }, 400, 'VALIDATION_FAILED'],
    ['neither', {}, 400, 'VALIDATION_FAILED'],
    ['host bits', { prefix: '91.200.15.1/26' }, 400, 'VALIDATION_FAILED'],
    ['prefixLength 33', { prefixLength: 33 }, 400, 'VALIDATION_FAILED'],
    ['unknown strategy', { prefixLength: 26, strategy: 'worst-fit' }, 400, 'VALIDATION_FAILED'],
    [
      'unknown region',
      { prefixLength: 26, regionId: '0b0e0e0e-0000-4000-8000-000000000000' },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'unknown provider',
      { prefixLength: 26, providerId: '0b0e0e0e-0000-4000-8000-000000000000' },
      400,
      'VALIDATION_FAILED',
    ],
    ['unknown lease', { prefixLength: 26, leaseId: '0b0e0e0e-0000-4000-8000-000000000000' }, 400, 'VALIDATION_FAILED'],
    ['unknown field', { prefixLength: 26, size: 1 }, 400, 'VALIDATION_FAILED'],
  ])('refuses %s precisely and writes nothing', async (_label, body, status, code) => {
    await createLease(t, w, '91.200.15.0/24').catch(() => undefined);
    const before = await rowCount('allocations');
    const res = await allocate(body).expect(status);
    expect(res.body.code).toBe(code);
    expect(await rowCount('allocations')).toBe(before);
  });

  it('applies provider prefix-length rules', async () => {
    const byoip = await t.http
      .post('/api/v1/providers')
      .set(bearer())
      .send({ code: 'gcp-byoip', name: 'GCP BYOIP', maxPrefixLength: 24 })
      .expect(201);
    const leaseId = await createLease(t, w, '91.200.16.0/23');
    const res = await allocate({ leaseId, prefixLength: 25, providerId: byoip.body.id }).expect(400);
    expect(res.body.code).toBe('PROVIDER_RULE_VIOLATION');
    expect(res.body.detail).toContain('/25');
    await allocate({ leaseId, prefixLength: 24, providerId: byoip.body.id }).expect(201);
    const small = await allocate({ leaseId, prefixLength: 28 }).expect(201);
    const move = await t.http
      .patch(`/api/v1/allocations/${small.body.id}`)
      .set(bearer())
      .send({ providerId: byoip.body.id })
      .expect(400);
    expect(move.body.code).toBe('PROVIDER_RULE_VIOLATION');
  });

  it('dry run answers 200 with what would be allocated and writes nothing', async () => {
    const leaseId = await createLease(t, w, '91.200.18.0/24');
    const [allocations, audits, free] = [
      await rowCount('allocations'),
      await rowCount('audit_events'),
      await rowCount('free_blocks'),
    ];
    const res = await allocate({ leaseId, prefixLength: 26 }, '?dryRun=true').expect(200);
    expect(res.body).toEqual({
      dryRun: true,
      leaseId,
      prefix: '91.200.18.0/26',
      regionId: w.regionId,
      providerId: w.providerId,
      requestedPrefixLength: 26,
      strategy: 'best-fit',
      addressCount: 64,
      effectiveDate: new Date().toISOString().slice(0, 10),
    });
    expect([await rowCount('allocations'), await rowCount('audit_events'), await rowCount('free_blocks')]).toEqual([
      allocations,
      audits,
      free,
    ]);
    await allocate({ leaseId, prefixLength: 26 }, '?dryRun=maybe').expect(400);
    const real = await allocate({ leaseId, prefixLength: 26 }).expect(201);
    expect(real.body.prefix).toBe('91.200.18.0/26');
  });

  it('updates with If-Match, releases at once, then answers 404 and the space is free again', async () => {
    const leaseId = await createLease(t, w, '91.200.19.0/24');
    const a = await allocate({ leaseId, prefixLength: 25, tags: ['x'] }).expect(201);
    expect(a.headers.etag).toBe('"1"');
    await t.http
      .patch(`/api/v1/allocations/${a.body.id}`)
      .set(bearer())
      .set('If-Match', '"9"')
      .send({ description: 'no' })
      .expect(412);
    const patched = await t.http
      .patch(`/api/v1/allocations/${a.body.id}`)
      .set(bearer())
      .set('If-Match', '"1"')
      .send({ description: 'edge', tags: ['y'] })
      .expect(200);
    expect(patched.body).toMatchObject({ description: 'edge', tags: ['y'], version: 2, prefix: '91.200.19.0/25' });
    await t.http
      .patch(`/api/v1/allocations/${a.body.id}`)
      .set(bearer())
      .send({ prefix: '91.200.19.128/25' })
      .expect(400);

    const lookup = await t.http.get('/api/v1/lookup').query({ ip: '91.200.19.5' }).set(bearer()).expect(200);
    expect(lookup.body).toMatchObject({
      allocation: { id: a.body.id, prefix: '91.200.19.0/25' },
      region: { id: w.regionId },
      provider: { id: w.providerId },
    });

    await t.http.delete(`/api/v1/allocations/${a.body.id}`).set(bearer()).set('If-Match', '"2"').expect(204);
    await t.http.get(`/api/v1/allocations/${a.body.id}`).set(bearer()).expect(404);
    await t.http.delete(`/api/v1/allocations/${a.body.id}`).set(bearer()).expect(404);
    const released = await t.http
      .get('/api/v1/allocations')
      .query({ leaseId, status: 'released' })
      .set(bearer())
      .expect(200);
    expect(released.body.items[0]).toMatchObject({ id: a.body.id, status: 'released' });
    expect(released.body.items[0].releasedAt).not.toBeNull();
    const free = await t.http.get(`/api/v1/leases/${leaseId}/free`).set(bearer()).expect(200);
    expect(free.body.items).toEqual([{ prefix: '91.200.19.0/24', addressCount: 256 }]);
  });

  it('keeps a lease from being terminated, deleted or re-prefixed under its allocations', async () => {
    const leaseId = await createLease(t, w, '91.200.20.0/24');
    const a = await allocate({ leaseId, prefixLength: 26 }).expect(201);
    const terminate = await t.http
      .post(`/api/v1/leases/${leaseId}/terminate`)
      .set(bearer())
      .send({ effectiveDate: '2030-01-01' })
      .expect(409);
    expect(terminate.body).toMatchObject({
      code: 'IN_USE',
      conflicts: [{ id: a.body.id, prefix: a.body.prefix, kind: 'allocation' }],
    });
    const reprefix = await t.http
      .patch(`/api/v1/leases/${leaseId}`)
      .set(bearer())
      .send({ prefix: '91.200.21.0/24' })
      .expect(409);
    expect(reprefix.body.code).toBe('IN_USE');
    await t.http.delete(`/api/v1/allocations/${a.body.id}`).set(bearer()).expect(204);
    const del = await t.http.delete(`/api/v1/leases/${leaseId}`).set(bearer()).expect(409);
    expect(del.body.code).toBe('IN_USE');
    await t.http
      .post(`/api/v1/leases/${leaseId}/terminate`)
      .set(bearer())
      .send({ effectiveDate: '2030-01-01' })
      .expect(200);
  });

  it('refuses allocations from a lease that is not active today', async () => {
    const pending = await createLease(t, w, '91.200.22.0/24', { startDate: '2099-01-01' });
    const res = await allocate({ leaseId: pending, prefixLength: 26 }).expect(409);
    expect(res.body.code).toBe('NOT_IN_ACTIVE_LEASE');
    await allocate({ prefix: '91.200.22.0/26' }).expect(409);
  });

  it('72 concurrent next-free /28 requests into a /22: exactly 64 distinct allocations and 8 NO_CAPACITY', async () => {
    const leaseId = await createLease(t, w, '91.202.0.0/22');
    const results = await Promise.all(Array.from({ length: 72 }, () => allocate({ leaseId, prefixLength: 28 })));
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(created).toHaveLength(64);
    expect(refused).toHaveLength(8);
    expect(refused.every((r) => r.body.code === 'NO_CAPACITY')).toBe(true);
    const prefixes = created.map((r) => r.body.prefix as string);
    expect(new Set(prefixes).size).toBe(64);
    const lease = cidrFromString('91.202.0.0/22');
    const blocks = prefixes.map(cidrFromString);
    expect(blocks.every((b) => contains(lease, b))).toBe(true);
    for (let i = 0; i < blocks.length; i++)
      for (let j = i + 1; j < blocks.length; j++) expect(overlaps(blocks[i], blocks[j])).toBe(false);
    expect(
      Number(
        (await t.pool.query(`SELECT count(*) FROM allocations WHERE lease_id = $1 AND status = 'active'`, [leaseId]))
          .rows[0].count,
      ),
    ).toBe(64);
    expect(
      Number((await t.pool.query(`SELECT count(*) FROM free_blocks WHERE lease_id = $1`, [leaseId])).rows[0].count),
    ).toBe(0);
  });

  it('16 concurrent explicit claims of one prefix: exactly one succeeds', async () => {
    await createLease(t, w, '91.203.0.0/24');
    const results = await Promise.all(Array.from({ length: 16 }, () => allocate({ prefix: '91.203.0.64/26' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const refused = results.filter((r) => r.status === 409);
    expect(refused).toHaveLength(15);
    expect(refused.every((r) => r.body.code === 'PREFIX_OVERLAP')).toBe(true);
  });

  it('without leaseId, best fit chooses among all active leases', async () => {
    // A fresh app database would be cleaner, but the rule is checkable here: the smallest free block
    // anywhere that fits wins, so a /32 request lands in the tightest hole.
    const leaseId = await createLease(t, w, '91.204.0.0/30');
    await allocate({ leaseId, prefix: '91.204.0.0/31' }).expect(201);
    await allocate({ leaseId, prefix: '91.204.0.3/32' }).expect(201);
    const res = await allocate({ prefixLength: 32 }).expect(201);
    expect(res.body).toMatchObject({ leaseId, prefix: '91.204.0.2/32' });
  });

  it('a refused create leaves the free list as it was, also with no transaction around it (no Idempotency-Key)', async () => {
    const leaseId = await createLease(t, w, '91.207.0.0/24');
    const freeList = async () =>
      (
        await t.pool.query(`SELECT prefix::text FROM free_blocks WHERE lease_id = $1 ORDER BY prefix`, [leaseId])
      ).rows.map((r) => r.prefix as string);
    const before = await freeList();
    // Placed first (the /24 split down to a /28), then refused: the effective date precedes the lease.
    const refused = await allocate({ leaseId, prefixLength: 28, effectiveDate: '2024-06-01' }).expect(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'effectiveDate' })]);
    await allocate({ leaseId, prefix: '91.207.0.64/26', effectiveDate: '2024-06-01' }).expect(400);
    expect(await freeList()).toEqual(before);
    const kept = await t.pool.query(`SELECT count(*)::int AS n FROM allocations WHERE lease_id = $1`, [leaseId]);
    expect(kept.rows[0].n).toBe(0);
  });

  it('a create is one statement: allocation_create writes row, audit and event; without an Idempotency-Key no BEGIN or COMMIT either (issue 15)', async () => {
    const leaseId = await createLease(t, w, '91.206.0.0/24');
    // Every statement the service sends while a request runs, in order, whatever the connection.
    let sent: string[] = [];
    const query = Client.prototype.query;
    const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string };
      const text = typeof first === 'string' ? first : (first?.text ?? '');
      sent.push(text.replace(/\s+/g, ' ').trim());
      return (query as (...a: unknown[]) => unknown).apply(this, args) as never;
    });
    const create = 'SELECT c.outcome, c.lease_prefix, c.placed, c.lease_start, c.lease_active, c.listed,';
    const shape = (statements: string[]) => statements.map((s) => s.split(' FROM ')[0].split(' (')[0]);
    try {
      await allocate({ leaseId, prefixLength: 28 }).expect(201);
      const keyless = shape(sent);
      sent = [];
      await allocate({ leaseId, prefix: '91.206.0.128/26' }).set('Idempotency-Key', 'one-statement-1').expect(201);
      const keyed = shape(sent);

      expect(keyless.filter((s) => s === create)).toHaveLength(1);
      expect(keyless).not.toContain('START TRANSACTION');
      expect(keyless).not.toContain('COMMIT');
      // With a key, its claim commits with the change: one transaction of claim, create, COMMIT.
      const begin = keyed.indexOf('START TRANSACTION');
      expect(keyed.slice(begin, keyed.indexOf('COMMIT', begin) + 1)).toEqual([
        'START TRANSACTION',
        'INSERT INTO idempotency_keys AS k',
        create,
        'COMMIT',
      ]);
    } finally {
      spy.mockRestore();
    }
    const rows = await t.pool.query(
      `SELECT (SELECT count(*)::int FROM allocations WHERE lease_id = $1) AS allocations,
              (SELECT count(*)::int FROM audit_events a JOIN allocations x ON x.id = a.entity_id WHERE x.lease_id = $1) AS audit,
              (SELECT count(*)::int FROM events e JOIN allocations x ON x.id = e.entity_id WHERE x.lease_id = $1) AS events`,
      [leaseId],
    );
    expect(rows.rows[0]).toEqual({ allocations: 2, audit: 2, events: 2 });
  });
});

describe('allocations with a release hold', () => {
  let t: TestApp;
  let w: World;
  beforeAll(async () => {
    t = await startTestApp({ releaseHoldDays: 30 });
    w = await seedWorld(t);
  });
  afterAll(() => t.close());

  it('keeps released space out of reach until the hold ends', async () => {
    const leaseId = await createLease(t, w, '91.205.0.0/24');
    const a = await t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ leaseId, prefixLength: 24, regionId: w.regionId, providerId: w.providerId })
      .expect(201);
    await t.http.delete(`/api/v1/allocations/${a.body.id}`).set(bearer()).expect(204);
    await t.http.get(`/api/v1/allocations/${a.body.id}`).set(bearer()).expect(404);
    const again = await t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ prefix: '91.205.0.0/25', regionId: w.regionId, providerId: w.providerId })
      .expect(409);
    expect(again.body).toMatchObject({
      code: 'PREFIX_OVERLAP',
      conflicts: [{ id: a.body.id, kind: 'held-allocation' }],
    });
    // Time passes: the hold ends, and the space comes back.
    await t.pool.query(`UPDATE allocations SET hold_until = now() - interval '1 second' WHERE id = $1`, [a.body.id]);
    const free = await t.http.get(`/api/v1/leases/${leaseId}/free`).set(bearer()).expect(200);
    expect(free.body.items).toEqual([{ prefix: '91.205.0.0/24', addressCount: 256 }]);
    await t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ prefix: '91.205.0.0/25', regionId: w.regionId, providerId: w.providerId })
      .expect(201);
  });
});
