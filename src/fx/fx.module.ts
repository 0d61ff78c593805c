import { Module } from '@nestjs/common';
import { FxController } from './fx.controller';
import { FxRepository } from './fx.repository';
import { FxService } from './fx.service';

@Module({ controllers: [FxController], providers: [FxService, FxRepository], exports: [FxService] })
export class FxModule {}
