import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Allow, READ_INVENTORY } from '../auth/roles.decorator';
import { ApiProblems } from '../common/openapi';
import { UuidPipe } from '../common/params';
import { negotiateFormat } from '../reports/report-response';
import { toCsv } from '../reports/csv';
import { ROUTING_COLUMNS, RoutingQuery, RoutingReportDto } from './dto/routing.dto';
import { RoutingService } from './routing.service';

@ApiTags('Routing')
@ApiBearerAuth()
@Controller('api/v1')
export class RoutingController {
  constructor(private readonly routing: RoutingService) {}

  @Get('reports/routing')
  @Allow(...READ_INVENTORY)
  @ApiOperation({
    operationId: 'getRoutingReport',
    summary: 'Routing hygiene per active allocation: RPKI origin validation, BYOIP readiness, listed space',
    description:
      'RFC 6811 against the VRP snapshot in force: `valid` when a covering VRP has the origin ASN and a maxLength ≥ the prefix length; ' +
      '`invalid` when covered but none matches (`invalidReason` `as` or `length`); `not-found` when no VRP covers it; `unknown-origin` without originAsn. ' +
      'BYOIP readiness for providers with requiredOriginAsns. CSV with `?format=csv` or `Accept: text/csv` (lists joined with `; `).',
  })
  @ApiExtraModels(RoutingReportDto)
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({
    description: `JSON report, or CSV with header \`${ROUTING_COLUMNS.join(',')}\`.`,
    content: {
      'application/json': { schema: { $ref: getSchemaPath(RoutingReportDto) } },
      'text/csv': { schema: { type: 'string', example: `${ROUTING_COLUMNS.join(',')}\r\n` } },
    },
  })
  @ApiProblems(400, 403)
  async report(@Query() query: RoutingQuery, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const format = negotiateFormat(req, query.format);
    res.setHeader('Vary', 'Accept');
    if (format === 'json') {
      // JSON text from the service (rows built in PostgreSQL): the same bytes Nest would send.
      res.type('application/json');
      return this.routing.reportJson(query);
    }
    const rows = await this.routing.reportCsvCells(query);
    res.type('text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="routing.csv"');
    return toCsv(ROUTING_COLUMNS, rows);
  }

  @Get('allocations/:id/route-object')
  @Allow(...READ_INVENTORY)
  @ApiOperation({
    operationId: 'getAllocationRouteObject',
    summary: 'The IRR route object (RPSL) for an allocation',
    description:
      'RPSL `route:` object with `route`, `descr` (name, else description), `origin`, `mnt-by` (env IRR_MAINTAINER) and `source` (env IRR_SOURCE). 409 NO_ORIGIN_ASN without originAsn.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'The RPSL object, ready for the IRR.',
    content: {
      'text/plain': {
        schema: {
          type: 'string',
          example:
            'route:          185.10.20.0/24\ndescr:          eu-west-1-nat\norigin:         AS16509\nmnt-by:         MAINT-EXAMPLE\nsource:         RADB\n',
        },
      },
    },
  })
  @ApiProblems(400, 403, 404, 409)
  async routeObject(@Param('id', UuidPipe) id: string, @Res({ passthrough: true }) res: Response): Promise<string> {
    const text = await this.routing.routeObject(id);
    res.type('text/plain; charset=utf-8');
    return text;
  }
}
