import { Module } from '@nestjs/common';
import { LessorsController } from './lessors.controller';
import { LessorsRepository } from './lessors.repository';
import { LessorsService } from './lessors.service';

@Module({
  controllers: [LessorsController],
  providers: [LessorsService, LessorsRepository],
  exports: [LessorsRepository],
})
export class LessorsModule {}
