import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isRetryableTransactionError } from './pg-errors';

/** A query runner bound to a transaction, or the pool when none. Repositories accept either. */
export interface Queryable {
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T>;
}

export type Tx = EntityManager;

const MAX_ATTEMPTS = 5;

@Injectable()
export class Database implements Queryable {
  constructor(@InjectDataSource() readonly dataSource: DataSource) {}

  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T> {
    return this.dataSource.query(sql, parameters) as Promise<T>;
  }

  /**
   * Runs fn in one READ COMMITTED transaction and retries it from the start on deadlock or
   * serialization failure, so callers never see 40P01/40001 for a transient race.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(fn);
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryableTransactionError(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }
}
