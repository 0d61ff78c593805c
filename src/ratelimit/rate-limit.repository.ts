import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'pg';
import { Database } from '../database/database.service';
import { ListenedClient } from '../database/listened-client';

export interface Hit {
  /** Hits in the bucket's current window, this one included. */
  hits: number;
  /** Milliseconds until the window ends. */
  resetMs: number;
}

/** A store that cannot answer must not turn requests away: the limit is skipped (fails open), loudly. */
const FAILED_OPEN: Hit = { hits: 0, resetMs: 60_000 };
const WARN_EVERY_MS = 10_000;

/**
 * Counters in PostgreSQL (rate_limit_counters), so every instance counts against the same budget.
 * They use a small pool of their own: a counter update must never wait behind the request
 * transactions (a lock convoy on one lease can hold every connection of the main pool).
 */
@Injectable()
export class RateLimitRepository implements OnModuleDestroy {
  private readonly logger = new Logger('RateLimit');
  private pool?: Pool;
  private lastWarning = 0;

  constructor(private readonly db: Database) {}

  async hit(bucket: string, windowMs: number): Promise<Hit> {
    try {
      const { rows } = await this.counters().query<{ hits: number; reset_ms: number }>(
        `SELECT hits, reset_ms FROM rate_limit_hit($1, $2)`,
        [bucket, windowMs],
      );
      return { hits: rows[0].hits, resetMs: rows[0].reset_ms };
    } catch (error) {
      if (Date.now() - this.lastWarning > WARN_EVERY_MS) {
        this.lastWarning = Date.now();
        this.logger.warn({ msg: 'rate-limit counters unavailable; requests are not limited meanwhile', err: error });
      }
      return FAILED_OPEN;
    }
  }

  /** Forgets buckets whose window ended long ago; returns how many. */
  async purge(olderThanMs: number): Promise<number> {
    const { rows } = await this.counters().query(
      `DELETE FROM rate_limit_counters WHERE window_start < now() - make_interval(secs => $1 / 1000.0) RETURNING 1`,
      [olderThanMs],
    );
    return rows.length;
  }

  private counters(): Pool {
    if (!this.pool) {
      const options = this.db.dataSource.options as { url?: string };
      this.pool = new Pool({
        connectionString: options.url,
        Client: ListenedClient,
        max: 4,
        connectionTimeoutMillis: 1_000,
        idleTimeoutMillis: 30_000,
        statement_timeout: 2_000,
        query_timeout: 3_000,
        keepAlive: true,
        application_name: 'iplease-rate-limits',
        options: '-c TimeZone=UTC',
      });
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.end().catch(() => undefined);
  }
}
