import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_TYPES } from '../errors/problem';
import type { ErrorCode } from '../errors/domain-errors';

export class FieldErrorDto {
  @ApiProperty({ example: 'prefix' }) field: string;
  @ApiProperty({ example: '185.10.20.7/24 has host bits set; did you mean 185.10.20.0/24?' }) message: string;
}

export class ConflictDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '185.10.20.0/24' }) prefix: string;
  @ApiProperty({ example: 'lease', enum: ['lease', 'allocation'] }) kind: string;
}

export class ProblemDto {
  @ApiProperty({ example: 'https://iplease.dev/problems/validation-failed' }) type: string;
  @ApiProperty({ example: 'Validation failed' }) title: string;
  @ApiProperty({ example: 400 }) status: number;
  @ApiProperty({ example: 'prefix: 185.10.20.7/24 has host bits set; did you mean 185.10.20.0/24?' }) detail: string;
  @ApiProperty({ enum: Object.keys(PROBLEM_TYPES), example: 'VALIDATION_FAILED' }) code: string;
  @ApiPropertyOptional({ example: '/api/v1/leases' }) instance?: string;
  @ApiPropertyOptional({ type: [FieldErrorDto] }) errors?: FieldErrorDto[];
  @ApiPropertyOptional({ type: [ConflictDto] }) conflicts?: ConflictDto[];
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (VALIDATION_FAILED and the domain-specific 400 codes); nothing was written.',
  401: 'UNAUTHENTICATED: no, unknown or revoked API key.',
  403: 'FORBIDDEN: the key\'s role lacks this permission.',
  404: 'NOT_FOUND: no such resource (or it was released/deleted).',
  409: 'Conflict with the current state (see `code` and `conflicts`).',
  412: 'PRECONDITION_FAILED: If-Match does not match the current version.',
  413: 'PAYLOAD_TOO_LARGE: body over 1 MiB.',
  415: 'UNSUPPORTED_MEDIA_TYPE: body is not application/json.',
  422: 'IDEMPOTENCY_KEY_REUSED: the Idempotency-Key was used with a different request.',
  429: 'RATE_LIMITED: too many requests for this key; see Retry-After.',
  503: 'UNAVAILABLE: the database is unreachable; retry after Retry-After seconds.',
};

function codesFor(status: number): ErrorCode[] {
  return (Object.entries(PROBLEM_TYPES) as [ErrorCode, { status: number }][]).filter(([, v]) => v.status === status).map(([code]) => code);
}

/** Documents the problem+json answers an operation can give. 401, 429 and 503 apply to every authenticated route. */
export function ApiProblems(...statuses: number[]) {
  const all = [...new Set([...statuses, 401, 429, 503])].sort();
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...all.map((status) =>
      ApiResponse({
        status,
        description: `${DESCRIPTIONS[status] ?? 'Error.'} Codes: ${codesFor(status).join(', ')}.`,
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
      }),
    ),
  );
}

export const ApiIfMatch = () =>
  ApiHeader({ name: 'If-Match', required: false, description: 'ETag from a previous read (e.g. "3"); the change is refused with 412 when the resource has changed since.' });
