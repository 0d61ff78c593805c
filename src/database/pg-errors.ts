/** Classifies errors raised by node-postgres / TypeORM by SQLSTATE or socket error. */
export interface PgErrorShape {
  code?: string;
  constraint?: string;
  detail?: string;
  message?: string;
}

export function pgError(error: unknown): PgErrorShape | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const candidate = (error as { driverError?: unknown }).driverError ?? error;
  if (!candidate || typeof candidate !== 'object') return undefined;
  return candidate as PgErrorShape;
}

export const EXCLUSION_VIOLATION = '23P01';
export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';
export const RESTRICT_VIOLATION = '23001';
export const CHECK_VIOLATION = '23514';
export const DEADLOCK_DETECTED = '40P01';
export const SERIALIZATION_FAILURE = '40001';
export const LOCK_NOT_AVAILABLE = '55P03';
/** The statement was cancelled: statement_timeout ran out (or an operator cancelled it). */
export const QUERY_CANCELED = '57014';
/** Raised by the SQL function period_assert_open: the write reaches a closed month. */
export const PERIOD_CLOSED = 'IPC01';

export function isPgCode(error: unknown, code: string, constraint?: string): boolean {
  const e = pgError(error);
  return !!e && e.code === code && (constraint === undefined || e.constraint === constraint);
}

export function isRetryableTransactionError(error: unknown): boolean {
  const code = pgError(error)?.code;
  return code === DEADLOCK_DETECTED || code === SERIALIZATION_FAILURE;
}

const CONNECTION_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

/**
 * True when the database cannot be reached or went away mid-request:
 * class 08 (connection exception), 57P01-57P03 (admin shutdown, crash, cannot connect now),
 * 53300 (too many connections), and pool/socket errors that carry no SQLSTATE.
 */
export function isConnectionError(error: unknown): boolean {
  const e = pgError(error);
  if (!e) return false;
  const code = e.code ?? '';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300')
    return true;
  if (CONNECTION_SOCKET_CODES.has(code)) return true;
  const message = e.message ?? '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed|Cannot use a pool after calling end|Query read timeout|terminating connection/i.test(
    message,
  );
}

/**
 * True when PostgreSQL cancelled the statement (57014 query_canceled), in practice because the
 * statement_timeout that bounds every statement ran out: the database is overloaded or the
 * statement waited on a lock held too long. The request may succeed later, so it is no 500.
 */
export function isQueryCanceled(error: unknown): boolean {
  return pgError(error)?.code === QUERY_CANCELED;
}

/** Class 22 (data exception): the input reached Postgres in a shape it refuses. */
export function isDataException(error: unknown): boolean {
  const code = pgError(error)?.code ?? '';
  return code.startsWith('22');
}

/**
 * What each named constraint means to the domain: the error to answer with when it is violated
 * (a function, because some answers need a query to name what was in the way; it gets the
 * database's error and may answer with it unchanged when it has nothing more precise to say).
 */
export type ConstraintErrors = Record<string, (violation: unknown) => unknown>;

/**
 * The one way a module turns PostgreSQL's refusals into domain errors: runs `write`, and when it
 * violates one of the named constraints (unique, foreign key, exclusion, check; every constraint in
 * the schema is named), throws the error mapped to that name instead. Anything else passes through.
 */
export async function onConstraintViolation<T>(errors: ConstraintErrors, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const violated = violatedConstraint(error);
    const toDomainError = violated !== undefined && Object.hasOwn(errors, violated) ? errors[violated] : undefined;
    if (toDomainError) throw await toDomainError(error);
    throw error;
  }
}

/** The name of the constraint an integrity violation (SQLSTATE class 23) broke, if any. */
export function violatedConstraint(error: unknown): string | undefined {
  const e = pgError(error);
  return e?.code?.startsWith('23') ? e.constraint : undefined;
}
