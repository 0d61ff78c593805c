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
import { Allow, EDIT_LEASE, READ_INVENTORY, WRITE_INVENTORY, WRITE_MONEY } from '../auth/roles.decorator';
import { EtagFromVersion, IfMatch } from '../common/etag';
import type { ExpectedVersion } from '../common/etag';
import { ApiIfMatch, ApiProblems, ETAG_HEADER } from '../common/openapi';
import { UuidPipe } from '../common/params';
import { allPages, ExportsService } from '../imports/exports.service';
import {
  AmendmentDto,
  AmendmentPageDto,
  CreateAmendmentDto,
  CreateLeaseDto,
  LeaseDto,
  LeasePageDto,
  LeaseQuery,
  RenewLeaseDto,
  TerminatedLeaseDto,
  TerminateLeaseDto,
  UpdateLeaseDto,
} from './dto/lease.dto';
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
  @EtagFromVersion()
  create(@Body() dto: CreateLeaseDto) {
    return this.leases.create(dto);
  }

  @Get(':id')
  @Allow(...READ_INVENTORY)
  @ApiOperation({ operationId: 'getLease', summary: 'Get a lease with its computed status, current term end and cost' })
  @ApiOkResponse({ type: LeaseDto, description: 'The lease; ETag is its version.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 404)
  @EtagFromVersion()
  get(@Param('id', UuidPipe) id: string) {
    return this.leases.get(id);
  }

  @Patch(':id')
  @Allow(...EDIT_LEASE)
  @ApiOperation({
    operationId: 'updateLease',
    summary: 'Update a lease',
    description:
      'The prefix can change only while the lease has no active allocations. A change of startDate/endDate/autoRenew that would leave ' +
      'active allocations outside the term today is 409 IN_USE; one that reaches a closed month is 409 PERIOD_CLOSED. ' +
      'pricePerIpMonthly/currency: an amendment effective today (finance and admin only; an engineer key gets 403).',
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
  @EtagFromVersion()
  update(@Param('id', UuidPipe) id: string, @Body() dto: UpdateLeaseDto, @IfMatch() expected: ExpectedVersion) {
    return this.leases.update(id, dto, expected);
  }

  @Post(':id/terminate')
  @HttpCode(200)
  @Allow(...WRITE_MONEY)
  @ApiOperation({
    operationId: 'terminateLease',
    summary: 'Terminate a lease',
    description:
      'effectiveDate is the last day of service. Refused with 409 IN_USE while active allocations remain, and with 409 PERIOD_CLOSED ' +
      'when it lies in a closed month. The answer says whether notice was given (at least noticePeriodDays before effectiveDate).',
  })
  @ApiIfMatch()
  @ApiBody({
    type: TerminateLeaseDto,
    examples: { endOfJune: { summary: 'Last day 30 June', value: { effectiveDate: '2026-06-30' } } },
  })
  @ApiOkResponse({
    type: TerminatedLeaseDto,
    description: 'The terminated lease and noticeGiven; ETag is its new version.',
    headers: ETAG_HEADER,
  })
  @ApiProblems(400, 403, 404, 409, 412, 413, 415, 422)
  @EtagFromVersion()
  terminate(@Param('id', UuidPipe) id: string, @Body() dto: TerminateLeaseDto, @IfMatch() expected: ExpectedVersion) {
    return this.leases.terminate(id, dto, expected);
  }

  @Post(':id/renew')
  @HttpCode(200)
  @Allow(...WRITE_MONEY)
  @ApiOperation({
    operationId: 'renewLease',
    summary: 'Renew a lease: the same lease and its allocations continue with a new term',
    description:
      'The new term starts the day after the current one ends and runs through endDate. A new price (or currency) becomes an amendment ' +
      'from that day. Refused when the lease is terminated or open-ended (400), when another lease holds the prefix then (409 PREFIX_OVERLAP), ' +
      'or when the new days reach a closed month (409 PERIOD_CLOSED).',
  })
  @ApiIfMatch()
  @ApiBody({
    type: RenewLeaseDto,
    examples: {
      oneMoreYear: {
        summary: 'One more year at a new price',
        value: { endDate: '2027-12-31', pricePerIpMonthly: '0.5000' },
      },
    },
  })
  @ApiOkResponse({ type: LeaseDto, description: 'The renewed lease; ETag is its new version.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 404, 409, 412, 413, 415, 422)
  @EtagFromVersion()
  renew(@Param('id', UuidPipe) id: string, @Body() dto: RenewLeaseDto, @IfMatch() expected: ExpectedVersion) {
    return this.leases.renew(id, dto, expected);
  }

  @Post(':id/amendments')
  @Allow(...WRITE_MONEY)
  @ApiOperation({
    operationId: 'createLeaseAmendment',
    summary: 'Change the price (and currency) from a day on',
    description:
      'Reports use the price in force on each day (a mid-month change is pro-rated by days). One amendment per day: a second one on the ' +
      "same day replaces its terms. Not before the lease starts; 409 PERIOD_CLOSED in a closed month. The lease's version goes up.",
  })
  @ApiIfMatch()
  @ApiBody({
    type: CreateAmendmentDto,
    examples: {
      indexation: {
        summary: 'New price from 1 July',
        value: { effectiveDate: '2026-07-01', pricePerIpMonthly: '0.5000', note: 'Indexation 2026' },
      },
    },
  })
  @ApiCreatedResponse({ type: AmendmentDto, description: 'The amendment.' })
  @ApiProblems(400, 403, 404, 409, 412, 413, 415, 422)
  amend(
    @Param('id', UuidPipe) id: string,
    @Body() dto: CreateAmendmentDto,
    @IfMatch() expected: ExpectedVersion,
  ): Promise<AmendmentDto> {
    return this.leases.amend(id, dto, expected);
  }

  @Get(':id/amendments')
  @Allow(...READ_INVENTORY)
  @ApiOperation({
    operationId: 'listLeaseAmendments',
    summary: "The lease's terms over time, oldest first (the original terms first)",
  })
  @ApiOkResponse({ type: AmendmentPageDto, description: 'Every amendment (nextCursor is always null).' })
  @ApiProblems(400, 403, 404)
  amendments(@Param('id', UuidPipe) id: string): Promise<AmendmentPageDto> {
    return this.leases.amendments(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @Allow(...WRITE_MONEY)
  @ApiOperation({
    operationId: 'deleteLease',
    summary: 'Delete a lease that never had allocations',
    description:
      'A lease with allocation history is refused with 409 IN_USE: terminate it instead. A lease with a day in a closed month is 409 PERIOD_CLOSED.',
  })
  @ApiIfMatch()
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(400, 403, 404, 409, 412)
  async delete(@Param('id', UuidPipe) id: string, @IfMatch() expected: ExpectedVersion): Promise<void> {
    await this.leases.delete(id, expected);
  }
}
