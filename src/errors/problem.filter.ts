import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  CHECK_VIOLATION,
  EXCLUSION_VIOLATION,
  FOREIGN_KEY_VIOLATION,
  isConnectionError,
  isDataException,
  isPgCode,
  isQueryCanceled,
  isRetryableTransactionError,
  PERIOD_CLOSED,
  pgError,
  RESTRICT_VIOLATION,
  UNIQUE_VIOLATION,
} from '../database/pg-errors';
import { DomainError, ErrorCode, MethodNotAllowed } from './domain-errors';
import { formatBytes } from '../common/body-limits';
import { Problem, PROBLEM_TYPES, problemType } from './problem';

const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** A statement that ran out of time is likely to do so again at once: back off longer than for a lost race. */
export const STATEMENT_TIMEOUT_RETRY_AFTER_SECONDS = 5;

/** Turns anything thrown into an RFC 9457 problem. Never leaks SQL, driver text or stacks. */
export function toProblem(
  error: unknown,
  req?: Request,
): { problem: Problem; retryAfterSeconds?: number; unexpected: boolean } {
  if (error instanceof DomainError) {
    return {
      problem: build(error.code, error.message, error.extras),
      retryAfterSeconds: error.extras.retryAfterSeconds,
      unexpected: false,
    };
  }
  const bodyParserType = (error as { type?: string })?.type;
  if (bodyParserType === 'entity.parse.failed') {
    return {
      problem: build('VALIDATION_FAILED', 'The request body is not valid JSON.', {
        errors: [{ field: 'body', message: 'malformed JSON' }],
      }),
      unexpected: false,
    };
  }
  if (bodyParserType === 'entity.too.large') {
    const limit = (error as { limit?: number }).limit;
    return {
      problem: build(
        'PAYLOAD_TOO_LARGE',
        `The request body is larger than ${limit ? formatBytes(limit) : 'this route accepts'}.`,
      ),
      unexpected: false,
    };
  }
  if (bodyParserType === 'encoding.unsupported' || bodyParserType === 'charset.unsupported') {
    return {
      problem: build('UNSUPPORTED_MEDIA_TYPE', 'The request body must be UTF-8 JSON (or CSV where a route takes it).'),
      unexpected: false,
    };
  }
  if (isBodyReadError(error)) {
    // Any other client error while reading the body (a corrupt gzip/deflate stream, a length that
    // does not match): the body parser's http-errors 4xx, without its zlib/driver message.
    return {
      problem: build(
        'VALIDATION_FAILED',
        'The request body could not be read (corrupt Content-Encoding or wrong Content-Length).',
        { errors: [{ field: 'body', message: 'unreadable' }] },
      ),
      unexpected: false,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = HTTP_STATUS_CODES[status];
    if (code) {
      const detail =
        status === 404 ? `No route matches ${req?.method ?? ''} ${req?.path ?? ''}`.trim() : httpMessage(error);
      return { problem: build(code, detail), unexpected: false };
    }
  }
  if (isConnectionError(error)) {
    return {
      problem: build('UNAVAILABLE', 'The database is unreachable; retry shortly.'),
      retryAfterSeconds: 2,
      unexpected: false,
    };
  }
  if (isRetryableTransactionError(error)) {
    return {
      problem: build(
        'UNAVAILABLE',
        'The request lost a race with a concurrent change and could not be retried; retry it.',
      ),
      retryAfterSeconds: 1,
      unexpected: false,
    };
  }
  if (isQueryCanceled(error)) {
    return {
      problem: build(
        'UNAVAILABLE',
        'The database did not finish the request within its statement timeout (busy, or waiting on a lock); retry later.',
      ),
      retryAfterSeconds: STATEMENT_TIMEOUT_RETRY_AFTER_SECONDS,
      unexpected: false,
    };
  }
  if (isPgCode(error, PERIOD_CLOSED)) {
    // The message is iplease's own (period_assert_open), naming the closed month and the first open one.
    return {
      problem: build('PERIOD_CLOSED', pgError(error)?.message ?? 'The write reaches a closed month.'),
      unexpected: false,
    };
  }
  if (isPgCode(error, EXCLUSION_VIOLATION)) {
    return {
      problem: build('PREFIX_OVERLAP', 'The prefix overlaps an existing one.', { conflicts: [] }),
      unexpected: false,
    };
  }
  if (isPgCode(error, UNIQUE_VIOLATION)) {
    return { problem: build('ALREADY_EXISTS', 'A resource with that unique value already exists.'), unexpected: false };
  }
  if (isPgCode(error, FOREIGN_KEY_VIOLATION) || isPgCode(error, RESTRICT_VIOLATION)) {
    return { problem: build('IN_USE', 'Other resources refer to this one.', { conflicts: [] }), unexpected: false };
  }
  if (isPgCode(error, CHECK_VIOLATION, 'allocations_within_active_lease')) {
    return {
      problem: build('NOT_IN_ACTIVE_LEASE', 'The allocation is not inside an active term of its lease.'),
      unexpected: false,
    };
  }
  if (isPgCode(error, CHECK_VIOLATION)) {
    return { problem: build('VALIDATION_FAILED', 'A value breaks a rule of the data model.'), unexpected: false };
  }
  if (isDataException(error)) {
    return {
      problem: build('VALIDATION_FAILED', 'A value is out of the range the database accepts.'),
      unexpected: false,
    };
  }
  return { problem: build('INTERNAL', 'An unexpected error occurred; it has been logged.'), unexpected: true };
}

/** A 4xx from the body parser (http-errors: `expose` set, a numeric status), not a Nest HttpException. */
function isBodyReadError(error: unknown): boolean {
  const e = error as { status?: unknown; expose?: unknown } | null;
  return (
    !!e &&
    typeof e === 'object' &&
    e.expose === true &&
    typeof e.status === 'number' &&
    e.status >= 400 &&
    e.status < 500 &&
    !(error instanceof HttpException)
  );
}

function httpMessage(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : error.message;
}

function build(code: ErrorCode, detail: string, extras: Partial<Pick<Problem, 'errors' | 'conflicts'>> = {}): Problem {
  const { status, title } = PROBLEM_TYPES[code];
  const problem: Problem = { type: problemType(code), title, status, detail, code };
  if (extras.errors) problem.errors = extras.errors;
  if (extras.conflicts) problem.conflicts = extras.conflicts;
  return problem;
}

export function sendProblem(res: Response, problem: Problem, retryAfterSeconds?: number): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

/** The methods the API answers on a path (from the OpenAPI document); empty when the path is unknown. */
export type AllowedMethods = (path: string) => string[];

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  constructor(private readonly allowedMethods: AllowedMethods = () => []) {}

  catch(caught: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const error = this.methodNotAllowed(caught, req) ?? caught;
    if (error instanceof MethodNotAllowed) res.setHeader('Allow', error.allowed.join(', '));
    const { problem, retryAfterSeconds, unexpected } = toProblem(error, req);
    if (unexpected) {
      this.logger.error({ err: error, path: req.path, method: req.method }, 'unhandled error');
    }
    sendProblem(res, { ...problem, instance: req.originalUrl?.split('?')[0] }, retryAfterSeconds);
  }

  /** The router's 404 for a path that exists under other methods is a 405 with Allow (RFC 9110 15.5.6). */
  private methodNotAllowed(error: unknown, req: Request): MethodNotAllowed | undefined {
    if (!(error instanceof NotFoundException) || !/^Cannot [A-Z]+ /.test(error.message)) return undefined;
    const allowed = this.allowedMethods(req.path);
    return allowed.length ? new MethodNotAllowed(req.method, allowed) : undefined;
  }
}
