import { Module } from '@nestjs/common';
import { GeofeedController } from './geofeed.controller';
import { GeofeedRepository } from './geofeed.repository';
import { GeofeedSnapshot } from './geofeed.snapshot';

@Module({ controllers: [GeofeedController], providers: [GeofeedRepository, GeofeedSnapshot] })
export class GeofeedModule {}
