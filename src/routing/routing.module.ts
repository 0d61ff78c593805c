import { Module } from '@nestjs/common';
import { RoutingController } from './routing.controller';
import { RoutingRepository } from './routing.repository';
import { RoutingService } from './routing.service';

@Module({
  controllers: [RoutingController],
  providers: [RoutingService, RoutingRepository],
  exports: [RoutingRepository],
})
export class RoutingModule {}
