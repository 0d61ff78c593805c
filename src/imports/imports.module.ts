import { Module } from '@nestjs/common';
import { LeasesModule } from '../leases/leases.module';
import { ImportsController } from './imports.controller';
import { ImportsRepository } from './imports.repository';
import { ImportsService } from './imports.service';

@Module({ imports: [LeasesModule], controllers: [ImportsController], providers: [ImportsService, ImportsRepository] })
export class ImportsModule {}
