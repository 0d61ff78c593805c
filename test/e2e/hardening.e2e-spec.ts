import * as net from 'node:net';
import { redactQuerySecrets } from '../../src/bootstrap';
import { Writable } from 'node:stream';
import { ADMIN_KEY, bearer, startTestApp, TestApp } from '../support/test-app';

describe('hardening', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const lessorCount = async () => Number((await t.pool.query('SELECT count(*) FROM lessors')).rows[0].count);

  it('keeps CORS off: no Access-Control-Allow-Origin, also not on a preflight', async () => {
    const res = await t.http.get('/api/v1/lessors').set(bearer()).set('Origin', 'https://evil.example').expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    const preflight = await t.http
      .options('/api/v1/lessors')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, content-type');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('sends security headers', async () => {
    for (const path of ['/health', '/api/v1/lessors']) {
      const res = await t.http.get(path).set(bearer());
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('refuses a body over 128 KiB with 413 PAYLOAD_TOO_LARGE naming the limit, and writes nothing', async () => {
    const before = await lessorCount();
    const res = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'Huge', rir: 'RIPE', notes: 'x'.repeat(1024 * 1024 + 1) }))
      .expect(413);
    expect(res.body).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      status: 413,
      detail: 'The request body is larger than 128 KiB.',
    });
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(await lessorCount()).toBe(before);
  });

  it('accepts a body just under 128 KiB (the limit leaves room for the largest real request)', async () => {
    // Refused by validation (notes max 10000), not by size: proves the body was read and parsed.
    const res = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .send({ name: 'Big', rir: 'RIPE', notes: 'x'.repeat(128 * 1024 - 100) })
      .expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });

  it('refuses a text/plain body with 415 UNSUPPORTED_MEDIA_TYPE and writes nothing', async () => {
    const before = await lessorCount();
    const res = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Content-Type', 'text/plain')
      .send('{"name":"Plain","rir":"RIPE"}')
      .expect(415);
    expect(res.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 });
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(await lessorCount()).toBe(before);
  });

  it('refuses malformed JSON with 400 VALIDATION_FAILED, without parser details, and writes nothing', async () => {
    const before = await lessorCount();
    const res = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Content-Type', 'application/json')
      .send('{"name": "Broken", "rir": ')
      .expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'body' }] });
    expect(res.text).not.toMatch(/SyntaxError|at JSON\.parse|Unexpected end/);
    expect(await lessorCount()).toBe(before);
  });
});

describe('rate limiting', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ rateLimitPerMinute: 5 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 429 RATE_LIMITED with Retry-After once a key exceeds its per-minute budget, across routes', async () => {
    const viewer = await t.keyFor('viewer');
    const paths = [
      '/api/v1/lessors',
      '/api/v1/lessors?limit=1',
      '/api/v1/lessors',
      '/api/v1/lessors?limit=2',
      '/api/v1/lessors',
    ];
    for (const path of paths) {
      const ok = await t.http.get(path).set(bearer(viewer)).expect(200);
      expect(ok.headers['x-ratelimit-limit']).toBe('5');
    }
    const limited = await t.http
      .get('/api/v1/lessors/00000000-0000-4000-8000-000000000000')
      .set(bearer(viewer))
      .expect(429);
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(limited.headers['content-type']).toMatch(/application\/problem\+json/);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('counts per API key: another key still gets through, and public routes are not limited', async () => {
    const finance = await t.keyFor('finance');
    await t.http.get('/api/v1/lessors').set(bearer(finance)).expect(200);
    for (let i = 0; i < 8; i++) await t.http.get('/health').expect(200);
  });

  it('writes nothing for a rate-limited POST', async () => {
    const engineer = await t.keyFor('engineer');
    for (let i = 0; i < 5; i++) await t.http.get('/api/v1/lessors').set(bearer(engineer)).expect(200);
    const before = Number((await t.pool.query('SELECT count(*) FROM lessors')).rows[0].count);
    await t.http.post('/api/v1/lessors').set(bearer(engineer)).send({ name: 'Over budget', rir: 'RIPE' }).expect(429);
    expect(Number((await t.pool.query('SELECT count(*) FROM lessors')).rows[0].count)).toBe(before);
  });

  it('is off with RATE_LIMIT_PER_MINUTE=0 (the test default)', async () => {
    const off = await startTestApp();
    try {
      for (let i = 0; i < 12; i++) {
        const res = await off.http.get('/api/v1/lessors').set(bearer()).expect(200);
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
    } finally {
      await off.close();
    }
  });
});

