import { Global, Module } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { Writes } from './writes';

@Global()
@Module({ imports: [IdempotencyModule], providers: [Writes], exports: [Writes] })
export class PersistenceModule {}
