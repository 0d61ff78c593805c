import { Module } from '@nestjs/common';
import { ExportsModule } from '../imports/exports.module';
import { LeasesController } from './leases.controller';
import { LeasesRepository } from './leases.repository';
import { LeasesService } from './leases.service';

@Module({
  imports: [ExportsModule],
  controllers: [LeasesController],
  providers: [LeasesService, LeasesRepository],
  exports: [LeasesRepository],
})
export class LeasesModule {}
