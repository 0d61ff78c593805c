import { Module } from '@nestjs/common';
import { ReportsModule } from '../reports/reports.module';
import { InvoicesController, ReconciliationController } from './invoices.controller';
import { InvoicesRepository } from './invoices.repository';
import { InvoicesService } from './invoices.service';

@Module({
  imports: [ReportsModule],
  controllers: [InvoicesController, ReconciliationController],
  providers: [InvoicesService, InvoicesRepository],
})
export class InvoicesModule {}
