import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { Database } from '../database/database.service';
import { AddressRateLimiter, RATE_LIMIT_WINDOW_MS } from './address-rate-limiter';
import { PgThrottlerStorage } from './pg-throttler.storage';
import { RateLimitRepository } from './rate-limit.repository';

/**
 * Rate limits kept in PostgreSQL, so N instances share one budget: @nestjs/throttler per API key
 * (its guard is registered in AuthModule, right after ApiKeyGuard, because it counts per key), and
 * AddressRateLimiter per client address for answers without a valid key (used by ApiKeyGuard).
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, Database],
      // A limit of 0 means "off"; the guard skips then, and the throttler still needs a valid limit.
      useFactory: (config: AppConfig, db: Database) => ({
        throttlers: [{ ttl: RATE_LIMIT_WINDOW_MS, limit: Math.max(1, config.rateLimitPerMinute) }],
        storage: new PgThrottlerStorage(new RateLimitRepository(db)),
      }),
    }),
  ],
  providers: [RateLimitRepository, AddressRateLimiter],
  exports: [AddressRateLimiter],
})
export class RateLimitModule {}
