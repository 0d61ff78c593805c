import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
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
import { setEtag } from '../common/etag';
import { ApiIfMatch, ApiProblems, ETAG_HEADER } from '../common/openapi';
import { UuidPipe } from '../common/params';
import { allPages, ExportsService } from '../imports/exports.service';
import { CreateLeaseDto, LeaseDto, LeasePageDto, LeaseQuery, TerminateLeaseDto, UpdateLeaseDto } from './dto/lease.dto';
import { LeasesService } from './leases.service';

@ApiTags('Leases')
@ApiBearerAuth()
@Controller('api/v1/leases')
export class LeasesController {
  constructor(
    private readonly exports: ExportsService,
    private readonly leases: LeasesService,
  ) {}

  @Get()
  @Allow(...READ_INVENTORY)
  @ApiOperation({
    operationId: 'listLeases',
    summary: 'List leases',
    description: 'Filters combine with AND. `contains` takes an address or prefix; `within` a prefix.',
  })
  @ApiOkResponse({
    type: LeasePageDto,
    description: 'One page in creation order; pass nextCursor as ?cursor= for the next (null on the last page).',
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiProblems(400, 403)
  async list(@Query() query: LeaseQuery, @Res({ passthrough: true }) res: Response) {
    if (query.format !== 'csv') return this.leases.list(query);
    const rows = await allPages((cursor) => this.leases.list({ ...query, cursor: cursor ?? query.cursor, limit: 500 }));
    res.type('text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="leases.csv"');
    return this.exports.leasesCsv(rows);
  }

  @Post()
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'createLease',
    summary: 'Record a leased prefix',
    description:
      'Refused with 409 PREFIX_OVERLAP (naming the other lease) when another lease of an overlapping prefix shares a day of its term.',
  })
  @ApiBody({
    type: CreateLeaseDto,
    examples: {
      fixedTerm: {
        summary: 'A /22 for one year',
        value: {
          prefix: '185.10.20.0/22',
          lessorId: '<id of a lessor>',
          startDate: '2026-01-01',
          endDate: '2026-12-31',
          pricePerIpMonthly: '0.4500',
          currency: 'USD',
          contractRef: 'IPXO-2026-0042',
          tags: ['prod'],
        },
      },
      autoRenew: {
        summary: 'Auto-renewing every 12 months, 60 days notice',
        value: {
          prefix: '45.67.88.0/24',
          lessorId: '<id of a lessor>',
          startDate: '2026-01-01',
          endDate: '2026-12-31',
          autoRenew: true,
          renewalTermMonths: 12,
          noticePeriodDays: 60,
          pricePerIpMonthly: '0.5000',
          currency: 'EUR',
        },
      },
    },
  })
  @ApiCreatedResponse({ type: LeaseDto, description: 'Created; ETag is its version.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 409, 413, 415, 422)
  async create(@Body() dto: CreateLeaseDto, @Res({ passthrough: true }) res: Response) {
    const lease = await this.leases.create(dto);
    setEtag(res, lease.version);
    return lease;
  }

  @Get(':id')
  @Allow(...READ_INVENTORY)
  @ApiOperation({ operationId: 'getLease', summary: 'Get a lease with its computed status, current term end and cost' })
  @ApiOkResponse({ type: LeaseDto, description: 'The lease; ETag is its version.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 404)
  async get(@Param('id', UuidPipe) id: string, @Res({ passthrough: true }) res: Response) {
    const lease = await this.leases.get(id);
    setEtag(res, lease.version);
    return lease;
  }

  @Patch(':id')
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'updateLease',
    summary: 'Update a lease',
    description: 'The prefix can change only while the lease has no active allocations.',
  })
  @ApiIfMatch()
  @ApiBody({
    type: UpdateLeaseDto,
    examples: { extend: { summary: 'Extend and tag', value: { endDate: '2027-12-31', tags: ['prod', 'renewed'] } } },
  })
  @ApiOkResponse({
    type: LeaseDto,
    description: 'The lease after the change; ETag is its new version.',
    headers: ETAG_HEADER,
  })
  @ApiProblems(400, 403, 404, 409, 412, 413, 415)
  async update(
    @Param('id', UuidPipe) id: string,
    @Body() dto: UpdateLeaseDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const lease = await this.leases.update(id, dto, ifMatch);
    setEtag(res, lease.version);
    return lease;
  }

  @Post(':id/terminate')
  @HttpCode(200)
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'terminateLease',
    summary: 'Terminate a lease',
    description: 'effectiveDate is the last day of service. Refused with 409 IN_USE while active allocations remain.',
  })
  @ApiIfMatch()
  @ApiBody({
    type: TerminateLeaseDto,
    examples: { endOfJune: { summary: 'Last day 30 June', value: { effectiveDate: '2026-06-30' } } },
  })
  @ApiOkResponse({
    type: LeaseDto,
    description: 'The terminated lease; ETag is its new version.',
    headers: ETAG_HEADER,
  })
  @ApiProblems(400, 403, 404, 409, 412, 413, 415, 422)
  async terminate(
    @Param('id', UuidPipe) id: string,
    @Body() dto: TerminateLeaseDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const lease = await this.leases.terminate(id, dto, ifMatch);
    setEtag(res, lease.version);
    return lease;
  }

  @Delete(':id')
  @HttpCode(204)
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'deleteLease',
    summary: 'Delete a lease that never had allocations',
    description: 'A lease with allocation history is refused with 409 IN_USE: terminate it instead.',
  })
  @ApiIfMatch()
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(400, 403, 404, 409, 412)
  async delete(@Param('id', UuidPipe) id: string, @Headers('if-match') ifMatch: string | undefined): Promise<void> {
    await this.leases.delete(id, ifMatch);
  }
}
