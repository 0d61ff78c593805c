import { requestContext } from '../../src/common/request-context';
import { Writes } from '../../src/persistence/writes';
import { requestFingerprint } from '../../src/idempotency/fingerprint';
import { IdempotencyPurger } from '../../src/idempotency/idempotency.purger';
import { bearer, startTestApp, TestApp } from '../support/test-app';

describe('Idempotency-Key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  let n = 0;
  const unique = (label: string) => `${label} ${++n} ${Date.now()}`;
  const lessorsNamed = async (name: string) =>
    Number((await t.pool.query('SELECT count(*) FROM lessors WHERE name = $1', [name])).rows[0].count);
  const lessorCount = async () => Number((await t.pool.query('SELECT count(*) FROM lessors')).rows[0].count);
  const auditCount = async () => Number((await t.pool.query('SELECT count(*) FROM audit_events')).rows[0].count);
  const storedKeys = async () => Number((await t.pool.query('SELECT count(*) FROM idempotency_keys')).rows[0].count);
  const adminKeyId = async () =>
    (await t.pool.query(`SELECT id FROM api_keys WHERE name LIKE 'bootstrap-admin%'`)).rows[0].id as string;

  it('replays the first status, body and ETag for the same key and body, and creates nothing more', async () => {
    const name = unique('Replay');
    const body = { name, rir: 'RIPE', notes: 'first' };
    const first = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', 'replay-1')
      .send(body)
      .expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const audits = await auditCount();

    // Key order in the body does not make it a different request.
    const again = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', 'replay-1')
      .send({ notes: 'first', rir: 'RIPE', name })
      .expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.text).toBe(first.text);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(again.headers['content-type']).toMatch(/^application\/json/);
    expect(again.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    expect(await lessorsNamed(name)).toBe(1);
    expect(await auditCount()).toBe(audits);
  });

  it('refuses the same key with a different body, path or query with 422 and changes nothing', async () => {
    const name = unique('Reuse');
    await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', 'reuse-1')
      .send({ name, rir: 'ARIN' })
      .expect(201);
    const before = await lessorCount();
    const audits = await auditCount();
    const differentBody = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', 'reuse-1')
      .send({ name: `${name} 2`, rir: 'ARIN' })
      .expect(422);
    expect(differentBody.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
    expect(differentBody.headers['content-type']).toMatch(/application\/problem\+json/);
    await t.http
      .post('/api/v1/lessors?dryRun=true')
      .set(bearer())
      .set('Idempotency-Key', 'reuse-1')
      .send({ name, rir: 'ARIN' })
      .expect(422);
    await t.http
      .post('/api/v1/api-keys')
      .set(bearer())
      .set('Idempotency-Key', 'reuse-1')
      .send({ name: 'x', role: 'viewer' })
      .expect(422);
    expect(await lessorCount()).toBe(before);
    expect(await auditCount()).toBe(audits);
  });

  it('treats the query string by its parameters, not their order', async () => {
    const name = unique('Query order');
    await t.http
      .post('/api/v1/lessors?a=1&b=2')
      .set(bearer())
      .set('Idempotency-Key', 'query-order')
      .send({ name, rir: 'RIPE' })
      .expect(201);
    const replay = await t.http
      .post('/api/v1/lessors?b=2&a=1')
      .set(bearer())
      .set('Idempotency-Key', 'query-order')
      .send({ name, rir: 'RIPE' })
      .expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    await t.http
      .post('/api/v1/lessors?a=1&b=3')
      .set(bearer())
      .set('Idempotency-Key', 'query-order')
      .send({ name, rir: 'RIPE' })
      .expect(422);
    expect(await lessorsNamed(name)).toBe(1);
  });

  it('scopes keys to the calling API key', async () => {
    const engineer = await t.keyFor('engineer');
    await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', 'shared-key')
      .send({ name: unique('Admin'), rir: 'LACNIC' })
      .expect(201);
    const other = await t.http
      .post('/api/v1/lessors')
      .set(bearer(engineer))
      .set('Idempotency-Key', 'shared-key')
      .send({ name: unique('Engineer'), rir: 'LACNIC' })
      .expect(201);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
  });

  it.each([
    ['256 characters', 'k'.repeat(256)],
    ['a tab', 'a\tb'],
    ['a non-ASCII character', 'clé'],
    ['an empty value', ''],
  ])('refuses a key with %s with 400 and writes nothing', async (_label, key) => {
    const before = await lessorCount();
    const keys = await storedKeys();
    const res = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', key)
      .send({ name: unique('Bad key'), rir: 'RIPE' })
      .expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'Idempotency-Key' }] });
    expect(await lessorCount()).toBe(before);
    expect(await storedKeys()).toBe(keys);
  });

  it('accepts a 255-character key of printable ASCII', async () => {
    const key = ' !"#$%&()*+,-./0123456789:;<=>?@[\\]^_`{|}~'.padEnd(255, 'x');
    await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', key)
      .send({ name: unique('Long key'), rir: 'RIPE' })
      .expect(201);
    const replay = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', key)
      .send({ name: `Long key ${n} x`, rir: 'RIPE' })
      .expect(422);
    expect(replay.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('stores nothing for a refused request: the same key then runs a corrected request', async () => {
    const name = unique('Corrected');
    const keys = await storedKeys();
    await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', 'fix-me')
      .send({ name, rir: 'IANA' })
      .expect(400);
    expect(await storedKeys()).toBe(keys);
    await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .send({ name: `${name} taken`, rir: 'RIPE' })
      .expect(201);
    await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', 'fix-me')
      .send({ name: `${name} taken`, rir: 'RIPE' })
      .expect(409);
    expect(await storedKeys()).toBe(keys);
    const ok = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', 'fix-me')
      .send({ name, rir: 'RIPE' })
      .expect(201);
    expect(ok.headers['idempotent-replayed']).toBeUndefined();
    expect(await storedKeys()).toBe(keys + 1);
  });

  it('creates exactly once when identical requests with one key race', async () => {
    const name = unique('Race');
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        t.http.post('/api/v1/lessors').set(bearer()).set('Idempotency-Key', 'race-1').send({ name, rir: 'AFRINIC' }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(7);
    expect(await lessorsNamed(name)).toBe(1);
    const events = await t.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE entity_id = $1`, [
      responses[0].body.id,
    ]);
    expect(events.rows[0].n).toBe(1);
  });

  it('gives the racers with a different body 422, and only the winner runs', async () => {
    const base = unique('Race diff');
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        t.http
          .post('/api/v1/lessors')
          .set(bearer())
          .set('Idempotency-Key', 'race-2')
          .send({ name: `${base} ${i}`, rir: 'APNIC' }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 422, 422, 422, 422]);
    const created = Number(
      (await t.pool.query(`SELECT count(*) FROM lessors WHERE name LIKE $1`, [`${base} %`])).rows[0].count,
    );
    expect(created).toBe(1);
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_USE, running nothing, when a committed claim never got its response', async () => {
    // As if the process died between committing the change and storing the response.
    const name = unique('Orphan');
    const body = { name, rir: 'RIPE' };
    const fingerprint = requestFingerprint('POST', '/api/v1/lessors', '', body);
    await t.pool.query(
      `INSERT INTO idempotency_keys (api_key_id, key, fingerprint, method, path) VALUES ($1, 'orphan-1', $2, 'POST', '/api/v1/lessors')`,
      [await adminKeyId(), fingerprint],
    );
    const started = Date.now();
    const res = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', 'orphan-1')
      .send(body)
      .expect(409);
    expect(res.body.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_500);
    expect(await lessorsNamed(name)).toBe(0);
    // A different request with that key is still a reuse, without waiting.
    const reused = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', 'orphan-1')
      .send({ name: 'other', rir: 'RIPE' })
      .expect(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  }, 20_000);

  it('replays a 204 and a secret-free API key creation', async () => {
    const first = await t.http
      .post('/api/v1/api-keys')
      .set(bearer())
      .set('Idempotency-Key', 'key-once')
      .send({ name: 'idem-key', role: 'viewer' })
      .expect(201);
    expect(first.body.key).toMatch(/^ipl_/);
    const stored = await t.pool.query(`SELECT response_body FROM idempotency_keys WHERE key = 'key-once'`);
    expect(stored.rows[0].response_body).not.toContain(first.body.key);
    const replay = await t.http
      .post('/api/v1/api-keys')
      .set(bearer())
      .set('Idempotency-Key', 'key-once')
      .send({ name: 'idem-key', role: 'viewer' })
      .expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const { key: _secret, ...withoutKey } = first.body;
    expect(replay.body).toEqual(withoutKey);
    expect(Number((await t.pool.query(`SELECT count(*) FROM api_keys WHERE name = 'idem-key'`)).rows[0].count)).toBe(1);
  });

  it('does nothing for requests without the header: each POST runs', async () => {
    const name = unique('No key');
    await t.http.post('/api/v1/api-keys').set(bearer()).send({ name, role: 'viewer' }).expect(201);
    await t.http.post('/api/v1/api-keys').set(bearer()).send({ name, role: 'viewer' }).expect(201);
    expect(Number((await t.pool.query(`SELECT count(*) FROM api_keys WHERE name = $1`, [name])).rows[0].count)).toBe(2);
  });

  it('re-inserts the claim when a transaction is retried after a deadlock', async () => {
    const writes = t.app.get(Writes);
    const claim = {
      apiKeyId: await adminKeyId(),
      key: 'deadlock-retry',
      fingerprint: Buffer.alloc(32, 7),
      method: 'POST',
      path: '/test',
      claimed: false,
    };
    let attempts = 0;
    await requestContext.run({ requestId: 'deadlock-test', idempotency: claim }, () =>
      writes.transaction(async (tx) => {
        attempts++;
        const inTx = await tx.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'deadlock-retry'`);
        expect(inTx[0].n).toBe(1);
        if (attempts === 1) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      }),
    );
    expect(attempts).toBe(2);
    expect(claim.claimed).toBe(true);
    expect(
      Number((await t.pool.query(`SELECT count(*) FROM idempotency_keys WHERE key = 'deadlock-retry'`)).rows[0].count),
    ).toBe(1);
  });

  it('keeps keys for 24 hours: older ones are ignored, taken over, and purged after 25', async () => {
    const admin = await adminKeyId();
    const insertAged = (key: string, hours: number) =>
      t.pool.query(
        `INSERT INTO idempotency_keys (api_key_id, key, fingerprint, method, path, status_code, response_headers, response_body, created_at, completed_at)
         VALUES ($1, $2, $3, 'POST', '/api/v1/lessors', 201, '{}', '{"stale":true}', now() - make_interval(mins => $4), now())`,
        [admin, key, Buffer.alloc(32, 1), hours * 60],
      );
    await insertAged('aged-23h', 23);
    await insertAged('aged-24h30', 24.5);
    await insertAged('aged-26h', 26);

    // 23 h old: still honoured (the stored fingerprint differs from this request's, so 422).
    await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', 'aged-23h')
      .send({ name: unique('Aged'), rir: 'RIPE' })
      .expect(422);
    // Past 24 h: ignored and taken over by the new request.
    const name = unique('Taken over');
    const fresh = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Idempotency-Key', 'aged-24h30')
      .send({ name, rir: 'RIPE' })
      .expect(201);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect(await lessorsNamed(name)).toBe(1);

    const purged = await t.app.get(IdempotencyPurger).purge();
    expect(purged).toBe(1);
    const left = (await t.pool.query(`SELECT key FROM idempotency_keys WHERE key LIKE 'aged-%' ORDER BY key`)).rows.map(
      (r) => r.key,
    );
    expect(left).toEqual(['aged-23h', 'aged-24h30']);
  });

  it('documents the header on every POST in the OpenAPI spec', async () => {
    const spec = (await t.http.get('/docs-json').expect(200)).body as {
      paths: Record<string, { post?: { parameters?: { name: string }[]; responses: Record<string, unknown> } }>;
    };
    const posts = Object.entries(spec.paths).filter(([, item]) => item.post);
    expect(posts.length).toBeGreaterThan(1);
    for (const [, item] of posts) {
      expect(item.post?.parameters?.map((p) => p.name)).toContain('Idempotency-Key');
      expect(item.post?.responses['422']).toBeDefined();
    }
  });
});
