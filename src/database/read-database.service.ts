import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { Counter } from 'prom-client';
import { requestContext } from '../common/request-context';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { metricsRegistry } from '../health/metrics';
import { Database, Queryable } from './database.service';
import { isConnectionError, pgError, SERIALIZATION_FAILURE } from './pg-errors';
import { ListenedClient } from './listened-client';

/** How long a read waits for the replica to replay up to the request's position before using the primary. */
const MAX_REPLAY_WAIT_MS = 50;
const REPLAY_POLL_MS = 5;
/** After a replica connection fails, reads skip it for this long. */
const DOWN_FOR_MS = 5_000;

export type ReadRoute = 'replica' | 'primary';
export type ReadReason = 'fresh' | 'lagging' | 'unavailable' | 'no-position' | 'not-configured';

export const replicaReads = new Counter({
  name: 'iplease_read_queries_total',
  help: 'Read queries (reports, lookups, lists) by the server that answered and why',
  labelNames: ['served_by', 'reason'] as const,
  registers: [metricsRegistry],
});

/**
 * Reads that may come from a streaming replica (DATABASE_REPLICA_URL): reports, lookups and lists.
 *
 * Never a wrong answer: an authenticated request records the primary's WAL position when it
 * arrives (read with the API key, no extra round trip). The replica answers only once it has
 * replayed up to that position, so it sees every write committed before the request came in, the
 * caller's own included, whichever instance made them. A replica that lags more than
 * MAX_REPLAY_WAIT_MS behind, cannot be reached, or fails mid-query, leaves the read to the primary:
 * never a 500. Requests without a position (public routes, the CLI) read from the primary.
 */
@Injectable()
export class ReadDatabase implements Queryable, OnModuleDestroy {
  private readonly logger = new Logger('ReadReplica');
  private readonly pool?: Pool;
  private downUntil = 0;

  constructor(
    private readonly primary: Database,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    if (!config.databaseReplicaUrl) return;
    this.pool = new Pool({
      connectionString: config.databaseReplicaUrl,
      Client: ListenedClient,
      max: config.dbPoolSize,
      connectionTimeoutMillis: 1_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: 8_000,
      query_timeout: 10_000,
      keepAlive: true,
      application_name: 'iplease-replica-reads',
      options: '-c TimeZone=UTC',
    });
    // An idle connection that dies must not crash the process; the next read notices.
    this.pool.on('error', (error) => this.markDown(error));
  }

  async query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T> {
    const { client, reason } = await this.replicaFor();
    if (!client) {
      replicaReads.inc({ served_by: 'primary', reason });
      return this.primary.query<T>(sql, parameters);
    }
    let failed: unknown;
    try {
      const result = await client.query(sql, parameters);
      replicaReads.inc({ served_by: 'replica', reason: 'fresh' });
      return result.rows as T;
    } catch (error) {
      failed = error;
      // 40001 here is a recovery conflict (the replica cancelled the query to replay WAL).
      if (!isConnectionError(error) && pgError(error)?.code !== SERIALIZATION_FAILURE) throw error;
      if (isConnectionError(error)) this.markDown(error);
      replicaReads.inc({ served_by: 'primary', reason: 'unavailable' });
      return this.primary.query<T>(sql, parameters);
    } finally {
      client.release(failed !== undefined && isConnectionError(failed) ? (failed as Error) : undefined);
    }
  }

  /**
   * A replica connection that has replayed up to the request's position, or why not. Decided once
   * per request: every read of one request comes from the same server.
   */
  private async replicaFor(): Promise<{ client?: PoolClient; reason: ReadReason }> {
    if (!this.pool) return { reason: 'not-configured' };
    if (Date.now() < this.downUntil) return { reason: 'unavailable' };
    const context = requestContext.current();
    const position = context?.primaryWalPosition;
    if (!context || !position) return { reason: 'no-position' };
    if (context.replicaRead === 'lagging') return { reason: 'lagging' };
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.markDown(error);
      return { reason: 'unavailable' };
    }
    if (context.replicaRead === 'fresh') return { client, reason: 'fresh' };
    try {
      const deadline = Date.now() + MAX_REPLAY_WAIT_MS;
      for (;;) {
        const { rows } = await client.query<{ replayed: boolean | null }>(
          `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS replayed`,
          [position],
        );
        if (rows[0].replayed) {
          context.replicaRead = 'fresh';
          return { client, reason: 'fresh' };
        }
        // NULL: not a standby at all (a misconfigured URL): never trusted.
        if (rows[0].replayed === null || Date.now() >= deadline) {
          context.replicaRead = 'lagging';
          client.release();
          return { reason: 'lagging' };
        }
        await new Promise((resolve) => setTimeout(resolve, REPLAY_POLL_MS));
      }
    } catch (error) {
      client.release(error as Error);
      if (isConnectionError(error)) this.markDown(error);
      return { reason: 'unavailable' };
    }
  }

  private markDown(error: unknown): void {
    if (Date.now() >= this.downUntil)
      this.logger.warn({
        msg: `replica unreachable; reads go to the primary for ${DOWN_FOR_MS / 1000} s`,
        err: (error as Error)?.message,
      });
    this.downUntil = Date.now() + DOWN_FOR_MS;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.end().catch(() => undefined);
  }
}
