import type { ExpectedVersion } from '../common/etag';
import { Inject, Injectable } from '@nestjs/common';
import { keyset, Page, toPage } from '../common/pagination';
import { EntitySpec, Writes } from '../persistence/writes';
import { APP_CONFIG } from '../config/config';
import type { AppConfig } from '../config/config';
import { Database, Queryable, Tx } from '../database/database.service';
import { ReadDatabase } from '../database/read-database.service';
import { ConstraintErrors, onConstraintViolation } from '../database/pg-errors';
import {
  AlreadyExists,
  NoCapacity,
  NotFound,
  NotInActiveLease,
  PrefixOverlap,
  ProviderRuleViolation,
  ValidationFailed,
} from '../errors/domain-errors';
import { LeasesRepository } from '../leases/leases.repository';
import { ProvidersRepository } from '../providers/providers.repository';
import { RegionsRepository } from '../regions/regions.repository';
import { addressCount, blocksOfLength, cidrFromString, contains, formatCidr } from '../ip';
import {
  AllocationRow,
  AllocationsRepository,
  CreatedPlacement,
  NewAllocation,
  Placement as LeasePlacement,
} from './allocations.repository';
import {
  AllocationDto,
  AllocationHistoryDto,
  AllocationPreviewDto,
  MoveAllocationDto,
  AllocationQuery,
  CreateAllocationDto,
  FreeSpaceDto,
  FreeSpaceQuery,
  Strategy,
  UpdateAllocationDto,
} from './dto/allocation.dto';

