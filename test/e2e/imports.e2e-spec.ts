import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLease, seedWorld, World } from '../support/fixtures';
import { bearer, startTestApp, TestApp } from '../support/test-app';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'imports', name));

describe('bulk import and export', () => {
  let t: TestApp;
  let w: World;
  let regionCode: string;
  let providerCode: string;
  const count = async (sql: string) => Number((await t.pool.query(sql)).rows[0].n);
  const snapshot = async () => ({
    leases: await count(`SELECT count(*) AS n FROM leases`),
    lessors: await count(`SELECT count(*) AS n FROM lessors`),
    allocations: await count(`SELECT count(*) AS n FROM allocations`),
    audit: await count(`SELECT count(*) AS n FROM audit_events`),
    freeBlocks: await count(`SELECT count(*) AS n FROM free_blocks`),
  });
  const importCsv = (kind: string, body: string | Buffer, query = '') =>
    t.http.post(`/api/v1/imports/${kind}${query}`).set(bearer()).set('Content-Type', 'text/csv').send(body);
  const importJson = (kind: string, body: unknown, query = '') =>
    t.http
      .post(`/api/v1/imports/${kind}${query}`)
      .set(bearer())
      .send(body as object);

  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t, { maxPrefixLength: 30 });
    regionCode = (await t.http.get(`/api/v1/regions/${w.regionId}`).set(bearer())).body.code;
    providerCode = (await t.http.get(`/api/v1/providers/${w.providerId}`).set(bearer())).body.code;
  });
  afterAll(() => t.close());

  it('imports a lease CSV with a BOM, CRLF, quoted commas and doubled quotes; lessors are created by name', async () => {
    const before = await snapshot();
    const dry = await importCsv('leases', fixture('leases.csv'), '?dryRun=true').expect(200);
    expect(dry.body).toEqual({ kind: 'leases', dryRun: true, rows: 3, created: 3, lessorsCreated: 2 });
    expect(await snapshot()).toEqual(before);

    const res = await importCsv('leases', fixture('leases.csv')).expect(201);
    expect(res.body).toEqual({ kind: 'leases', dryRun: false, rows: 3, created: 3, lessorsCreated: 2 });
    const after = await snapshot();
    expect(after.leases - before.leases).toBe(3);
    expect(after.lessors - before.lessors).toBe(2);
    expect(after.audit - before.audit).toBe(5);

    const acme = await t.http.get('/api/v1/leases?contains=185.230.0.1').set(bearer()).expect(200);
    expect(acme.body.items[0]).toMatchObject({
      prefix: '185.230.0.0/22',
      autoRenew: true,
      endDate: '2026-12-31',
      originAsn: 16509,
      tags: ['prod', 'eu'],
      contractRef: 'IPXO-2025-0042',
      pricePerIpMonthly: '0.4500',
    });
    const second = await t.http.get('/api/v1/leases?contains=185.230.4.0/24').set(bearer()).expect(200);
    expect(second.body.items[0]).toMatchObject({
      contractRef: 'contract "B"',
      renewalTermMonths: 12,
      noticePeriodDays: 30,
      currency: 'EUR',
      lessorId: acme.body.items[0].lessorId,
    });
    const lessor = await t.http.get(`/api/v1/lessors/${acme.body.items[0].lessorId}`).set(bearer()).expect(200);
    expect(lessor.body).toMatchObject({ name: 'Acme Holdings, Ltd', rir: 'RIPE' });
  });

  it('reports an error for every bad row (row, field, message) and writes nothing', async () => {
    const before = await snapshot();
    const res = await importCsv('leases', fixture('leases-bad.csv')).expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    const byRow = (row: number) => res.body.errors.filter((e: { row: number }) => e.row === row);
    expect(byRow(1)).toEqual([]);
    expect(byRow(2)).toEqual([{ row: 2, field: 'prefix', message: expect.stringContaining('185.231.0.0/24') }]);
    expect(byRow(3)).toEqual([{ row: 3, field: 'prefix', message: expect.stringContaining('RFC 1918') }]);
    expect(
      byRow(4)
        .map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['currency', 'originAsn', 'startDate']);
    expect(byRow(5)).toEqual([{ row: 5, field: 'prefix', message: expect.stringContaining('duplicates row 1') }]);
    expect(
      byRow(6)
        .map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['autoRenew', 'pricePerIpMonthly', 'tags']);
    expect(byRow(7)).toEqual([{ row: 7, field: 'row', message: 'has 4 fields; the header has 13' }]);
    expect(byRow(8)).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses unknown columns unless told to ignore them, and names missing required ones', async () => {
    const csv =
      'prefix,lessor,rir,startDate,pricePerIpMonthly,currency,vrf\r\n185.232.0.0/24,Delta,RIPE,2025-01-01,0.4,USD,x\r\n';
    const res = await importCsv('leases', csv).expect(400);
    expect(res.body.errors).toEqual([{ field: 'vrf', message: expect.stringContaining('ignoreUnknownColumns') }]);
    await importCsv('leases', csv, '?ignoreUnknownColumns=true&dryRun=true').expect(200);
    const missing = await importCsv('leases', 'prefix,lessor\r\n185.232.0.0/24,Delta\r\n').expect(400);
    expect(missing.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'startDate',
      'pricePerIpMonthly',
      'currency',
    ]);
  });

  it('a row overlapping a stored lease in a shared term is refused; a renewal the day after is fine', async () => {
    await createLease(t, w, '185.233.0.0/24', { startDate: '2025-01-01', endDate: '2025-12-31' });
    const header = 'prefix,lessor,rir,startDate,endDate,pricePerIpMonthly,currency\r\n';
    const clash = await importCsv('leases', `${header}185.233.0.0/25,Echo,RIPE,2025-06-01,,0.4,USD\r\n`).expect(400);
    expect(clash.body.errors).toEqual([
      { row: 1, field: 'prefix', message: expect.stringContaining('overlaps lease') },
    ]);
    await importCsv('leases', `${header}185.233.0.0/24,Echo,RIPE,2026-01-01,,0.4,USD\r\n`).expect(201);
  });

  it('allocations: CSV with a multi-line quoted description, placed through the free-block index', async () => {
    const leaseId = (await t.http.get('/api/v1/leases?contains=185.230.0.0/22').set(bearer())).body.items[0].id;
    const csv = fixture('allocations.csv')
      .toString()
      .replace(/REGION/g, regionCode)
      .replace(/PROVIDER/g, providerCode);
    const before = await snapshot();
    const res = await importCsv('allocations', csv).expect(201);
    expect(res.body).toEqual({ kind: 'allocations', dryRun: false, rows: 3, created: 3 });
    const after = await snapshot();
    expect(after.allocations - before.allocations).toBe(3);
    expect(after.audit - before.audit).toBe(3);
    const list = await t.http.get(`/api/v1/allocations?leaseId=${leaseId}`).set(bearer()).expect(200);
    expect(list.body.items.map((a: { prefix: string; name: string | null }) => [a.prefix, a.name])).toEqual([
      ['185.230.0.0/24', 'edge-nat'],
      ['185.230.1.0/25', null],
      ['185.230.1.128/25', 'quoted "name"'],
    ]);
    expect(list.body.items[0]).toMatchObject({
      description: 'NAT gateways, prod\nsecond line',
      tags: ['prod', 'nat'],
      originAsn: 16509,
    });
    // The free-block index agrees with what was claimed: the rest of the /22 is free.
    const free = await t.http.get(`/api/v1/leases/${leaseId}/free`).set(bearer()).expect(200);
    expect(free.body.items.map((b: { prefix: string }) => b.prefix)).toEqual(['185.230.2.0/23']);
  });

  it('allocations: every rule is checked per row, all or nothing', async () => {
    const leaseId = await createLease(t, w, '185.234.0.0/24');
    await t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ prefix: '185.234.0.0/28', regionId: w.regionId, providerId: w.providerId, name: 'taken-name' })
      .expect(201);
    const rows = [
      { prefix: '185.234.0.64/26', region: regionCode, provider: providerCode, name: 'ok-row' },
      { prefix: '185.234.0.0/29', region: regionCode, provider: providerCode },
      { prefix: '185.234.0.128/26', region: 'nowhere', provider: 'nobody' },
      { prefix: '185.234.0.192/31', region: regionCode, provider: providerCode },
      { prefix: '185.235.0.0/26', region: regionCode, provider: providerCode },
      { prefix: '185.234.0.96/27', region: regionCode, provider: providerCode, name: 'taken-name' },
      { prefix: '185.234.0.32/28', region: regionCode, provider: providerCode, name: 'ok-row' },
      { prefix: '185.234.0.48/28', region: regionCode, provider: providerCode, originAsn: 'AS64500', tags: ['a b'] },
    ];
    const before = await snapshot();
    const res = await importJson('allocations', { rows }).expect(400);
    expect(res.body.errors).toEqual([
      { row: 2, field: 'prefix', message: expect.stringContaining('overlaps allocation') },
      { row: 3, field: 'provider', message: 'nobody does not name a provider' },
      { row: 3, field: 'region', message: 'nowhere does not name a region' },
      { row: 4, field: 'prefix', message: expect.stringContaining('/31 is outside that range') },
      { row: 5, field: 'prefix', message: '185.235.0.0/26 is not inside any active lease' },
      { row: 6, field: 'name', message: expect.stringContaining('already exists') },
      { row: 6, field: 'prefix', message: expect.stringContaining('overlaps row 1') },
      { row: 7, field: 'name', message: 'ok-row is also the name of row 1' },
      { row: 8, field: 'originAsn', message: expect.stringContaining('documentation') },
      { row: 8, field: 'tags', message: expect.stringContaining('"a b"') },
    ]);
    expect(await snapshot()).toEqual(before);
    const free = await t.http.get(`/api/v1/leases/${leaseId}/free`).set(bearer()).expect(200);
    expect(free.body.freeAddresses).toBe(240);
  });

  it('allocations: effectiveDate backdates like the API — stored and counted from that day; before the lease starts is a row error', async () => {
    await createLease(t, w, '185.237.0.0/24');
    const rows = [
      { prefix: '185.237.0.0/26', region: regionCode, provider: providerCode, effectiveDate: '2025-06-01' },
      { prefix: '185.237.0.64/26', region: regionCode, provider: providerCode, effectiveDate: '2024-12-31' },
    ];
    const refused = await importJson('allocations', { rows }).expect(400);
    expect(refused.body.errors).toEqual([
      {
        row: 2,
        field: 'effectiveDate',
        message: expect.stringContaining('must not be before lease 185.237.0.0/24 starts'),
      },
    ]);
    const res = await importJson('allocations', { rows: rows.slice(0, 1) }).expect(201);
    expect(res.body.created).toBe(1);
    const [stored] = (await t.http.get('/api/v1/allocations?contains=185.237.0.0').set(bearer()).expect(200)).body
      .items;
    expect(stored).toMatchObject({ prefix: '185.237.0.0/26', effectiveDate: '2025-06-01' });
    // June 2025 (30 days): the /26 is the provider's only allocation then, all month.
    const june = await t.http
      .get('/api/v1/reports/monthly-cost')
      .query({ month: '2025-06', groupBy: 'provider' })
      .set(bearer())
      .expect(200);
    expect(june.body.rows.find((r: { key: string }) => r.key === w.providerId)).toMatchObject({ addresses: '64.00' });
  });

  it('honours Idempotency-Key: a replay creates nothing, another body is 422', async () => {
    const body = `prefix,lessor,rir,startDate,pricePerIpMonthly,currency\r\n185.236.0.0/24,Foxtrot,ARIN,2025-01-01,0.4,USD\r\n`;
    const send = (csv: string) => importCsv('leases', csv).set('Idempotency-Key', 'import-foxtrot-1');
    const first = await send(body).expect(201);
    const before = await snapshot();
    const replay = await send(body).expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(await snapshot()).toEqual(before);
    const reused = await send(body.replace('185.236.0.0', '185.236.1.0')).expect(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('refuses bodies that are not CSV or JSON, empty files, broken CSV and JSON that is not { rows }', async () => {
    const text = await t.http
      .post('/api/v1/imports/leases')
      .set(bearer())
      .set('Content-Type', 'text/plain')
      .send('x')
      .expect(415);
    expect(text.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    await importCsv('leases', '').expect(400);
    await importCsv('leases', 'prefix,lessor,startDate,pricePerIpMonthly,currency\r\n').expect(400);
    const quote = await importCsv('leases', 'prefix,lessor\r\n"185.1.0.0/24,x\r\n').expect(400);
    expect(quote.body.errors[0].field).toBe('body');
    const array = await importJson('leases', [{ prefix: '1.0.0.0/24' }]).expect(400);
    expect(array.body.errors[0].field).toBe('rows');
    await t.http
      .post('/api/v1/imports/widgets')
      .set(bearer())
      .set('Content-Type', 'text/csv')
      .send('a\r\n')
      .expect(400);
    const viewer = await t.keyFor('viewer');
    await importCsv('leases', 'x').set(bearer(viewer)).expect(403);
  });

  it('export → import round-trips leases and allocations', async () => {
    const leasesCsv = await t.http.get('/api/v1/leases?format=csv').set(bearer()).expect(200);
    expect(leasesCsv.headers['content-type']).toMatch(/^text\/csv/);
    expect(leasesCsv.text.split('\r\n')[0]).toBe(
      'prefix,lessor,rir,startDate,endDate,autoRenew,renewalTermMonths,noticePeriodDays,pricePerIpMonthly,currency,contractRef,originAsn,tags',
    );
    const allocationsCsv = await t.http.get('/api/v1/allocations?format=csv').set(bearer()).expect(200);
    expect(allocationsCsv.text.split('\r\n')[0]).toBe(
      'prefix,region,provider,effectiveDate,name,description,tags,originAsn',
    );

    const other = await startTestApp();
    try {
      const post = (kind: string, body: string) =>
        other.http.post(`/api/v1/imports/${kind}`).set(bearer()).set('Content-Type', 'text/csv').send(body);
      const leases = await post('leases', leasesCsv.text).expect(201);
      expect(leases.body.created).toBe(leasesCsv.text.trim().split('\r\n').length - 1);
      await other.http
        .post('/api/v1/regions')
        .set(bearer())
        .send({ code: regionCode, name: 'R', countryCode: 'IE' })
        .expect(201);
      await other.http
        .post('/api/v1/providers')
        .set(bearer())
        .send({ code: providerCode, name: 'P', maxPrefixLength: 30 })
        .expect(201);
      await post('allocations', allocationsCsv.text).expect(201);
      const again = await other.http.get('/api/v1/leases?format=csv').set(bearer()).expect(200);
      expect(again.text).toBe(leasesCsv.text);
      const againAllocations = await other.http.get('/api/v1/allocations?format=csv').set(bearer()).expect(200);
      expect(againAllocations.text).toBe(allocationsCsv.text);
    } finally {
      await other.close();
    }
  });

  describe('shared space: every lease overlapping an imported block keeps free = its prefix minus occupied space', () => {
    /** The free list straight from the table (GET /free would reclaim expired holds itself). */
    const freeList = async (leaseId: string) =>
      (
        await t.pool.query(
          `SELECT prefix::text AS prefix FROM free_blocks WHERE lease_id = $1 ORDER BY free_blocks.prefix`,
          [leaseId],
        )
      ).rows.map((r) => r.prefix as string);
    /** The current lease ends in 2099; the next lease of the same prefix starts the day after. */
    const currentAndNext = async (prefix: string) => ({
      current: await createLease(t, w, prefix, { endDate: '2099-12-31' }),
      next: await createLease(t, w, prefix, { startDate: '2100-01-01' }),
    });
    const allocationCsv = (prefix: string, name: string) =>
      `prefix,region,provider,name\n${prefix},${regionCode},${providerCode},${name}\n`;

    it('an imported block is taken out of the later lease of the same prefix too, as POST /allocations does', async () => {
      const { current, next } = await currentAndNext('185.238.0.0/24');
      await importCsv('allocations', allocationCsv('185.238.0.0/26', 'shared-import')).expect(201);
      const expected = ['185.238.0.64/26', '185.238.0.128/25'];
      expect(await freeList(current)).toEqual(expected);
      expect(await freeList(next)).toEqual(expected);
    });

    it('an expired hold is reclaimed for every overlapping lease (free_blocks_reclaim_holds), not only the imported one', async () => {
      const { current, next } = await currentAndNext('185.239.0.0/24');
      const held = await t.http
        .post('/api/v1/allocations')
        .set(bearer())
        .send({ leaseId: current, prefix: '185.239.0.0/26', regionId: w.regionId, providerId: w.providerId })
        .expect(201);
      expect(await freeList(next)).toEqual(['185.239.0.64/26', '185.239.0.128/25']);
      // Released with a hold that ended yesterday: it stands for the hold running out.
      await t.pool.query(`SELECT allocation_release($1, interval '-1 day')`, [held.body.id]);
      await importCsv('allocations', allocationCsv('185.239.0.128/26', 'after-hold')).expect(201);
      const expected = ['185.239.0.0/25', '185.239.0.192/26'];
      expect(await freeList(current)).toEqual(expected);
      expect(await freeList(next)).toEqual(expected);
      const occupied = await t.pool.query(`SELECT occupied FROM allocations WHERE id = $1`, [held.body.id]);
      expect(occupied.rows[0].occupied).toBe(false);
    });

    it('a row over space whose hold ran out is imported, as POST /allocations would place it', async () => {
      const { current: previous } = await currentAndNext('185.240.0.0/24');
      const held = await t.http
        .post('/api/v1/allocations')
        .set(bearer())
        .send({ leaseId: previous, prefix: '185.240.0.0/25', regionId: w.regionId, providerId: w.providerId })
        .expect(201);
      await t.pool.query(`SELECT allocation_release($1, interval '-1 day')`, [held.body.id]);
      const res = await importCsv('allocations', allocationCsv('185.240.0.0/26', 'over-expired-hold')).expect(201);
      expect(res.body.created).toBe(1);
      expect(await freeList(previous)).toEqual(['185.240.0.64/26', '185.240.0.128/25']);
    });
  });

  it('imports 10,000 allocations in one request (set-based SQL), and 10,000 leases', async () => {
    const leaseId = await createLease(t, w, '44.128.0.0/16');
    const lines = ['prefix,region,provider,name'];
    for (let i = 0; i < 10_000; i++) {
      const address = i * 4;
      lines.push(`44.128.${address >> 8}.${address & 255}/30,${regionCode},${providerCode},bulk-${i}`);
    }
    const before = await snapshot();
    let started = Date.now();
    const res = await importCsv('allocations', lines.join('\r\n')).expect(201);
    const allocationMs = Date.now() - started;
    expect(res.body.created).toBe(10_000);
    const after = await snapshot();
    expect(after.allocations - before.allocations).toBe(10_000);
    expect(after.audit - before.audit).toBe(10_000);
    const free = await t.http.get(`/api/v1/leases/${leaseId}/free`).set(bearer()).expect(200);
    expect(free.body.freeAddresses).toBe(65536 - 40_000);

    const leaseLines = ['prefix,lessor,rir,startDate,pricePerIpMonthly,currency'];
    for (let i = 0; i < 10_000; i++)
      leaseLines.push(`45.${i >> 8}.${i & 255}.0/24,Bulk Lessor,RIPE,2025-01-01,0.4,USD`);
    started = Date.now();
    const leases = await importCsv('leases', leaseLines.join('\n')).expect(201);
    const leaseMs = Date.now() - started;
    expect(leases.body).toMatchObject({ created: 10_000, lessorsCreated: 1 });
    // Measured, not asserted (timing belongs in npm run bench): printed for docs/benchmarks.md.
    console.log(`10,000-row imports: allocations ${allocationMs} ms, leases ${leaseMs} ms`);
  });
});
