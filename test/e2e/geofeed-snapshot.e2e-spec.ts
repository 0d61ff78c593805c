import * as net from 'node:net';
import { bearer, startTestApp, TestApp } from '../support/test-app';

/** Issue 10, S1 and S6: the public geofeed cannot starve the API, and serves no formulas. */
describe('geofeed served from a snapshot', () => {
  let t: TestApp;
  let region: string;
  let provider: string;
  let lessorId: string;
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    // A pool of two: before, two clients that never read the feed held both connections.
    t = await startTestApp({ dbPoolSize: 2, geofeedMaxDownloads: 3 });
    lessorId = (await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Feed', rir: 'RIPE' }).expect(201)).body
      .id;
    region = (
      await t.http
        .post('/api/v1/regions')
        .set(bearer())
        .send({ code: 'fra', name: 'Frankfurt', countryCode: 'DE', city: 'Frankfurt am Main in Hessen Germany' })
        .expect(201)
    ).body.id;
    provider = (await t.http.post('/api/v1/providers').set(bearer()).send({ code: 'p', name: 'P' }).expect(201)).body
      .id;
    const lease = await t.http
      .post('/api/v1/leases')
      .set(bearer())
      .send({ prefix: '46.0.0.0/12', lessorId, startDate: '2025-01-01', pricePerIpMonthly: '0.1000', currency: 'USD' })
      .expect(201);
    // 200,000 lines (~11 MB): far more than the socket buffers of a client that never reads.
    await t.pool.query(
      `INSERT INTO allocations (lease_id, prefix, region_id, provider_id)
       SELECT $1, set_masklen('46.0.0.0'::inet + g * 4, 30)::cidr, $2, $3 FROM generate_series(0, 199999) AS g`,
      [lease.body.id, region, provider],
    );
  }, 120_000);
  afterAll(async () => {
    sockets.forEach((socket) => socket.destroy());
    await t.close();
  });

  /** Asks for the feed, receives its first bytes, then stops reading for good. */
  const stalledDownload = () =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(new URL(t.baseUrl).port), '127.0.0.1', () =>
        socket.write('GET /geofeed.csv HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      sockets.push(socket);
      socket.once('data', (chunk) => {
        socket.pause();
        resolve(chunk.toString('utf8'));
      });
      socket.on('error', reject);
    });

  it('keeps the API answering while clients stall downloads of a large feed, and limits concurrent downloads', async () => {
    for (let i = 0; i < 3; i++) expect(await stalledDownload()).toMatch(/^HTTP\/1\.1 200 /);
    for (let i = 0; i < 5; i++) await t.http.get('/api/v1/lessors').set(bearer()).expect(200);
    await t.http.get('/health/ready').expect(200);

    const fourth = await t.http.get('/geofeed.csv').expect(429);
    expect(fourth.body.code).toBe('RATE_LIMITED');
    expect(fourth.headers['retry-after']).toBeDefined();

    sockets.splice(0).forEach((socket) => socket.destroy());
    // Slots are freed when clients go; the snapshot is complete and fresh after a change.
    await t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ prefix: '46.15.255.252/30', regionId: region, providerId: provider })
      .expect(201);
    let full: string | undefined;
    for (let attempt = 0; attempt < 20 && full === undefined; attempt++) {
      const res = await t.http.get('/geofeed.csv');
      if (res.status === 200) full = res.text;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const lines = (full as string).split('\n');
    expect(lines).toHaveLength(1 + 200_001 + 1);
    expect(lines[lines.length - 2]).toBe('46.15.255.252/30,DE,,Frankfurt am Main in Hessen Germany,');
  }, 120_000);

  it('refuses a city that starts like a formula, also after spaces, and leaves one already stored out of the feed', async () => {
    for (const city of ['=HYPERLINK("http://evil","x")', ' +1', '\u00a0@SUM(1)', '-2']) {
      const res = await t.http
        .post('/api/v1/regions')
        .set(bearer())
        .send({ code: `f${Math.random().toString(36).slice(2, 8)}`, name: 'Formula', countryCode: 'DE', city })
        .expect(400);
      expect(res.body.errors[0].field).toBe('city');
    }
    await t.pool.query(`UPDATE regions SET city = '=HYPERLINK("http://evil","x")' WHERE id = $1`, [region]);
    const feed = await t.http.get('/geofeed.csv').expect(200);
    expect(feed.text).not.toContain('HYPERLINK');
    expect(feed.text.split('\n')[1]).toBe('46.0.0.0/30,DE,,,');
  }, 60_000);
});
