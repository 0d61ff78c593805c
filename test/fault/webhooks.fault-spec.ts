import { Webhook } from 'standardwebhooks';
import { freePort } from '../../src/database/embedded-postgres';
import { listeningPort, ServiceProcess, startService } from '../support/process';
import { eventually, WebhookReceiver } from '../support/webhook-receiver';
import { Api, faultMainJs, OwnPostgres } from './support';

const KEY = 'ipl_fault-webhooks-admin-key-0123456789';

interface Delivery {
  id: string;
  eventId: string;
  attempt: number;
  status: string;
  responseStatus: number | null;
  error: string | null;
}

/**
 * Webhook deliveries against real service processes and a real receiver on loopback: the
 * receiver goes away and comes back, a service is SIGKILLed while a request is in flight, and
 * three services share one queue. Signatures are checked with the standardwebhooks package.
 */
describe('webhook deliveries under faults', () => {
  let pg: OwnPostgres;
  const services: ServiceProcess[] = [];
  let counter = 0;

  const start = async (extra: Record<string, string> = {}) => {
    const service = startService(faultMainJs(), {
      PORT: '0',
      DATABASE_URL: pg.url,
      ADMIN_API_KEY: KEY,
      LOG_LEVEL: 'info',
      RATE_LIMIT_PER_MINUTE: '0',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_RETRY_SECONDS: '1,1,1,1,1,1,1,1,1,1',
      WEBHOOK_TIMEOUT_SECONDS: '3',
      SCHEDULER_INTERVAL_SECONDS: '3600',
      ...extra,
    });
    services.push(service);
    const port = await listeningPort(service, 60_000);
    return { service, api: new Api(`http://127.0.0.1:${port}`, KEY) };
  };
  const subscribe = async (api: Api, url: string) =>
    (await api.expect(201, 'POST', '/api/v1/webhooks', { url, eventTypes: ['lessor.created'] })).body as {
      id: string;
      secret: string;
    };
  const createLessor = (api: Api) =>
    api.expect(201, 'POST', '/api/v1/lessors', { name: `Fault ${process.pid}-${++counter}`, rir: 'RIPE' });
  const log = async (api: Api, webhookId: string): Promise<Delivery[]> =>
    ((await api.expect(200, 'GET', `/api/v1/webhooks/${webhookId}/deliveries?limit=500`)).body as { items: Delivery[] })
      .items;

  beforeAll(async () => {
    pg = await OwnPostgres.create();
  }, 90_000);

  afterAll(async () => {
    for (const s of services) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await pg?.destroy();
  });

  it('receiver down, then up: failed attempts are retried until one succeeds, each attempt in the log', async () => {
    const { api, service } = await start();
    const receiverPort = await freePort();
    const receiver = new WebhookReceiver();
    const hook = await subscribe(api, `http://127.0.0.1:${receiverPort}/late`);
    await createLessor(api);
    await eventually(
      async () => (await log(api, hook.id)).filter((d) => d.status === 'failed').length >= 2 || undefined,
      60_000,
    );
    await receiver.start(receiverPort);
    try {
      const items = await eventually(async () => {
        const all = await log(api, hook.id);
        return all.some((d) => d.status === 'succeeded') ? all : undefined;
      }, 60_000);
      const failed = items.filter((d) => d.status === 'failed');
      expect(failed.length).toBeGreaterThanOrEqual(2);
      for (const d of failed) expect(d.error).toMatch(/^ECONNREFUSED/);
      expect(items.map((d) => d.attempt)).toEqual(items.map((_, i) => i + 1));
      expect(items[items.length - 1]).toMatchObject({ status: 'succeeded', responseStatus: 204 });
      expect(new Set(items.map((d) => d.eventId)).size).toBe(1);
      expect(receiver.received).toHaveLength(1);
      new Webhook(hook.secret).verify(receiver.received[0].body, receiver.received[0].headers);
      expect(receiver.received[0].headers['webhook-id']).toBe(items[0].eventId);
    } finally {
      await receiver.stop();
      service.child.kill('SIGTERM');
      await service.exited();
    }
  });

  it('service killed mid-delivery and restarted: the delivery is made again with the same webhook-id, nothing lost', async () => {
    const receiver = await new WebhookReceiver().start();
    const held: (() => void)[] = [];
    receiver.on('/held', (_req, res, _r, nth) => {
      if (nth === 1) held.push(() => res.writeHead(200).end());
      else res.writeHead(200).end();
    });
    try {
      const first = await start();
      const hook = await subscribe(first.api, receiver.url('/held'));
      await createLessor(first.api);
      await eventually(() => receiver.at('/held').length === 1 || undefined, 30_000, 'the first request');
      first.service.child.kill('SIGKILL');
      await first.service.exited();
      for (const release of held) release();

      const second = await start();
      const items = await eventually(async () => {
        const all = await log(second.api, hook.id);
        return all.length === 1 && all[0].status === 'succeeded' ? all : undefined;
      }, 60_000);
      // The killed process never recorded attempt 1; the restarted one made it again once its claim lapsed.
      expect(items[0]).toMatchObject({ attempt: 1, status: 'succeeded', responseStatus: 200 });
      const requests = receiver.at('/held');
      expect(requests).toHaveLength(2);
      expect(requests.map((r) => r.headers['webhook-id'])).toEqual([items[0].eventId, items[0].eventId]);
      for (const r of requests) new Webhook(hook.secret).verify(r.body, r.headers);
      second.service.child.kill('SIGTERM');
      await second.service.exited();
    } finally {
      await receiver.stop();
    }
  });

  it('three instances share the queue: each event reaches each webhook exactly once', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const three = [await start(), await start(), await start()];
      const hooks = [
        await subscribe(three[0].api, receiver.url('/a')),
        await subscribe(three[1].api, receiver.url('/b')),
      ];
      const created = await Promise.all(Array.from({ length: 60 }, (_, i) => createLessor(three[i % 3].api)));
      const lessorIds = new Set(created.map((r) => (r.body as { id: string }).id));
      await eventually(() => (receiver.at('/a').length >= 60 && receiver.at('/b').length >= 60) || undefined, 60_000);
      for (const [i, path] of ['/a', '/b'].entries()) {
        const requests = receiver.at(path);
        expect(requests).toHaveLength(60);
        const ids = requests.map((r) => r.headers['webhook-id']);
        expect(new Set(ids).size).toBe(60);
        const entities = requests.map(
          (r) =>
            (new Webhook(hooks[i].secret).verify(r.body, r.headers) as { data: { entityId: string } }).data.entityId,
        );
        expect(new Set(entities)).toEqual(lessorIds);
        const items = await log(three[2].api, hooks[i].id);
        expect(items.map((d) => [d.attempt, d.status])).toEqual(items.map(() => [1, 'succeeded']));
      }
      for (const { service } of three) service.child.kill('SIGTERM');
    } finally {
      await receiver.stop();
    }
  });
});
