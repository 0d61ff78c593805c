import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';

export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * @nestjs/throttler with its in-memory store: the limit holds per service instance. The guard
 * itself is registered in AuthModule, right after ApiKeyGuard, because it counts per key.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      // A limit of 0 means "off"; the guard skips then, and the throttler still needs a valid limit.
      useFactory: (config: AppConfig) => ({
        throttlers: [{ ttl: RATE_LIMIT_WINDOW_MS, limit: Math.max(1, config.rateLimitPerMinute) }],
      }),
    }),
  ],
})
export class RateLimitModule {}
