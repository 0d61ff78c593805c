import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

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
