import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/roles.decorator';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { RateLimited } from '../errors/domain-errors';
import { GeofeedSnapshot } from './geofeed.snapshot';

export { GEOFEED_HEADER, geofeedLines } from './geofeed.lines';

/** A download that makes no progress for this long (a client that stopped reading) is cut, freeing its slot. */
const STALLED_DOWNLOAD_MS = 30_000;

@ApiTags('Geofeed')
@Controller()
export class GeofeedController {
  private downloads = 0;

  constructor(
    private readonly snapshot: GeofeedSnapshot,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('geofeed.csv')
  @Public()
  @ApiOperation({
    operationId: 'getGeofeed',
    summary: 'RFC 8805 self-published geofeed of the active allocations',
    description:
      "One line per active allocation of a lease active today, sorted by prefix: `prefix,countryCode,subdivisionCode,city,` from the allocation's region. " +
      'The first line is the comment `# iplease geofeed`. Public: publish its URL in the inetnum/NetRange `geofeed:` attribute (RFC 9632). ' +
      'Served from a snapshot rebuilt after any change (and at least every minute); at most GEOFEED_MAX_DOWNLOADS downloads at once per instance, beyond that 429.',
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
    status: 429,
    description:
      'RATE_LIMITED: too many downloads at once (or too many public requests from this address); see Retry-After.',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } },
  })
  @ApiResponse({
    status: 503,
    description: 'UNAVAILABLE: the database is unreachable.',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } },
  })
  async feed(@Res() res: Response): Promise<void> {
    if (this.downloads >= this.config.geofeedMaxDownloads) {
      throw new RateLimited(
        `The geofeed is being sent to ${this.downloads} clients already (GEOFEED_MAX_DOWNLOADS); retry shortly.`,
        5,
      );
    }
    this.downloads++;
    let released = false;
    const release = () => {
      if (!released) this.downloads--;
      released = true;
    };
    try {
      const file = await this.snapshot.current();
      const socket = res.socket;
      res.setTimeout(STALLED_DOWNLOAD_MS, () => res.destroy());
      res
        .status(200)
        .type('text/csv; charset=utf-8')
        .setHeader('Last-Modified', file.builtAt.toUTCString())
        .setHeader('Content-Length', String(file.body.length))
        .end(file.body);
      // The response "finishes" once the bytes are queued; the download lasts until the client has taken them.
      if (socket && !socket.destroyed && socket.writableLength > 0) {
        socket.once('drain', release);
        socket.once('close', release);
      } else {
        release();
      }
    } catch (error) {
      release();
      throw error;
    }
  }
}
