import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';
import { ReportsController } from './reports.controller';
import { ReportsRepository } from './reports.repository';
import { ReportsService } from './reports.service';

@Module({
  controllers: [ReportsController, DashboardController],
  providers: [ReportsService, ReportsRepository],
  exports: [ReportsRepository],
})
export class ReportsModule {}
