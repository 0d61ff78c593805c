import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { RateLimited } from '../errors/domain-errors';
import { RateLimitRepository } from './rate-limit.repository';

export const RATE_LIMIT_WINDOW_MS = 60_000;
const PURGE_INTERVAL_MS = 60_000;
/** Buckets idle this long are deleted; any window is long over by then. */
const PURGE_AFTER_MS = 10 * RATE_LIMIT_WINDOW_MS;

/**
 * What a client address may do without a valid key, per minute, counted in PostgreSQL so the
 * budget holds across instances:
 * - `auth-failure`: answers 401 or 403 (AUTH_FAILURE_LIMIT_PER_MINUTE);
 * - `public`: requests to public routes other than health and metrics (PUBLIC_RATE_LIMIT_PER_MINUTE).
 * Over budget, the answer is 429 with Retry-After instead. Requests with a valid key that its role
 * allows never count here (they have the per-key budget), so clients sharing an address with a
 * misbehaving one keep working.
 */
@Injectable()
export class AddressRateLimiter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RateLimit');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly counters: RateLimitRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Counts one answer of this kind for `address`; throws 429 RATE_LIMITED once the address is over budget. */
  async count(kind: 'auth-failure' | 'public', address: string): Promise<void> {
    const limit = kind === 'public' ? this.config.publicRateLimitPerMinute : this.config.authFailureLimitPerMinute;
    if (limit === 0) return;
    const { hits, resetMs } = await this.counters.hit(`${kind}:${address}`, RATE_LIMIT_WINDOW_MS);
    if (hits <= limit) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(resetMs / 1000));
    throw new RateLimited(
      kind === 'public'
        ? `This address may make ${limit} requests per minute without an API key; retry in ${retryAfterSeconds} s.`
        : `Too many failed authentications or refused requests from this address (limit ${limit} per minute); retry in ${retryAfterSeconds} s.`,
      retryAfterSeconds,
    );
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.purge(), PURGE_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async purge(): Promise<number> {
    try {
      return await this.counters.purge(PURGE_AFTER_MS);
    } catch (error) {
      this.logger.warn({ msg: 'purging rate-limit counters failed; will retry', err: error });
      return 0;
    }
  }
}
