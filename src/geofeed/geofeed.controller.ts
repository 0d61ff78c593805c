import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { stringify } from 'csv-stringify/sync';
import type { Response } from 'express';
import { once } from 'node:events';
import { Public } from '../auth/roles.decorator';
import { GeofeedRepository, GeofeedRow } from './geofeed.repository';

export const GEOFEED_HEADER = '# iplease geofeed\n';
const BATCH = 5000;

/** RFC 8805: prefix, country, ISO 3166-2 subdivision, city, postal code (left empty, as the RFC advises). */
export function geofeedLines(rows: readonly GeofeedRow[]): string {
  return stringify(
    rows.map((r) => [r.prefix, r.country_code.trim(), r.subdivision_code ?? '', r.city ?? '', '']),
    { record_delimiter: 'unix' },
  );
}

@ApiTags('Geofeed')
@Controller()
export class GeofeedController {
  constructor(private readonly geofeed: GeofeedRepository) {}

  @Get('geofeed.csv')
  @Public()
  @ApiOperation({
    operationId: 'getGeofeed',
    summary: 'RFC 8805 self-published geofeed of the active allocations',
    description:
      "One line per active allocation of a lease active today, sorted by prefix: `prefix,countryCode,subdivisionCode,city,` from the allocation's region. " +
      'The first line is the comment `# iplease geofeed`. Public: publish its URL in the inetnum/NetRange `geofeed:` attribute (RFC 9632).',
  })
  @ApiProduces('text/csv')
  @ApiResponse({
    status: 200,
    description: 'The geofeed.',
    content: {
      'text/csv': { schema: { type: 'string', example: '# iplease geofeed\n185.10.20.0/26,IE,IE-D,Dublin,\n' } },
    },
  })
  @ApiResponse({
    status: 503,
    description: 'UNAVAILABLE: the database is unreachable.',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } },
  })
  async feed(@Res() res: Response): Promise<void> {
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      res.status(200).type('text/csv; charset=utf-8');
      res.write(GEOFEED_HEADER);
    };
    try {
      await this.geofeed.forEachBatch(BATCH, async (rows) => {
        start();
        if (!res.write(geofeedLines(rows))) await Promise.race([once(res, 'drain'), once(res, 'close')]);
        return !res.destroyed && !res.writableEnded;
      });
      start();
      res.end();
    } catch (error) {
      // Before the first byte the problem filter answers (503 when the database is gone); after
      // it, a truncated feed must not look complete, so the connection is cut.
      if (!started) throw error;
      res.destroy();
    }
  }
}
