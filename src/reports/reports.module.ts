import { Module } from '@nestjs/common';
import { FxModule } from '../fx/fx.module';
import { DashboardController } from './dashboard.controller';
import { ReportingCurrencyService } from './reporting-currency.service';
import { ReportsController } from './reports.controller';
import { ReportsRepository } from './reports.repository';
import { ReportsService } from './reports.service';

@Module({
  imports: [FxModule],
  controllers: [ReportsController, DashboardController],
  providers: [ReportsService, ReportsRepository, ReportingCurrencyService],
  exports: [ReportsService, ReportsRepository],
})
export class ReportsModule {}
