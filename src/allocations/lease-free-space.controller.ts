import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, READ_INVENTORY } from '../auth/roles.decorator';
import { ApiProblems } from '../common/openapi';
import { UuidPipe } from '../common/params';
import { AllocationsService } from './allocations.service';
import { FreeSpaceDto, FreeSpaceQuery } from './dto/allocation.dto';

/** GET /leases/{id}/free: a lease's free space, answered from the allocations' free-block index. */
@ApiTags('Leases')
@ApiBearerAuth()
@Controller('api/v1/leases')
export class LeaseFreeSpaceController {
  constructor(private readonly allocations: AllocationsService) {}

  @Get(':id/free')
  @Allow(...READ_INVENTORY)
  @ApiOperation({
    operationId: 'listLeaseFreeSpace',
    summary: 'What is still free in this lease?',
    description: 'Maximal free blocks, or with prefixLength every free block of exactly that length.',
  })
  @ApiOkResponse({ type: FreeSpaceDto, description: 'Free blocks, lowest address first.' })
  @ApiProblems(400, 403, 404)
  free(@Param('id', UuidPipe) id: string, @Query() query: FreeSpaceQuery): Promise<FreeSpaceDto> {
    return this.allocations.freeSpace(id, query);
  }
}
