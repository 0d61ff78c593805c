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
  | 'PERIOD_CLOSED'
  | 'PRECONDITION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'HEADERS_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_ACCEPTABLE'
  | 'METHOD_NOT_ALLOWED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'FX_RATE_MISSING'
  | 'IDEMPOTENCY_KEY_IN_USE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export interface FieldError {
  /** For imports: the data row at fault (1 = the first row after the header). */
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

/** More than this many field errors are summarised: a hostile body must not buy a huge answer. */
export const MAX_REPORTED_ERRORS = 20;

export class ValidationFailed extends DomainError {
  constructor(errors: FieldError[], message = describeFieldErrors(errors)) {
    super('VALIDATION_FAILED', message, { errors: errors.slice(0, MAX_REPORTED_ERRORS) });
  }
  static field(field: string, message: string): ValidationFailed {
    return new ValidationFailed([{ field, message }]);
  }
}

function describeFieldErrors(errors: FieldError[]): string {
  if (errors.length === 1) {
    const [{ field, message }] = errors;
    // Most messages already begin with the field's name ("prefix must be …"): say it once.
    return message.startsWith(`${field} `) || message.startsWith(`${field}: `) ? message : `${field}: ${message}`;
  }
  const shown = errors.slice(0, MAX_REPORTED_ERRORS).map((e) => e.field);
  const more = errors.length - shown.length;
  return `${errors.length} fields are invalid: ${shown.join(', ')}${more > 0 ? ` and ${more} more (only the first ${MAX_REPORTED_ERRORS} are listed)` : ''}`;
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

/** A write whose effect would reach a closed month; the message names the month and the first open one. */
export class PeriodClosed extends DomainError {
  constructor(message: string) {
    super('PERIOD_CLOSED', message);
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

export class MethodNotAllowed extends DomainError {
  constructor(
    method: string,
    readonly allowed: readonly string[],
  ) {
    super('METHOD_NOT_ALLOWED', `${method} is not allowed here; this resource answers ${allowed.join(', ')}.`);
  }
}

export class Unavailable extends DomainError {
  constructor(message = 'The database is unreachable; retry shortly.') {
    super('UNAVAILABLE', message, { retryAfterSeconds: 2 });
  }
}

export class FxRateMissing extends DomainError {
  constructor(message: string) {
    super('FX_RATE_MISSING', message);
  }
}

/** NOT_FOUND for something that is not one entity by id (an address no lease covers, an asset, a switched-off endpoint). */
export class NothingFound extends DomainError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

export class NotAcceptable extends DomainError {
  constructor(message: string) {
    super('NOT_ACCEPTABLE', message);
  }
}

export class UnsupportedMediaType extends DomainError {
  constructor(message: string) {
    super('UNSUPPORTED_MEDIA_TYPE', message);
  }
}

export class RateLimited extends DomainError {
  constructor(message: string, retryAfterSeconds: number) {
    super('RATE_LIMITED', message, { retryAfterSeconds });
  }
}
