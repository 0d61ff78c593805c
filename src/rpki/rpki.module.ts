import { Module } from '@nestjs/common';
import { RpkiController } from './rpki.controller';
import { RpkiRepository } from './rpki.repository';
import { RpkiService } from './rpki.service';

@Module({ controllers: [RpkiController], providers: [RpkiService, RpkiRepository] })
export class RpkiModule {}
