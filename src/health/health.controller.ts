import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Public } from '../auth/roles.decorator';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { Database } from '../database/database.service';
import { NothingFound, Unauthenticated, Unavailable } from '../errors/domain-errors';
import { metricsRegistry } from './metrics';
import { MIGRATIONS } from '../../migrations';
import { RUNTIME } from '../config/runtime';
import type { Runtime } from '../config/runtime';

class HealthDto {
  @ApiProperty({ example: 'ok' }) status: string;
}

const READY_TIMEOUT_MS = 2000;
const KNOWN_MIGRATIONS = MIGRATIONS.map((migration) => (new migration() as { name?: string }).name ?? migration.name);

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(token));
}

@ApiTags('Operations')
@Controller()
export class HealthController {
  constructor(
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RUNTIME) private readonly runtime: Runtime,
  ) {}

  @Get('health')
  @Public()
  @ApiOperation({ operationId: 'getHealth', summary: 'Liveness: the process is up' })
  @ApiOkResponse({ type: HealthDto, description: 'The process is up (`{"status":"ok"}`).' })
  health(): HealthDto {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @Public()
  @ApiOperation({ operationId: 'getReadiness', summary: 'Readiness: the database answers' })
  @ApiOkResponse({ type: HealthDto, description: 'The database answers (`{"status":"ready"}`).' })
  @ApiResponse({
    status: 503,
    description: 'UNAVAILABLE: the database is unreachable.',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } },
  })
  async ready(): Promise<HealthDto> {
    // The database this instance serves from, not merely one that answers on its address: the
    // embedded PostgreSQL it started must still be running, and the schema must hold every migration it knows.
    if (this.runtime.embeddedPostgres && !this.runtime.embeddedPostgres.running()) {
      throw new Unavailable('The embedded PostgreSQL this instance started is no longer running.');
    }
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Unavailable()), READY_TIMEOUT_MS).unref(),
    );
    let applied: number;
    try {
      applied = await Promise.race([this.db.appliedMigrations(KNOWN_MIGRATIONS), timeout]);
    } catch {
      throw new Unavailable();
    }
    if (applied !== KNOWN_MIGRATIONS.length) {
      throw new Unavailable('The database answers but lacks the schema this instance serves (migrations missing).');
    }
    return { status: 'ready' };
  }

  @Get('metrics')
  @Public()
  @ApiOperation({ operationId: 'getMetrics', summary: 'Prometheus metrics (turn off with METRICS_ENABLED=false)' })
  @ApiResponse({
    status: 200,
    description: 'Prometheus text exposition format.',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiResponse({
    status: 401,
    description: 'METRICS_TOKEN is set and the request does not carry it as `Authorization: Bearer <METRICS_TOKEN>`.',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } },
  })
  @ApiResponse({
    status: 404,
    description: 'Metrics are turned off.',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } },
  })
  async metrics(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (!this.config.metricsEnabled) {
      throw new NothingFound('Metrics are turned off (METRICS_ENABLED=false).');
    }
    if (this.config.metricsToken && !bearerMatches(req.headers.authorization, this.config.metricsToken)) {
      throw new Unauthenticated('Metrics need Authorization: Bearer <METRICS_TOKEN>.');
    }
    res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  }
}
