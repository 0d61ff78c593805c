import type { Benchmark } from './lib/benchmark';
import type { HttpClient } from './lib/http';
import { loopFor, sequential, summarise } from './lib/stats';

const PATH = '/api/v1/regions?limit=1';

/**
 * (5) What the shared per-key rate limit costs: the same cheap authenticated read against the main
 * service (RATE_LIMIT_PER_MINUTE=0) and against a second instance with the limit on (1,000,000 per
 * minute, never reached), whose counters live in PostgreSQL: one upsert per request. Throughput
 * from `concurrency` clients, then single-client latency.
 */
export const benchmark: Benchmark = {
  name: 'rate-limit',
  title: 'Shared rate limit overhead (counters in PostgreSQL)',
  async run(ctx) {
    const limited = await ctx.startService({ RATE_LIMIT_PER_MINUTE: '1000000' });
    const measure = async (http: HttpClient) => {
      const get = async () => {
        const res = await http.get(PATH);
        if (res.status !== 200) throw new Error(`GET ${PATH} answered ${res.status}`);
      };
      const run = await loopFor(
        {
          concurrency: ctx.options.concurrency,
          warmupMs: ctx.options.warmupSeconds * 1000,
          durationMs: Math.max(5, Math.round(ctx.options.durationSeconds / 2)) * 1000,
        },
        get,
      );
      const single = summarise(await sequential(ctx.options.readSamples, 20, get));
      return { perSec: run.results.length / run.seconds, single };
    };
    // Interleaved twice so drift of the shared machine hits both sides alike.
    const off1 = await measure(ctx.http);
    const on1 = await measure(limited.http);
    const off2 = await measure(ctx.http);
    const on2 = await measure(limited.http);
    const avg = (a: number, b: number) => (a + b) / 2;
    const off = { perSec: avg(off1.perSec, off2.perSec), p50: avg(off1.single.p50, off2.single.p50) };
    const on = { perSec: avg(on1.perSec, on2.perSec), p50: avg(on1.single.p50, on2.single.p50) };
    ctx.record({
      key: 'rateLimit.off.perSec',
      metric: `GET ${PATH}, ${ctx.options.concurrency} clients, rate limit off`,
      value: off.perSec,
      unit: 'req/s',
      note: 'mean of two interleaved runs',
    });
    ctx.record({
      key: 'rateLimit.on.perSec',
      metric: `same, per-key limit on (counter in PostgreSQL)`,
      value: on.perSec,
      unit: 'req/s',
      note: `${(((on.perSec - off.perSec) / off.perSec) * 100).toFixed(1)}% vs off`,
    });
    ctx.record({ key: 'rateLimit.off.p50', metric: 'same read, 1 client, limit off, p50', value: off.p50, unit: 'ms' });
    ctx.record({
      key: 'rateLimit.on.p50',
      metric: 'same read, 1 client, limit on, p50',
      value: on.p50,
      unit: 'ms',
      note: `${on.p50 >= off.p50 ? '+' : '−'}${Math.abs(on.p50 - off.p50).toFixed(2)} ms`,
    });
  },
};
