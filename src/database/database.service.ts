import { Injectable } from '@nestjs/common';
import type { EventEmitter } from 'node:events';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isRetryableTransactionError } from './pg-errors';
import { Unavailable } from '../errors/domain-errors';

/** A query runner bound to a transaction, or the pool when none. Repositories accept either. */
export interface Queryable {
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T>;
}

export type Tx = EntityManager;

const MAX_ATTEMPTS = 5;

const commitHooks = new WeakMap<object, (() => void)[]>();

/**
 * Runs `hook` once `tx` has committed (never if it rolls back or is retried); at once when `q` is
 * not a transaction opened by Database.transaction. For in-process effects such as metrics.
 */
export function afterCommit(q: Queryable, hook: () => void): void {
  const hooks = commitHooks.get(q);
  if (hooks) hooks.push(hook);
  else hook();
}

@Injectable()
export class Database implements Queryable {
  constructor(@InjectDataSource() readonly dataSource: DataSource) {}

  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T> {
    return this.dataSource.query(sql, parameters) as Promise<T>;
  }

  /**
   * Runs fn in one READ COMMITTED transaction and retries it from the start on deadlock or
   * serialization failure, so callers never see 40P01/40001 for a transient race. Writes go
   * through persistence/writes.ts, which adds the idempotency claim and the audit event.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      // TypeORM releases a transaction's query runner as soon as its connection fails between two
      // statements; the next statement then throws "already released", which hides the cause.
      // Keep the connection's own error so a lost database is reported as such (503), not as a 500.
      let connection: EventEmitter | undefined;
      let connectionError: unknown;
      const onConnectionError = (error: unknown) => (connectionError ??= error);
      try {
        let hooks: (() => void)[] = [];
        const result = await this.dataSource.transaction(async (tx) => {
          hooks = [];
          commitHooks.set(tx, hooks);
          connection = (tx.queryRunner as unknown as { databaseConnection?: EventEmitter } | undefined)
            ?.databaseConnection;
          connection?.on('error', onConnectionError);
          return fn(tx);
        });
        for (const hook of hooks) hook();
        return result;
      } catch (caught) {
        // A query runner is only released under a running transaction when its connection died; when
        // the connection's own error was not seen (it may arrive after the next statement fails), say so.
        const error = isReleasedQueryRunner(caught) ? (connectionError ?? new Unavailable()) : caught;
        if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      } finally {
        connection?.off('error', onConnectionError);
      }
    }
  }

  /**
   * Runs fn against the pool with no transaction of its own: each statement commits by itself, and
   * fn is retried from the start on deadlock or serialization failure. For a change that is one
   * statement (allocation_create): its locks are held for that statement and its commit only, and
   * it costs one round trip instead of three (no BEGIN, no COMMIT). fn may read first, but must
   * write in at most one statement, its last.
   */
  async autocommit<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      // One connection for fn, with no transaction on it. Like transaction(), keep a listener on the
      // connection while it is ours: when the database ends it, pg may emit a second 'error' after
      // TypeORM has dropped its own listener, and an 'error' nobody listens to ends the process.
      const runner = this.dataSource.createQueryRunner();
      let connectionError: unknown;
      const onConnectionError = (error: unknown) => (connectionError ??= error);
      let connection: EventEmitter | undefined;
      try {
        connection = (await runner.connect()) as EventEmitter;
        connection.on('error', onConnectionError);
        return await fn(runner);
      } catch (caught) {
        const error = isReleasedQueryRunner(caught) ? (connectionError ?? new Unavailable()) : caught;
        if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      } finally {
        await runner.release();
        connection?.off('error', onConnectionError);
      }
    }
  }

  /** Runs fn inside a savepoint of tx: when fn throws, only its own statements are undone (and the error rethrown). */
  async savepoint<T>(tx: Queryable, fn: () => Promise<T>): Promise<T> {
    await tx.query('SAVEPOINT iplease_step');
    try {
      const result = await fn();
      await tx.query('RELEASE SAVEPOINT iplease_step');
      return result;
    } catch (error) {
      await tx.query('ROLLBACK TO SAVEPOINT iplease_step');
      throw error;
    }
  }

  /** Runs fn on one REPEATABLE READ, READ ONLY transaction: one consistent snapshot for long reads (cursors). */
  async readOnlySnapshot<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      await runner.query('SET TRANSACTION READ ONLY');
      const result = await fn(runner);
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** How many of these migrations the database has applied (readiness: the schema this build serves). */
  async appliedMigrations(names: readonly string[]): Promise<number> {
    const rows = await this.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM migrations WHERE name = ANY($1)`, [
      names,
    ]);
    return rows[0].n;
  }
}

function isReleasedQueryRunner(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'QueryRunnerProviderAlreadyReleasedError' || name === 'QueryRunnerAlreadyReleasedError';
}
