import { Controller, Get, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, READ_INVENTORY, WRITE_INVENTORY } from '../auth/roles.decorator';
import { ApiProblems } from '../common/openapi';
import type { RawBodyRequest } from '../common/raw-body';
import { RpkiStatusDto } from './dto/rpki.dto';
import { RpkiService } from './rpki.service';

@ApiTags('Routing')
@ApiBearerAuth()
@Controller('api/v1/rpki')
export class RpkiController {
  constructor(private readonly rpki: RpkiService) {}

  @Put('vrps')
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'replaceRpkiVrps',
    summary: 'Replace the RPKI validated-ROA snapshot (rpki-client or Routinator output)',
    description:
      'The body is the relying-party output as published: rpki-client `json` (`{"roas":[{"asn":13335,"prefix":"1.0.0.0/24","maxLength":24,"ta":"apnic","expires":…}]}`), ' +
      'Routinator `json`/`jsonext` (`"asn":"AS13335"`), or CSV `ASN,IP Prefix,Max Length,Trust Anchor[,Expires]`. The format is recognised from the content. ' +
      'IPv6 entries are counted and skipped. Any invalid entry refuses the whole file (400 listing the entries); otherwise the snapshot is replaced atomically. Up to 256 MiB.',
  })
  @ApiOkResponse({ type: RpkiStatusDto, description: 'The snapshot now in force.' })
  @ApiProblems(400, 403, 413, 415)
  replace(@Req() req: RawBodyRequest): Promise<RpkiStatusDto> {
    return this.rpki.replaceVrps(req.rawBody ?? Buffer.alloc(0));
  }

  @Get('status')
  @Allow(...READ_INVENTORY)
  @ApiOperation({ operationId: 'getRpkiStatus', summary: 'The VRP snapshot in force: when, how many, which format' })
  @ApiOkResponse({
    type: RpkiStatusDto,
    description: 'The snapshot in force (zeros and nulls before the first import).',
  })
  @ApiProblems(400, 403)
  status(): Promise<RpkiStatusDto> {
    return this.rpki.status();
  }
}
