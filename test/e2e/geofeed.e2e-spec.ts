import { bearer, startTestApp, TestApp } from '../support/test-app';

describe('geofeed', () => {
  let t: TestApp;
  let london: string;
  let dublin: string;
  let aws: string;

  const allocate = (body: Record<string, unknown>) =>
    t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ providerId: aws, ...body })
      .expect(201);
  const feed = async () => {
    const res = await t.http.get('/geofeed.csv').expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    return res.text;
  };

  beforeAll(async () => {
    t = await startTestApp();
    const lessorId = (await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Geo', rir: 'RIPE' }).expect(201))
      .body.id;
    london = (
      await t.http
        .post('/api/v1/regions')
        .set(bearer())
        .send({ code: 'eu-west-2', name: 'London', countryCode: 'GB', subdivisionCode: 'GB-ENG', city: 'London' })
        .expect(201)
    ).body.id;
    dublin = (
      await t.http
        .post('/api/v1/regions')
        .set(bearer())
        .send({ code: 'eu-west-1', name: 'Ireland', countryCode: 'IE' })
        .expect(201)
    ).body.id;
    aws = (await t.http.post('/api/v1/providers').set(bearer()).send({ code: 'aws', name: 'AWS' }).expect(201)).body.id;
    for (const prefix of ['45.1.0.0/24', '9.1.0.0/24', '45.3.0.0/24']) {
      await t.http
        .post('/api/v1/leases')
        .set(bearer())
        .send({ prefix, lessorId, startDate: '2025-01-01', pricePerIpMonthly: '0.5000', currency: 'USD' })
        .expect(201);
    }
  });
  afterAll(() => t.close());

  it('is public and starts with its comment line even when empty', async () => {
    expect(await feed()).toBe('# iplease geofeed\n');
  });

  it('lists active allocations, one RFC 8805 line each, in address order', async () => {
    await allocate({ prefix: '45.1.0.64/26', regionId: dublin });
    await allocate({ prefix: '45.1.0.0/26', regionId: london });
    await allocate({ prefix: '9.1.0.128/25', regionId: london });
    const released = await allocate({ prefix: '45.1.0.128/25', regionId: london });
    await t.http.delete(`/api/v1/allocations/${released.body.id}`).set(bearer()).expect(204);
    // An allocation still marked active in a lease that has since expired is not ours to publish.
    const stale = await allocate({ prefix: '45.3.0.0/24', regionId: london });
    await t.pool.query(`UPDATE leases SET end_date = current_date - 1 WHERE id = $1`, [stale.body.leaseId]);

    expect(await feed()).toBe(
      [
        '# iplease geofeed',
        '9.1.0.128/25,GB,GB-ENG,London,',
        '45.1.0.0/26,GB,GB-ENG,London,',
        '45.1.0.64/26,IE,,,',
        '',
      ].join('\n'),
    );
  });

  it('streams large feeds in batches, completely and in order', async () => {
    const lessorId = (await t.pool.query(`SELECT id FROM lessors LIMIT 1`)).rows[0].id;
    const lease = await t.http
      .post('/api/v1/leases')
      .set(bearer())
      .send({ prefix: '46.0.0.0/16', lessorId, startDate: '2025-01-01', pricePerIpMonthly: '0.1000', currency: 'USD' })
      .expect(201);
    await t.pool.query(
      `INSERT INTO allocations (lease_id, prefix, region_id, provider_id)
       SELECT $1, set_masklen('46.0.0.0'::inet + g * 4, 30)::cidr, $2, $3 FROM generate_series(0, 12344) AS g`,
      [lease.body.id, dublin, aws],
    );
    const lines = (await feed()).split('\n');
    expect(lines[0]).toBe('# iplease geofeed');
    expect(lines[lines.length - 1]).toBe('');
    const body = lines.slice(1, -1);
    expect(body).toHaveLength(3 + 12345);
    expect(body[3]).toBe('46.0.0.0/30,IE,,,');
    expect(body[body.length - 1]).toBe('46.0.192.224/30,IE,,,');
    expect(new Set(body).size).toBe(body.length);
    const address = (line: string) =>
      line
        .split('/')[0]
        .split('.')
        .reduce((n, octet) => n * 256 + Number(octet), 0);
    expect(body.every((line, i) => i === 0 || address(body[i - 1]) < address(line))).toBe(true);
  });

  it('is documented as public text/csv', async () => {
    const spec = (await t.http.get('/docs-json').expect(200)).body;
    const op = spec.paths['/geofeed.csv'].get;
    expect(Object.keys(op.responses['200'].content)).toEqual(['text/csv']);
    expect(op.security ?? []).toEqual([]);
  });
});
