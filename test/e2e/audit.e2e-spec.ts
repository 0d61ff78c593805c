import { bearer, startTestApp, TestApp } from '../support/test-app';

interface AuditEvent {
  id: string;
  at: string;
  actor: { keyId: string | null; name: string | null };
  action: string;
  entityType: string;
  entityId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  requestId: string | null;
  clientRequestId: string | null;
}

describe('audit trail', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const eventCount = async () => Number((await t.pool.query('SELECT count(*) FROM audit_events')).rows[0].count);
  const eventsFor = async (entityId: string): Promise<AuditEvent[]> =>
    (await t.http.get('/api/v1/audit-events').query({ entityId }).set(bearer()).expect(200)).body.items;

  it('records one event per create, update and delete, with before/after, the actor and the request id', async () => {
    const created = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('X-Request-Id', 'audit-create-1')
      .send({ name: 'Audited Ltd', rir: 'RIPE' })
      .expect(201);
    const id = created.body.id as string;
    expect(created.headers['x-request-id']).toBe('audit-create-1');
    const updated = await t.http
      .patch(`/api/v1/lessors/${id}`)
      .set(bearer())
      .set('If-Match', '"1"')
      .send({ notes: 'changed' })
      .expect(200);
    const deleted = await t.http.delete(`/api/v1/lessors/${id}`).set(bearer()).set('If-Match', '"2"').expect(204);

    const events = await eventsFor(id);
    expect(events.map((e) => e.action)).toEqual(['create', 'update', 'delete']);
    const adminId = (await t.pool.query(`SELECT id FROM api_keys WHERE name LIKE 'bootstrap-admin%'`)).rows[0].id;
    for (const e of events) {
      expect(e).toMatchObject({
        entityType: 'lessor',
        entityId: id,
        actor: { keyId: adminId, name: 'bootstrap-admin (ADMIN_API_KEY)' },
      });
      expect(new Date(e.at).toISOString()).toBe(e.at);
    }
    // The caller's X-Request-Id is kept beside the server's own id, never in its place (issue 10, S9).
    expect(events[0]).toMatchObject({ before: null, after: created.body, clientRequestId: 'audit-create-1' });
    expect(events[0].requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(events[1]).toMatchObject({
      before: created.body,
      after: updated.body,
      requestId: updated.headers['x-request-id'],
    });
    expect(events[2]).toMatchObject({ before: updated.body, after: null, requestId: deleted.headers['x-request-id'] });
    // A generated request id is a UUID, and it is the one the response carried.
    expect(events[1].requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('writes no event for refused requests (400, 404, 409, 412)', async () => {
    const { body: lessor } = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .send({ name: 'Refusals Inc', rir: 'ARIN' })
      .expect(201);
    const before = await eventCount();
    await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Bad', rir: 'NOPE' }).expect(400);
    await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .send('{"name": ')
      .set('Content-Type', 'application/json')
      .expect(400);
    await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'refusals inc', rir: 'ARIN' }).expect(409);
    await t.http
      .patch(`/api/v1/lessors/${lessor.id}`)
      .set(bearer())
      .set('If-Match', '"7"')
      .send({ notes: 'stale' })
      .expect(412);
    await t.http.delete(`/api/v1/lessors/${lessor.id}`).set(bearer()).set('If-Match', '"7"').expect(412);
    await t.http
      .patch('/api/v1/lessors/00000000-0000-4000-8000-000000000000')
      .set(bearer())
      .send({ notes: 'x' })
      .expect(404);
    await t.http.post('/api/v1/api-keys').set(bearer()).send({ name: 'x', role: 'superuser' }).expect(400);
    const viewer = await t.keyFor('viewer');
    await t.http.post('/api/v1/lessors').set(bearer(viewer)).send({ name: 'Viewer made', rir: 'ARIN' }).expect(403);
    expect(await eventCount()).toBe(before);
    expect((await eventsFor(lessor.id)).map((e) => e.action)).toEqual(['create']);
  });

  it('filters by entity type, actor, action and time, and paginates in order', async () => {
    const engineer = await t.keyFor('engineer');
    const engineerId = (await t.pool.query(`SELECT id FROM api_keys WHERE name = 'test-engineer'`)).rows[0]
      .id as string;
    const start = new Date(Date.now() - 1000).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (
          await t.http
            .post('/api/v1/lessors')
            .set(bearer(engineer))
            .send({ name: `By engineer ${i}`, rir: 'APNIC' })
            .expect(201)
        ).body.id,
      );

    const byActor: AuditEvent[] = (
      await t.http.get('/api/v1/audit-events').query({ actorKeyId: engineerId }).set(bearer()).expect(200)
    ).body.items;
    expect(byActor.map((e) => e.entityId)).toEqual(ids);
    expect(byActor.every((e) => e.actor.name === 'test-engineer')).toBe(true);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: AuditEvent[]; nextCursor: string | null } } = await t.http
        .get('/api/v1/audit-events')
        .query({
          actorKeyId: engineerId,
          entityType: 'lessor',
          action: 'create',
          since: start,
          limit: 2,
          ...(cursor ? { cursor } : {}),
        })
        .set(bearer(engineer))
        .expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((e) => e.entityId));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);

    const none = await t.http
      .get('/api/v1/audit-events')
      .query({ actorKeyId: engineerId, until: start })
      .set(bearer())
      .expect(200);
    expect(none.body).toEqual({ items: [], nextCursor: null });
    const deletes = await t.http
      .get('/api/v1/audit-events')
      .query({ actorKeyId: engineerId, action: 'delete' })
      .set(bearer())
      .expect(200);
    expect(deletes.body.items).toEqual([]);
    const otherType = await t.http
      .get('/api/v1/audit-events')
      .query({ actorKeyId: engineerId, entityType: 'api_key' })
      .set(bearer())
      .expect(200);
    expect(otherType.body.items).toEqual([]);
    // An offset in the timestamp is honoured.
    const offset = start.replace('Z', '+00:00');
    expect(
      (
        await t.http
          .get('/api/v1/audit-events')
          .query({ actorKeyId: engineerId, since: offset })
          .set(bearer())
          .expect(200)
      ).body.items,
    ).toHaveLength(3);
  });

  it.each([
    ['entityId', 'not-a-uuid'],
    ['actorKeyId', '123'],
    ['entityType', 'Lessor; DROP TABLE'],
    ['action', 'rename'],
    ['since', 'yesterday'],
    ['since', '2026-01-01'],
    ['since', '2026-02-30T00:00:00Z'],
    ['until', '2026-01-01T25:00:00Z'],
    ['until', '2026-01-01 00:00:00Z'],
    ['limit', '501'],
    ['cursor', 'not a cursor!'],
    ['colour', 'blue'],
  ])('refuses %s=%s with 400', async (field, value) => {
    const res = await t.http
      .get('/api/v1/audit-events')
      .query({ [field]: value })
      .set(bearer())
      .expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('refuses since after until', async () => {
    const res = await t.http
      .get('/api/v1/audit-events')
      .query({ since: '2026-02-01T00:00:00Z', until: '2026-01-01T00:00:00Z' })
      .set(bearer())
      .expect(400);
    expect(res.body.errors[0].field).toBe('until');
  });

  it('lets admin, engineer and finance read the trail, not viewers or anonymous callers', async () => {
    for (const role of ['engineer', 'finance'] as const)
      await t.http
        .get('/api/v1/audit-events')
        .set(bearer(await t.keyFor(role)))
        .expect(200);
    expect(
      (
        await t.http
          .get('/api/v1/audit-events')
          .set(bearer(await t.keyFor('viewer')))
          .expect(403)
      ).body.code,
    ).toBe('FORBIDDEN');
    await t.http.get('/api/v1/audit-events').expect(401);
  });

  it('cannot be changed: no route edits or deletes events, and the database refuses it too', async () => {
    const [event] = (await t.http.get('/api/v1/audit-events').query({ limit: 1 }).set(bearer()).expect(200)).body
      .items as AuditEvent[];
    await t.http.patch(`/api/v1/audit-events/${event.id}`).set(bearer()).send({ action: 'update' }).expect(404);
    await t.http.put(`/api/v1/audit-events/${event.id}`).set(bearer()).send({ action: 'update' }).expect(404);
    await t.http.delete(`/api/v1/audit-events/${event.id}`).set(bearer()).expect(404);
    // The list exists for GET only: other methods are 405 naming what it answers.
    const deleted = await t.http.delete('/api/v1/audit-events').set(bearer()).expect(405);
    expect(deleted.headers.allow).toBe('GET, HEAD');
    await t.http.post('/api/v1/audit-events').set(bearer()).send({}).expect(405);
    await expect(t.pool.query(`UPDATE audit_events SET action = 'update' WHERE id = $1`, [event.id])).rejects.toThrow(
      /append-only/,
    );
    await expect(t.pool.query(`DELETE FROM audit_events WHERE id = $1`, [event.id])).rejects.toThrow(/append-only/);
    const spec = (await t.http.get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const auditPaths = Object.entries(spec.paths).filter(([p]) => p.startsWith('/api/v1/audit-events'));
    expect(auditPaths.flatMap(([, ops]) => Object.keys(ops))).toEqual(['get']);
  });
});