describe('logs', () => {
  it('never contain a bearer key or a created key', async () => {
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString('utf8'));
        callback();
      },
    });
    const t = await startTestApp({}, undefined, { logDestination: sink, logLevel: 'trace' });
    let created: string;
    let viewerKey: string;
    try {
      viewerKey = await t.keyFor('viewer');
      await t.http.get('/api/v1/lessors').set(bearer()).expect(200);
      await t.http.get('/api/v1/lessors').set(bearer(viewerKey)).expect(200);
      await t.http.post('/api/v1/lessors').set(bearer(viewerKey)).send({ name: 'nope', rir: 'RIPE' }).expect(403);
      await t.http.get('/api/v1/lessors').set('Authorization', `Bearer ${ADMIN_KEY}-wrong`).expect(401);
      const res = await t.http
        .post('/api/v1/api-keys')
        .set(bearer())
        .set('Idempotency-Key', 'log-test')
        .send({ name: 'logged?', role: 'engineer' })
        .expect(201);
      created = res.body.key as string;
      await t.http
        .post('/api/v1/api-keys')
        .set(bearer())
        .set('Idempotency-Key', 'log-test')
        .send({ name: 'logged?', role: 'engineer' })
        .expect(201);
      await t.http.get('/api/v1/lessors').set(bearer(created)).expect(200);
      await t.http.get(`/api/v1/api-keys/${res.body.id}`).set(bearer(created)).expect(403);
      await t.http
        .post('/api/v1/lessors')
        .set(bearer(created))
        .set('Content-Type', 'application/json')
        .send('{"broken":')
        .expect(400);
    } finally {
      await t.close();
    }
    const log = chunks.join('');
    // The logger really was writing: one line for each of the nine requests (and one for the
    // harness reading GET /docs-json, which it checks every response against).
    expect(log).toContain('"url":"/api/v1/api-keys"');
    const completed = log.split('\n').filter((l) => l.includes('"msg":"request completed"'));
    expect(completed.filter((l) => !l.includes('"url":"/docs-json"'))).toHaveLength(9);
    for (const secret of [ADMIN_KEY, viewerKey, created]) {
      expect(log).not.toContain(secret);
      expect(log).not.toContain(secret.slice(4));
    }
  });
});

describe('malformed HTTP and secrets in URLs', () => {
  it('answers a request with oversized headers with a problem+json 431, and a garbage request line with 400', async () => {
    const t = await startTestApp();
    try {
      const port = Number(new URL(t.baseUrl).port);
      const raw = (payload: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => socket.write(payload));
          let data = '';
          socket.on('data', (chunk) => (data += chunk.toString('utf8')));
          socket.on('end', () => resolve(data));
          socket.on('error', reject);
        });
      const big = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expect(big).toMatch(/^HTTP\/1\.1 431 /);
      expect(big).toContain('Content-Type: application/problem+json');
      expect(JSON.parse(big.slice(big.indexOf('\r\n\r\n') + 4))).toMatchObject({
        status: 431,
        code: 'HEADERS_TOO_LARGE',
      });
      // A 100 KB URL is the same case: not a validation failure of some field (issue 10, item 10).
      const longUrl = await raw(`GET /api/v1/lessors?name=${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(JSON.parse(longUrl.slice(longUrl.indexOf('\r\n\r\n') + 4))).toMatchObject({
        status: 431,
        code: 'HEADERS_TOO_LARGE',
      });
      const garbage = await raw('HELLO THERE\r\n\r\n');
      expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 400 });
    } finally {
      await t.close();
    }
  });

  it('redacts secret-looking query parameters from logged URLs', async () => {
    expect(redactQuerySecrets('/api/v1/leases?api_key=ipl_abc&limit=5')).toBe(
      '/api/v1/leases?api_key=[redacted]&limit=5',
    );
    expect(redactQuerySecrets('/x?limit=5&token=t&Secret=s')).toBe('/x?limit=5&token=[redacted]&Secret=[redacted]');
    expect(redactQuerySecrets('/api/v1/lookup?ip=1.2.3.4')).toBe('/api/v1/lookup?ip=1.2.3.4');
  });
});

describe('bodies that are valid JSON but not valid data', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it.each([
    ['a lone surrogate in a value', '{"name":"x","rir":"RIPE","contactEmail":"\\udfffx\\ud800"}'],
    ['a lone surrogate in a key', '{"name":"x","rir":"RIPE","\\ud800":1}'],
    ['nesting 40 levels deep', `{"name":"x","rir":"RIPE","notes":${'['.repeat(40)}${']'.repeat(40)}}`],
  ])('refuses %s with 400 and writes nothing', async (_label, raw) => {
    const before = Number((await t.pool.query('SELECT count(*) FROM lessors')).rows[0].count);
    const res = await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .set('Content-Type', 'application/json')
      .send(raw)
      .expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'body' }] });
    expect(Number((await t.pool.query('SELECT count(*) FROM lessors')).rows[0].count)).toBe(before);
  });
});
