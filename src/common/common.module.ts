import { Global, Module } from '@nestjs/common';
import { VersionedWrites } from './versioned-writes';

@Global()
@Module({ providers: [VersionedWrites], exports: [VersionedWrites] })
export class CommonModule {}
