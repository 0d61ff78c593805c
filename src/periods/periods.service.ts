import { Writes } from '../persistence/writes';
import { Injectable } from '@nestjs/common';
import { AuditRepository } from '../audit/audit.repository';
import { requestContext } from '../common/request-context';
import { Database } from '../database/database.service';
import { ValidationFailed } from '../errors/domain-errors';
import { nextMonthStart, ReportsRepository } from '../reports/reports.repository';
import { ClosePeriodDto, PeriodsDto, ReopenPeriodDto } from './dto/period.dto';
import { PeriodEventRow, PeriodsRepository } from './periods.repository';

const monthOf = (day: string | null) => (day === null ? null : day.slice(0, 7));

/**
 * Closing months: the monthly-cost figures of every newly closed month (all four groupings, from
 * one pass over its allocation periods) are computed once and stored, under a lock that holds back every write to the tables they come from; from then on the
 * guard period_assert_open refuses any write that reaches them.
 */
@Injectable()
export class PeriodsService {
  constructor(
    private readonly periods: PeriodsRepository,
    private readonly reports: ReportsRepository,
    private readonly audit: AuditRepository,
    private readonly db: Database,
    private readonly writes: Writes,
  ) {}

  async get(): Promise<PeriodsDto> {
    const events = await this.periods.events(this.db);
    return {
      closedThrough: monthOf(events.at(-1)?.through ?? null),
      history: events.map(toEventDto),
    };
  }

  async close(dto: ClosePeriodDto): Promise<PeriodsDto> {
    const through = `${dto.through}-01`;
    await this.writes.transaction(async (tx) => {
      const today = await this.reports.today(tx);
      if (through >= `${today.slice(0, 7)}-01`) {
        throw ValidationFailed.field('through', `only months that have ended can be closed; ${dto.through} has not`);
      }
      await this.periods.lockCostTables(tx);
      const closedThrough = await this.periods.closedThrough(tx);
      if (closedThrough !== null && through <= closedThrough) return;
      const firstLeased = await this.periods.firstLeasedMonth(tx);
      let month = closedThrough === null ? firstLeased : nextMonthStart(closedThrough);
      if (month !== null && firstLeased !== null && month < firstLeased) month = firstLeased;
      await this.periods.allowClosingMemory(tx);
      for (; month !== null && month <= through; month = nextMonthStart(month)) {
        await this.reports.freezeMonthlyCost(tx, month);
      }
      const event = await this.periods.record(tx, { action: 'close', through, reason: null, ...actor() });
      await this.audit.record(tx, {
        action: 'close',
        entityType: 'period',
        entityId: event.id,
        before: { closedThrough: monthOf(closedThrough) },
        after: { closedThrough: dto.through },
      });
    });
    return this.get();
  }

  async reopen(dto: ReopenPeriodDto): Promise<PeriodsDto> {
    const through = dto.through === null ? null : `${dto.through}-01`;
    await this.writes.transaction(async (tx) => {
      await this.periods.lockCostTables(tx);
      const closedThrough = await this.periods.closedThrough(tx);
      if (closedThrough === null) throw ValidationFailed.field('through', 'no month is closed');
      if (through !== null && through >= closedThrough) {
        throw ValidationFailed.field(
          'through',
          `reopening moves closedThrough back: give a month before ${monthOf(closedThrough)}, or null to reopen every month`,
        );
      }
      await this.periods.thaw(tx, through);
      const event = await this.periods.record(tx, { action: 'reopen', through, reason: dto.reason, ...actor() });
      await this.audit.record(tx, {
        action: 'reopen',
        entityType: 'period',
        entityId: event.id,
        before: { closedThrough: monthOf(closedThrough) },
        after: { closedThrough: dto.through, reason: dto.reason },
      });
    });
    return this.get();
  }
}

function actor(): { keyId: string | null; name: string | null } {
  const context = requestContext.current();
  return { keyId: context?.actor?.keyId ?? null, name: context?.actor?.name ?? context?.operator ?? null };
}

function toEventDto(row: PeriodEventRow) {
  return {
    action: row.action,
    through: monthOf(row.through),
    reason: row.reason,
    at: row.at.toISOString(),
    actor: { keyId: row.actor_key_id, name: row.actor_name },
  };
}
