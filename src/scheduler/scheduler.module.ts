import { Module } from '@nestjs/common';
import { AllocationsModule } from '../allocations/allocations.module';
import { LeasesModule } from '../leases/leases.module';
import { SchedulerRepository } from './scheduler.repository';
import { SchedulerService } from './scheduler.service';

@Module({
  imports: [LeasesModule, AllocationsModule],
  providers: [SchedulerRepository, SchedulerService],
  exports: [SchedulerService],
})
export class SchedulerModule {}
