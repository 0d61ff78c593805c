import { LeasesModule } from '../leases/leases.module';
import { ProvidersModule } from '../providers/providers.module';
import { RegionsModule } from '../regions/regions.module';
import { Module } from '@nestjs/common';
import { ExportsModule } from '../imports/exports.module';
import { AllocationsController } from './allocations.controller';
import { LeaseFreeSpaceController } from './lease-free-space.controller';
import { AllocationsRepository } from './allocations.repository';
import { AllocationsService } from './allocations.service';

@Module({
  imports: [ExportsModule, LeasesModule, RegionsModule, ProvidersModule],
  controllers: [AllocationsController, LeaseFreeSpaceController],
  providers: [AllocationsService, AllocationsRepository],
  exports: [AllocationsRepository],
})
export class AllocationsModule {}
