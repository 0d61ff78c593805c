import { Controller, Get, Param, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, READ_INVENTORY, WRITE_INVENTORY } from '../auth/roles.decorator';
import { ApiProblems } from '../common/openapi';
import type { RawBodyRequest } from '../common/raw-body';
import { ReputationListDto, ReputationListNameParam, ReputationListPageDto } from './dto/reputation.dto';
import { ReputationService } from './reputation.service';

@ApiTags('Routing')
@ApiBearerAuth()
@Controller('api/v1/reputation-lists')
export class ReputationController {
  constructor(private readonly reputation: ReputationService) {}

  @Put(':name')
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'replaceReputationList',
    summary: 'Create or replace a reputation list (Spamhaus DROP)',
    description:
      'Body: Spamhaus DROP NDJSON (`{"cidr":"…","sblid":"SBL…","rir":"…"}` lines and a `{"type":"metadata",…}` footer) ' +
      'or the legacy `drop.txt` (`cidr ; SBL…` lines, `;` comments). IPv6 blocks are counted and skipped; any bad line refuses the file. ' +
      'Leases and allocations overlapping a listed block show it in `listed`.',
  })
  @ApiOkResponse({ type: ReputationListDto, description: 'The list as now stored.' })
  @ApiProblems(400, 403, 413, 415)
  replace(@Param() params: ReputationListNameParam, @Req() req: RawBodyRequest): Promise<ReputationListDto> {
    return this.reputation.replace(params.name, req.rawBody ?? Buffer.alloc(0));
  }

  @Get()
  @Allow(...READ_INVENTORY)
  @ApiOperation({ operationId: 'listReputationLists', summary: 'Reputation lists: when imported, how many blocks' })
  @ApiOkResponse({ type: ReputationListPageDto, description: 'Every list, by name.' })
  @ApiProblems(400, 403)
  list(): Promise<{ items: ReputationListDto[] }> {
    return this.reputation.list();
  }
}
