import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'iplease_' });

export const httpRequestDuration = new Histogram({
  name: 'iplease_http_request_duration_seconds',
  help: 'HTTP request duration by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
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
