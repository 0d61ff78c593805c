import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';

export interface Hit {
  /** Hits in the bucket's current window, this one included. */
  hits: number;
  /** Milliseconds until the window ends. */
  resetMs: number;
}

/** Counters in PostgreSQL (rate_limit_counters), so every instance counts against the same budget. */
@Injectable()
export class RateLimitRepository {
  constructor(private readonly db: Database) {}

  async hit(bucket: string, windowMs: number): Promise<Hit> {
    const rows = await this.db.query<{ hits: number; reset_ms: number }[]>(
      `SELECT hits, reset_ms FROM rate_limit_hit($1, $2)`,
      [bucket, windowMs],
    );
    return { hits: rows[0].hits, resetMs: rows[0].reset_ms };
  }

  /** Forgets buckets whose window ended long ago; returns how many. */
  async purge(olderThanMs: number): Promise<number> {
    const rows = await this.db.query<unknown[]>(
      `DELETE FROM rate_limit_counters WHERE window_start < now() - make_interval(secs => $1 / 1000.0) RETURNING 1`,
      [olderThanMs],
    );
    return rows.length;
  }
}
