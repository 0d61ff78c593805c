import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ADMIN_ONLY, Allow, READ_FINANCE, WRITE_MONEY } from '../auth/roles.decorator';
import { ApiProblems } from '../common/openapi';
import { ClosePeriodDto, PeriodsDto, ReopenPeriodDto } from './dto/period.dto';
import { PeriodsService } from './periods.service';

@ApiTags('Periods')
@ApiBearerAuth()
@Controller('api/v1/periods')
export class PeriodsController {
  constructor(private readonly periods: PeriodsService) {}

  @Get()
  @Allow(...READ_FINANCE)
  @ApiOperation({ operationId: 'getPeriods', summary: 'Which months are closed, and every close and reopen' })
  @ApiOkResponse({ type: PeriodsDto, description: 'The last closed month and the history of closes and reopens.' })
  @ApiProblems(400, 403)
  get(): Promise<PeriodsDto> {
    return this.periods.get();
  }

  @Post('close')
  @HttpCode(200)
  @Allow(...WRITE_MONEY)
  @ApiOperation({
    operationId: 'closePeriods',
    summary: 'Close a month and every earlier one',
    description:
      'Only months that have ended. The monthly-cost figures of the newly closed months are frozen: from then on the report of a closed ' +
      'month answers exactly the same rows (with `closed: true`), and every write whose effect reaches a closed month is 409 PERIOD_CLOSED. ' +
      'Closing a month that is already closed changes nothing.',
  })
  @ApiBody({
    type: ClosePeriodDto,
    examples: { september: { summary: 'Close through September', value: { through: '2026-09' } } },
  })
  @ApiOkResponse({ type: PeriodsDto, description: 'The periods after closing.' })
  @ApiProblems(400, 403, 413, 415, 422)
  close(@Body() dto: ClosePeriodDto): Promise<PeriodsDto> {
    return this.periods.close(dto);
  }

  @Post('reopen')
  @HttpCode(200)
  @Allow(...ADMIN_ONLY)
  @ApiOperation({
    operationId: 'reopenPeriods',
    summary: 'Move closedThrough back (admin only, with a reason)',
    description: 'The reopened months are computed live again until they are closed anew. Audited.',
  })
  @ApiBody({
    type: ReopenPeriodDto,
    examples: {
      august: {
        summary: 'Reopen September',
        value: { through: '2026-08', reason: 'Corrected invoice from RIPE Lessor Ltd' },
      },
    },
  })
  @ApiOkResponse({ type: PeriodsDto, description: 'The periods after reopening.' })
  @ApiProblems(400, 403, 413, 415, 422)
  reopen(@Body() dto: ReopenPeriodDto): Promise<PeriodsDto> {
    return this.periods.reopen(dto);
  }
}
