import { Controller, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Allow, WRITE_INVENTORY } from '../auth/roles.decorator';
import { ApiProblems } from '../common/openapi';
import type { RawBodyRequest } from '../common/raw-body';
import { ImportKindParam, ImportQuery, ImportResultDto } from './dto/import.dto';
import { ImportsService } from './imports.service';

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
  @ApiCreatedResponse({ type: ImportResultDto, description: 'Every row imported.' })
  @ApiOkResponse({ type: ImportResultDto, description: 'Dry run: every row is valid; nothing written.' })
  @ApiProblems(400, 403, 413, 415, 422)
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
