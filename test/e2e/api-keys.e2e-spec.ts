import { PassThrough } from 'node:stream';
import { Client } from 'pg';
import { ADMIN_KEY, bearer, startTestApp, TestApp } from '../support/test-app';
import { runCli } from '../../src/cli/cli';
import { openCliDatabase, runningEmbeddedPostgresUrl } from '../../src/cli/database';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const KEY_SHAPE = /^ipl_[A-Za-z0-9_-]{43}$/;

describe('API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const keyCount = async () => Number((await t.pool.query('SELECT count(*) FROM api_keys')).rows[0].count);
  const adminKeyId = async () =>
    (await t.pool.query(`SELECT id FROM api_keys WHERE name LIKE 'bootstrap-admin%'`)).rows[0].id as string;

  it('creates a key shown once, stores only its hash, and the key works with its role', async () => {
    const res = await t.http
      .post('/api/v1/api-keys')
      .set(bearer())
      .send({ name: 'terraform-ci', role: 'engineer' })
      .expect(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'terraform-ci',
      role: 'engineer',
      keyPrefix: 'ipl_',
      createdAt: expect.any(String),
      revokedAt: null,
      lastUsedAt: null,
      version: 1,
      key: expect.stringMatching(KEY_SHAPE),
    });
    expect(res.headers.etag).toBe('"1"');
    const key = res.body.key as string;

    const stored = await t.pool.query(
      `SELECT to_jsonb(k)::text AS row, encode(key_hash, 'hex') AS hash FROM api_keys k WHERE id = $1`,
      [res.body.id],
    );
    expect(stored.rows[0].row).not.toContain(key);
    expect(stored.rows[0].hash).toMatch(/^[0-9a-f]{64}$/);

    // The key authenticates as an engineer: it may write inventory, not administer keys.
    await t.http.post('/api/v1/lessors').set(bearer(key)).send({ name: 'Made by CI', rir: 'RIPE' }).expect(201);
    const forbidden = await t.http.get('/api/v1/api-keys').set(bearer(key)).expect(403);
    expect(forbidden.body.code).toBe('FORBIDDEN');

    // Lists and reads never carry the key or its hash.
    const list = await t.http.get('/api/v1/api-keys').set(bearer()).expect(200);
    const one = await t.http.get(`/api/v1/api-keys/${res.body.id}`).set(bearer()).expect(200);
    for (const text of [list.text, one.text]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(stored.rows[0].hash);
      expect(text).not.toMatch(/"key"|keyHash|key_hash/);
    }
    expect(one.body).toMatchObject({
      id: res.body.id,
      name: 'terraform-ci',
      role: 'engineer',
      keyPrefix: res.body.keyPrefix,
    });
  });

  it.each(['engineer', 'finance', 'viewer'] as const)('refuses every key route to the %s role', async (role) => {
    const key = await t.keyFor(role);
    const before = await keyCount();
    expect(
      (await t.http.post('/api/v1/api-keys').set(bearer(key)).send({ name: 'x', role: 'admin' }).expect(403)).body.code,
    ).toBe('FORBIDDEN');
    await t.http.get('/api/v1/api-keys').set(bearer(key)).expect(403);
    await t.http
      .get(`/api/v1/api-keys/${await adminKeyId()}`)
      .set(bearer(key))
      .expect(403);
    await t.http
      .delete(`/api/v1/api-keys/${await adminKeyId()}`)
      .set(bearer(key))
      .expect(403);
    expect(await keyCount()).toBe(before);
    await t.http.get('/api/v1/api-keys').expect(401);
  });

  it.each([
    ['unknown role', { name: 'x', role: 'root' }, 'role'],
    ['missing role', { name: 'x' }, 'role'],
    ['blank name', { name: '   ', role: 'viewer' }, 'name'],
    ['name with a newline', { name: 'a\nb', role: 'viewer' }, 'name'],
    ['name too long', { name: 'n'.repeat(101), role: 'viewer' }, 'name'],
    ['unknown field', { name: 'x', role: 'viewer', key: 'ipl_chosen-by-the-client-0000000000000' }, 'key'],
  ])('refuses %s with 400 and creates nothing', async (_label, body, field) => {
    const before = await keyCount();
    const res = await t.http.post('/api/v1/api-keys').set(bearer()).send(body).expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await keyCount()).toBe(before);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    expect(
      (await t.http.get('/api/v1/api-keys/00000000-0000-4000-8000-000000000000').set(bearer()).expect(404)).body.code,
    ).toBe('NOT_FOUND');
    expect(
      (await t.http.delete('/api/v1/api-keys/00000000-0000-4000-8000-000000000000').set(bearer()).expect(404)).body
        .code,
    ).toBe('NOT_FOUND');
    expect((await t.http.delete('/api/v1/api-keys/not-a-uuid').set(bearer()).expect(400)).body.code).toBe(
      'VALIDATION_FAILED',
    );
  });

  it('records lastUsedAt at most once a minute, and a request within that minute sends no write at all', async () => {
    const { body: created } = await t.http
      .post('/api/v1/api-keys')
      .set(bearer())
      .send({ name: 'busy-pipeline', role: 'viewer' })
      .expect(201);
    // Every statement the service sends, whatever the connection; the key's own writes are what matter here.
    const sent: string[] = [];
    const query = Client.prototype.query;
    const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string };
      sent.push(typeof first === 'string' ? first : (first?.text ?? ''));
      return (query as (...a: unknown[]) => unknown).apply(this, args) as never;
    });
    const lastUsedWrites = () =>
      sent.filter((s) => s.startsWith('UPDATE api_keys SET last_used_at = now() WHERE')).length;
    const lastUsedAt = async () =>
      (await t.pool.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [created.id])).rows[0]
        .last_used_at as Date | null;
    try {
      // Never used: the first request records it.
      await t.http.get('/api/v1/lessors').set(bearer(created.key)).expect(200);
      expect(lastUsedWrites()).toBe(1);
      await waitFor(async () => (await lastUsedAt()) !== null);

      // Used within the minute: ten more requests send no write at all (before, each sent one that matched no row).
      for (let i = 0; i < 10; i++) await t.http.get('/api/v1/lessors').set(bearer(created.key)).expect(200);
      expect(lastUsedWrites()).toBe(1);

      // Last used over a minute ago: the next request writes again.
      await t.pool.query(`UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, [created.id]);
      const stale = await lastUsedAt();
      await t.http.get('/api/v1/lessors').set(bearer(created.key)).expect(200);
      expect(lastUsedWrites()).toBe(2);
      await waitFor(async () => ((await lastUsedAt()) as Date).getTime() > (stale as Date).getTime());
    } finally {
      spy.mockRestore();
    }
  });

  it('revokes at once: the next request with the key is 401, and the key is listed as revoked', async () => {
    const { body: created } = await t.http
      .post('/api/v1/api-keys')
      .set(bearer())
      .send({ name: 'short-lived', role: 'viewer' })
      .expect(201);
    await t.http.get('/api/v1/lessors').set(bearer(created.key)).expect(200);
    await t.http.delete(`/api/v1/api-keys/${created.id}`).set(bearer()).expect(204);
    const refused = await t.http.get('/api/v1/lessors').set(bearer(created.key)).expect(401);
    expect(refused.body.code).toBe('UNAUTHENTICATED');
    const read = await t.http.get(`/api/v1/api-keys/${created.id}`).set(bearer()).expect(200);
    expect(read.body.revokedAt).toEqual(expect.any(String));
    // Revoking again changes nothing and records nothing new.
    const events = async () =>
      Number(
        (await t.pool.query(`SELECT count(*) FROM audit_events WHERE entity_id = $1`, [created.id])).rows[0].count,
      );
    expect(await events()).toBe(2);
    await t.http.delete(`/api/v1/api-keys/${created.id}`).set(bearer()).expect(204);
    expect(await events()).toBe(2);
  });

  it('carries a version and answers ETag like every other entity; revocation bumps it and honours If-Match', async () => {
    const { body: created } = await t.http
      .post('/api/v1/api-keys')
      .set(bearer())
      .send({ name: 'versioned', role: 'viewer' })
      .expect(201);
    const read = await t.http.get(`/api/v1/api-keys/${created.id}`).set(bearer()).expect(200);
    expect({ version: read.body.version, etag: read.headers.etag }).toEqual({ version: 1, etag: '"1"' });
    const stale = await t.http
      .delete(`/api/v1/api-keys/${created.id}`)
      .set(bearer())
      .set('If-Match', '"7"')
      .expect(412);
    expect(stale.body.code).toBe('PRECONDITION_FAILED');
    await t.http.get('/api/v1/lessors').set(bearer(created.key)).expect(200);
    await t.http.delete(`/api/v1/api-keys/${created.id}`).set(bearer()).set('If-Match', read.headers.etag).expect(204);
    const revoked = await t.http.get(`/api/v1/api-keys/${created.id}`).set(bearer()).expect(200);
    expect({ version: revoked.body.version, etag: revoked.headers.etag }).toEqual({ version: 2, etag: '"2"' });
    const listed = await t.http.get('/api/v1/api-keys').set(bearer()).expect(200);
    expect(listed.body.items.find((k: { id: string }) => k.id === created.id)).toMatchObject({ version: 2 });
  });

  it('records create and revoke in the audit trail without key material', async () => {
    const { body: created } = await t.http
      .post('/api/v1/api-keys')
      .set(bearer())
      .send({ name: 'audited', role: 'finance' })
      .expect(201);
    await t.http.delete(`/api/v1/api-keys/${created.id}`).set(bearer()).expect(204);
    const { rows } = await t.pool.query(
      `SELECT action, actor_name, before, after, to_jsonb(e)::text AS raw FROM audit_events e WHERE entity_type = 'api_key' AND entity_id = $1 ORDER BY seq`,
      [created.id],
    );
    expect(rows.map((r) => r.action)).toEqual(['create', 'revoke']);
    expect(rows[0]).toMatchObject({
      before: null,
      after: { id: created.id, name: 'audited', role: 'finance', revokedAt: null },
    });
    expect(rows[1].before.revokedAt).toBeNull();
    expect(rows[1].after.revokedAt).toEqual(expect.any(String));
    const hash = (await t.pool.query(`SELECT encode(key_hash, 'hex') AS h FROM api_keys WHERE id = $1`, [created.id]))
      .rows[0].h as string;
    for (const row of rows) {
      expect(row.raw).not.toContain(created.key);
      expect(row.raw).not.toContain(created.key.slice(10));
      expect(row.raw).not.toContain(hash);
      expect(row.raw).not.toContain(Buffer.from(hash, 'hex').toString('base64'));
      expect(row.actor_name).toBe('bootstrap-admin (ADMIN_API_KEY)');
    }
  });

  it('paginates the key list in creation order', async () => {
    for (let i = 0; i < 3; i++)
      await t.http
        .post('/api/v1/api-keys')
        .set(bearer())
        .send({ name: `page-${i}`, role: 'viewer' })
        .expect(201);
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { name: string }[]; nextCursor: string | null } } = await t.http
        .get('/api/v1/api-keys')
        .query({ limit: 2, role: 'viewer', ...(cursor ? { cursor } : {}) })
        .set(bearer())
        .expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      names.push(...res.body.items.map((k) => k.name));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(names.filter((n) => n.startsWith('page-'))).toEqual(['page-0', 'page-1', 'page-2']);
    await t.http.get('/api/v1/api-keys').query({ role: 'root' }).set(bearer()).expect(400);
    await t.http.get('/api/v1/api-keys').query({ limit: 0 }).set(bearer()).expect(400);
  });
});

describe('API keys: the last admin', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  const activeAdmins = async () =>
    Number(
      (await t.pool.query(`SELECT count(*) FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL`)).rows[0].count,
    );

  it('refuses to revoke the last active admin key with 409 IN_USE, and allows it once another admin exists', async () => {
    const bootstrapId = (await t.http.get('/api/v1/api-keys').set(bearer()).expect(200)).body.items[0].id as string;
    const refused = await t.http.delete(`/api/v1/api-keys/${bootstrapId}`).set(bearer()).expect(409);
    expect(refused.body).toMatchObject({ code: 'IN_USE' });
    expect(refused.body.detail).toMatch(/last active admin key/);
    expect(await activeAdmins()).toBe(1);
    expect(
      Number((await t.pool.query(`SELECT count(*) FROM audit_events WHERE action = 'revoke'`)).rows[0].count),
    ).toBe(0);

    const { body: second } = await t.http
      .post('/api/v1/api-keys')
      .set(bearer())
      .send({ name: 'second-admin', role: 'admin' })
      .expect(201);
    // The new admin revokes the bootstrap key; the bootstrap key stops working at once.
    await t.http.delete(`/api/v1/api-keys/${bootstrapId}`).set(bearer(second.key)).expect(204);
    await t.http.get('/api/v1/api-keys').set(bearer(ADMIN_KEY)).expect(401);
    expect((await t.http.delete(`/api/v1/api-keys/${second.id}`).set(bearer(second.key)).expect(409)).body.code).toBe(
      'IN_USE',
    );
  });

  it('keeps an admin when two admins revoke each other at the same moment', async () => {
    const bootstrapId = (await t.http.get('/api/v1/api-keys').set(bearer()).expect(200)).body.items[0].id as string;
    const { body: second } = await t.http
      .post('/api/v1/api-keys')
      .set(bearer())
      .send({ name: 'rival', role: 'admin' })
      .expect(201);
    const results = await Promise.all([
      t.http.delete(`/api/v1/api-keys/${second.id}`).set(bearer(ADMIN_KEY)),
      t.http.delete(`/api/v1/api-keys/${bootstrapId}`).set(bearer(second.key)),
    ]);
    const statuses = results.map((r) => r.status).sort();
    // One revocation wins; the other is refused (409), or arrives after its own key was revoked (401).
    expect(statuses.filter((s) => s === 204)).toHaveLength(1);
    expect(statuses.every((s) => [204, 401, 409].includes(s))).toBe(true);
    expect(await activeAdmins()).toBe(1);
  });
});

describe('CLI: api-key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (b: Buffer) => out.push(b));
    stderr.on('data', (b: Buffer) => err.push(b));
    const code = await runCli(argv, { env: { DATABASE_URL: t.databaseUrl }, stdout, stderr });
    return { code, out: Buffer.concat(out).toString('utf8'), err: Buffer.concat(err).toString('utf8') };
  }

  it('creates a key that the running service accepts, lists it, and revokes it', async () => {
    const created = await cli('api-key', 'create', '--name', 'ci', '--role', 'engineer');
    expect(created.code).toBe(0);
    const key = /(ipl_[A-Za-z0-9_-]{43})/.exec(created.out)?.[1];
    expect(key).toMatch(KEY_SHAPE);
    expect(created.out).toMatch(/shown only this once/);
    const id = /id ([0-9a-f-]{36})/.exec(created.out)?.[1] as string;

    await t.http.post('/api/v1/lessors').set(bearer(key)).send({ name: 'From a CLI key', rir: 'ARIN' }).expect(201);
    await t.http.get('/api/v1/api-keys').set(bearer(key)).expect(403);

    const listed = await cli('api-key', 'list');
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(id);
    expect(listed.out).toMatch(/ci\s+engineer/);
    expect(listed.out).not.toContain(key);

    const json = JSON.parse((await cli('api-key', 'list', '--json')).out) as { id: string; revokedAt: string | null }[];
    expect(json.find((k) => k.id === id)?.revokedAt).toBeNull();

    const revoked = await cli('api-key', 'revoke', id);
    expect(revoked.code).toBe(0);
    await t.http.get('/api/v1/lessors').set(bearer(key)).expect(401);

    const events = await t.pool.query(
      `SELECT action, actor_key_id, actor_name, request_id FROM audit_events WHERE entity_id = $1 ORDER BY seq`,
      [id],
    );
    expect(events.rows.map((r) => r.action)).toEqual(['create', 'revoke']);
    expect(events.rows[0]).toMatchObject({
      actor_key_id: null,
      actor_name: expect.stringMatching(/^cli:/),
      request_id: expect.stringMatching(/^cli-/),
    });
  });

  it('prints JSON with the key when asked', async () => {
    const res = await cli('api-key', 'create', '--name', 'json-out', '--role', 'viewer', '--json');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out)).toMatchObject({
      name: 'json-out',
      role: 'viewer',
      key: expect.stringMatching(KEY_SHAPE),
    });
  });

  it.each([
    [['api-key', 'create', '--name', 'x', '--role', 'root'], /role must be one of/],
    [['api-key', 'create', '--role', 'viewer'], /needs --name/],
    [['api-key', 'revoke', 'nope'], /UUID/],
    [['api-key', 'frobnicate'], /Unknown api-key command/],
    [['api-key', 'create', '--name', 'x', '--role', 'viewer', '--colour'], /Unknown option/],
    [['lease', 'list'], /Unknown command/],
  ])('refuses %j with usage (exit 2) and writes nothing', async (argv, message) => {
    const before = Number((await t.pool.query('SELECT count(*) FROM api_keys')).rows[0].count);
    const res = await cli(...argv);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(message);
    expect(res.err).toContain('Usage:');
    expect(Number((await t.pool.query('SELECT count(*) FROM api_keys')).rows[0].count)).toBe(before);
  });

  it('refuses to revoke the last admin key (exit 1) and an unknown id', async () => {
    const admins = (await t.pool.query(`SELECT id FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL`)).rows;
    expect(admins).toHaveLength(1);
    const res = await cli('api-key', 'revoke', admins[0].id);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/IN_USE: .*last active admin key/);
    const unknown = await cli('api-key', 'revoke', '00000000-0000-4000-8000-000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/NOT_FOUND/);
  });

  it('finds the embedded PostgreSQL a running service owns instead of starting (and stopping) its own', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iplease-cli-'));
    try {
      expect(runningEmbeddedPostgresUrl(dataDir)).toBeUndefined();
      const url = new URL(t.databaseUrl);
      fs.mkdirSync(path.join(dataDir, 'pg'));
      // postmaster.pid: pid, data dir, start time, port, … — this process stands in for the postmaster.
      fs.writeFileSync(
        path.join(dataDir, 'pg', 'postmaster.pid'),
        `${process.pid}\n${dataDir}/pg\n0\n${url.port}\n\n127.0.0.1\n`,
      );
      fs.writeFileSync(
        path.join(dataDir, 'embedded-postgres.json'),
        JSON.stringify({ password: decodeURIComponent(url.password) }),
      );
      const found = runningEmbeddedPostgresUrl(dataDir);
      expect(found).toBe(`postgres://postgres:${url.password}@127.0.0.1:${url.port}/iplease`);

      // Pointed at the test database, the same path opens, migrates (nothing to do) and queries it.
      const opened = await openCliDatabase(
        { databaseUrl: t.databaseUrl, dataDir },
        { info: () => undefined, debug: () => undefined, error: () => undefined },
      );
      try {
        const rows = await opened.db.query<{ n: number }[]>('SELECT count(*)::int AS n FROM api_keys');
        expect(rows[0].n).toBeGreaterThan(0);
      } finally {
        await opened.close();
      }

      // A dead postmaster is not "running".
      fs.writeFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), `999999999\n${dataDir}/pg\n0\n${url.port}\n`);
      expect(runningEmbeddedPostgresUrl(dataDir)).toBeUndefined();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** The last-used write is sent without waiting for it (best effort): poll for its effect. */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
