import { Database } from '../database/database.service';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { IdempotencyRepository } from './idempotency.repository';

const FIRST_PURGE_MS = 60_000;
const PURGE_INTERVAL_MS = 10 * 60_000;

/** Deletes idempotency rows past their lifetime, periodically; the timers never keep the process alive. */
@Injectable()
export class IdempotencyPurger implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Idempotency');
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly store: IdempotencyRepository,
    private readonly db: Database,
  ) {}

  onApplicationBootstrap(): void {
    this.timers.push(
      setTimeout(() => void this.purge(), FIRST_PURGE_MS).unref(),
      setInterval(() => void this.purge(), PURGE_INTERVAL_MS).unref(),
    );
  }

  onModuleDestroy(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }

  async purge(): Promise<number> {
    try {
      const purged = await this.store.purge(this.db);
      if (purged) this.logger.log({ msg: 'purged expired idempotency keys', purged });
      return purged;
    } catch (error) {
      this.logger.warn({ msg: 'purging idempotency keys failed; will retry', err: error });
      return 0;
    }
  }
}
