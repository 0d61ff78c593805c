import type { Pool } from 'pg';
import type { HttpClient } from './http';
import type { ServiceHandle } from './service';

/**
 * One benchmark = one module under bench/ exporting `benchmark: Benchmark`. The runner gives
 * every module the same context (one Postgres, one running service) and runs them in order.
 */
export interface Benchmark {
  /** Short id, used by `--only`. */
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<void>;
}

export interface ResultRow {
  /** Stable key other modules and targets can refer to, e.g. 'sql.allocPerSec'. */
  key: string;
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  /** Free text shown in the table: how it was measured, the sample size, etc. */
  note?: string;
}

export interface Target {
  description: string;
  /** Evaluated after the run; undefined when a number it needs was not measured (e.g. --only). */
  check(results: ReadonlyMap<string, ResultRow>): { met: boolean; actual: string } | undefined;
}

export interface World {
  lessorId: string;
  regionId: string;
  providerId: string;
}

export interface BenchOptions {
  durationSeconds: number;
  warmupSeconds: number;
  concurrency: number;
  latencySamples: number;
  /** Size of the dataset the allocation latency is compared at (allocations already in the /8). */
  filledAllocations: number;
  readLeases: number;
  readAllocations: number;
  readSamples: number;
  /** Allocations seeded by the opt-in scale module (0: skipped). */
  scaleAllocations: number;
  only?: string[];
}

export interface BenchContext {
  options: BenchOptions;
  /** Superuser pool on the bench database. */
  db: Pool;
  databaseUrl: string;
  service: ServiceHandle;
  http: HttpClient;
  world: World;
  /** Hands out IPv4 prefixes no other benchmark in the run has used (for leases). */
  takePrefix(length: number): { prefix: string; network: number };
  record(row: Omit<ResultRow, 'benchmark'>): void;
  results: ReadonlyMap<string, ResultRow>;
  log(message: string): void;
  /**
   * Starts another instance of the service (same database and admin key unless `env` says
   * otherwise) with its own HTTP client; it is stopped when the run ends.
   */
  startService(env: Record<string, string>): Promise<{ service: ServiceHandle; http: HttpClient }>;
  /** What bigger datasets exist by now, so later modules can reuse instead of reseeding. */
  datasets: Record<string, unknown>;
}
