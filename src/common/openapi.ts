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
import { UuidPipe } from './params';
import { PROBLEM_TYPES, problemType } from '../errors/problem';
import type { ErrorCode } from '../errors/domain-errors';

export class FieldErrorDto {
  @ApiPropertyOptional({
    type: 'integer',
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
  @ApiProperty({
    example: 'lease',
    enum: ['lease', 'allocation', 'held-allocation', 'past-allocation'],
    description:
      '`held-allocation`: released, but its space is on hold (RELEASE_HOLD_DAYS); `past-allocation`: held the space on some day since a backdated effectiveDate.',
  })
  kind: string;
}

export class ProblemDto {
  @ApiProperty({ example: 'https://iplease.dev/problems/validation-failed' }) type: string;
  @ApiProperty({ example: 'Validation failed' }) title: string;
  @ApiProperty({ type: 'integer', example: 400 }) status: number;
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
    required: true,
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

/** OpenAPI 3.0's only way to say "null" for a $ref: a schema whose sole value is null. */
export const NULL_ONLY_SCHEMA = { type: 'object', nullable: true, enum: [null] } as const;

/**
 * `@ApiProperty({ type: SomeDto, nullable: true })` comes out as `{ nullable: true, type: 'object',
 * allOf: [{ $ref }] }`, which OpenAPI 3.0 validators read as "an object matching SomeDto" — null
 * fails the allOf (3.0.3: `nullable` only widens a `type` in the same schema, not its subschemas).
 * Such properties become `anyOf: [{ $ref }, NULL_ONLY_SCHEMA]`, which every 3.0 tool reads as
 * "SomeDto or null". Likewise a nullable `enum` lists null among its values, as 3.0.3 requires.
 */
export function documentNullableRefs(document: OpenAPIObject): OpenAPIObject {
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    const schema = node as Record<string, unknown>;
    const allOf = schema.allOf as unknown[] | undefined;
    if (schema.nullable === true && Array.isArray(allOf) && allOf.length === 1) {
      delete schema.nullable;
      delete schema.allOf;
      delete schema.type;
      schema.anyOf = [allOf[0], { ...NULL_ONLY_SCHEMA, enum: [null] }];
    }
    // 3.0.3: with `enum`, null is allowed only when the enum lists it.
    if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null))
      schema.enum = [...(schema.enum as unknown[]), null];
    for (const [key, value] of Object.entries(schema)) if (key !== 'example' && key !== 'examples') visit(value);
  };
  visit(document.components);
  visit(document.paths);
  return document;
}

type HeaderObject = { description: string; required?: boolean; schema: Record<string, unknown> };
type ResponseObject = { headers?: Record<string, HeaderObject>; content?: Record<string, unknown> };

const REQUEST_ID_HEADER: HeaderObject = {
  description:
    "The request's id: the caller's own X-Request-Id when it sent a well-formed one, else one the server made. Quoted in logs and the audit trail.",
  required: true,
  schema: { type: 'string', example: 'b5a0c1de-5b7e-4c1c-9f51-0a3e3a1c2d4f' },
};
const RATE_LIMIT_HEADERS: Record<string, HeaderObject> = {
  'X-RateLimit-Limit': {
    description: 'Sent when RATE_LIMIT_PER_MINUTE is on: requests this API key may make per minute.',
    schema: { type: 'integer', example: 600 },
  },
  'X-RateLimit-Remaining': {
    description: 'Sent when RATE_LIMIT_PER_MINUTE is on: requests left in the current minute.',
    schema: { type: 'integer', example: 599 },
  },
  'X-RateLimit-Reset': {
    description: 'Sent when RATE_LIMIT_PER_MINUTE is on: seconds until the current minute ends.',
    schema: { type: 'integer', example: 42 },
  },
};
const RETRY_AFTER_HEADER: HeaderObject = {
  description: 'Seconds to wait before retrying.',
  required: true,
  schema: { type: 'integer', minimum: 1, example: 2 },
};
const CONTENT_DISPOSITION_HEADER: HeaderObject = {
  description: 'With text/csv only: `attachment; filename="…"`, the name the file is saved under.',
  schema: { type: 'string', example: 'attachment; filename="leases.csv"' },
};

