import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Allow, READ_FINANCE, WRITE_FINANCE } from '../auth/roles.decorator';
import { EtagFromVersion } from '../common/etag';
import { ApiProblems, ETAG_HEADER } from '../common/openapi';
import { ApiReport } from '../reports/api-report';
import { negotiateFormat, sendReport } from '../reports/report-response';
import {
  CreateInvoiceDto,
  InvoiceDto,
  InvoiceImportResultDto,
  InvoicePageDto,
  InvoiceQuery,
  RECONCILIATION_COLUMNS,
  ReconciliationQuery,
  ReconciliationReportDto,
} from './dto/invoice.dto';
import { InvoicesService } from './invoices.service';

@ApiTags('Invoices')
@ApiBearerAuth()
@Controller('api/v1/invoices')
export class InvoicesController {
  constructor(private readonly invoices: InvoicesService) {}

  @Post()
  @Allow(...WRITE_FINANCE)
  @ApiOperation({
    operationId: 'createInvoice',
    summary: "Record a lessor's invoice for a month",
    description:
      'One line per invoiced prefix, all in the invoice currency. `invoiceNumber` is unique per lessor (409 ALREADY_EXISTS). ' +
      'Invoices are records of what was billed; they change no cost figure, so closed months may receive them.',
  })
  @ApiBody({
    type: CreateInvoiceDto,
    examples: {
      twoLines: {
        summary: 'Two prefixes invoiced for May',
        value: {
          lessorId: '00000000-0000-4000-8000-000000000000',
          invoiceNumber: 'INV-2026-05-001',
          month: '2026-05',
          currency: 'USD',
          lines: [
            { prefix: '185.10.20.0/24', amount: '256.00' },
            { prefix: '185.10.21.0/24', amount: '128.00' },
          ],
        },
      },
    },
  })
  @ApiCreatedResponse({ type: InvoiceDto, description: 'Recorded; ETag is its version.', headers: ETAG_HEADER })
  @ApiProblems(400, 403, 409, 413, 415, 422)
  @EtagFromVersion()
  create(@Body() dto: CreateInvoiceDto): Promise<InvoiceDto> {
    return this.invoices.create(dto);
  }

  @Get()
  @Allow(...READ_FINANCE)
  @ApiOperation({ operationId: 'listInvoices', summary: 'List invoices (creation order), with their lines' })
  @ApiOkResponse({ type: InvoicePageDto, description: 'One page; pass nextCursor as ?cursor= for the next.' })
  @ApiProblems(400, 403)
  list(@Query() query: InvoiceQuery): Promise<InvoicePageDto> {
    return this.invoices.list(query);
  }

  @Post('import')
  @Allow(...WRITE_FINANCE)
  @ApiOperation({
    operationId: 'importInvoices',
    summary: 'Import invoice lines from CSV, all or nothing',
    description:
      'Body `text/csv` with the header `lessor,invoiceNumber,month,prefix,amount,currency` (any column order); `lessor` is the lessor name. ' +
      'Rows with the same lessor and invoiceNumber form one invoice (same month and currency on each). ' +
      'Any bad row refuses the whole file: 400 VALIDATION_FAILED with one entry per problem in `errors`, each naming its `row` (1 = the first row after the header) and `field`.',
  })
  @ApiCreatedResponse({ type: InvoiceImportResultDto, description: 'Every invoice of the file recorded.' })
  @ApiProblems(400, 403, 409, 413, 415, 422)
  import(@Body() body: unknown): Promise<InvoiceImportResultDto> {
    return this.invoices.import(body);
  }
}

@ApiTags('Reports')
@ApiBearerAuth()
@Controller('api/v1/reports')
export class ReconciliationController {
  constructor(private readonly invoices: InvoicesService) {}

  @Get('reconciliation')
  @Allow(...READ_FINANCE)
  @ApiOperation({
    operationId: 'reconciliationReport',
    summary: 'Expected vs invoiced per lease and invoice line for a month',
    description:
      'Expected per lease is its row of GET /reports/monthly-cost?groupBy=lease (same computation). Invoiced sums the lines of that month per lessor, prefix and currency. ' +
      'Status: `matched` (|variance| ≤ tolerancePercent % of expected), `over`, `under`, `not-invoiced` (expected > 0 and no line), ' +
      '`unexpected` (a line for a prefix with no lease cost of that lessor, currency and month). Ordered by lessor, then prefix.',
  })
  @ApiReport(ReconciliationReportDto, RECONCILIATION_COLUMNS, 'reconciliation-2026-05.csv')
  async reconciliation(
    @Query() query: ReconciliationQuery,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const format = negotiateFormat(req, query.format);
    const report = await this.invoices.reconciliation(query);
    return sendReport(res, format, report, {
      columns: RECONCILIATION_COLUMNS,
      filename: `reconciliation-${report.month}.csv`,
    });
  }
}
