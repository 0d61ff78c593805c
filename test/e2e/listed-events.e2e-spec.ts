import { createLease, seedWorld, World } from '../support/fixtures';
import { bearer, startTestApp, TestApp } from '../support/test-app';
import { feedCaughtUp } from '../support/webhook-receiver';

interface FeedEvent {
  type: string;
  entityType: string;
  entityId: string;
  clientRequestId: string | null;
  data: { id: string; prefix: string; listed?: { list: string; entry: string }[] } | null;
}

/**
 * Issue 14 item 4 ("an event when a new lease lands on listed space") and issue 12's rule that every
 * committed change publishes its event, also when it arrives in a bulk import.
 */
describe('events for listed space and for bulk imports', () => {
  let t: TestApp;
  let w: World;
  let start: string | undefined;

  const feed = async (after?: string): Promise<{ items: FeedEvent[]; cursor?: string }> => {
    await feedCaughtUp(t.pool);
    const items: FeedEvent[] = [];
    let cursor = after;
    for (;;) {
      const page = (
        await t.http
          .get('/api/v1/events')
          .query({ limit: 500, ...(cursor ? { after: cursor } : {}) })
          .set(bearer())
          .expect(200)
      ).body;
      items.push(...page.items);
      if (page.items.length === 0) return { items, cursor };
      cursor = page.nextCursor ?? undefined;
    }
  };

  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t, { maxPrefixLength: 30 });
    // Spamhaus DROP lists 185.240.12.0/22.
    await t.http
      .put('/api/v1/reputation-lists/spamhaus-drop')
      .set(bearer())
      .set('Content-Type', 'application/x-ndjson')
      .send('{"cidr":"185.240.12.0/22","sblid":"SBL600001","rir":"ripencc"}\n')
      .expect(200);
    start = (await feed()).cursor;
  });
  afterAll(() => t.close());

  it('publishes lease.listed beside lease.created when a new lease overlaps a listed block, and only then', async () => {
    const listed = await createLease(t, w, '185.240.13.0/24');
    const clean = await createLease(t, w, '185.241.0.0/24');
    const { items, cursor } = await feed(start);
    start = cursor;
    expect(items.filter((e) => e.entityId === listed).map((e) => e.type)).toEqual(['lease.created', 'lease.listed']);
    expect(items.filter((e) => e.entityId === clean).map((e) => e.type)).toEqual(['lease.created']);
    const event = items.find((e) => e.type === 'lease.listed');
    expect(event?.data?.prefix).toBe('185.240.13.0/24');
    expect(event?.data?.listed?.length).toBeGreaterThan(0);
  });

  it('publishes one event per imported lease and allocation (and lease.listed for listed space), in row order', async () => {
    const leases =
      'prefix,lessor,rir,startDate,pricePerIpMonthly,currency\r\n' +
      '185.240.14.0/24,Import Lessor,RIPE,2025-01-01,0.5000,USD\r\n' +
      '185.242.0.0/24,Import Lessor,RIPE,2025-01-01,0.5000,USD\r\n';
    const imported = await t.http
      .post('/api/v1/imports/leases')
      .set(bearer())
      .set('Content-Type', 'text/csv')
      .set('X-Request-Id', 'import-42')
      .send(leases)
      .expect(201);
    expect(imported.body).toMatchObject({ created: 2, lessorsCreated: 1 });
    let { items, cursor } = await feed(start);
    start = cursor;
    expect(items.map((e) => `${e.type} ${e.data?.prefix ?? ''}`.trim())).toEqual([
      'lessor.created',
      'lease.created 185.240.14.0/24',
      'lease.listed 185.240.14.0/24',
      'lease.created 185.242.0.0/24',
    ]);
    expect(items.every((e) => e.clientRequestId === 'import-42')).toBe(true);

    const region = (await t.http.get(`/api/v1/regions/${w.regionId}`).set(bearer())).body.code;
    const provider = (await t.http.get(`/api/v1/providers/${w.providerId}`).set(bearer())).body.code;
    const allocations =
      'prefix,region,provider\r\n' +
      `185.242.0.0/26,${region},${provider}\r\n` +
      `185.242.0.64/26,${region},${provider}\r\n`;
    await t.http
      .post('/api/v1/imports/allocations')
      .set(bearer())
      .set('Content-Type', 'text/csv')
      .send(allocations)
      .expect(201);
    ({ items, cursor } = await feed(start));
    start = cursor;
    expect(items.map((e) => `${e.type} ${e.data?.prefix}`)).toEqual([
      'allocation.created 185.242.0.0/26',
      'allocation.created 185.242.0.64/26',
    ]);
    const audited = await t.pool.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE client_request_id = 'import-42'`,
    );
    expect(audited.rows[0].n).toBe(3);
    // The audit rows carry the same views as the events, written by the same statement.
    const trail = await t.pool.query(
      `SELECT entity_type, after ->> 'prefix' AS prefix, before IS NULL AS no_before, request_id IS NOT NULL AS has_request
         FROM audit_events WHERE client_request_id = 'import-42' ORDER BY seq`,
    );
    expect(trail.rows).toEqual([
      { entity_type: 'lessor', prefix: null, no_before: true, has_request: true },
      { entity_type: 'lease', prefix: '185.240.14.0/24', no_before: true, has_request: true },
      { entity_type: 'lease', prefix: '185.242.0.0/24', no_before: true, has_request: true },
    ]);
  });

  it('a refused import publishes nothing', async () => {
    const bad =
      'prefix,lessor,startDate,pricePerIpMonthly,currency\r\n185.243.0.0/24,X,2025-01-01,0.5,USD\r\nnot-a-prefix,X,2025-01-01,0.5,USD\r\n';
    await t.http.post('/api/v1/imports/leases').set(bearer()).set('Content-Type', 'text/csv').send(bad).expect(400);
    expect((await feed(start)).items).toEqual([]);
  });

  it('an allocation create writes its audit row and event in its own SQL statement, both carrying exactly the API answer', async () => {
    const leaseId = await createLease(t, w, '185.240.15.0/24');
    const allocate = (body: Record<string, unknown>, requestId: string) =>
      t.http
        .post('/api/v1/allocations')
        .set(bearer())
        .set('X-Request-Id', requestId)
        .send({ regionId: w.regionId, providerId: w.providerId, leaseId, ...body })
        .expect(201);
    const answers = [
      await allocate(
        {
          prefixLength: 28,
          name: 'inline-web',
          originAsn: 65001,
          description: 'next free, backdated',
          tags: ['b', 'a', 'b'],
          effectiveDate: '2025-06-01',
        },
        'inline-1',
      ),
      await allocate({ prefix: '185.240.15.128/26' }, 'inline-2'),
      await allocate({ prefixLength: 30, strategy: 'first-fit' }, 'inline-3'),
    ].map((r) => r.body as Record<string, unknown> & { id: string; listed: unknown[] });
    expect(answers[0]).toMatchObject({ originAsn: 65001, tags: ['b', 'a'], effectiveDate: '2025-06-01' });
    for (const a of answers) expect(a.listed.length).toBeGreaterThan(0);

    const audited = await t.pool.query(
      `SELECT entity_type, entity_id, before, after, actor_name, request_id, client_request_id
         FROM audit_events WHERE action = 'create' AND entity_id = ANY ($1::uuid[]) ORDER BY seq`,
      [answers.map((a) => a.id)],
    );
    expect(audited.rows.map((r) => r.after)).toEqual(answers);
    expect(audited.rows.map((r) => [r.entity_type, r.entity_id, r.before, r.actor_name, r.client_request_id])).toEqual(
      answers.map((a, i) => ['allocation', a.id, null, 'bootstrap-admin (ADMIN_API_KEY)', `inline-${i + 1}`]),
    );
    for (const r of audited.rows) expect(r.request_id).toMatch(/^[0-9a-f-]{36}$/);

    const { items, cursor } = await feed(start);
    start = cursor;
    const allocationEvents = items.filter((e) => e.entityType === 'allocation');
    expect(allocationEvents.map((e) => [e.type, e.entityId, e.clientRequestId, e.data])).toEqual(
      answers.map((a, i) => ['allocation.created', a.id, `inline-${i + 1}`, a]),
    );
  });
});
