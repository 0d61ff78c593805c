import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyBootstrap } from './api-key.bootstrap';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysRepository } from './api-keys.repository';

@Global()
@Module({
  providers: [ApiKeysRepository, ApiKeyBootstrap, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [ApiKeysRepository, ApiKeyBootstrap],
})
export class AuthModule {}
