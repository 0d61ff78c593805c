import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rate-limit counters shared by every instance: one row per bucket (an API key, or a client address
 * and kind), a fixed window that starts at the bucket's first hit. UNLOGGED: counters are worth
 * nothing after a crash and must not cost a WAL flush per request (no commit waits on them).
 * rate_limit_hit counts one hit in one statement, so N instances share one budget exactly.
 */
export class RateLimits1772000001000 implements MigrationInterface {
  name = 'RateLimits1772000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE UNLOGGED TABLE rate_limit_counters (
        bucket       text NOT NULL,
        window_start timestamptz NOT NULL,
        hits         integer NOT NULL,
        CONSTRAINT rate_limit_counters_pkey PRIMARY KEY (bucket),
        CONSTRAINT rate_limit_counters_hits_check CHECK (hits > 0)
      )`);
    await q.query(`CREATE INDEX rate_limit_counters_window_start_idx ON rate_limit_counters (window_start)`);
    // hits: in the current window, this one included; reset_ms: until the window ends.
    await q.query(`
      CREATE FUNCTION rate_limit_hit(p_bucket text, p_window_ms integer)
      RETURNS TABLE (hits integer, reset_ms integer)
      LANGUAGE sql AS $$
        INSERT INTO rate_limit_counters AS c (bucket, window_start, hits) VALUES (p_bucket, now(), 1)
        ON CONFLICT (bucket) DO UPDATE SET
          hits = CASE WHEN c.window_start + make_interval(secs => p_window_ms / 1000.0) <= now() THEN 1 ELSE c.hits + 1 END,
          window_start = CASE WHEN c.window_start + make_interval(secs => p_window_ms / 1000.0) <= now() THEN now() ELSE c.window_start END
        RETURNING c.hits,
                  greatest(0, ceil(extract(epoch FROM c.window_start + make_interval(secs => p_window_ms / 1000.0) - now()) * 1000))::integer
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION rate_limit_hit(text, integer)`);
    await q.query(`DROP TABLE rate_limit_counters`);
  }
}
