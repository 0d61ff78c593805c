import { request as httpRequest } from 'node:http';
import type { Pool } from 'pg';
import type { TestApp } from './test-app';

/**
 * Reading the served OpenAPI document (GET /docs-json) for the spec-driven fuzz and security
 * tests: every operation in it is exercised, so a new route is covered without touching a test.
 */

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export const HTTP_METHODS: HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];
export const WRITE_METHODS = new Set<HttpMethod>(['post', 'put', 'patch', 'delete']);

export interface SchemaObject {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  example?: unknown;
  default?: unknown;
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  allOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
}

export interface ParameterObject {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  schema?: SchemaObject;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Partial<Record<HttpMethod, RawOperation>>>;
  components?: { schemas?: Record<string, SchemaObject> };
  security?: Record<string, string[]>[];
}

interface RawOperation {
  operationId?: string;
  parameters?: ParameterObject[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: SchemaObject }> };
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
}

export interface Operation {
  method: HttpMethod;
  /** The OpenAPI path template, e.g. /api/v1/leases/{id}/free */
  path: string;
  operationId: string;
  pathParams: ParameterObject[];
  queryParams: ParameterObject[];
  headerParams: ParameterObject[];
  /** The JSON request body schema, $refs resolved at the top level; undefined when there is none. */
  body?: SchemaObject;
  /** The spec says it needs a bearer key (its own security, or the document's default). */
  declaresAuth: boolean;
  /** `GET /api/v1/leases/{id}`: for test names and messages. */
  label: string;
}

export async function fetchOpenApi(t: TestApp): Promise<OpenApiDocument> {
  const res = await t.http.get('/docs-json');
  if (res.status !== 200) throw new Error(`GET /docs-json answered ${res.status}`);
  const doc = res.body as OpenApiDocument;
  if (!doc || typeof doc.paths !== 'object') throw new Error('GET /docs-json did not return an OpenAPI document');
  return doc;
}

export function resolveSchema(
  doc: OpenApiDocument,
  schema: SchemaObject | undefined,
  depth = 0,
): SchemaObject | undefined {
  if (!schema) return undefined;
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`unresolvable $ref ${schema.$ref}`);
    return depth > 20 ? target : resolveSchema(doc, target, depth + 1);
  }
  if (schema.allOf?.length) {
    const parts = schema.allOf.map((s) => resolveSchema(doc, s, depth + 1) ?? {});
    return {
      ...schema,
      allOf: undefined,
      type: 'object',
      properties: Object.assign({}, ...parts.map((p) => p.properties ?? {}), schema.properties ?? {}),
      required: [...new Set(parts.flatMap((p) => p.required ?? []).concat(schema.required ?? []))],
    };
  }
  return schema;
}

export function listOperations(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const raw = item[method];
      if (!raw) continue;
      const params = raw.parameters ?? [];
      const json = raw.requestBody?.content?.['application/json'];
      const security = raw.security ?? doc.security ?? [];
      ops.push({
        method,
        path,
        operationId: raw.operationId ?? `${method} ${path}`,
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        headerParams: params.filter((p) => p.in === 'header'),
        body: json ? resolveSchema(doc, json.schema) : undefined,
        declaresAuth: security.some((s) => Object.keys(s).length > 0),
        label: `${method.toUpperCase()} ${path}`,
      });
    }
  }
  return ops;
}

/** The segment before a path parameter names the resource it identifies: /api/v1/leases/{id}/free → leases. */
export function resourceOfParam(path: string, param: string): string | undefined {
  const segments = path.split('/');
  const at = segments.indexOf(`{${param}}`);
  return at > 0 ? segments[at - 1] : undefined;
}

/** Fills a path template; values are percent-encoded unless `raw` (for deliberately odd paths). */
export function fillPath(path: string, values: Record<string, string>, raw = false): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name] ?? '00000000-0000-4000-8000-000000000000';
    return raw ? value : encodeURIComponent(value);
  });
}

// ---------------------------------------------------------------------------------------------
// Response assertions

/** What the assertions need of a response: supertest's and rawRequest's both fit. */
export interface AnyResponse {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body?: any;
}

const PROBLEM_FIELDS = ['type', 'title', 'status', 'detail', 'code'] as const;
/** Things that must never reach a client: driver/SQL text, stack frames, file paths. */
const LEAKS = [
  /violates (?:unique|foreign key|check|exclusion|not-null) constraint/i,
  /duplicate key value/i,
  /invalid input syntax for type/i,
  /QueryFailedError|DatabaseError|TypeError|RangeError|ReferenceError/,
  /\bat [\w$.<>]+ \([^)]*:\d+:\d+\)/,
  /node_modules|\/src\/[\w/-]+\.ts/,
  /pg_catalog|relation "[^"]+" does not exist/,
];

