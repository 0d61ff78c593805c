import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/roles.decorator';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { Database } from '../database/database.service';
import { DomainError, Unavailable } from '../errors/domain-errors';
import { metricsRegistry } from './metrics';

class HealthDto {
  @ApiProperty({ example: 'ok' }) status: string;
}

const READY_TIMEOUT_MS = 2000;

@ApiTags('Operations')
@Controller()
export class HealthController {
  constructor(
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Unavailable()), READY_TIMEOUT_MS).unref(),
    );
    try {
      await Promise.race([this.db.query('SELECT 1'), timeout]);
    } catch {
      throw new Unavailable();
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
    status: 404,
    description: 'Metrics are turned off.',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } },
  })
  async metrics(@Res() res: Response): Promise<void> {
    if (!this.config.metricsEnabled) {
      throw new DomainError('NOT_FOUND', 'Metrics are turned off (METRICS_ENABLED=false).');
    }
    res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  }
}
