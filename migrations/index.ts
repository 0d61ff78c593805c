import { Inventory1764000000000 } from './1764000000000-Inventory';
import { Allocations1764000001000 } from './1764000001000-Allocations';
import { Idempotency1764000002000 } from './1764000002000-Idempotency';
import { Time1766000000000 } from './1766000000000-Time';
import { SharedSpace1766000001000 } from './1766000001000-SharedSpace';
import { Money1767000000000 } from './1767000000000-Money';
import { SecretsAndRequestIds1768000000000 } from './1768000000000-SecretsAndRequestIds';
import { GeofeedChanges1768000001000 } from './1768000001000-GeofeedChanges';
import { Events1769000000000 } from './1769000000000-Events';
import { Archiving1770000000000 } from './1770000000000-Archiving';
import { AllocationNamesAndOrigins1771000000000 } from './1771000000000-AllocationNamesAndOrigins';
import { RoutingHygiene1771000001000 } from './1771000001000-RoutingHygiene';
import { AllocationsSpgist1772000000000 } from './1772000000000-AllocationsSpgist';
import { RateLimits1772000001000 } from './1772000001000-RateLimits';
import { MonthlyCostIndexes1773000000000 } from './1773000000000-MonthlyCostIndexes';
import { AllocationRelease1774000000000 } from './1774000000000-AllocationRelease';
import { ApiKeyVersion1774000001000 } from './1774000001000-ApiKeyVersion';
import { ParallelAllocation1775000000000 } from './1775000000000-ParallelAllocation';
import { MonthlyCostRollup1775000011000 } from './1775000011000-MonthlyCostRollup';
import { RoutingReportIndex1775000012000 } from './1775000012000-RoutingReportIndex';
import { FreeBlocksMany1775000020000 } from './1775000020000-FreeBlocksMany';
import { StatementInsertTriggers1775000021000 } from './1775000021000-StatementInsertTriggers';

/** Every migration, in order. Listed explicitly so builds, tests and the CLI load the same set. */
export const MIGRATIONS = [
  Inventory1764000000000,
  Allocations1764000001000,
  Idempotency1764000002000,
  Time1766000000000,
  SharedSpace1766000001000,
  Money1767000000000,
  SecretsAndRequestIds1768000000000,
  GeofeedChanges1768000001000,
  Events1769000000000,
  Archiving1770000000000,
  AllocationNamesAndOrigins1771000000000,
  RoutingHygiene1771000001000,
  AllocationsSpgist1772000000000,
  RateLimits1772000001000,
  MonthlyCostIndexes1773000000000,
  AllocationRelease1774000000000,
  ApiKeyVersion1774000001000,
  ParallelAllocation1775000000000,
  MonthlyCostRollup1775000011000,
  RoutingReportIndex1775000012000,
  FreeBlocksMany1775000020000,
  StatementInsertTriggers1775000021000,
];
