import { SetMetadata } from '@nestjs/common';
import type { Role } from '../common/request-context';

export const ALLOWED_ROLES = 'iplease:allowed-roles';
export const IS_PUBLIC = 'iplease:public';

/** Roles that may call this route. A route with neither @Allow nor @Public is refused to everyone. */
export const Allow = (...roles: Role[]) => SetMetadata(ALLOWED_ROLES, roles);
export const Public = () => SetMetadata(IS_PUBLIC, true);

export const READ_INVENTORY: Role[] = ['admin', 'engineer', 'finance', 'viewer'];
export const WRITE_INVENTORY: Role[] = ['admin', 'engineer'];
export const READ_FINANCE: Role[] = ['admin', 'finance'];
/** Money: amendments, renewals, terminations, lease deletion, periods (and FX rates, invoices). */
export const WRITE_MONEY: Role[] = ['admin', 'finance'];
/** Lease edits: engineers edit non-financial fields, finance the price (checked per field in the service). */
export const EDIT_LEASE: Role[] = ['admin', 'engineer', 'finance'];
export const READ_AUDIT: Role[] = ['admin', 'engineer', 'finance'];
export const ADMIN_ONLY: Role[] = ['admin'];
/** The money: amendments, renewals, terminations, periods, FX rates, invoices (API.md, Roles for money). */
export const WRITE_FINANCE: Role[] = ['admin', 'finance'];
