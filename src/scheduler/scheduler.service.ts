import { Writes } from '../persistence/writes';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AllocationsRepository } from '../allocations/allocations.repository';
import { toAllocationDto } from '../allocations/allocations.service';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { Tx } from '../database/database.service';
import { EventsRepository } from '../events/events.repository';
import { LeasesRepository } from '../leases/leases.repository';
import { toLeaseDto } from '../leases/leases.service';
import { DueFire, SchedulerRepository } from './scheduler.repository';

const BATCH = 200;

export interface TickResult {
  /** False when another instance held the scheduler lock. */
  ran: boolean;
  fired: number;
}

/**
 * Writes the time-driven events. Every instance ticks at start and every
 * SCHEDULER_INTERVAL_SECONDS; one at a time does the work (advisory lock), and each fire claims
 * its (entity, kind, term, threshold) key in the same transaction as its event, so it happens once
 * however many instances tick and however often they restart.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Scheduler');
  private timer?: NodeJS.Timeout;
  private current?: Promise<TickResult>;
  private stopping = false;

  constructor(
    private readonly writes: Writes,
    private readonly scheduler: SchedulerRepository,
    private readonly events: EventsRepository,
    private readonly leases: LeasesRepository,
    private readonly allocations: AllocationsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.plan(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.current?.catch(() => undefined);
  }

  private plan(delayMs: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      void this.tick()
        .catch((error) => this.logger.warn({ msg: 'scheduler tick failed; will retry', err: error }))
        .finally(() => this.plan(this.config.schedulerIntervalSeconds * 1000));
    }, delayMs);
    this.timer.unref();
  }

  /** One pass over everything due; concurrent calls in this process share the pass. */
  tick(): Promise<TickResult> {
    this.current ??= this.pass().finally(() => (this.current = undefined));
    return this.current;
  }

  private async pass(): Promise<TickResult> {
    let fired = 0;
    for (;;) {
      const batch = await this.writes.transaction(async (tx) => {
        if (!(await this.scheduler.tryLock(tx))) return undefined;
        const due = await this.scheduler.due(tx, this.config.noticeAlertDays, BATCH);
        let count = 0;
        for (const fire of due) if (await this.fire(tx, fire)) count++;
        return { due: due.length, count };
      });
      if (!batch) return { ran: fired > 0, fired };
      fired += batch.count;
      if (batch.due < BATCH) break;
    }
    if (fired) this.logger.log({ msg: 'time-driven events fired', fired });
    return { ran: true, fired };
  }

  private async fire(tx: Tx, fire: DueFire): Promise<boolean> {
    const eventId = randomUUID();
    if (!(await this.scheduler.claim(tx, fire, eventId))) return false;
    if (fire.kind === 'allocation.stranded') {
      const row = await this.allocations.findById(tx, fire.entity_id);
      await this.events.append(tx, {
        id: eventId,
        type: fire.kind,
        entityType: 'allocation',
        entityId: fire.entity_id,
        data: row ? toAllocationDto(row) : null,
      });
      return true;
    }
    const row = await this.leases.findById(tx, fire.entity_id);
    const lease = row ? toLeaseDto(row) : null;
    const extra =
      fire.kind === 'lease.notice_deadline_approaching' ? { threshold: fire.threshold, daysLeft: fire.days_left } : {};
    await this.events.append(tx, {
      id: eventId,
      type: fire.kind,
      entityType: 'lease',
      entityId: fire.entity_id,
      data: { ...lease, ...extra },
    });
    return true;
  }
}
