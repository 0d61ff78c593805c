import type { ThrottlerStorage } from '@nestjs/throttler';
import { RateLimitRepository } from './rate-limit.repository';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** @nestjs/throttler's storage, kept in PostgreSQL instead of each instance's memory. */
export class PgThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly counters: RateLimitRepository) {}

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    const { hits, resetMs } = await this.counters.hit(`key:${key}`, ttl);
    const seconds = Math.max(1, Math.ceil(resetMs / 1000));
    const isBlocked = hits > limit;
    return { totalHits: hits, timeToExpire: seconds, isBlocked, timeToBlockExpire: isBlocked ? seconds : 0 };
  }
}
