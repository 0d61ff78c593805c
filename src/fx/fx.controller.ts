import { Body, Controller, Get, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, READ_FINANCE, WRITE_FINANCE } from '../auth/roles.decorator';
import { ApiProblems } from '../common/openapi';
import { FxImportResultDto, FxRatePageDto, FxRateQuery, ImportFxRatesDto } from './dto/fx-rate.dto';
import { FxService } from './fx.service';

@ApiTags('FX rates')
@ApiBearerAuth()
@Controller('api/v1/fx-rates')
export class FxController {
  constructor(private readonly fx: FxService) {}

  @Put()
  @Allow(...WRITE_FINANCE)
  @ApiOperation({
    operationId: 'importFxRates',
    summary: 'Import ECB reference rates (the published CSV as is, or JSON); upsert',
    description:
      '`text/csv`: the ECB history file exactly as published (eurofxref-hist.csv, up to 8 MiB): header `Date,USD,JPY,…` with its trailing comma, ' +
      'one row per day, `N/A` for no rate, units per 1 EUR; CRLF or LF. Columns of codes that are no longer ISO 4217 currencies (CYP, HRK, …) are skipped and listed. ' +
      '`application/json`: `{ "rates": [{ "date", "currency", "perEur" }] }`. ' +
      'Each (currency, day) is inserted or replaced. All or nothing: any bad cell refuses the whole file with 400, every problem naming its row (1 = first row after the header) and column.',
  })
  @ApiBody({
    type: ImportFxRatesDto,
    examples: {
      json: {
        summary: 'Two days of USD and JPY',
        value: {
          rates: [
            { date: '2026-05-28', currency: 'USD', perEur: '1.0815' },
            { date: '2026-05-28', currency: 'JPY', perEur: '169.12' },
            { date: '2026-05-29', currency: 'USD', perEur: '1.0823' },
            { date: '2026-05-29', currency: 'JPY', perEur: '169.48' },
          ],
        },
      },
    },
  })
  @ApiOkResponse({ type: FxImportResultDto, description: 'Imported (upserted); counts and the range covered.' })
  @ApiProblems(400, 403, 413, 415)
  import(@Body() body: unknown): Promise<FxImportResultDto> {
    return this.fx.import(body);
  }

  @Get()
  @Allow(...READ_FINANCE)
  @ApiOperation({ operationId: 'listFxRates', summary: 'List stored ECB reference rates (by day, then currency)' })
  @ApiOkResponse({ type: FxRatePageDto, description: 'One page; pass nextCursor as ?cursor= for the next.' })
  @ApiProblems(400, 403)
  list(@Query() query: FxRateQuery): Promise<FxRatePageDto> {
    return this.fx.list(query);
  }
}
