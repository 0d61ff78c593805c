import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Allow, READ_INVENTORY, WRITE_INVENTORY } from '../auth/roles.decorator';
import { EtagFromVersion, IfMatch } from '../common/etag';
import type { ExpectedVersion } from '../common/etag';
import { ApiIfMatch, ApiProblems, ETAG_HEADER } from '../common/openapi';
import { UuidPipe } from '../common/params';
import { allPages, ExportsService } from '../imports/exports.service';
import { AllocationsService } from './allocations.service';
import {
  AllocationDto,
  AllocationHistoryDto,
  AllocationPageDto,
  MoveAllocationDto,
  AllocationPreviewDto,
  AllocationQuery,
  CreateAllocationDto,
  CreateAllocationQuery,
  UpdateAllocationDto,
} from './dto/allocation.dto';

@ApiTags('Allocations')
@ApiBearerAuth()
@Controller('api/v1/allocations')
export class AllocationsController {
  constructor(
    private readonly exports: ExportsService,
    private readonly allocations: AllocationsService,
  ) {}

  @Get()
  @Allow(...READ_INVENTORY)
  @ApiOperation({ operationId: 'listAllocations', summary: 'List allocations (active by default)' })
  @ApiOkResponse({
    type: AllocationPageDto,
    description: 'One page in creation order; pass nextCursor as ?cursor= for the next (null on the last page).',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiProblems(400, 403)
  async list(@Query() query: AllocationQuery, @Res({ passthrough: true }) res: Response) {
    if (query.format !== 'csv') return this.allocations.list(query);
    const rows = await allPages((cursor) =>
      this.allocations.list({ ...query, cursor: cursor ?? query.cursor, limit: 500 }),
    );
    res.type('text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="allocations.csv"');
    return this.exports.allocationsCsv(rows);
  }

  @Post()
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'createAllocation',
    summary: 'Allocate an explicit prefix or the next free block',
    description:
      'Give `prefix` to claim an explicit block (its lease is inferred when `leaseId` is omitted), or `prefixLength` to take the next free block ' +
      '(best-fit by default: the smallest free block that fits, lowest address first; without `leaseId`, across all active leases). ' +
      'With `?dryRun=true` the answer is 200 with what would be allocated, and nothing is written. Send an `Idempotency-Key` so a retry never allocates twice.',
  })
  @ApiBody({
    type: CreateAllocationDto,
    examples: {
      nextFree: {
        summary: 'Next free /24 for a region and provider (AWS BYOIP takes /24 or shorter)',
        value: {
          prefixLength: 24,
          regionId: '<id of a region>',
          providerId: '<id of a provider>',
          leaseId: '<id of a lease>',
          description: 'eu-west-1 BYOIP pool',
        },
      },
      anyLease: {
        summary: 'Next free /24 from any active lease',
        value: { prefixLength: 24, regionId: '<id of a region>', providerId: '<id of a provider>' },
      },
      explicit: {
        summary: 'A specific block',
        value: { prefix: '185.10.23.0/24', regionId: '<id of a region>', providerId: '<id of a provider>' },
      },
    },
  })
  @ApiCreatedResponse({
    type: AllocationDto,
    description: 'Allocated; ETag is its version.',
    headers: {
      ...ETAG_HEADER,
      Location: {
        description: 'The new allocation, /api/v1/allocations/{id}.',
        schema: { type: 'string' },
        required: true,
      },
    },
  })
  @ApiOkResponse({ type: AllocationPreviewDto, description: 'Dry run: what would be allocated; nothing written.' })
  @ApiProblems(400, 403, 409, 413, 415, 422)
  @EtagFromVersion()
  async create(
    @Body() dto: CreateAllocationDto,
    @Query() query: CreateAllocationQuery,
    @Res({ passthrough: true }) res: Response,
  ) {
    const result = await this.allocations.create(dto, query.dryRun === true);
    if ('dryRun' in result) {
      res.status(200);
    } else {
      res.status(201);
      res.setHeader('Location', `/api/v1/allocations/${result.id}`);
    }
    return result;
  }

  @Get(':id')
  @Allow(...READ_INVENTORY)
  @ApiOperation({ operationId: 'getAllocation', summary: 'Get an active allocation (404 once released)' })
  @ApiOkResponse({ type: AllocationDto, description: 'The allocation; ETag is its version.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 404)
  @EtagFromVersion()
  get(@Param('id', UuidPipe) id: string) {
    return this.allocations.get(id);
  }

  @Patch(':id')
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'updateAllocation',
    summary: 'Change region, provider, description or tags (never the prefix)',
  })
  @ApiIfMatch()
  @ApiBody({
    type: UpdateAllocationDto,
    examples: {
      describe: { summary: 'Describe and tag', value: { description: 'NAT gateways, prod', tags: ['prod'] } },
    },
  })
  @ApiOkResponse({
    type: AllocationDto,
    description: 'The allocation after the change; ETag is its new version.',
    headers: ETAG_HEADER,
  })
  @ApiProblems(400, 403, 404, 409, 412, 413, 415)
  @EtagFromVersion()
  update(@Param('id', UuidPipe) id: string, @Body() dto: UpdateAllocationDto, @IfMatch() expected: ExpectedVersion) {
    return this.allocations.update(id, dto, expected);
  }

  @Get(':id/history')
  @Allow(...READ_INVENTORY)
  @ApiOperation({
    operationId: 'getAllocationHistory',
    summary: 'Which lease, region and provider the allocation had on which days',
    description:
      'Periods oldest first; `validTo` is inclusive and null while open. Reports attribute every day to the period holding it.',
  })
  @ApiOkResponse({ type: AllocationHistoryDto, description: 'The periods, oldest first.' })
  @ApiProblems(400, 403, 404)
  history(@Param('id', UuidPipe) id: string): Promise<AllocationHistoryDto> {
    return this.allocations.history(id);
  }

  @Post(':id/move')
  @HttpCode(200)
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'moveAllocation',
    summary: 'Re-parent an active allocation to another active lease that contains it',
    description:
      'Same id, same prefix, history kept: from `effectiveDate` (default today) its days belong to the new lease. ' +
      'The way to carry allocations over to a successor lease when a lease was renewed as a new contract.',
  })
  @ApiIfMatch()
  @ApiBody({
    type: MoveAllocationDto,
    examples: { successor: { summary: 'To the successor lease', value: { leaseId: '<id of a lease>' } } },
  })
  @ApiOkResponse({ type: AllocationDto, description: 'The allocation in its new lease.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 404, 409, 412, 413, 415, 422)
  @EtagFromVersion()
  move(@Param('id', UuidPipe) id: string, @Body() dto: MoveAllocationDto, @IfMatch() expected: ExpectedVersion) {
    return this.allocations.move(id, dto, expected);
  }

  @Delete(':id')
  @HttpCode(204)
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'releaseAllocation',
    summary: 'Release an allocation',
    description:
      'The space is free at once (or after RELEASE_HOLD_DAYS when configured); the allocation answers 404 afterwards.',
  })
  @ApiIfMatch()
  @ApiNoContentResponse({ description: 'Released.' })
  @ApiProblems(400, 403, 404, 412)
  async release(@Param('id', UuidPipe) id: string, @IfMatch() expected: ExpectedVersion): Promise<void> {
    await this.allocations.release(id, expected);
  }
}
