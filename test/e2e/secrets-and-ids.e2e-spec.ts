import { ADMIN_KEY, bearer, createTestDatabase, dropTestDatabase, startTestApp, TestApp } from '../support/test-app';

/** Issue 10: items 5 (no part of a chosen secret), S3 (rotation), S5 (key audit admin-only), S9 (request ids), S8 (METRICS_TOKEN). */
describe('secrets, key audit and request ids', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('shows no character of a chosen ADMIN_API_KEY, and only the fixed ipl_ marker of a generated key', async () => {
    const created = await t.http
      .post('/api/v1/api-keys')
      .set(bearer())
      .send({ name: 'gen', role: 'viewer' })
      .expect(201);
    expect(created.body.keyPrefix).toBe('ipl_');
    const list = await t.http.get('/api/v1/api-keys').set(bearer()).expect(200);
    const bootstrap = list.body.items.find((k: { name: string }) => k.name === 'bootstrap-admin (ADMIN_API_KEY)');
    expect(bootstrap.keyPrefix).toBeNull();
    const secretPart = created.body.key.slice(4) as string;
    for (let i = 0; i + 4 <= secretPart.length; i++) expect(list.text).not.toContain(secretPart.slice(i, i + 4));
    for (let i = 0; i + 10 <= ADMIN_KEY.length; i++) expect(list.text).not.toContain(ADMIN_KEY.slice(i, i + 10));
  });

  it.each(['engineer', 'finance'] as const)(
    'never shows audit events about API keys to the %s role (403 when asked, left out of other lists)',
    async (role) => {
      const key = await t.keyFor(role);
      const created = await t.http
        .post('/api/v1/api-keys')
        .set(bearer())
        .send({ name: `audited-${role}`, role: 'viewer' });
      const asked = await t.http
        .get('/api/v1/audit-events')
        .query({ entityType: 'api_key' })
        .set(bearer(key))
        .expect(403);
      expect(asked.body.code).toBe('FORBIDDEN');
      expect(asked.body.detail).toBe('Audit events about API keys are visible to admins only.');
      const byId = await t.http
        .get('/api/v1/audit-events')
        .query({ entityId: created.body.id })
        .set(bearer(key))
        .expect(200);
      expect(byId.body.items).toEqual([]);
      const all = await t.http.get('/api/v1/audit-events').query({ limit: 500 }).set(bearer(key)).expect(200);
      expect(all.body.items.filter((e: { entityType: string }) => e.entityType === 'api_key')).toEqual([]);
      // The admin still sees them.
      const admin = await t.http
        .get('/api/v1/audit-events')
        .query({ entityId: created.body.id })
        .set(bearer())
        .expect(200);
      expect(admin.body.items).toHaveLength(1);
    },
  );

  it("keeps a client's X-Request-Id beside a server-generated id; a client cannot pose as the CLI", async () => {
    const posing = 'cli-00000000-0000-4000-8000-000000000000';
    const res = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('X-Request-Id', posing)
      .send({ name: 'Posing Ltd', rir: 'RIPE' })
      .expect(201);
    expect(res.headers['x-request-id']).toBe(posing);
    const events = await t.http.get('/api/v1/audit-events').query({ entityId: res.body.id }).set(bearer()).expect(200);
    expect(events.body.items[0].clientRequestId).toBe(posing);
    expect(events.body.items[0].requestId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(events.body.items[0].requestId).not.toBe(posing);
  });
});

describe('changing ADMIN_API_KEY revokes the previous bootstrap key (S3)', () => {
  it('at the next start; both steps are audited, and an unchanged key is left alone', async () => {
    const url = await createTestDatabase();
    const oldKey = 'ipl_rotation-old-key-0123456789abcdefgh';
    const newKey = 'ipl_rotation-new-key-9876543210zyxwvuts';
    try {
      const first = await startTestApp({ adminApiKey: oldKey }, url);
      await first.http.get('/api/v1/lessors').set(bearer(oldKey)).expect(200);
      await first.close();
      const again = await startTestApp({ adminApiKey: oldKey }, url);
      await again.http.get('/api/v1/lessors').set(bearer(oldKey)).expect(200);
      await again.close();

      const second = await startTestApp({ adminApiKey: newKey }, url);
      try {
        await second.http.get('/api/v1/lessors').set(bearer(oldKey)).expect(401);
        await second.http.get('/api/v1/lessors').set(bearer(newKey)).expect(200);
        const events = (
          await second.http.get('/api/v1/audit-events').query({ entityType: 'api_key' }).set(bearer(newKey)).expect(200)
        ).body.items as { action: string; actor: { name: string }; requestId: string; after: { revokedAt: string } }[];
        expect(events.map((e) => e.action)).toEqual(['create', 'create', 'revoke']);
        expect(events[2].after.revokedAt).toEqual(expect.any(String));
        for (const e of events) {
          expect(e.actor.name).toBe('iplease startup (ADMIN_API_KEY)');
          expect(e.requestId).toMatch(/^startup-/);
        }
      } finally {
        await second.close();
      }
    } finally {
      await dropTestDatabase(url);
    }
  });
});

describe('METRICS_TOKEN', () => {
  it('protects /metrics when set; without it /metrics stays public', async () => {
    const token = 'metrics-token-0123456789abcdefXYZ';
    const guarded = await startTestApp({ metricsToken: token });
    try {
      const refused = await guarded.http.get('/metrics').expect(401);
      expect(refused.body.code).toBe('UNAUTHENTICATED');
      await guarded.http
        .get('/metrics')
        .set(bearer(`${token}x`))
        .expect(401);
      await guarded.http.get('/metrics').set(bearer(ADMIN_KEY)).expect(401);
      const ok = await guarded.http.get('/metrics').set(bearer(token)).expect(200);
      expect(ok.text).toContain('http_request_duration');
    } finally {
      await guarded.close();
    }
    await t0();
  });
  const t0 = async () => {
    const open = await startTestApp();
    try {
      await open.http.get('/metrics').expect(200);
    } finally {
      await open.close();
    }
  };
});
