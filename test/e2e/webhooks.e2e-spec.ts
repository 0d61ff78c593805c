import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { typeMatches } from '../../src/events/event-types';
import { bearer, startTestApp, TestApp } from '../support/test-app';
import { eventually, feedCaughtUp, WebhookReceiver } from '../support/webhook-receiver';

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  attempt: number;
  status: 'pending' | 'succeeded' | 'failed' | 'gave-up';
  responseStatus: number | null;
  durationMs: number | null;
  error: string | null;
  at: string | null;
  nextAttemptAt: string | null;
}

describe('webhooks', () => {
  let t: TestApp;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({
      webhookAllowPrivateTargets: true,
      webhookRetrySeconds: [1, 1],
      webhookTimeoutSeconds: 2,
    });
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  let counter = 0;
  const createWebhook = async (path: string, eventTypes: string[] = ['lessor.*']) =>
    (
      await t.http
        .post('/api/v1/webhooks')
        .set(bearer())
        .send({ url: receiver.url(path), eventTypes, description: `test ${path}` })
        .expect(201)
    ).body as { id: string; secret: string; version: number };
  const createLessor = async () =>
    (
      await t.http
        .post('/api/v1/lessors')
        .set(bearer())
        .send({ name: `Hooked ${process.pid}-${++counter}`, rir: 'ARIN' })
        .expect(201)
    ).body as { id: string };
  const log = async (webhookId: string): Promise<Delivery[]> =>
    (await t.http.get(`/api/v1/webhooks/${webhookId}/deliveries`).set(bearer()).expect(200)).body.items;
  const settled = (webhookId: string, n: number) =>
    eventually(
      async () => {
        const items = await log(webhookId);
        return items.length >= n && items.every((d) => d.status !== 'pending') ? items : undefined;
      },
      30_000,
      `${n} settled deliveries`,
    );

  it('creates, reads, updates, rotates and deletes subscriptions; the secret is shown only at create and rotate', async () => {
    const created = await t.http
      .post('/api/v1/webhooks')
      .set(bearer())
      .send({ url: receiver.url('/crud'), eventTypes: ['lease.*', 'allocation.created', 'lease.*'] })
      .expect(201);
    expect(created.body).toMatchObject({
      url: receiver.url('/crud'),
      eventTypes: ['lease.*', 'allocation.created'],
      description: null,
      active: true,
      version: 1,
    });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(created.body.secret.slice(6), 'base64')).toHaveLength(32);
    expect(created.headers.etag).toBe('"1"');
    const id = created.body.id as string;

    const got = await t.http.get(`/api/v1/webhooks/${id}`).set(bearer()).expect(200);
    expect(got.body.secret).toBeUndefined();
    const listed = await t.http.get('/api/v1/webhooks').set(bearer()).expect(200);
    expect(listed.body.items.find((w: { id: string }) => w.id === id)).toEqual(got.body);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');

    const patched = await t.http
      .patch(`/api/v1/webhooks/${id}`)
      .set(bearer())
      .set('If-Match', '"1"')
      .send({ eventTypes: ['*'], description: 'all', active: false })
      .expect(200);
    expect(patched.body).toMatchObject({ eventTypes: ['*'], description: 'all', active: false, version: 2 });
    await t.http
      .patch(`/api/v1/webhooks/${id}`)
      .set(bearer())
      .set('If-Match', '"1"')
      .send({ active: true })
      .expect(412);

    const rotated = await t.http.post(`/api/v1/webhooks/${id}/rotate-secret`).set(bearer()).expect(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(rotated.body.version).toBe(3);

    // The event log publishes webhook changes, never their secret.
    await feedCaughtUp(t.pool);
    const events = await t.http.get('/api/v1/events').query({ entityId: id }).set(bearer()).expect(200);
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual([
      'webhook.created',
      'webhook.updated',
      'webhook.updated',
    ]);
    expect(JSON.stringify(events.body)).not.toContain('whsec_');

    await t.http.delete(`/api/v1/webhooks/${id}`).set(bearer()).set('If-Match', '"3"').expect(204);
    await t.http.get(`/api/v1/webhooks/${id}`).set(bearer()).expect(404);
    await t.http.post(`/api/v1/webhooks/${id}/rotate-secret`).set(bearer()).expect(404);
  });

  it('refuses malformed subscriptions with the field named, writing nothing', async () => {
    const before = (await t.pool.query('SELECT count(*)::int AS n FROM webhooks')).rows[0].n;
    const cases: [Record<string, unknown>, string][] = [
      [{ url: 'ftp://example.net/x', eventTypes: ['*'] }, 'url'],
      [{ url: 'not a url', eventTypes: ['*'] }, 'url'],
      [{ url: 'https://user:pw@example.net/', eventTypes: ['*'] }, 'url'],
      [{ url: 'https://example.net/#frag', eventTypes: ['*'] }, 'url'],
      [{ url: `https://example.net/${'a'.repeat(2100)}`, eventTypes: ['*'] }, 'url'],
      [{ url: 'https://example.net/', eventTypes: [] }, 'eventTypes'],
      [{ url: 'https://example.net/', eventTypes: ['lease'] }, 'eventTypes'],
      [{ url: 'https://example.net/', eventTypes: ['lease.**'] }, 'eventTypes'],
      [{ url: 'https://example.net/', eventTypes: 'lease.*' }, 'eventTypes'],
      [{ url: 'https://example.net/', eventTypes: ['*'], active: 'yes' }, 'active'],
      [{ url: 'https://example.net/', eventTypes: ['*'], secret: 'whsec_mine' }, 'secret'],
    ];
    for (const [body, field] of cases) {
      const res = await t.http.post('/api/v1/webhooks').set(bearer()).send(body).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await t.pool.query('SELECT count(*)::int AS n FROM webhooks')).rows[0].n).toBe(before);
  });

  it('delivers subscribed events signed per Standard Webhooks (verified by the standardwebhooks package)', async () => {
    const hook = await createWebhook('/signed', ['lessor.created']);
    const lessor = await createLessor();
    await t.http
      .post('/api/v1/regions')
      .set(bearer())
      .send({ code: `hooked-${process.pid}`, name: 'Not subscribed', countryCode: 'DE' })
      .expect(201);
    const [delivery] = await settled(hook.id, 1);
    expect(delivery).toMatchObject({
      eventType: 'lessor.created',
      attempt: 1,
      status: 'succeeded',
      responseStatus: 204,
    });
    expect(receiver.at('/signed')).toHaveLength(1);
    const [received] = receiver.at('/signed');
    const payload = new Webhook(hook.secret).verify(received.body, received.headers) as {
      type: string;
      timestamp: string;
      data: { id: string; entityId: string };
    };
    await feedCaughtUp(t.pool);
    const event = (await t.http.get('/api/v1/events').query({ entityId: lessor.id }).set(bearer()).expect(200)).body
      .items[0];
    expect(payload).toEqual({ type: 'lessor.created', timestamp: event.occurredAt, data: event });
    expect(received.headers['webhook-id']).toBe(event.id);
    expect(delivery.eventId).toBe(event.id);
    // A different secret does not verify: the signature really binds the secret.
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(received.body, received.headers),
    ).toThrow();
  });

  it('retries failures on the configured schedule with the same webhook-id, logging each attempt', async () => {
    receiver.on('/flaky', (_req, res, _r, nth) => res.writeHead(nth <= 2 ? 503 : 200).end(nth <= 2 ? 'busy' : 'ok'));
    const hook = await createWebhook('/flaky');
    await createLessor();
    const items = await settled(hook.id, 3);
    expect(items.map((d) => [d.attempt, d.status, d.responseStatus])).toEqual([
      [1, 'failed', 503],
      [2, 'failed', 503],
      [3, 'succeeded', 200],
    ]);
    expect(items[0].error).toBe('HTTP 503: busy');
    expect(new Set(items.map((d) => d.eventId)).size).toBe(1);
    for (const d of items.slice(0, 2)) expect(d.nextAttemptAt).not.toBeNull();
    expect(items[2].nextAttemptAt).toBeNull();
    const ids = receiver.at('/flaky').map((r) => r.headers['webhook-id']);
    expect(ids).toEqual([items[0].eventId, items[0].eventId, items[0].eventId]);
    for (const r of receiver.at('/flaky')) new Webhook(hook.secret).verify(r.body, r.headers);
  });

  it('gives up after the last retry', async () => {
    receiver.on('/down', (_req, res) => res.writeHead(500).end());
    const hook = await createWebhook('/down');
    await createLessor();
    const items = await settled(hook.id, 3);
    expect(items.map((d) => d.status)).toEqual(['failed', 'failed', 'gave-up']);
    expect(receiver.at('/down')).toHaveLength(3);
  });

  it('deactivates the webhook on 410 Gone', async () => {
    receiver.on('/gone', (_req, res) => res.writeHead(410).end());
    const hook = await createWebhook('/gone');
    await createLessor();
    const [delivery] = await settled(hook.id, 1);
    expect(delivery).toMatchObject({ status: 'gave-up', responseStatus: 410 });
    const after = await eventually(async () => {
      const res = await t.http.get(`/api/v1/webhooks/${hook.id}`).set(bearer()).expect(200);
      return res.body.active === false ? res.body : undefined;
    });
    expect(after.version).toBe(2);
    // Deliveries are queued in the event's own transaction: an inactive webhook gets none.
    await createLessor();
    expect(await log(hook.id)).toHaveLength(1);
    expect(receiver.at('/gone')).toHaveLength(1);
  });

  it('does not follow redirects and does not wait past the timeout', async () => {
    receiver.on('/redirect', (_req, res) => res.writeHead(302, { location: receiver.url('/target') }).end());
    receiver.on('/slow', () => undefined); // never answers
    const redirect = await createWebhook('/redirect');
    const slow = await createWebhook('/slow');
    await createLessor();
    const [r] = await settled(redirect.id, 3);
    expect(r).toMatchObject({ status: 'failed', responseStatus: 302, error: 'HTTP 302: redirects are not followed' });
    expect(receiver.at('/target')).toHaveLength(0);
    const [s] = await settled(slow.id, 3);
    expect(s).toMatchObject({ status: 'failed', responseStatus: null });
    expect(s.error).toMatch(/^timeout/);
  });

  it('reads only the first bytes of a large answer', async () => {
    let written = 0;
    let closedEarly = false;
    receiver.on('/big', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (closedEarly = !res.writableFinished));
      pump();
    });
    const hook = await createWebhook('/big');
    await createLessor();
    const [d] = await settled(hook.id, 1);
    expect(d.status).toBe('succeeded');
    await eventually(() => closedEarly);
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('signs with the rotated secret from then on, and redelivers on request with the same webhook-id', async () => {
    const hook = await createWebhook('/rotated');
    const rotated = (await t.http.post(`/api/v1/webhooks/${hook.id}/rotate-secret`).set(bearer()).expect(200)).body;
    await createLessor();
    const [first] = await settled(hook.id, 1);
    const [received] = receiver.at('/rotated');
    expect(() => new Webhook(hook.secret).verify(received.body, received.headers)).toThrow();
    new Webhook(rotated.secret).verify(received.body, received.headers);

    const again = await t.http
      .post(`/api/v1/webhooks/${hook.id}/deliveries/${first.id}/redeliver`)
      .set(bearer())
      .expect(202);
    expect(again.body).toMatchObject({ eventId: first.eventId, attempt: 2, status: 'pending' });
    await settled(hook.id, 2);
    expect(receiver.at('/rotated').map((r) => r.headers['webhook-id'])).toEqual([first.eventId, first.eventId]);
    await t.http
      .post(`/api/v1/webhooks/${hook.id}/deliveries/00000000-0000-4000-8000-000000000000/redeliver`)
      .set(bearer())
      .expect(404);
  });

  it('filters in SQL (webhook_wants) exactly as the documented rule says (property)', async () => {
    const word = fc.constantFrom('lease', 'leases', 'allocation', 'lessor', 'lease_x', 'expired', 'created', 'a');
    const type = fc.tuple(word, word).map(([a, b]) => `${a}.${b}`);
    const pattern = fc.oneof(
      fc.constant('*'),
      type,
      word.map((w) => `${w}.*`),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(pattern, { minLength: 1, maxLength: 4 }), type, async (patterns, eventType) => {
        const { rows } = await t.pool.query('SELECT webhook_wants($1::text[], $2) AS wants', [patterns, eventType]);
        expect(rows[0].wants).toBe(patterns.some((p) => typeMatches(p, eventType)));
      }),
      { numRuns: 300 },
    );
  });

  it('counts deliveries by outcome and exposes the oldest undelivered event age', async () => {
    const res = await t.http.get('/metrics').expect(200);
    expect(res.text).toMatch(/iplease_webhook_deliveries_total\{outcome="succeeded"\} [1-9]/);
    expect(res.text).toMatch(/iplease_webhook_deliveries_total\{outcome="failed"\} [1-9]/);
    expect(res.text).toMatch(/iplease_events_written_total\{type="lessor.created"\} [1-9]/);
    // The inactive /gone webhook's queued event does not count; others have all settled or are retrying.
    expect(res.text).toMatch(/iplease_webhook_oldest_undelivered_event_age_seconds \d/);
  });
});

