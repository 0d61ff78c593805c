import type { Conflict, ErrorCode, FieldError } from './domain-errors';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  errors?: FieldError[];
  conflicts?: Conflict[];
}

/** The one table from error code to HTTP status and title. */
export const PROBLEM_TYPES: Record<ErrorCode, { status: number; title: string }> = {
  VALIDATION_FAILED: { status: 400, title: 'Validation failed' },
  PREFIX_NOT_LEASABLE: { status: 400, title: 'Prefix is not leasable' },
  PROVIDER_RULE_VIOLATION: { status: 400, title: 'Provider rule violated' },
  UNAUTHENTICATED: { status: 401, title: 'Unauthenticated' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  NOT_ACCEPTABLE: { status: 406, title: 'Not acceptable' },
  PREFIX_OVERLAP: { status: 409, title: 'Prefix overlaps' },
  NOT_IN_ACTIVE_LEASE: { status: 409, title: 'Not inside an active lease' },
  ALREADY_EXISTS: { status: 409, title: 'Already exists' },
  NO_CAPACITY: { status: 409, title: 'No capacity' },
  NO_ORIGIN_ASN: { status: 409, title: 'No origin ASN' },
  IN_USE: { status: 409, title: 'In use' },
  PERIOD_CLOSED: { status: 409, title: 'Period closed' },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: 'Idempotency key in use' },
  PRECONDITION_FAILED: { status: 412, title: 'Precondition failed' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request timeout' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency key reused' },
  FX_RATE_MISSING: { status: 422, title: 'Exchange rate missing' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request headers too large' },
  INTERNAL: { status: 500, title: 'Internal error' },
  UNAVAILABLE: { status: 503, title: 'Service unavailable' },
};

export const PROBLEM_TYPE_BASE = 'https://iplease.dev/problems/';

export function problemType(code: ErrorCode): string {
  return PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-');
}
