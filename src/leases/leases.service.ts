import { ReadDatabase } from '../database/read-database.service';
import type { ExpectedVersion } from '../common/etag';
import { Injectable } from '@nestjs/common';
import { keyset, Page, toPage } from '../common/pagination';
import { EntitySpec, Writes } from '../persistence/writes';
import { Database } from '../database/database.service';
import { onConstraintViolation } from '../database/pg-errors';
import { Forbidden, InUse, PrefixNotLeasable, PrefixOverlap, ValidationFailed } from '../errors/domain-errors';
import { leasabilityError, parseCanonicalCidr } from '../ip';
import { requestContext } from '../common/request-context';
import { Tx } from '../database/database.service';
import {
  AmendmentDto,
  AmendmentPageDto,
  CreateAmendmentDto,
  CreateLeaseDto,
  LeaseDto,
  LeaseQuery,
  RenewLeaseDto,
  TerminatedLeaseDto,
  TerminateLeaseDto,
  UpdateLeaseDto,
} from './dto/lease.dto';
import { AmendmentRow, LeaseRow, LeasesRepository } from './leases.repository';

export function toLeaseDto(row: LeaseRow): LeaseDto {
  return {
    id: row.id,
    prefix: row.prefix,
    lessorId: row.lessor_id,
    startDate: row.start_date,
    endDate: row.end_date,
    autoRenew: row.auto_renew,
    renewalTermMonths: row.renewal_term_months,
    noticePeriodDays: row.notice_period_days,
    pricePerIpMonthly: row.price_per_ip_monthly,
    currency: row.currency,
    contractRef: row.contract_ref,
    originAsn: row.origin_asn === null ? null : Number(row.origin_asn),
    tags: row.tags,
    notes: row.notes,
    status: row.status,
    currentTermEnd: row.current_term_end,
    terminatedOn: row.terminated_on,
    addressCount: Number(row.address_count),
    allocatedAddressCount: Number(row.allocated_address_count),
    activeAllocationCount: Number(row.active_allocation_count),
    monthlyCost: row.monthly_cost,
    listed: row.listed ?? [],
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

interface Term {
  prefix: string;
  startDate: string;
  endDate: string | null;
  autoRenew: boolean;
  terminatedOn: string | null;
}

/** The last day a lease occupies its prefix; null when it runs on without end. */
function lastDay(term: Term): string | null {
  return term.terminatedOn ?? (term.autoRenew ? null : term.endDate);
}

@Injectable()
export class LeasesService {
  private readonly spec: EntitySpec<LeaseRow, LeaseDto>;

  constructor(
    /** Lists may come from a read replica. */
    private readonly reads: ReadDatabase,
    private readonly leases: LeasesRepository,
    private readonly writes: Writes,
    private readonly db: Database,
  ) {
    this.spec = { type: 'lease', repository: leases, toView: toLeaseDto };
  }

  async list(query: LeaseQuery): Promise<Page<LeaseDto>> {
    const page = keyset(query);
    return toPage(await this.leases.search(this.reads, page, query), page.limit, toLeaseDto);
  }

  get(id: string): Promise<LeaseDto> {
    return this.writes.get(this.spec, id);
  }

  async create(dto: CreateLeaseDto): Promise<LeaseDto> {
    const term: Term = {
      prefix: dto.prefix,
      startDate: dto.startDate,
      endDate: dto.endDate ?? null,
      autoRenew: dto.autoRenew ?? false,
      terminatedOn: null,
    };
    assertLeasable(dto.prefix);
    assertTermShape(term);
    return this.translate(term, undefined, () =>
      this.writes.create(this.spec, async (tx) => {
        const row = await this.leases.insert(tx, {
          prefix: dto.prefix,
          lessor_id: dto.lessorId,
          start_date: dto.startDate,
          end_date: dto.endDate ?? null,
          auto_renew: dto.autoRenew ?? false,
          renewal_term_months: dto.renewalTermMonths ?? 12,
          notice_period_days: dto.noticePeriodDays ?? 30,
          price_per_ip_monthly: dto.pricePerIpMonthly,
          currency: dto.currency,
          contract_ref: dto.contractRef ?? null,
          origin_asn: dto.originAsn ?? null,
          tags: dedupe(dto.tags ?? []),
          notes: dto.notes ?? null,
        });
        // Its first amendment, the original terms, is written by the trigger leases_original_terms.
        return row;
      }),
    );
  }

  async update(id: string, dto: UpdateLeaseDto, expected?: ExpectedVersion): Promise<LeaseDto> {
    if (dto.prefix !== undefined) assertLeasable(dto.prefix);
    const columns: Record<string, unknown> = {};
    const set = (column: string, value: unknown) => value !== undefined && (columns[column] = value);
    set('prefix', dto.prefix);
    set('lessor_id', dto.lessorId);
    set('start_date', dto.startDate);
    set('end_date', dto.endDate);
    set('auto_renew', dto.autoRenew);
    set('renewal_term_months', dto.renewalTermMonths);
    set('notice_period_days', dto.noticePeriodDays);
    const repricing = dto.pricePerIpMonthly !== undefined || dto.currency !== undefined;
    if (repricing && requestContext.current()?.actor?.role === 'engineer') {
      throw new Forbidden(
        'Prices belong to finance: an engineer key cannot change pricePerIpMonthly or currency (a finance or admin key can, as an amendment effective today).',
      );
    }
    set('contract_ref', dto.contractRef);
    set('origin_asn', dto.originAsn);
    set('tags', dto.tags === undefined ? undefined : dedupe(dto.tags));
    set('notes', dto.notes);
    let merged: Term | undefined;
    return this.translate(
      () => merged,
      id,
      () =>
        this.writes.update(this.spec, id, expected, columns, async (tx, current) => {
          merged = {
            prefix: dto.prefix ?? current.prefix,
            startDate: dto.startDate ?? current.start_date,
            endDate: dto.endDate === undefined ? current.end_date : dto.endDate,
            autoRenew: dto.autoRenew ?? current.auto_renew,
            terminatedOn: current.terminated_on,
          };
          assertTermShape(merged);
          if (merged.terminatedOn && merged.terminatedOn < merged.startDate) {
            throw ValidationFailed.field(
              'startDate',
              `startDate must not be after the termination date ${merged.terminatedOn}`,
            );
          }
          await this.assertStillCovers(tx, id, merged, current);
          if (repricing) {
            // A price change is an amendment effective today (or from the start, for a lease not yet started).
            const today = await this.leases.today(tx);
            const from = merged.startDate > today ? merged.startDate : today;
            const inForce = await this.leases.termsOn(tx, id, from);
            await this.leases.amend(tx, id, {
              effectiveDate: from,
              price: dto.pricePerIpMonthly ?? inForce.price,
              currency: dto.currency ?? inForce.currency,
              note: null,
            });
          }
          if (dto.prefix !== undefined && dto.prefix !== current.prefix) {
            const active = await this.leases.activeAllocations(tx, id);
            if (active.length > 0) {
              throw new InUse(
                `The prefix of lease ${id} cannot change while it has active allocations; release them first.`,
                active.map((a) => ({ ...a, kind: 'allocation' })),
              );
            }
            if (await this.leases.occupiesSpace(tx, id))
              throw new InUse(`The prefix of lease ${id} cannot change while released space is still on hold.`, []);
          }
        }),
    );
  }

  /** The lease with whether notice was given at least noticePeriodDays before the last day. */
  async terminate(id: string, dto: TerminateLeaseDto, expected?: ExpectedVersion): Promise<TerminatedLeaseDto> {
    let noticeGiven = false;
    const view = await this.writes.mutate(this.spec, id, expected, 'terminate', async (tx, current) => {
      if (current.terminated_on) {
        throw ValidationFailed.field(
          'effectiveDate',
          `lease ${id} is already terminated effective ${current.terminated_on}`,
        );
      }
      if (dto.effectiveDate < current.start_date) {
        throw ValidationFailed.field(
          'effectiveDate',
          `effectiveDate must not be before the lease starts (${current.start_date})`,
        );
      }
      if (!current.auto_renew && current.end_date && dto.effectiveDate > current.end_date) {
        throw ValidationFailed.field(
          'effectiveDate',
          `effectiveDate is after the lease ends (${current.end_date}); a lease without auto-renewal simply expires`,
        );
      }
      const active = await this.leases.activeAllocations(tx, id);
      if (active.length > 0) {
        throw new InUse(
          `Lease ${id} still has ${active.length}${active.length === 100 ? '+' : ''} active allocation(s); release them before terminating.`,
          active.map((a) => ({ ...a, kind: 'allocation' })),
        );
      }
      const today = await this.leases.today(tx);
      noticeGiven = daysBetween(today, dto.effectiveDate) >= current.notice_period_days;
      return this.leases.update(tx, id, { terminated_on: dto.effectiveDate });
    });
    return { ...(view as LeaseDto), noticeGiven };
  }

  /**
   * Continues the same lease (and its allocations) with a new term from the day after the current
   * one ends; a new price becomes an amendment from that day.
   */
  async renew(id: string, dto: RenewLeaseDto, expected?: ExpectedVersion): Promise<LeaseDto> {
    let merged: Term | undefined;
    const view = await this.translate(
      () => merged,
      id,
      () =>
        this.writes.mutate(this.spec, id, expected, 'renew', async (tx, current) => {
          if (current.terminated_on) {
            throw ValidationFailed.field(
              'endDate',
              `lease ${id} is terminated (last day ${current.terminated_on}); it cannot be renewed`,
            );
          }
          const termEnd = current.current_term_end;
          if (termEnd === null) {
            throw ValidationFailed.field('endDate', `lease ${id} is open-ended; there is no term to renew`);
          }
          if (dto.endDate <= termEnd) {
            throw ValidationFailed.field('endDate', `endDate must be after the current term end (${termEnd})`);
          }
          merged = {
            prefix: current.prefix,
            startDate: current.start_date,
            endDate: dto.endDate,
            autoRenew: dto.autoRenew ?? current.auto_renew,
            terminatedOn: null,
          };
          const renewedFrom = addDays(termEnd, 1);
          if (dto.pricePerIpMonthly !== undefined || dto.currency !== undefined) {
            const inForce = await this.leases.termsOn(tx, id, renewedFrom);
            await this.leases.amend(tx, id, {
              effectiveDate: renewedFrom,
              price: dto.pricePerIpMonthly ?? inForce.price,
              currency: dto.currency ?? inForce.currency,
              note: `renewal through ${dto.endDate}`,
            });
          }
          return this.leases.update(tx, id, { end_date: dto.endDate, auto_renew: merged.autoRenew });
        }),
    );
    return view as LeaseDto;
  }

  /** A price (and currency) from a day on; finance's way to record a contract change. */
  async amend(id: string, dto: CreateAmendmentDto, expected?: ExpectedVersion): Promise<AmendmentDto> {
    let amendment: AmendmentRow | undefined;
    await this.writes.mutate(this.spec, id, expected, 'amend', async (tx, current) => {
      if (dto.effectiveDate < current.start_date) {
        throw ValidationFailed.field(
          'effectiveDate',
          `effectiveDate must not be before the lease starts (${current.start_date})`,
        );
      }
      if (current.terminated_on && dto.effectiveDate > current.terminated_on) {
        throw ValidationFailed.field(
          'effectiveDate',
          `lease ${id} ends on ${current.terminated_on} (terminated); an amendment after that has no day to apply to`,
        );
      }
      const inForce = await this.leases.termsOn(tx, id, dto.effectiveDate);
      amendment = await this.leases.amend(tx, id, {
        effectiveDate: dto.effectiveDate,
        price: dto.pricePerIpMonthly,
        currency: dto.currency ?? inForce.currency,
        note: dto.note ?? null,
      });
      return this.leases.update(tx, id, {});
    });
    return toAmendmentDto(amendment as AmendmentRow);
  }

  async amendments(id: string): Promise<AmendmentPageDto> {
    await this.get(id);
    return { items: (await this.leases.amendments(this.db, id)).map(toAmendmentDto), nextCursor: null };
  }

  /** An edit of the term may never leave active allocations outside it today. */
  private async assertStillCovers(tx: Tx, id: string, merged: Term, current: LeaseRow): Promise<void> {
    const changed =
      merged.startDate !== current.start_date ||
      merged.endDate !== current.end_date ||
      merged.autoRenew !== current.auto_renew;
    if (!changed) return;
    const today = await this.leases.today(tx);
    const last = lastDay(merged);
    if (merged.startDate <= today && (last === null || last >= today)) return;
    const active = await this.leases.activeAllocations(tx, id);
    if (active.length === 0) return;
    throw new InUse(
      `Lease ${id} has ${active.length}${active.length === 100 ? '+' : ''} active allocation(s); this change would leave them outside its term today (${merged.startDate} to ${last ?? 'open-ended'}). Release or move them first.`,
      active.map((a) => ({ ...a, kind: 'allocation' })),
    );
  }

  delete(id: string, expected?: ExpectedVersion): Promise<void> {
    return this.writes.deleteUnlessReferenced(this.spec, id, expected, async () => {
      const allocations = await this.leases.anyAllocations(this.db, id);
      return new InUse(
        `Lease ${id} has allocation history (${allocations.length}${allocations.length === 100 ? '+' : ''} allocation(s)); terminate it instead of deleting it.`,
        allocations.map((a) => ({ id: a.id, prefix: a.prefix, kind: 'allocation' })),
      );
    });
  }

  /** Maps the database's refusals (overlap, unknown lessor) to precise answers. */
  private async translate<T>(
    term: Term | (() => Term | undefined),
    excludeId: string | undefined,
    write: () => Promise<T>,
  ): Promise<T> {
    return onConstraintViolation(
      {
        leases_no_overlap: async (violation) => {
          const t = typeof term === 'function' ? term() : term;
          if (!t) return violation;
          const conflicts = await this.leases.overlapping(this.db, {
            prefix: t.prefix,
            startDate: t.startDate,
            lastDay: lastDay(t),
            excludeId,
          });
          const described = conflicts
            .slice(0, 3)
            .map((c) => `lease ${c.id} (${c.prefix}, ${c.start_date} to ${c.term_end ?? 'open-ended'})`)
            .join(', ');
          return new PrefixOverlap(
            `${t.prefix} overlaps ${described || 'an existing lease'} during the same days.`,
            conflicts.map((c) => ({ id: c.id, prefix: c.prefix, kind: 'lease' })),
          );
        },
        leases_lessor_id_fkey: () => ValidationFailed.field('lessorId', 'lessorId does not name an existing lessor'),
      },
      write,
    );
  }
}

function assertLeasable(prefix: string): void {
  const parsed = parseCanonicalCidr(prefix);
  if (!parsed.ok) throw ValidationFailed.field('prefix', parsed.message);
  const reason = leasabilityError(parsed.value);
  if (reason) throw new PrefixNotLeasable(reason);
}

function assertTermShape(term: Term): void {
  const errors = [];
  if (term.endDate && term.endDate < term.startDate)
    errors.push({ field: 'endDate', message: `endDate ${term.endDate} is before startDate ${term.startDate}` });
  if (term.autoRenew && !term.endDate)
    errors.push({ field: 'endDate', message: 'autoRenew needs an endDate: the end of the first term' });
  if (errors.length) throw new ValidationFailed(errors);
}

export function toAmendmentDto(row: AmendmentRow): AmendmentDto {
  return {
    id: row.id,
    leaseId: row.lease_id,
    effectiveDate: row.effective_date,
    pricePerIpMonthly: row.price_per_ip_monthly,
    currency: row.currency,
    note: row.note,
    createdAt: row.created_at.toISOString(),
  };
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

function dedupe(tags: string[]): string[] {
  return [...new Set(tags)];
}
