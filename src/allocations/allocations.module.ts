import { Module } from '@nestjs/common';
import { AllocationsController, LeaseFreeSpaceController } from './allocations.controller';
import { AllocationsRepository } from './allocations.repository';
import { AllocationsService } from './allocations.service';

@Module({
  controllers: [AllocationsController, LeaseFreeSpaceController],
  providers: [AllocationsService, AllocationsRepository],
  exports: [AllocationsRepository],
})
export class AllocationsModule {}
