/** Nearest-rank percentile of samples in milliseconds. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarise(samples: readonly number[]): LatencySummary {
  return {
    count: samples.length,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: percentile(samples, 100),
  };
}

export const elapsedMs = (startNs: bigint) => Number(process.hrtime.bigint() - startNs) / 1e6;

/**
 * Runs `concurrency` workers, each calling fn back to back until the deadline; a warm-up phase
 * runs the same way first and is not counted.
 */
export async function loopFor<T>(
  options: { concurrency: number; warmupMs: number; durationMs: number },
  fn: (worker: number) => Promise<T>,
): Promise<{ results: T[]; latencies: number[]; seconds: number }> {
  const phase = async (ms: number, keep: boolean) => {
    const results: T[] = [];
    const latencies: number[] = [];
    const started = process.hrtime.bigint();
    const deadline = Date.now() + ms;
    await Promise.all(
      Array.from({ length: options.concurrency }, async (_, worker) => {
        while (Date.now() < deadline) {
          const t0 = process.hrtime.bigint();
          const result = await fn(worker);
          if (keep) {
            latencies.push(elapsedMs(t0));
            results.push(result);
          }
        }
      }),
    );
    return { results, latencies, seconds: elapsedMs(started) / 1000 };
  };
  if (options.warmupMs > 0) await phase(options.warmupMs, false);
  return phase(options.durationMs, true);
}

/** Calls fn `count` times one after another (after `warmup` uncounted calls); one latency per call. */
export async function sequential(
  count: number,
  warmup: number,
  fn: (i: number) => Promise<unknown>,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await fn(warmup + i);
    latencies.push(elapsedMs(t0));
  }
  return latencies;
}
