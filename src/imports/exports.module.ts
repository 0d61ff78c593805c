import { Module } from '@nestjs/common';
import { ExportsRepository } from './exports.repository';
import { ExportsService } from './exports.service';

@Module({ providers: [ExportsService, ExportsRepository], exports: [ExportsService] })
export class ExportsModule {}