describe('webhook targets (SSRF)', () => {
  let t: TestApp;
  const receiver = new WebhookReceiver();
  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({ webhookAllowPrivateTargets: false, webhookRetrySeconds: [1] });
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  it.each([
    'http://127.0.0.1:8080/',
    'http://localhost/',
    'http://[::1]/',
    'http://10.1.2.3/',
    'http://172.16.0.1/',
    'http://192.168.1.1/',
    'http://169.254.169.254/latest/meta-data',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://0x7f000001/',
    'http://2130706433/',
    'http://[::ffff:127.0.0.1]/',
    'http://[fe80::1]/',
    'http://[fc00::1]/',
    'https://192.0.2.10/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
  ])('refuses %s at create', async (url) => {
    const res = await t.http
      .post('/api/v1/webhooks')
      .set(bearer())
      .send({ url, eventTypes: ['*'] })
      .expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors).toEqual([{ field: 'url', message: expect.stringMatching(/special-purpose/) }]);
  });

  it('accepts public destinations', async () => {
    await t.http
      .post('/api/v1/webhooks')
      .set(bearer())
      .send({ url: 'https://93.184.215.14/hook', eventTypes: ['region.*'] })
      .expect(201);
    await t.http
      .post('/api/v1/webhooks')
      .set(bearer())
      .send({ url: 'https://[2606:4700::1111]/hook', eventTypes: ['region.*'] })
      .expect(201);
  });

  it('refuses a special-purpose destination again at delivery time', async () => {
    // Stored behind the API's back (e.g. configured while private targets were allowed).
    const { rows } = await t.pool.query(
      `INSERT INTO webhooks (url, event_types, secret) VALUES ($1, '{lessor.*}', $2) RETURNING id`,
      [receiver.url('/private'), `whsec_${Buffer.alloc(32, 1).toString('base64')}`],
    );
    await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .send({ name: `SSRF ${process.pid}`, rir: 'RIPE' })
      .expect(201);
    const items = await eventually(async () => {
      const res = await t.http.get(`/api/v1/webhooks/${rows[0].id}/deliveries`).set(bearer()).expect(200);
      return res.body.items.length === 1 && res.body.items[0].status !== 'pending' ? res.body.items : undefined;
    });
    expect(items[0]).toMatchObject({ status: 'gave-up', responseStatus: null });
    expect(items[0].error).toMatch(/^refused: 127\.0\.0\.1 lies in 127\.0\.0\.0\/8 \(Loopback/);
    expect(receiver.received).toHaveLength(0);
  });
});
