import { Global, Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';

@Global()
@Module({ controllers: [EventsController], providers: [EventsRepository], exports: [EventsRepository] })
export class EventsModule {}
