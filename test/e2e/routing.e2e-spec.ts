import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLease, seedWorld, World } from '../support/fixtures';
import { bearer, startTestApp, TestApp } from '../support/test-app';

const fixture = (dir: string, name: string) => readFileSync(join(__dirname, '..', 'fixtures', dir, name));

describe('RPKI, reputation lists, routing report and route objects', () => {
  let t: TestApp;
  let w: World;
  let aws: string;
  const putVrps = (body: Buffer | string, type = 'application/json') =>
    // superagent would serialise a Buffer sent as JSON as {"type":"Buffer",…}: send the text.
    t.http.put('/api/v1/rpki/vrps').set(bearer()).set('Content-Type', type).send(body.toString());
  const allocate = (body: Record<string, unknown>) =>
    t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ regionId: w.regionId, providerId: w.providerId, ...body })
      .expect(201)
      .then((r) => r.body as { id: string; prefix: string });

  beforeAll(async () => {
    t = await startTestApp({ irrMaintainer: 'MAINT-EXAMPLE', irrSource: 'RADB' });
    w = await seedWorld(t);
    aws = (
      await t.http
        .post('/api/v1/providers')
        .set(bearer())
        .send({ code: 'aws-byoip', name: 'AWS', maxPrefixLength: 24, requiredOriginAsns: [16509, 14618] })
        .expect(201)
    ).body.id;
    await createLease(t, w, '185.240.0.0/20');
  });
  afterAll(() => t.close());

  it.each([
    ['rpki-client.json', 'application/json', 'rpki-client-json'],
    ['routinator.json', 'application/json', 'routinator-json'],
    ['rpki-client.csv', 'text/csv', 'csv'],
  ])('imports %s: IPv4 VRPs stored, IPv6 counted and skipped', async (file, type, format) => {
    const res = await putVrps(fixture('rpki', file), type).expect(200);
    expect(res.body).toMatchObject({ vrps: 4, skipped: 1, format });
    const status = await t.http
      .get('/api/v1/rpki/status')
      .set(bearer(await t.keyFor('viewer')))
      .expect(200);
    expect(status.body).toEqual({ importedAt: res.body.importedAt, vrps: 4, skipped: 1, format });
    const stored = await t.pool.query(`SELECT prefix::text, max_length, asn, ta FROM rpki_vrps ORDER BY prefix, asn`);
    expect(stored.rows).toContainEqual({ prefix: '185.240.4.0/22', max_length: 32, asn: '0', ta: 'ripe' });
  });

  it('reads Routinator jsonext (trust anchor from the source)', async () => {
    const res = await putVrps(fixture('rpki', 'routinator-jsonext.json')).expect(200);
    expect(res.body).toMatchObject({ vrps: 1, skipped: 1, format: 'routinator-jsonext' });
    const stored = await t.pool.query(`SELECT ta FROM rpki_vrps`);
    expect(stored.rows).toEqual([{ ta: 'ripe' }]);
  });

  it('refuses a file with bad entries, listing each, and keeps the snapshot in force', async () => {
    await putVrps(fixture('rpki', 'rpki-client.json')).expect(200);
    const res = await putVrps(fixture('rpki', 'bad.csv'), 'text/csv').expect(400);
    expect(res.body.errors).toEqual([
      { row: 2, field: 'asn', message: expect.any(String) },
      { row: 3, field: 'maxLength', message: 'must be an integer from the prefix length (22) to 32' },
      { row: 4, field: 'prefix', message: expect.stringContaining('host bits') },
    ]);
    const count = await t.pool.query(`SELECT count(*)::int AS n FROM rpki_vrps`);
    expect(count.rows[0].n).toBe(4);
    await putVrps('{"roas": 5}').expect(400);
    await putVrps('not json at all', 'text/plain').expect(415);
  });

  it('the routing report: RFC 6811 states, reasons, covering VRPs and BYOIP readiness; CSV too', async () => {
    await putVrps(fixture('rpki', 'rpki-client.json')).expect(200);
    const valid = await allocate({ prefix: '185.240.0.0/24', originAsn: 16509, providerId: aws });
    const tooLong = await allocate({ prefix: '185.240.1.0/25', originAsn: 16509 });
    const wrongAs = await allocate({ prefix: '185.240.2.0/24', originAsn: 8075, providerId: aws });
    const as0 = await allocate({ prefix: '185.240.4.0/24', originAsn: 16509 });
    const notFound = await allocate({ prefix: '185.240.12.0/24', originAsn: 16509 });
    const noOrigin = await allocate({ prefix: '185.240.13.0/24' });
    const res = await t.http
      .get('/api/v1/reports/routing')
      .set(bearer(await t.keyFor('viewer')))
      .expect(200);
    const row = (id: string) => res.body.rows.find((r: { key: string }) => r.key === id);
    expect(row(valid.id)).toMatchObject({
      label: '185.240.0.0/24',
      originAsn: 16509,
      rpkiState: 'valid',
      invalidReason: null,
      vrps: [
        { asn: 16509, prefix: '185.240.0.0/22', maxLength: 24 },
        { asn: 14618, prefix: '185.240.0.0/24', maxLength: 24 },
      ],
      byoipReady: true,
      byoipProblems: [],
      listed: [],
    });
    expect(row(tooLong.id)).toMatchObject({ rpkiState: 'invalid', invalidReason: 'length', byoipReady: null });
    expect(row(wrongAs.id)).toMatchObject({
      rpkiState: 'invalid',
      invalidReason: 'as',
      byoipReady: false,
      byoipProblems: [expect.stringMatching(/^AS14618 is not authorised to originate 185\.240\.2\.0\/24/)],
    });
    expect(row(as0.id)).toMatchObject({ rpkiState: 'invalid', invalidReason: 'as' });
    expect(row(notFound.id)).toMatchObject({ rpkiState: 'not-found', invalidReason: null, vrps: [] });
    expect(row(noOrigin.id)).toMatchObject({ rpkiState: 'unknown-origin', invalidReason: null });
    expect(res.body.rpkiImportedAt).toEqual(expect.any(String));

    const csv = await t.http.get('/api/v1/reports/routing?format=csv').set(bearer()).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('key,label,name,originAsn,rpkiState,invalidReason,vrps,byoipReady,byoipProblems,listed');
    expect(lines.find((l) => l.startsWith(valid.id))).toBe(
      // A cell with `;` is quoted (spreadsheets in some locales split on it).
      `${valid.id},185.240.0.0/24,,16509,valid,,"AS16509 185.240.0.0/22 max 24; AS14618 185.240.0.0/24 max 24",true,,`,
    );
    const byProvider = await t.http.get(`/api/v1/reports/routing?providerId=${aws}`).set(bearer()).expect(200);
    expect(byProvider.body.rows.map((r: { key: string }) => r.key)).toEqual([valid.id, wrongAs.id]);
  });

  it('BYOIP: a length outside the provider range is a problem line of its own', async () => {
    await t.pool.query(`UPDATE providers SET max_prefix_length = 32 WHERE id = $1`, [aws]);
    const small = await allocate({ prefix: '185.240.3.0/25', originAsn: 16509, providerId: aws });
    await t.pool.query(`UPDATE providers SET max_prefix_length = 24 WHERE id = $1`, [aws]);
    const res = await t.http.get('/api/v1/reports/routing').set(bearer()).expect(200);
    const row = res.body.rows.find((r: { key: string }) => r.key === small.id);
    expect(row.byoipReady).toBe(false);
    expect(row.byoipProblems).toEqual([
      "185.240.3.0/25: /25 is outside provider aws-byoip's range /8 to /24",
      expect.stringMatching(/^AS16509 is not authorised/),
      expect.stringMatching(/^AS14618 is not authorised/),
    ]);
  });

  it('reputation lists: DROP NDJSON and drop.txt; listed on lease and allocation reads and in the report', async () => {
    const ndjson = await t.http
      .put('/api/v1/reputation-lists/spamhaus-drop')
      .set(bearer())
      .set('Content-Type', 'application/x-ndjson')
      .send(fixture('reputation', 'drop_v4.json').toString())
      .expect(200);
    expect(ndjson.body).toMatchObject({
      name: 'spamhaus-drop',
      format: 'spamhaus-drop-ndjson',
      entries: 2,
      skipped: 1,
      metadata: { type: 'metadata', records: 3 },
    });
    const text = await t.http
      .put('/api/v1/reputation-lists/spamhaus-drop-legacy')
      .set(bearer())
      .set('Content-Type', 'text/plain')
      .send(fixture('reputation', 'drop.txt').toString())
      .expect(200);
    expect(text.body).toMatchObject({ format: 'spamhaus-drop-text', entries: 2, skipped: 0, metadata: null });
    const lists = await t.http
      .get('/api/v1/reputation-lists')
      .set(bearer(await t.keyFor('viewer')))
      .expect(200);
    expect(lists.body.items.map((l: { name: string }) => l.name)).toEqual(['spamhaus-drop', 'spamhaus-drop-legacy']);

    const allocation = await t.http.get('/api/v1/allocations?contains=185.240.12.1').set(bearer()).expect(200);
    expect(allocation.body.items[0].listed).toEqual([
      { list: 'spamhaus-drop', cidr: '185.240.12.0/22', ref: 'SBL600001' },
      { list: 'spamhaus-drop-legacy', cidr: '185.240.12.0/22', ref: 'SBL600001' },
    ]);
    const lease = await t.http.get('/api/v1/leases?contains=185.240.0.0/20').set(bearer()).expect(200);
    expect(lease.body.items[0].listed.map((l: { list: string }) => l.list)).toEqual([
      'spamhaus-drop',
      'spamhaus-drop-legacy',
    ]);
    const clean = await t.http.get('/api/v1/allocations?contains=185.240.0.1').set(bearer()).expect(200);
    expect(clean.body.items[0].listed).toEqual([]);

    // A new lease on listed space is accepted, with the listing in its answer.
    const created = await t.http
      .post('/api/v1/leases')
      .set(bearer())
      .send({
        prefix: '185.240.16.0/23',
        lessorId: w.lessorId,
        startDate: '2025-01-01',
        pricePerIpMonthly: '0.4',
        currency: 'USD',
      })
      .expect(201);
    expect(created.body.listed).toEqual([
      { list: 'spamhaus-drop', cidr: '185.240.16.0/24', ref: 'SBL600002' },
      { list: 'spamhaus-drop-legacy', cidr: '185.240.16.0/24', ref: 'SBL600002' },
    ]);
    const report = await t.http.get('/api/v1/reports/routing').set(bearer()).expect(200);
    const listed = report.body.rows.filter((r: { listed: unknown[] }) => r.listed.length > 0);
    expect(listed.map((r: { label: string }) => r.label)).toEqual(['185.240.12.0/24', '185.240.13.0/24']);

    // Replacing a list replaces its blocks; a bad line refuses the file and keeps the old list.
    const bad = await t.http
      .put('/api/v1/reputation-lists/spamhaus-drop')
      .set(bearer())
      .set('Content-Type', 'text/plain')
      .send('185.240.12.0/22 ; SBL1\n185.240.12.7/22 ; SBL2\n')
      .expect(400);
    expect(bad.body.errors).toEqual([{ row: 2, field: 'cidr', message: expect.stringContaining('host bits') }]);
    await t.http
      .put('/api/v1/reputation-lists/spamhaus-drop')
      .set(bearer())
      .set('Content-Type', 'text/plain')
      .send('; empty now\n')
      .expect(400);
    await t.http
      .put('/api/v1/reputation-lists/Bad%20Name')
      .set(bearer())
      .set('Content-Type', 'text/plain')
      .send('185.240.12.0/22\n')
      .expect(400);
    const count = await t.pool.query(
      `SELECT count(*)::int AS n FROM reputation_entries WHERE list_name = 'spamhaus-drop'`,
    );
    expect(count.rows[0].n).toBe(2);
  });

  it('route objects: RPSL with origin, maintainer and source; 409 without an origin ASN', async () => {
    const named = await allocate({ prefix: '185.240.14.0/24', originAsn: 16509, name: 'edge-nat' });
    const res = await t.http.get(`/api/v1/allocations/${named.id}/route-object`).set(bearer()).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe(
      'route:          185.240.14.0/24\n' +
        'descr:          edge-nat\n' +
        'origin:         AS16509\n' +
        'mnt-by:         MAINT-EXAMPLE\n' +
        'source:         RADB\n',
    );
    const bare = await allocate({ prefix: '185.240.15.0/24' });
    const missing = await t.http.get(`/api/v1/allocations/${bare.id}/route-object`).set(bearer()).expect(409);
    expect(missing.body).toMatchObject({ code: 'NO_ORIGIN_ASN', errors: [{ field: 'originAsn' }] });
    await t.http.get('/api/v1/allocations/00000000-0000-4000-8000-000000000000/route-object').set(bearer()).expect(404);
  });
});
