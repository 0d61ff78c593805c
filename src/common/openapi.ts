import { applyDecorators, INestApplication, Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import {
  ApiExtraModels,
  ApiHeader,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { IS_PUBLIC } from '../auth/roles.decorator';
import { PROBLEM_TYPES, problemType } from '../errors/problem';
import type { ErrorCode } from '../errors/domain-errors';

export class FieldErrorDto {
  @ApiPropertyOptional({
    example: 3,
    description: 'Imports only: the data row at fault (1 = the first row after the header).',
  })
  row?: number;
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
  403: "FORBIDDEN: the key's role lacks this permission.",
  404: 'NOT_FOUND: no such resource (or it was released/deleted).',
  409: 'Conflict with the current state (see `code` and `conflicts`).',
  412: 'PRECONDITION_FAILED: If-Match does not match the current version.',
  413: 'PAYLOAD_TOO_LARGE: body over 128 KiB (the limit is named in `detail`).',
  415: 'UNSUPPORTED_MEDIA_TYPE: body is not application/json (nor a text type the route takes).',
  422: 'Unprocessable: IDEMPOTENCY_KEY_REUSED (the Idempotency-Key was used with a different request); FX_RATE_MISSING (a report needs an exchange rate that was never imported).',
  429: 'RATE_LIMITED: too many requests for this key (or, without a valid key, from this address); see Retry-After.',
  503: 'UNAVAILABLE: the database is unreachable; retry after Retry-After seconds.',
};

function codesFor(status: number): ErrorCode[] {
  return (Object.entries(PROBLEM_TYPES) as [ErrorCode, { status: number }][])
    .filter(([, v]) => v.status === status)
    .map(([code]) => code);
}

/** What a typical answer of each status says (Swagger UI shows it under that status). */
const EXAMPLE_DETAILS: Partial<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: 'prefix: 185.10.20.7/24 has host bits set; did you mean 185.10.20.0/24?',
  UNAUTHENTICATED: 'The API key is unknown or revoked.',
  FORBIDDEN: 'The viewer role may not POST /api/v1/leases; allowed roles: admin, engineer.',
  NOT_FOUND: 'lease 0b6c7d2e-1f3a-4b5c-8d9e-0f1a2b3c4d5e does not exist.',
  METHOD_NOT_ALLOWED: 'PUT is not allowed here; this resource answers GET, PATCH, DELETE, HEAD.',
  NOT_ACCEPTABLE: 'This report is available as application/json or text/csv.',
  PREFIX_OVERLAP: '185.10.20.0/26 overlaps allocation 185.10.20.0/25.',
  PRECONDITION_FAILED:
    'lease 0b6c7d2e-1f3a-4b5c-8d9e-0f1a2b3c4d5e is at version 4; If-Match did not match. Read it again and retry.',
  REQUEST_TIMEOUT: 'The request was not received in time (HEADERS_TIMEOUT_SECONDS, REQUEST_TIMEOUT_SECONDS).',
  PAYLOAD_TOO_LARGE: 'The request body is larger than 128 KiB.',
  UNSUPPORTED_MEDIA_TYPE: 'Request bodies must be application/json (got text/plain).',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency-Key deploy-42 was used with a different request.',
  RATE_LIMITED: 'Too many requests for this key; retry after 3 seconds.',
  HEADERS_TOO_LARGE: 'The request line and headers (the URL included) are larger than the server accepts (16 KiB).',
  UNAVAILABLE: 'The database is unreachable; retry shortly.',
};

function problemExample(status: number) {
  const code = codesFor(status)[0];
  if (!code) return undefined;
  const { title } = PROBLEM_TYPES[code];
  return { type: problemType(code), title, status, detail: EXAMPLE_DETAILS[code] ?? title, code };
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
        content: {
          'application/problem+json': {
            schema: { $ref: getSchemaPath(ProblemDto) },
            ...(problemExample(status) ? { example: problemExample(status) } : {}),
          },
        },
      }),
    ),
  );
}

export const ApiIfMatch = () =>
  ApiHeader({
    name: 'If-Match',
    required: false,
    description:
      'ETag from a previous read (e.g. "3"); the change is refused with 412 when the resource has changed since.',
  });

/** The ETag a single-resource answer carries (documented on every response that sets it). */
export const ETAG_HEADER = {
  ETag: {
    description:
      'The entity\'s `version` as a strong entity tag, e.g. `"3"`. Send it back as If-Match so a change is refused (412) if someone else changed the entity since.',
    schema: { type: 'string', example: '"1"' },
  },
};

export const BEARER_SCHEME = 'bearer';
/** Where @ApiOperation() keeps its options (DECORATORS.API_OPERATION in @nestjs/swagger, not exported). */
const API_OPERATION_METADATA = 'swagger/apiOperation';
const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Security in the spec comes from the same metadata the ApiKeyGuard obeys: an operation whose
 * handler (or controller) is @Public() gets `security: []`; every other operation needs the
 * bearer key, whether or not its controller remembered @ApiBearerAuth().
 */
export function documentSecurity(document: OpenAPIObject, app: INestApplication): OpenAPIObject {
  const publicIds = publicOperationIds(app);
  for (const item of Object.values(document.paths)) {
    for (const method of OPERATION_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      if (operation.operationId !== undefined && publicIds.has(operation.operationId)) operation.security = [];
      else if (!operation.security?.length) operation.security = [{ [BEARER_SCHEME]: [] }];
    }
  }
  return document;
}

/** operationIds (explicit, or the method name as operationIdFactory makes them) of @Public() handlers. */
function publicOperationIds(app: INestApplication): Set<string> {
  const reflector = new Reflector();
  const ids = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler: unknown =
          name === 'constructor' ? undefined : Object.getOwnPropertyDescriptor(controller.prototype, name)?.value;
        if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        if (!reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, controller])) continue;
        const operation = Reflect.getMetadata(API_OPERATION_METADATA, handler) as { operationId?: string } | undefined;
        ids.add(operation?.operationId ?? name);
      }
    }
  }
  return ids;
}