export function toAllocationDto(row: AllocationRow): AllocationDto {
  return {
    id: row.id,
    leaseId: row.lease_id,
    prefix: row.prefix,
    regionId: row.region_id,
    providerId: row.provider_id,
    status: row.status,
    requestedPrefixLength: row.requested_prefix_length,
    strategy: row.strategy,
    name: row.name,
    originAsn: row.origin_asn === null ? null : Number(row.origin_asn),
    description: row.description,
    tags: row.tags,
    addressCount: addressCount(cidrFromString(row.prefix).length),
    releasedAt: row.released_at ? row.released_at.toISOString() : null,
    effectiveDate: row.effective_date,
    leaseActive: row.lease_active,
    listed: row.listed ?? [],
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

type PlacementRequest = { length: number; firstFit: boolean } | { prefix: string };

/** Outcomes after which next-free without a lease tries the next candidate. */
const UNPLACED = new Set<string>(['no-lease', 'inactive', 'full']);

const futureEffectiveDate = () => ValidationFailed.field('effectiveDate', 'effectiveDate must not be in the future');

const beforeLeaseStart = (leaseId: string, start: string) =>
  ValidationFailed.field('effectiveDate', `effectiveDate must not be before lease ${leaseId} starts (${start})`);

/** Thrown inside the transaction to roll a dry run back after computing its answer. */
class DryRunRollback {
  constructor(readonly preview: AllocationPreviewDto) {}
}

const CANDIDATE_LEASES_TRIED = 5;

@Injectable()
export class AllocationsService {
  private readonly spec: EntitySpec<AllocationRow, AllocationDto>;

  constructor(
    private readonly allocations: AllocationsRepository,
    private readonly writes: Writes,
    private readonly db: Database,
    /** Lists may come from a read replica. */
    private readonly reads: ReadDatabase,
    private readonly leases: LeasesRepository,
    private readonly regions: RegionsRepository,
    private readonly providers: ProvidersRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.spec = { type: 'allocation', repository: allocations, toView: toAllocationDto };
  }

  async list(query: AllocationQuery): Promise<Page<AllocationDto>> {
    const page = keyset(query);
    return toPage(await this.allocations.search(this.reads, page, query), page.limit, toAllocationDto);
  }

  get(id: string): Promise<AllocationDto> {
    return this.writes.get(this.spec, id);
  }

  /**
   * Claims an explicit prefix or the next free block. The write is one statement under the lease's
   * lock (allocation_create: placement, allocation, audit row, events); a dry run answers what it
   * would place and rolls back.
   */
  async create(dto: CreateAllocationDto, dryRun = false): Promise<AllocationDto | AllocationPreviewDto> {
    if ((dto.prefix === undefined) === (dto.prefixLength === undefined)) {
      throw ValidationFailed.field(
        'prefix',
        'give either prefix (an explicit block) or prefixLength (the next free block), not both or neither',
      );
    }
    const length = dto.prefix !== undefined ? cidrFromString(dto.prefix).length : (dto.prefixLength as number);
    await this.checkProviderRule(dto.providerId, length, 'providerId');
    const strategy: Strategy | 'explicit' = dto.prefix !== undefined ? 'explicit' : (dto.strategy ?? 'best-fit');
    const request: PlacementRequest =
      dto.prefix !== undefined ? { prefix: dto.prefix } : { length, firstFit: strategy === 'first-fit' };
    const constraintErrors = this.constraintErrors(dto.prefix, dto.name);
    if (dryRun) return onConstraintViolation(constraintErrors, () => this.preview(dto, request, length, strategy));

    const values: NewAllocation = {
      region_id: dto.regionId,
      provider_id: dto.providerId,
      strategy,
      name: dto.name ?? null,
      origin_asn: dto.originAsn ?? null,
      description: dto.description ?? null,
      tags: [...new Set(dto.tags ?? [])],
      effective_date: dto.effectiveDate ?? null,
    };
    return onConstraintViolation(constraintErrors, () =>
      this.writes.createRecordedInline(this.spec, async (tx, recording) => {
        const { leaseId, placement } = await this.placeIn(tx, request, dto.leaseId, (lease) =>
          this.allocations.create(tx, lease, request, values, recording),
        );
        if (placement.outcome === 'future') throw futureEffectiveDate();
        if (placement.outcome === 'before-lease-start') throw beforeLeaseStart(leaseId, placement.leaseStart as string);
        if (placement.outcome === 'held')
          throw await this.heldError(tx, placement.placed as string, dto.effectiveDate as string);
        return placement.created as AllocationRow;
      }),
    );
  }

  /** The dry run: the same placement and checks in a transaction that is rolled back. */
  private async preview(
    dto: CreateAllocationDto,
    request: PlacementRequest,
    length: number,
    strategy: Strategy | 'explicit',
  ): Promise<AllocationPreviewDto> {
    try {
      return await this.writes.transaction(async (tx): Promise<never> => {
        const { leaseId, placement } = await this.placeIn(tx, request, dto.leaseId, (lease) =>
          this.allocations.place(tx, lease, request),
        );
        const prefix = placement.placed as string;
        if (dto.effectiveDate !== undefined) await this.checkBackdating(tx, leaseId, prefix, dto.effectiveDate);
        if (!(await this.regions.findById(tx, dto.regionId)))
          throw ValidationFailed.field('regionId', 'regionId does not name an existing region');
        if (dto.name && (await this.allocations.activeNamed(tx, dto.name)))
          throw new AlreadyExists(`An active allocation named "${dto.name}" already exists.`, 'name');
        throw new DryRunRollback({
          dryRun: true,
          leaseId,
          prefix,
          regionId: dto.regionId,
          providerId: dto.providerId,
          requestedPrefixLength: dto.prefix !== undefined ? null : length,
          strategy,
          addressCount: addressCount(length),
          effectiveDate: dto.effectiveDate ?? (await this.today(tx)),
        });
      });
    } catch (error) {
      if (error instanceof DryRunRollback) return error.preview;
      throw error;
    }
  }

  async update(id: string, dto: UpdateAllocationDto, expected?: ExpectedVersion): Promise<AllocationDto> {
    const columns: Record<string, unknown> = {};
    if (dto.regionId !== undefined) columns.region_id = dto.regionId;
    if (dto.providerId !== undefined) columns.provider_id = dto.providerId;
    if (dto.description !== undefined) columns.description = dto.description;
    if (dto.name !== undefined) columns.name = dto.name;
    if (dto.originAsn !== undefined) columns.origin_asn = dto.originAsn;
    if (dto.tags !== undefined) columns.tags = [...new Set(dto.tags)];
    return onConstraintViolation(
      this.constraintErrors(undefined, dto.name),
      async () =>
        (await this.writes.mutate(this.spec, id, expected, 'update', async (tx, current) => {
          if (dto.providerId !== undefined && dto.providerId !== current.provider_id) {
            await this.checkProviderRule(dto.providerId, cidrFromString(current.prefix).length, 'providerId');
          }
          const moves = dto.regionId !== undefined || dto.providerId !== undefined;
          const from = dto.effectiveDate ?? (await this.today(tx));
          if (dto.effectiveDate !== undefined) await this.checkChangeDate(tx, current, from, 'effectiveDate');
          const row = await this.allocations.update(tx, id, columns);
          if (moves) {
            await this.allocations.reassignFrom(tx, id, from, { region_id: dto.regionId, provider_id: dto.providerId });
          }
          return row;
        })) as AllocationDto,
    );
  }

  /** Re-parents an active allocation to another active lease that contains it: same id, same prefix, history kept. */
  async move(id: string, dto: MoveAllocationDto, expected?: ExpectedVersion): Promise<AllocationDto> {
    return onConstraintViolation(
      this.constraintErrors(),
      async () =>
        (await this.writes.mutate(this.spec, id, expected, 'move', async (tx, current) => {
          if (dto.leaseId === current.lease_id) {
            throw ValidationFailed.field('leaseId', `allocation ${id} is already in lease ${dto.leaseId}`);
          }
          const target = await this.allocations.lockLease(tx, dto.leaseId);
          if (!target) throw ValidationFailed.field('leaseId', 'leaseId does not name an existing lease');
          if (!target.active) throw new NotInActiveLease(`Lease ${dto.leaseId} is not active today.`);
          if (!contains(cidrFromString(target.prefix), cidrFromString(current.prefix))) {
            throw new NotInActiveLease(`${current.prefix} is not inside lease ${dto.leaseId} (${target.prefix}).`);
          }
          const from = dto.effectiveDate ?? (await this.today(tx));
          if (dto.effectiveDate !== undefined) await this.checkChangeDate(tx, current, from, 'effectiveDate');
          const [lease] = await this.allocations.leaseStart(tx, dto.leaseId);
          if (from < lease.start_date) {
            throw ValidationFailed.field(
              'effectiveDate',
              `the move cannot take effect before lease ${dto.leaseId} starts (${lease.start_date})`,
            );
          }
          const row = await this.allocations.update(tx, id, { lease_id: dto.leaseId });
          await this.allocations.reassignFrom(tx, id, from, { lease_id: dto.leaseId });
          return row;
        })) as AllocationDto,
    );
  }

  async history(id: string): Promise<AllocationHistoryDto> {
    if (!(await this.allocations.findById(this.db, id))) throw new NotFound('allocation', id);
    const rows = await this.allocations.history(this.db, id);
    return {
      items: rows.map((r) => ({
        validFrom: r.valid_from,
        validTo: r.valid_to,
        leaseId: r.lease_id,
        regionId: r.region_id,
        providerId: r.provider_id,
      })),
    };
  }

  private async today(q: Tx): Promise<string> {
    return this.allocations.today(q);
  }

  /** A change dated `from` must lie between the allocation's first day and today. */
  private async checkChangeDate(tx: Tx, current: AllocationRow, from: string, field: string): Promise<void> {
    if (from > (await this.today(tx))) throw ValidationFailed.field(field, `${field} must not be in the future`);
    if (from < current.effective_date) {
      throw ValidationFailed.field(
        field,
        `${field} must not be before the allocation's first day (${current.effective_date})`,
      );
    }
  }

  /** A backdated allocation: not in the future, not before its lease starts, and free in it from that day on. */
  private async checkBackdating(tx: Tx, leaseId: string, prefix: string, effectiveDate: string): Promise<void> {
    if (effectiveDate > (await this.today(tx))) throw futureEffectiveDate();
    await this.allocations.assertPeriodOpen(tx, effectiveDate, `An allocation effective ${effectiveDate}`);
    const [lease] = await this.allocations.leaseStart(tx, leaseId);
    if (effectiveDate < lease.start_date) throw beforeLeaseStart(leaseId, lease.start_date);
    if ((await this.allocations.heldSince(tx, prefix, effectiveDate)).length > 0) {
      throw await this.heldError(tx, prefix, effectiveDate);
    }
  }

  private async heldError(tx: Queryable, prefix: string, effectiveDate: string): Promise<PrefixOverlap> {
    const held = await this.allocations.heldSince(tx, prefix, effectiveDate);
    return new PrefixOverlap(
      `${prefix} was held by ${held
        .slice(0, 3)
        .map((h) => `allocation ${h.id} (${h.prefix})`)
        .join(', ')} on some day since ${effectiveDate}.`,
      held.map((h) => ({
        id: h.id,
        prefix: h.prefix,
        kind: h.status === 'active' ? 'allocation' : 'past-allocation',
      })),
    );
  }

  /** Releases at once; with RELEASE_HOLD_DAYS the space stays out of reach until the hold ends. */
  async release(id: string, expected?: ExpectedVersion): Promise<void> {
    const holdDays = this.config.releaseHoldDays;
    await this.writes.mutate(this.spec, id, expected, 'release', (tx) =>
      this.allocations.release(tx, id, holdDays > 0 ? holdDays : null),
    );
  }

  async freeSpace(leaseId: string, query: FreeSpaceQuery): Promise<FreeSpaceDto> {
    if (!(await this.leases.exists(this.db, leaseId))) throw new NotFound('lease', leaseId);
    if (await this.allocations.hasExpiredHolds(this.db, leaseId)) {
      await this.writes.transaction(async (tx) => {
        await this.allocations.lockLease(tx, leaseId);
        await this.allocations.reclaimExpiredHolds(tx, leaseId);
      });
    }
    const blocks = (await this.allocations.freeBlocks(this.db, leaseId)).map((b) => ({
      network: Number(b.network),
      length: b.length,
    }));
    const limit = query.limit ?? 256;
    const freeAddresses = blocks.reduce((sum, b) => sum + addressCount(b.length), 0);
    const { items, total } =
      query.prefixLength === undefined
        ? { items: blocks.slice(0, limit), total: blocks.length }
        : blocksOfLength(blocks, query.prefixLength, limit);
    return {
      items: items.map((b) => ({ prefix: formatCidr(b), addressCount: addressCount(b.length) })),
      total,
      freeAddresses,
    };
  }

  /**
   * Runs `place` in the given lease, or for next-free without one in the best candidate leases in
   * turn, and throws the placement's refusals (no lease, inactive, outside, taken, full).
   */
  private async placeIn<P extends LeasePlacement | CreatedPlacement>(
    tx: Queryable,
    request: PlacementRequest,
    leaseId: string | undefined,
    place: (leaseId: string) => Promise<P>,
  ): Promise<{ leaseId: string; placement: P }> {
    if ('prefix' in request) {
      const { prefix } = request;
      const target = leaseId ?? (await this.allocations.activeLeaseContaining(tx, prefix));
      if (!target) throw new NotInActiveLease(`${prefix} is not inside any active lease.`);
      const placement = await place(target);
      this.assertUsableLease(placement, target);
      if (placement.outcome === 'outside')
        throw new NotInActiveLease(`${prefix} is not inside lease ${target} (${placement.leasePrefix}).`);
      if (placement.outcome === 'taken') throw await this.overlapError(tx, prefix);
      return { leaseId: target, placement };
    }
    if (leaseId) {
      const placement = await place(leaseId);
      this.assertUsableLease(placement, leaseId);
      if (placement.outcome === 'full') throw new NoCapacity(`Lease ${leaseId} has no free /${request.length}.`);
      return { leaseId, placement };
    }
    const skip: string[] = [];
    for (let attempt = 0; attempt < CANDIDATE_LEASES_TRIED; attempt++) {
      const candidate = await this.allocations.bestLeaseFor(tx, request.length, request.firstFit, skip);
      if (!candidate) break;
      // The candidate was read without a lock: under it, the lease may have changed; then try the next.
      const placement = await place(candidate);
      if (!UNPLACED.has(placement.outcome)) return { leaseId: candidate, placement };
      skip.push(candidate);
    }
    throw new NoCapacity(`No active lease has a free /${request.length}.`);
  }

  private assertUsableLease(placement: LeasePlacement | CreatedPlacement, leaseId: string): void {
    if (placement.outcome === 'no-lease')
      throw ValidationFailed.field('leaseId', 'leaseId does not name an existing lease');
    if (placement.outcome === 'inactive')
      throw new NotInActiveLease(`Lease ${leaseId} is not active today (pending, expired or terminated).`);
  }

  private async overlapError(q: Queryable, prefix: string): Promise<PrefixOverlap> {
    const conflicts = await this.allocations.occupiedOverlapping(q, prefix);
    const described = conflicts
      .slice(0, 3)
      .map((c) => `${c.status === 'released' ? 'released (on hold) ' : ''}allocation ${c.id} (${c.prefix})`)
      .join(', ');
    return new PrefixOverlap(
      `${prefix} overlaps ${described || 'allocated space'}.`,
      conflicts.map((c) => ({
        id: c.id,
        prefix: c.prefix,
        kind: c.status === 'released' ? 'held-allocation' : 'allocation',
      })),
    );
  }

  private async checkProviderRule(providerId: string, length: number, field: string): Promise<void> {
    const provider = await this.providers.findById(this.db, providerId);
    if (!provider) throw ValidationFailed.field(field, `${field} does not name an existing provider`);
    if (length < provider.min_prefix_length || length > provider.max_prefix_length) {
      throw new ProviderRuleViolation(
        `Provider ${provider.code} accepts prefixes from /${provider.min_prefix_length} to /${provider.max_prefix_length}; /${length} is outside that range.`,
      );
    }
  }

  /** What the allocations table's named constraints mean to a client of this write. */
  private constraintErrors(prefix?: string, name?: string | null): ConstraintErrors {
    return {
      allocations_name_active_key: () =>
        new AlreadyExists(`An active allocation named "${name ?? ''}" already exists.`, 'name'),
      allocations_region_id_fkey: () => ValidationFailed.field('regionId', 'regionId does not name an existing region'),
      allocations_provider_id_fkey: () =>
        ValidationFailed.field('providerId', 'providerId does not name an existing provider'),
      allocations_no_overlap: (violation) => (prefix ? this.overlapError(this.db, prefix) : violation),
    };
  }
}
