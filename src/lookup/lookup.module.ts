import { Module } from '@nestjs/common';
import { LeasesModule } from '../leases/leases.module';
import { LessorsModule } from '../lessors/lessors.module';
import { LookupController } from './lookup.controller';
import { LookupService } from './lookup.service';

@Module({ imports: [LeasesModule, LessorsModule], controllers: [LookupController], providers: [LookupService] })
export class LookupModule {}
