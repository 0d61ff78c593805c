import {
  CallHandler,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable, tap } from 'rxjs';

/**
 * The versions a conditional write accepts, from If-Match: undefined when the write is
 * unconditional (header absent or "*"); otherwise the listed versions, none when the header is
 * unparsable (the client holds no valid tag, so nothing matches).
 */
export type ExpectedVersion = readonly number[] | undefined;

export function parseIfMatch(header: string | undefined): ExpectedVersion {
  if (header === undefined || header.trim() === '*') return undefined;
  return header
    .split(',')
    .map((tag) => /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(tag))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
}

export function versionMatches(expected: ExpectedVersion, version: number): boolean {
  return expected === undefined || expected.includes(version);
}

/** The request's If-Match as an ExpectedVersion, so services never see the header. */
export const IfMatch = createParamDecorator((_: unknown, context: ExecutionContext): ExpectedVersion =>
  parseIfMatch(context.switchToHttp().getRequest<Request>().headers['if-match']),
);

/**
 * ETag from the returned entity's version, on every response whose body is one versioned entity.
 * Applied per handler (inside the global idempotency interceptor, which stores the ETag with a
 * response it may replay).
 */
@Injectable()
export class EtagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      tap((body: unknown) => {
        const version = (body as { version?: unknown } | null | undefined)?.version;
        if (typeof version === 'number') res.setHeader('ETag', `"${version}"`);
      }),
    );
  }
}

/** The handler answers one versioned entity: its ETag is the entity's version. */
export const EtagFromVersion = () => UseInterceptors(EtagInterceptor);
