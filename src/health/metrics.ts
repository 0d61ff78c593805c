import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'iplease_' });

export const httpRequestDuration = new Histogram({
  name: 'iplease_http_request_duration_seconds',
  help: 'HTTP request duration by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});

export const eventsWritten = new Counter({
  name: 'iplease_events_written_total',
  help: 'Events committed to the event log, by type',
  labelNames: ['type'] as const,
  registers: [metricsRegistry],
});

export const webhookDeliveries = new Counter({
  name: 'iplease_webhook_deliveries_total',
  help: 'Webhook delivery attempts made by this instance, by outcome (succeeded, failed, gave-up, refused)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});

let oldestUndelivered: (() => Promise<number>) | undefined;

/** Where the gauge below reads from (the running application's database). */
export function setOldestUndeliveredSource(source: () => Promise<number>): void {
  oldestUndelivered = source;
}

export const oldestUndeliveredEventAge = new Gauge({
  name: 'iplease_webhook_oldest_undelivered_event_age_seconds',
  help: 'Age of the oldest event still waiting to be delivered to an active webhook (0 when none)',
  registers: [metricsRegistry],
  async collect() {
    this.set(oldestUndelivered ? await oldestUndelivered().catch(() => 0) : 0);
  },
});

let strandedSource: (() => Promise<number>) | undefined;

/** The reports module tells the gauge how to count; the count is taken at scrape time. */
export function countStrandedAllocationsWith(source: (() => Promise<number>) | undefined): void {
  strandedSource = source;
}

export const strandedAllocations = new Gauge({
  name: 'iplease_stranded_allocations',
  help: 'Active allocations whose lease term has ended (space in use that is no longer leased)',
  registers: [metricsRegistry],
  async collect() {
    if (!strandedSource) return;
    try {
      this.set(await strandedSource());
    } catch {
      // Database unreachable: the scrape still answers, with the last known count.
    }
  },
});
