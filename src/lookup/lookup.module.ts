import { Module } from '@nestjs/common';
import { LeasesModule } from '../leases/leases.module';
import { LessorsModule } from '../lessors/lessors.module';
import { LookupController } from './lookup.controller';
import { LookupRepository } from './lookup.repository';
import { LookupService } from './lookup.service';

@Module({
  imports: [LeasesModule, LessorsModule],
  controllers: [LookupController],
  providers: [LookupService, LookupRepository],
})
export class LookupModule {}