/**
 * The headers the server sends whatever the route, documented on every response that carries
 * them: X-Request-Id (every answer), Retry-After (every 429 and 503 problem), the X-RateLimit-*
 * trio (answers to a valid API key while per-key limiting is on), and Content-Disposition (the
 * CSV downloads under /api/v1, which are attachments; /geofeed.csv is served inline).
 */
export function documentResponseHeaders(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of OPERATION_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const authenticated = (operation.security ?? []).length > 0;
      for (const [status, response] of Object.entries(operation.responses as Record<string, ResponseObject>)) {
        const headers: Record<string, HeaderObject> = { 'X-Request-Id': REQUEST_ID_HEADER };
        if (authenticated && status !== '401') Object.assign(headers, RATE_LIMIT_HEADERS);
        const problem = response.content?.['application/problem+json'] !== undefined;
        if (problem && (status === '429' || status === '503')) headers['Retry-After'] = RETRY_AFTER_HEADER;
        if (response.content?.['text/csv'] && path.startsWith('/api/v1/'))
          headers['Content-Disposition'] = CONTENT_DISPOSITION_HEADER;
        response.headers = { ...headers, ...response.headers };
      }
    }
  }
  return document;
}

type SchemaNode = Record<string, unknown>;

/**
 * The global ValidationPipe runs with `forbidNonWhitelisted` (an unknown field is a 400), so every
 * JSON request body DTO — and the DTOs nested in it — is documented with `additionalProperties: false`.
 */
export function documentClosedRequestBodies(document: OpenAPIObject): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, SchemaNode>;
  const closed = new Set<string>();
  const close = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(close);
    const schema = node as SchemaNode;
    const ref = typeof schema.$ref === 'string' ? schema.$ref.split('/').pop() : undefined;
    if (ref !== undefined) {
      if (closed.has(ref) || !schemas[ref]) return;
      closed.add(ref);
      const target = schemas[ref];
      if (target.type === 'object' && target.additionalProperties === undefined) target.additionalProperties = false;
      return close(target.properties);
    }
    for (const [key, value] of Object.entries(schema)) if (key !== 'example' && key !== 'examples') close(value);
  };
  for (const item of Object.values(document.paths)) {
    for (const method of OPERATION_METHODS) {
      const body = item[method]?.requestBody as { content?: Record<string, { schema?: SchemaNode }> } | undefined;
      const schema = body?.content?.['application/json']?.schema;
      if (schema?.$ref) close(schema);
    }
  }
  return document;
}

/** Nest keeps route parameter metadata here (ROUTE_ARGS_METADATA); `5:<index>` keys are @Param()s. */
const ROUTE_ARGS = '__routeArguments__';
const PARAM_ARGUMENT = 5;

/** Path parameters that go through UuidPipe (a malformed id is a 400) are documented `format: uuid`. */
export function documentUuidParams(document: OpenAPIObject, app: INestApplication): OpenAPIObject {
  const uuidParams = new Map<string, Set<string>>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler: unknown =
          name === 'constructor' ? undefined : Object.getOwnPropertyDescriptor(controller.prototype, name)?.value;
        if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const args = (Reflect.getMetadata(ROUTE_ARGS, controller, name) ?? {}) as Record<
          string,
          { data?: unknown; pipes?: unknown[] }
        >;
        const operation = Reflect.getMetadata(API_OPERATION_METADATA, handler) as { operationId?: string } | undefined;
        const names = new Set<string>();
        for (const [key, arg] of Object.entries(args)) {
          if (key.split(':')[0] !== String(PARAM_ARGUMENT) || typeof arg.data !== 'string') continue;
          if ((arg.pipes ?? []).some((pipe) => pipe === UuidPipe || pipe instanceof UuidPipe)) names.add(arg.data);
        }
        if (names.size) uuidParams.set(operation?.operationId ?? name, names);
      }
    }
  }
  for (const item of Object.values(document.paths)) {
    for (const method of OPERATION_METHODS) {
      const operation = item[method];
      const names = operation?.operationId ? uuidParams.get(operation.operationId) : undefined;
      if (!operation || !names) continue;
      for (const parameter of (operation.parameters ?? []) as { in?: string; name?: string; schema?: SchemaNode }[]) {
        if (parameter.in === 'path' && parameter.name && names.has(parameter.name))
          parameter.schema = { ...parameter.schema, type: 'string', format: 'uuid' };
      }
    }
  }
  return document;
}
