/**
 * Domain errors carry a stable machine-readable code and know nothing of HTTP;
 * ProblemFilter maps codes to statuses in one table.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'PREFIX_NOT_LEASABLE'
  | 'PROVIDER_RULE_VIOLATION'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'PREFIX_OVERLAP'
  | 'NOT_IN_ACTIVE_LEASE'
  | 'ALREADY_EXISTS'
  | 'NO_CAPACITY'
  | 'NO_ORIGIN_ASN'
  | 'IN_USE'
  | 'PRECONDITION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_ACCEPTABLE'
  | 'METHOD_NOT_ALLOWED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_KEY_IN_USE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export interface FieldError {
  /** Bulk imports: the data row (1 = first data row) the error is about. */
  row?: number;
  field: string;
  message: string;
}

export interface Conflict {
  id: string;
  prefix: string;
  kind: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extras: { errors?: FieldError[]; conflicts?: Conflict[]; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailed extends DomainError {
  constructor(errors: FieldError[], message = describeFieldErrors(errors)) {
    super('VALIDATION_FAILED', message, { errors });
  }
  static field(field: string, message: string): ValidationFailed {
    return new ValidationFailed([{ field, message }]);
  }
}

function describeFieldErrors(errors: FieldError[]): string {
  if (errors.length === 1) return `${errors[0].field}: ${errors[0].message}`;
  return `${errors.length} fields are invalid: ${errors.map((e) => e.field).join(', ')}`;
}

export class PrefixNotLeasable extends DomainError {
  constructor(message: string, field = 'prefix') {
    super('PREFIX_NOT_LEASABLE', message, { errors: [{ field, message }] });
  }
}

export class ProviderRuleViolation extends DomainError {
  constructor(message: string) {
    super('PROVIDER_RULE_VIOLATION', message);
  }
}

export class Unauthenticated extends DomainError {
  constructor(message = 'A valid API key is required: send "Authorization: Bearer <key>".') {
    super('UNAUTHENTICATED', message);
  }
}

export class Forbidden extends DomainError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class NotFound extends DomainError {
  constructor(entity: string, id: string) {
    super('NOT_FOUND', `${entity} ${id} does not exist.`);
  }
}

export class PrefixOverlap extends DomainError {
  constructor(message: string, conflicts: Conflict[]) {
    super('PREFIX_OVERLAP', message, { conflicts });
  }
}

export class NotInActiveLease extends DomainError {
  constructor(message: string) {
    super('NOT_IN_ACTIVE_LEASE', message);
  }
}

export class AlreadyExists extends DomainError {
  constructor(message: string, field?: string) {
    super('ALREADY_EXISTS', message, field ? { errors: [{ field, message }] } : {});
  }
}

export class NoCapacity extends DomainError {
  constructor(message: string) {
    super('NO_CAPACITY', message);
  }
}

/** A route object or BYOIP check needs the origin AS and the allocation has none. */
export class NoOriginAsn extends DomainError {
  constructor(message: string) {
    super('NO_ORIGIN_ASN', message, { errors: [{ field: 'originAsn', message: 'is not set' }] });
  }
}

export class InUse extends DomainError {
  constructor(message: string, conflicts: Conflict[]) {
    super('IN_USE', message, { conflicts });
  }
}

export class PreconditionFailed extends DomainError {
  constructor(entity: string, id: string, currentVersion: number) {
    super(
      'PRECONDITION_FAILED',
      `${entity} ${id} is at version ${currentVersion}; If-Match did not match. Read it again and retry.`,
    );
  }
}

export class Unavailable extends DomainError {
  constructor(message = 'The database is unreachable; retry shortly.') {
    super('UNAVAILABLE', message, { retryAfterSeconds: 2 });
  }
}
