import { Module } from '@nestjs/common';
import { ReportsModule } from '../reports/reports.module';
import { PeriodsController } from './periods.controller';
import { PeriodsRepository } from './periods.repository';
import { PeriodsService } from './periods.service';

@Module({
  imports: [ReportsModule],
  controllers: [PeriodsController],
  providers: [PeriodsService, PeriodsRepository],
  exports: [PeriodsRepository],
})
export class PeriodsModule {}
