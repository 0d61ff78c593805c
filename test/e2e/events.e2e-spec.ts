import { Client } from 'pg';
import { createLease, seedWorld } from '../support/fixtures';
import { bearer, startTestApp, TestApp } from '../support/test-app';
import { feedCaughtUp } from '../support/webhook-receiver';

interface FeedEvent {
  id: string;
  seq: number;
  cursor: string;
  type: string;
  occurredAt: string;
  entityType: string;
  entityId: string;
  actor: { keyId: string | null; name: string | null } | null;
  requestId: string | null;
  data: Record<string, unknown> | null;
  previous: Record<string, unknown> | null;
}

interface FeedPage {
  items: FeedEvent[];
  nextCursor: string | null;
}

describe('event log (GET /events)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const poll = async (query: Record<string, string | number | undefined> = {}): Promise<FeedPage> => {
    const given = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
    return (await t.http.get('/api/v1/events').query(given).set(bearer()).expect(200)).body;
  };

  /** Everything after `after`, page by page. */
  const drain = async (after?: string, limit = 500): Promise<{ items: FeedEvent[]; cursor?: string }> => {
    await feedCaughtUp(t.pool);
    const items: FeedEvent[] = [];
    let cursor = after;
    for (;;) {
      const page = await poll({ limit, ...(cursor ? { after: cursor } : {}) });
      items.push(...page.items);
      if (page.items.length === 0) return { items, cursor };
      cursor = page.nextCursor ?? undefined;
    }
  };
  const tail = async () => (await drain()).cursor;

  it('publishes each change in its own transaction with the API representation after and before', async () => {
    const start = await tail();
    const world = await seedWorld(t);
    const leaseId = await createLease(t, world, '185.20.0.0/24');
    const lease = (await t.http.get(`/api/v1/leases/${leaseId}`).set(bearer()).expect(200)).body;
    const alloc = await t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .set('X-Request-Id', 'events-alloc-1')
      .send({ prefixLength: 26, regionId: world.regionId, providerId: world.providerId })
      .expect(201);
    const patched = await t.http
      .patch(`/api/v1/allocations/${alloc.body.id}`)
      .set(bearer())
      .send({ description: 'web tier' })
      .expect(200);
    await t.http.delete(`/api/v1/allocations/${alloc.body.id}`).set(bearer()).expect(204);
    await t.http.post('/api/v1/api-keys').set(bearer()).send({ name: 'not-published', role: 'viewer' }).expect(201);

    const { items } = await drain(start);
    expect(items.map((e) => e.type)).toEqual([
      'lessor.created',
      'region.created',
      'provider.created',
      'lease.created',
      'allocation.created',
      'allocation.updated',
      'allocation.released',
    ]);
    const [, , , leaseCreated, created, updated, released] = items;
    expect(leaseCreated).toMatchObject({ entityType: 'lease', entityId: leaseId, previous: null });
    expect(leaseCreated.data).toMatchObject({ id: leaseId, prefix: lease.prefix, version: 1 });
    expect(created).toMatchObject({
      entityType: 'allocation',
      entityId: alloc.body.id,
      clientRequestId: 'events-alloc-1',
      data: alloc.body,
      previous: null,
      actor: { name: 'bootstrap-admin (ADMIN_API_KEY)' },
    });
    expect(updated).toMatchObject({ data: patched.body, previous: alloc.body });
    expect(released.previous).toEqual(patched.body);
    for (const e of items) expect(new Date(e.occurredAt).toISOString()).toBe(e.occurredAt);
    // The same rows the audit trail holds for those changes.
    const audited = await t.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE entity_id = $1`, [
      alloc.body.id,
    ]);
    expect(audited.rows[0].n).toBe(3);
    const createdAudit = await t.pool.query(
      `SELECT request_id, client_request_id FROM audit_events WHERE entity_id = $1 AND action = 'create'`,
      [alloc.body.id],
    );
    expect(created.requestId).toBe(createdAudit.rows[0].request_id);
    expect(created.requestId).not.toBe('events-alloc-1');
    expect(createdAudit.rows[0].client_request_id).toBe('events-alloc-1');
  });

  it('writes nothing when the change is refused', async () => {
    const start = await tail();
    const world = await seedWorld(t);
    await createLease(t, world, '185.21.0.0/24');
    const before = (await drain(start)).items.length;
    await t.http
      .post('/api/v1/leases')
      .set(bearer())
      .send({
        prefix: '185.21.0.0/25',
        lessorId: world.lessorId,
        startDate: '2025-01-01',
        pricePerIpMonthly: '1',
        currency: 'USD',
      })
      .expect(409);
    await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 42 }).expect(400);
    expect((await drain(start)).items).toHaveLength(before);
  });

  it('filters by type family, exact type and entity, and refuses malformed queries with the field named', async () => {
    const start = await tail();
    const world = await seedWorld(t);
    const leaseId = await createLease(t, world, '185.22.0.0/24');
    const leases = await poll({ after: start as string, type: 'lease.*' });
    expect(leases.items.map((e) => e.type)).toEqual(['lease.created']);
    const regions = await poll({ after: start as string, type: 'region.created' });
    expect(regions.items.map((e) => e.entityId)).toEqual([world.regionId]);
    const byEntity = await poll({ entityId: leaseId });
    expect(byEntity.items.map((e) => e.type)).toEqual(['lease.created']);
    for (const [query, field] of [
      [{ after: 'bm9wZQ' }, 'after'],
      [{ after: 'a b' }, 'after'],
      [{ type: 'lease.' }, 'type'],
      [{ type: 'Lease.Created' }, 'type'],
      [{ entityId: 'x' }, 'entityId'],
      [{ limit: 0 }, 'limit'],
      [{ limit: 501 }, 'limit'],
    ] as const) {
      const res = await t.http.get('/api/v1/events').query(query).set(bearer()).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });

  it('is readable by every role', async () => {
    for (const role of ['engineer', 'finance', 'viewer'] as const) {
      await t.http
        .get('/api/v1/events')
        .set(bearer(await t.keyFor(role)))
        .expect(200);
    }
    await t.http.get('/api/v1/events').expect(401);
  });

  describe('commit-safe positions', () => {
    const clients: Client[] = [];
    const connect = async () => {
      const c = new Client({ connectionString: t.databaseUrl });
      await c.connect();
      clients.push(c);
      return c;
    };
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.end()));
    });
    const insert = async (c: Client, label: string): Promise<{ id: string; seq: string }> =>
      (
        await c.query(
          `INSERT INTO events (type, entity_type, entity_id, data) VALUES ('lessor.updated', 'lessor', gen_random_uuid(), $1) RETURNING id, seq`,
          [JSON.stringify({ label })],
        )
      ).rows[0];
    const write = async (c: Client, label: string): Promise<string> => (await insert(c, label)).id;

    it('never serves an event that committed early past one that is still open (out-of-order commits)', async () => {
      const start = await tail();
      const [a, b] = [await connect(), await connect()];
      await a.query('BEGIN');
      const firstRow = await insert(a, 'first'); // lower seq, commits last
      const first = firstRow.id;
      await b.query('BEGIN');
      const second = await write(b, 'second');
      await b.query('COMMIT');

      // By sequence alone a reader would now see "second" and, resuming after it, miss "first".
      const bySeq = await t.pool.query(`SELECT id FROM events WHERE seq >= $1 ORDER BY seq`, [firstRow.seq]);
      const early = await poll({ after: start as string });
      await a.query('COMMIT');
      expect(bySeq.rows.map((r) => r.id)).toEqual([second]);
      expect(early.items).toEqual([]);
      expect(early.nextCursor).toBe(start);

      await feedCaughtUp(t.pool);
      const late = await poll({ after: start as string });
      expect(late.items.map((e) => e.id)).toEqual([first, second]);
      expect((await poll({ after: late.nextCursor as string })).items).toEqual([]);
    });

    it('orders positions numerically when transaction ids gain a digit (9999 before 10000)', async () => {
      const c = await connect();
      const start = await tail();
      const next = BigInt((await c.query(`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x`)).rows[0].x);
      const boundary = 10n ** BigInt(next.toString().length);
      // Each subtransaction that writes takes an xid: burn to a margin below the boundary in one
      // statement. Other test files share the cluster and take xids too (a margin of 4 was overrun
      // in CI), so then write events one by one until one lands past the boundary.
      const burn = Number(boundary - next - 300n);
      if (burn > 0)
        await c.query(`DO $$ BEGIN
            CREATE TEMP TABLE IF NOT EXISTS xid_burn (x int);
            FOR i IN 1..${burn} LOOP BEGIN INSERT INTO xid_burn VALUES (i); EXCEPTION WHEN others THEN NULL; END; END LOOP;
          END $$`);
      const written: string[] = [];
      const xids: bigint[] = [];
      while (xids.length === 0 || xids[xids.length - 1] < boundary) {
        const row = (
          await c.query(
            `INSERT INTO events (type, entity_type, entity_id, data) VALUES ('lessor.updated', 'lessor', gen_random_uuid(), $1) RETURNING id, xid::text AS xid`,
            [JSON.stringify({ label: `digits-${written.length}` })],
          )
        ).rows[0];
        written.push(row.id);
        xids.push(BigInt(row.xid));
        if (written.length > 2_000) throw new Error(`no xid reached ${boundary} after 2,000 events`);
      }
      // Positions on both sides of the boundary: before it, one digit fewer.
      expect(xids[0] < boundary && xids[xids.length - 1] >= boundary).toBe(true);

      await feedCaughtUp(t.pool);
      const served: string[] = [];
      let cursor = start;
      for (;;) {
        const page = await poll({ after: cursor, limit: 7 });
        if (page.items.length === 0) break;
        served.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor ?? undefined;
      }
      expect(served).toEqual(written);
    });

    it('a poller racing concurrent writers that commit and roll back out of order sees each committed event exactly once', async () => {
      const start = await tail();
      const writers = await Promise.all(Array.from({ length: 6 }, () => connect()));
      const committed: string[] = [];
      let writing = true;
      const pause = () => new Promise((r) => setTimeout(r, Math.floor(Math.random() * 8)));
      const writerLoop = async (c: Client, w: number) => {
        for (let i = 0; i < 25; i++) {
          await c.query('BEGIN');
          const ids = [await write(c, `w${w}-${i}a`)];
          await pause();
          if (i % 3 === 0) ids.push(await write(c, `w${w}-${i}b`));
          await pause();
          if (i % 5 === 4) await c.query('ROLLBACK');
          else {
            await c.query('COMMIT');
            committed.push(...ids);
          }
        }
      };
      const seen: FeedEvent[] = [];
      let cursor = start;
      const pollerLoop = async () => {
        while (writing) {
          const page = await poll({ after: cursor, limit: 7 });
          seen.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        }
      };
      const poller = pollerLoop();
      await Promise.all(writers.map((c, w) => writerLoop(c, w)));
      writing = false;
      await poller;
      seen.push(...(await drain(cursor)).items);

      const ids = seen.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual([...committed].sort());
      // The order served while racing is the order of the settled feed: nothing was slotted in behind.
      expect(ids).toEqual((await drain(start)).items.map((e) => e.id));
      expect(committed.length).toBeGreaterThan(100);
    });
  });
});
