import type { Benchmark } from './lib/benchmark';
import { machineCpu } from './lib/machine';
import { insertLease } from './lib/seed';
import { loopFor, summarise } from './lib/stats';

/**
 * (b) The same next-free /28 allocations through the real service: HTTP, auth, validation,
 * provider rule, the transaction, the audit row and the JSON answer, from `concurrency`
 * keep-alive clients into one big lease. Also samples the service's RSS under that load.
 */
export const benchmark: Benchmark = {
  name: 'http-throughput',
  title: 'HTTP next-free allocation throughput',
  async run(ctx) {
    const { prefix } = ctx.takePrefix(12);
    const leaseId = await insertLease(ctx.db, ctx.world, prefix);
    const body = { leaseId, prefixLength: 28, regionId: ctx.world.regionId, providerId: ctx.world.providerId };
    const statuses = new Map<number, number>();
    const countedFrom = Date.now() + ctx.options.warmupSeconds * 1000;
    let warm = false;
    const rssIdle = ctx.service.rssMiB();
    let stopRss: (() => { peakMiB: number }) | undefined;
    let cpuAtStart: { service: number; machine: { busy: number; total: number } } | undefined;
    const run = await loopFor(
      {
        concurrency: ctx.options.concurrency,
        warmupMs: ctx.options.warmupSeconds * 1000,
        durationMs: ctx.options.durationSeconds * 1000,
      },
      async () => {
        stopRss ??= ctx.service.sampleRss();
        if (!warm && Date.now() >= countedFrom) {
          warm = true;
          cpuAtStart = { service: ctx.service.cpuSeconds(), machine: machineCpu() };
        }
        const res = await ctx.http.post<{ code?: string }>('/api/v1/allocations', body);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        return res.status;
      },
    );
    const rss = stopRss?.();
    const cpu = cpuAtStart && { service: ctx.service.cpuSeconds() - cpuAtStart.service, machine: machineCpu() };
    const created = run.results.filter((s) => s === 201).length;
    const failed = run.results.length - created;
    const latency = summarise(run.latencies);
    ctx.record({
      key: 'http.allocPerSec',
      metric: `next-free /28 into one /12, ${ctx.options.concurrency} HTTP clients (keep-alive)`,
      value: created / run.seconds,
      unit: 'alloc/s',
      note: `${created} × 201 in ${run.seconds.toFixed(1)} s${
        failed
          ? `; ${failed} other answers: ${[...statuses]
              .filter(([s]) => s !== 201)
              .map(([s, n]) => `${n} × ${s}`)
              .join(', ')}`
          : ''
      }`,
    });
    ctx.record({
      key: 'http.loadedP50',
      metric: 'per-request latency under that load, p50',
      value: latency.p50,
      unit: 'ms',
      note: 'client side',
    });
    ctx.record({
      key: 'http.loadedP99',
      metric: 'per-request latency under that load, p99',
      value: latency.p99,
      unit: 'ms',
      note: 'client side',
    });
    ctx.record({
      key: 'http.errors',
      metric: 'answers other than 201 during the run (warm-up included)',
      value: [...statuses].filter(([s]) => s !== 201).reduce((n, [, c]) => n + c, 0),
      unit: 'count',
    });
    if (cpu && cpuAtStart) {
      const machineBusy = (cpu.machine.busy - cpuAtStart.machine.busy) / (cpu.machine.total - cpuAtStart.machine.total);
      ctx.record({
        key: 'http.serviceCpu',
        metric: 'service process CPU during that run',
        value: (cpu.service / run.seconds) * 100,
        unit: '% of a core',
        note: `${((cpu.service * 1000) / Math.max(1, created)).toFixed(2)} ms CPU per allocation; whole machine ${(machineBusy * 100).toFixed(0)}% busy`,
      });
    }
    ctx.record({ key: 'rss.idle', metric: 'service RSS before the load', value: rssIdle, unit: 'MiB' });
    if (rss)
      ctx.record({
        key: 'rss.allocPeak',
        metric: 'service RSS peak under allocation load',
        value: rss.peakMiB,
        unit: 'MiB',
        note: 'VmRSS sampled every 200 ms',
      });
  },
};
