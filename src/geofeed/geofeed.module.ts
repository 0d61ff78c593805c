import { Module } from '@nestjs/common';
import { GeofeedController } from './geofeed.controller';
import { GeofeedRepository } from './geofeed.repository';

@Module({ controllers: [GeofeedController], providers: [GeofeedRepository] })
export class GeofeedModule {}
