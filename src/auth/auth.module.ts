import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RateLimitGuard } from '../ratelimit/rate-limit.guard';
import { RateLimitModule } from '../ratelimit/rate-limit.module';
import { ApiKeyBootstrap } from './api-key.bootstrap';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';

@Global()
@Module({
  imports: [RateLimitModule],
  controllers: [ApiKeysController],
  providers: [
    ApiKeysRepository,
    ApiKeyBootstrap,
    ApiKeysService,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    // Global guards run in registration order: the rate limit counts per key, so it comes second.
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  exports: [ApiKeysRepository, ApiKeyBootstrap, ApiKeysService],
})
export class AuthModule {}