/** Why the response breaks the error contract, or undefined when it keeps it. */
export function contractViolation(res: AnyResponse): string | undefined {
  if (res.status >= 500) return `answered ${res.status} (a 5xx is a bug): ${res.text?.slice(0, 500)}`;
  for (const leak of LEAKS)
    if (leak.test(res.text ?? '')) return `response leaks internals (${leak}): ${res.text.slice(0, 500)}`;
  if (res.status < 400) return undefined;
  const type = String(res.headers['content-type'] ?? '');
  if (!type.startsWith('application/problem+json'))
    return `${res.status} with Content-Type "${type}", not application/problem+json: ${res.text?.slice(0, 300)}`;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    return `${res.status} problem body is not JSON: ${res.text?.slice(0, 300)}`;
  }
  const missing = PROBLEM_FIELDS.filter((f) => body[f] === undefined || body[f] === null);
  if (missing.length) return `${res.status} problem lacks ${missing.join(', ')}: ${res.text.slice(0, 300)}`;
  if (body.status !== res.status) return `problem status ${String(body.status)} differs from HTTP status ${res.status}`;
  for (const f of ['type', 'title', 'detail', 'code'] as const)
    if (typeof body[f] !== 'string') return `problem.${f} is not a string`;
  if (!/^[A-Z][A-Z_]+$/.test(body.code as string))
    return `problem.code "${String(body.code)}" is not an upper-case code`;
  return undefined;
}

export function expectContract(res: AnyResponse, what: string): void {
  const violation = contractViolation(res);
  if (violation) throw new Error(`${what}: ${violation}`);
}

export function expectProblem(res: AnyResponse, status: number, code: string, what: string): void {
  if (res.status !== status || res.body?.code !== code) {
    throw new Error(
      `${what}: expected ${status} ${code}, got ${res.status} ${String(res.body?.code)}: ${res.text?.slice(0, 300)}`,
    );
  }
  expectContract(res, what);
}

// ---------------------------------------------------------------------------------------------
// Database snapshots: a refused write must leave every table exactly as it was.

/** Columns that legitimately change on a read or a refused request (the key's last use). */
const VOLATILE_COLUMNS: Record<string, string[]> = { api_keys: ['last_used_at'] };

export async function publicTables(pool: Pool): Promise<string[]> {
  const res = await pool.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
  );
  return res.rows.map((r) => r.tablename);
}

/** Row count and a digest of the contents of every table: `{ leases: "3:9f…" , … }`. */
export async function snapshotTables(pool: Pool, tables: string[]): Promise<Record<string, string>> {
  const parts = tables.map((table, i) => {
    const volatile = (VOLATILE_COLUMNS[table] ?? []).map((c) => ` - '${c}'`).join('');
    const row = `(to_jsonb(x)${volatile})::text`;
    return `SELECT ${i} AS i, count(*)::text || ':' || md5(coalesce(string_agg(${row}, '|' ORDER BY ${row}), '')) AS v FROM "${table}" x`;
  });
  const res = await pool.query<{ i: number; v: string }>(parts.join(' UNION ALL '));
  const out: Record<string, string> = {};
  for (const r of res.rows) out[tables[r.i]] = r.v;
  return out;
}

export async function rowCounts(pool: Pool, tables: string[]): Promise<Record<string, number>> {
  const snap = await snapshotTables(pool, tables);
  return Object.fromEntries(Object.entries(snap).map(([k, v]) => [k, Number(v.split(':')[0])]));
}

export function diffSnapshots(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after })
    .filter((k) => before[k] !== after[k])
    .map((k) => `${k}: ${before[k]} → ${after[k]}`);
}

// ---------------------------------------------------------------------------------------------
// A raw HTTP client: supertest/fetch normalise URLs (dot segments, encodings); fuzzing must not.

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: Record<string, unknown> | undefined;
}

export interface RawRequest {
  method: string;
  /** Path and query exactly as they go on the request line. */
  path: string;
  headers?: Record<string, string>;
  /** Sent as-is; Content-Type defaults to application/json when a body is given. */
  body?: string | Buffer;
}

export function rawRequest(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const headers: Record<string, string | number> = { ...(req.headers ?? {}) };
  const hasType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
  if (req.body !== undefined) {
    if (!hasType) headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = Buffer.byteLength(req.body);
  }
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Record<string, unknown> | undefined;
          try {
            body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}
