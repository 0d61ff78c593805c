import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerLimitDetail, ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { Request } from 'express';
import type { Actor } from '../common/request-context';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { RateLimited } from '../errors/domain-errors';

type AuthenticatedRequest = Request & { actor?: Actor };

/**
 * RATE_LIMIT_PER_MINUTE per API key, counted across all routes and all instances (the counters
 * live in PostgreSQL, see PgThrottlerStorage). Runs after ApiKeyGuard (it needs the key);
 * requests without a valid key are counted per address by AddressRateLimiter instead.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super(options, storage, reflector);
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (this.config.rateLimitPerMinute === 0 || context.getType() !== 'http') return true;
    return !context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return (req as unknown as AuthenticatedRequest).actor?.keyId ?? 'anonymous';
  }

  /** One budget per key for the whole API, not one per route. */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfterSeconds = Math.max(1, detail.timeToBlockExpire);
    throw new RateLimited(
      `This API key may make ${detail.limit} requests per minute; retry in ${retryAfterSeconds} s.`,
      retryAfterSeconds,
    );
  }
}
