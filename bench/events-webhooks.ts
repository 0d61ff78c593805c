import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { allocateOverHttp } from './allocation-latency';
import type { BenchContext, Benchmark } from './lib/benchmark';
import { insertLease } from './lib/seed';
import { elapsedMs, loopFor, sequential, summarise } from './lib/stats';

const SAMPLES = 500;
const DELIVERY_EVENTS = 3000;

/**
 * Events and webhooks: what the transactional outbox costs on the allocation path, and how fast
 * queued deliveries drain to a receiver on loopback.
 *
 * 1. Bare SQL: the allocation transaction alone, then with the audit+event statement the service
 *    adds (one round trip, same transaction), 1 pg client: the event write's own cost.
 * 2. HTTP next-free /28, p50 (1 client) and throughput (`concurrency` clients), with no webhook,
 *    then with one webhook subscribed to "*" (each allocation also queues a delivery, which the
 *    service sends meanwhile).
 * 3. Delivery throughput: DELIVERY_EVENTS events queued at once for one webhook; time until all
 *    are delivered (2xx) by one instance.
 */
export const benchmark: Benchmark = {
  name: 'events',
  title: 'Events and webhooks: outbox overhead on allocation, delivery throughput',
  async run(ctx) {
    const receiver = await startReceiver();
    try {
      const lease = await insertLease(ctx.db, ctx.world, ctx.takePrefix(14).prefix);

      const bare = summarise(await sqlAllocation(ctx, lease, false));
      const withEvent = summarise(await sqlAllocation(ctx, lease, true));
      ctx.record({
        key: 'events.sql.bare.p50',
        metric: 'allocation transaction, bare SQL (no audit, no event), p50',
        value: bare.p50,
        unit: 'ms',
        note: `${bare.count} sequential, 1 pg client`,
      });
      ctx.record({
        key: 'events.sql.event.p50',
        metric: 'same + the audit/event/delivery-fan-out statement, p50',
        value: withEvent.p50,
        unit: 'ms',
        note: `+${(withEvent.p50 - bare.p50).toFixed(3)} ms`,
      });

      const measure = async (label: string) => {
        const single = summarise(await sequential(SAMPLES, 30, () => allocateOverHttp(ctx, lease)));
        const run = await loopFor(
          {
            concurrency: ctx.options.concurrency,
            warmupMs: ctx.options.warmupSeconds * 1000,
            durationMs: ctx.options.durationSeconds * 1000,
          },
          () => allocateOverHttp(ctx, lease),
        );
        ctx.record({
          key: `events.http.${label}.p50`,
          metric: `next-free /28 over HTTP, 1 client, p50, ${label === 'none' ? 'no webhook' : 'one webhook on "*"'}`,
          value: single.p50,
          unit: 'ms',
          note: `${single.count} sequential`,
        });
        ctx.record({
          key: `events.http.${label}.perSec`,
          metric: `next-free /28 over HTTP, ${ctx.options.concurrency} clients, ${label === 'none' ? 'no webhook' : 'one webhook on "*"'}`,
          value: run.results.length / run.seconds,
          unit: 'alloc/s',
        });
      };
      await ctx.db.query(`UPDATE webhooks SET active = false`);
      await measure('none');
      const hook = await ctx.http.post<{ id: string }>('/api/v1/webhooks', {
        url: `${receiver.url}/all`,
        eventTypes: ['*'],
      });
      if (hook.status !== 201) throw new Error(`webhook create answered ${hook.status}`);
      await measure('webhook');
      const none = ctx.results.get('events.http.none.perSec')?.value ?? 0;
      const hooked = ctx.results.get('events.http.webhook.perSec')?.value ?? 0;
      ctx.log(`allocation throughput with one webhook: ${(((hooked - none) / none) * 100).toFixed(1)}% vs none`);
      await waitDrained(ctx, hook.body.id);
      await ctx.db.query(`UPDATE webhooks SET active = false WHERE id = $1`, [hook.body.id]);

      // Delivery throughput: queue DELIVERY_EVENTS at once, time the drain.
      const drain = await ctx.http.post<{ id: string }>('/api/v1/webhooks', {
        url: `${receiver.url}/drain`,
        eventTypes: ['bench.*'],
      });
      const before = receiver.count('/drain');
      const started = process.hrtime.bigint();
      await ctx.db.query(
        `WITH e AS (
           INSERT INTO events (type, entity_type, entity_id, data)
           SELECT 'bench.tick', 'bench', gen_random_uuid(), jsonb_build_object('n', n) FROM generate_series(1, $1) n
           RETURNING id)
         INSERT INTO webhook_deliveries (webhook_id, event_id) SELECT $2, id FROM e`,
        [DELIVERY_EVENTS, drain.body.id],
      );
      await waitDrained(ctx, drain.body.id);
      const seconds = elapsedMs(started) / 1000;
      if (receiver.count('/drain') - before < DELIVERY_EVENTS) throw new Error('receiver missed deliveries');
      await ctx.db.query(`UPDATE webhooks SET active = false WHERE id = $1`, [drain.body.id]);
      ctx.record({
        key: 'events.delivery.perSec',
        metric: `webhook deliveries to a loopback receiver, ${DELIVERY_EVENTS} queued at once, 1 instance`,
        value: DELIVERY_EVENTS / seconds,
        unit: 'deliveries/s',
        note: 'claim 16 per batch (SKIP LOCKED), sign, POST, record',
      });
    } finally {
      await receiver.close();
    }
  },
};

async function waitDrained(ctx: BenchContext, webhookId: string): Promise<void> {
  for (;;) {
    const { rows } = await ctx.db.query(
      `SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = $1 AND status = 'pending'`,
      [webhookId],
    );
    if (rows[0].n === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function sqlAllocation(ctx: BenchContext, leaseId: string, withEvent: boolean): Promise<number[]> {
  const c = await ctx.db.connect();
  try {
    return await sequential(SAMPLES, 30, async () => {
      await c.query('BEGIN');
      await c.query(`SELECT id FROM leases WHERE id = $1 FOR NO KEY UPDATE`, [leaseId]);
      const block = (await c.query(`SELECT free_blocks_take($1, 28, false)::text AS prefix`, [leaseId])).rows[0].prefix;
      const row = (
        await c.query(
          `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, requested_prefix_length, strategy)
           VALUES ($1, $2::cidr, $3, $4, 28, 'best-fit') RETURNING id, to_jsonb(allocations.*) AS view`,
          [leaseId, block, ctx.world.regionId, ctx.world.providerId],
        )
      ).rows[0];
      if (withEvent) {
        // The statement AuditRepository.record + EventsRepository.append send (one round trip).
        await c.query(
          `WITH event AS (
             INSERT INTO events (type, entity_type, entity_id, data) VALUES ('allocation.created', 'allocation', $1, $2)
             RETURNING id, type
           ), queued AS (
             INSERT INTO webhook_deliveries (webhook_id, event_id)
             SELECT w.id, event.id FROM event JOIN webhooks w ON w.active AND webhook_wants(w.event_types, event.type)
           ), alongside AS (
             INSERT INTO audit_events (action, entity_type, entity_id, after) VALUES ('create', 'allocation', $1, $2)
           )
           SELECT id FROM event`,
          [row.id, row.view],
        );
      }
      await c.query('COMMIT');
    });
  } finally {
    c.release();
  }
}

async function startReceiver(): Promise<{ url: string; count(path: string): number; close(): Promise<void> }> {
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '/';
      counts.set(path, (counts.get(path) ?? 0) + 1);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    count: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
