import { Controller, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Allow, WRITE_INVENTORY } from '../auth/roles.decorator';
import { ApiProblems } from '../common/openapi';
import type { RawBodyRequest } from '../common/raw-body';
import { ImportKindParam, ImportQuery, ImportResultDto } from './dto/import.dto';
import { ImportsService } from './imports.service';

const LEASES_CSV =
  'prefix,lessor,rir,startDate,endDate,autoRenew,renewalTermMonths,noticePeriodDays,pricePerIpMonthly,currency,contractRef,originAsn,tags\r\n' +
  '185.10.20.0/22,Acme Holdings,RIPE,2026-01-01,2026-12-31,true,12,30,0.4500,USD,IPXO-42,16509,prod;eu\r\n';
const ALLOCATIONS_CSV =
  'prefix,region,provider,effectiveDate,name,description,tags,originAsn\r\n' +
  '185.10.20.0/24,eu-west-1,aws,2026-01-15,eu-nat,"NAT gateways, prod",prod,16509\r\n';

@ApiTags('Imports')
@ApiBearerAuth()
@Controller('api/v1/imports')
export class ImportsController {
  constructor(private readonly imports: ImportsService) {}

  @Post(':kind')
  @HttpCode(201)
  @Allow(...WRITE_INVENTORY)
  @ApiOperation({
    operationId: 'importRows',
    summary: 'Bulk import leases or allocations from CSV or JSON (all or nothing)',
    description:
      'Body `text/csv` with a header row, or JSON `{ "rows": [ { column: value } ] }`. Lease columns: ' +
      '`prefix,lessor,rir,startDate,endDate,autoRenew,renewalTermMonths,noticePeriodDays,pricePerIpMonthly,currency,contractRef,originAsn,tags` ' +
      '(lessor by name, created with `rir` when absent; tags separated by `;`). Allocation columns: ' +
      '`prefix,region,provider,effectiveDate,name,description,tags,originAsn` (region and provider by code). ' +
      'One bad row writes nothing: the answer is 400 with `errors: [{ row, field, message }]` for every bad row (row 1 = first data row). ' +
      '`GET /leases?format=csv` and `GET /allocations?format=csv` export in the same columns. Up to 50,000 rows and 32 MiB per request.',
  })
  @ApiParam({ name: 'kind', enum: ['leases', 'allocations'] })
  @ApiConsumes('text/csv', 'application/json')
  @ApiBody({
    schema: {
      oneOf: [
        { type: 'string', description: 'CSV with a header row' },
        { type: 'object', properties: { rows: { type: 'array', items: { type: 'object' } } }, required: ['rows'] },
      ],
    },
    examples: {
      leases: { summary: 'Leases (CSV)', value: LEASES_CSV },
      allocations: { summary: 'Allocations (CSV)', value: ALLOCATIONS_CSV },
      json: {
        summary: 'Allocations (JSON)',
        value: { rows: [{ prefix: '185.10.20.0/24', region: 'eu-west-1', provider: 'aws', tags: ['prod'] }] },
      },
    },
  })
  @ApiCreatedResponse({ type: ImportResultDto, description: 'Every row imported.' })
  @ApiOkResponse({ type: ImportResultDto, description: 'Dry run: every row is valid; nothing written.' })
  @ApiProblems(400, 403, 413, 422)
  async import(
    @Param() params: ImportKindParam,
    @Query() query: ImportQuery,
    @Req() req: RawBodyRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImportResultDto> {
    const result = await this.imports.import(params.kind, req.rawBody ?? Buffer.alloc(0), req.headers['content-type'], {
      dryRun: query.dryRun === true,
      ignoreUnknownColumns: query.ignoreUnknownColumns === true,
    });
    if (result.dryRun) res.status(200);
    return result;
  }
}
