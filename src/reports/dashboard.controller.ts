import { Controller, Get, Logger, Param, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Public } from '../auth/roles.decorator';
import { NothingFound } from '../errors/domain-errors';

const ASSET_TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'routing.html': 'text/html; charset=utf-8',
  'routing.js': 'text/javascript; charset=utf-8',
  'address-map.js': 'text/javascript; charset=utf-8',
  'routing.css': 'text/css; charset=utf-8',
};
/** Pages, served at their own paths rather than as assets. */
const PAGES = new Set(['index.html', 'routing.html']);

/**
 * Where the page's files are: next to this module (ts-node/jest, and `nest build`, which copies
 * them as assets), or, for a plain tsc build, in the source tree the build came from.
 */
export function findDashboardDir(start = __dirname): string | undefined {
  const candidates = [path.join(start, 'dashboard')];
  for (let dir = start, i = 0; i < 6; i++, dir = path.dirname(dir))
    candidates.push(path.join(dir, 'src', 'reports', 'dashboard'));
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html')));
}

function loadAssets(): Map<string, Buffer> {
  const dir = findDashboardDir();
  const assets = new Map<string, Buffer>();
  if (!dir) {
    new Logger('Dashboard').warn('dashboard assets not found; GET /reports will answer 404');
    return assets;
  }
  for (const name of Object.keys(ASSET_TYPES)) assets.set(name, fs.readFileSync(path.join(dir, name)));
  return assets;
}

/**
 * The reports dashboard: a static page and its scripts, all served from this process (no CDN, so
 * helmet's `script-src 'self'` holds). The page is public; the data it shows needs an API key,
 * which the page keeps in sessionStorage and sends as a Bearer token.
 */
@ApiTags('Reports')
@Controller('reports')
export class DashboardController {
  private readonly assets = loadAssets();

  @Get()
  @Public()
  @ApiOperation({
    operationId: 'reportsDashboard',
    summary: 'HTML dashboard of the reports (the page is public; it asks for an admin or finance key)',
  })
  @ApiProduces('text/html')
  @ApiResponse({
    status: 200,
    description: 'The dashboard page.',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  page(@Res() res: Response): void {
    this.send(res, 'index.html');
  }

  @Get('routing')
  @Public()
  @ApiOperation({
    operationId: 'routingDashboard',
    summary: 'HTML page for network engineers: RPKI states, BYOIP problems, listed space, address map (any role)',
  })
  @ApiProduces('text/html')
  @ApiResponse({
    status: 200,
    description: 'The page.',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  routingPage(@Res() res: Response): void {
    this.send(res, 'routing.html');
  }

  @Get('assets/:file')
  @Public()
  @ApiExcludeEndpoint()
  asset(@Param('file') file: string, @Res() res: Response): void {
    if (PAGES.has(file)) throw new NothingFound(`No dashboard asset named ${file}.`);
    this.send(res, file);
  }

  private send(res: Response, name: string): void {
    const body = Object.hasOwn(ASSET_TYPES, name) ? this.assets.get(name) : undefined;
    if (!body) throw new NothingFound(`No dashboard asset named ${name.slice(0, 60)}.`);
    res.setHeader('Content-Type', ASSET_TYPES[name]);
    res.setHeader('Cache-Control', 'no-cache');
    res.send(body);
  }
}
