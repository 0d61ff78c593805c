import addFormats from 'ajv-formats';
import OpenAPIBackend from 'openapi-backend';
import type { Document, Operation } from 'openapi-backend';
import type { Response } from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import type Test from 'supertest/lib/test';

/**
 * Every response an end-to-end test receives through `t.http` is checked against the OpenAPI
 * document the app serves (GET /docs-json), so the spec and the service cannot drift apart:
 * the status must be documented for the operation, the Content-Type must be one the response
 * documents, headers marked `required` must be present, and JSON bodies and documented headers
 * must validate against their schemas.
 *
 * Matching and schema validation are openapi-backend's (router + its ajv-based response and
 * header validators, which know OpenAPI 3.0's `nullable`); this file only feeds it responses and
 * checks what openapi-backend leaves to its caller (documented status, media type, required headers).
 */

/**
 * Routes the app serves outside the API document: Swagger UI and the document itself, and the
 * dashboard's static files (GET /reports/assets/{file}, @ApiExcludeEndpoint: not API).
 */
const OUTSIDE_THE_SPEC = [/^\/docs(\/|-json$|$)/, /^\/reports\/assets\/[^/]+$/];

interface ResponseObject {
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, { schema?: unknown }>;
}

const backends = new Map<string, Promise<OpenAPIBackend>>();

/**
 * openapi-backend validates only `application/json` bodies; the problem+json (and other +json)
 * answers are JSON too, so they are offered to it under that name as well.
 */
function jsonAliased(document: Document): Document {
  const copy = structuredClone(document) as unknown as { paths: Record<string, Record<string, Operation>> };
  for (const item of Object.values(copy.paths)) {
    for (const operation of Object.values(item)) {
      for (const response of Object.values((operation?.responses ?? {}) as Record<string, ResponseObject>)) {
        const content = response.content;
        if (!content || content['application/json']) continue;
        const json = Object.keys(content).find((type) => /^application\/[\w.-]+\+json$/.test(type));
        if (json) content['application/json'] = content[json];
      }
    }
  }
  return copy as unknown as Document;
}

export async function backendFor(document: Document): Promise<OpenAPIBackend> {
  const key = JSON.stringify(document);
  let backend = backends.get(key);
  if (!backend) {
    const api = new OpenAPIBackend({
      definition: jsonAliased(document),
      strict: true,
      validate: true,
      // quick: validators compile when an operation is first answered (a full compile takes seconds).
      quick: true,
      ajvOpts: { allErrors: true },
      // uuid, date, date-time, email…: checked, not ignored.
      customizeAjv: (ajv) => {
        addFormats(ajv);
        return ajv;
      },
    });
    backend = api.init();
    backends.set(key, backend);
  }
  return backend;
}

function findResponse(operation: Operation, status: number): ResponseObject | undefined {
  const responses = (operation.responses ?? {}) as Record<string, ResponseObject>;
  return responses[String(status)] ?? responses[`${Math.floor(status / 100)}XX`] ?? responses.default;
}

/** Why `res` (to `method url`) contradicts the document, or undefined when it does not. */
export function specViolation(api: OpenAPIBackend, method: string, url: string, res: Response): string | undefined {
  const { pathname, searchParams } = new URL(url);
  const operation = api.router.matchOperation({
    method: method.toLowerCase(),
    path: pathname,
    query: Object.fromEntries(searchParams),
    headers: {},
  });
  if (!operation) {
    if (OUTSIDE_THE_SPEC.some((pattern) => pattern.test(pathname))) return undefined;
    // Unknown routes answer a problem+json 404/405, which is not any operation's to document.
    if ((res.status === 404 || res.status === 405) && res.type === 'application/problem+json') return undefined;
    return `no operation in the spec for ${method} ${pathname} (answered ${res.status})`;
  }
  const label = `${method} ${operation.path} (${operation.operationId}) answered ${res.status}`;
  const documented = findResponse(operation, res.status);
  if (!documented) return `${label}, which the spec does not document for it`;
  const mediaTypes = Object.keys(documented.content ?? {});
  const sentType = res.type || undefined;
  if (mediaTypes.length === 0) {
    if (sentType && method !== 'HEAD' && res.status !== 304)
      return `${label} with a ${sentType} body, but the spec documents no content for it`;
  } else if (method !== 'HEAD' && res.status !== 304 && (!sentType || !mediaTypes.includes(sentType))) {
    return `${label} with Content-Type ${sentType ?? '(none)'}, but the spec documents only ${mediaTypes.join(', ')}`;
  }
  const missing = Object.entries(documented.headers ?? {})
    .filter(([name, header]) => header.required && res.headers[name.toLowerCase()] === undefined)
    .map(([name]) => name);
  if (missing.length) return `${label} without the required header(s) ${missing.join(', ')}`;
  const headers = api.validator.validateResponseHeaders(res.headers, operation, { statusCode: res.status });
  if (headers.errors) return `${label} with headers that contradict the spec: ${JSON.stringify(headers.errors)}`;
  if (sentType && /^application\/([\w.-]+\+)?json$/.test(sentType) && method !== 'HEAD') {
    const body = api.validator.validateResponse(res.body, operation, res.status);
    if (body.errors) {
      return `${label} with a body that contradicts the spec: ${JSON.stringify(body.errors.slice(0, 5))}\nbody: ${JSON.stringify(res.body).slice(0, 1500)}`;
    }
  }
  return undefined;
}

/**
 * Wraps a supertest agent so that every request made through it has its response checked by
 * `specViolation` once the test's own expectations passed; a violation fails that request.
 */
export async function specCheckedAgent(agent: TestAgent, document: Document): Promise<TestAgent> {
  const api = await backendFor(document);
  const methods = ['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options'] as const;
  for (const method of methods) {
    if (typeof agent[method] !== 'function') continue;
    const original = (agent[method] as (url: string) => Test).bind(agent);
    (agent as unknown as Record<string, unknown>)[method] = (url: string) => checked(api, original(url));
  }
  return agent;
}

function checked(api: OpenAPIBackend, test: Test): Test {
  const raw = test as unknown as {
    method: string;
    url: string;
    assert: (error: unknown, res: Response | undefined, fn?: (error: unknown, res?: Response) => void) => void;
  };
  const assert = raw.assert.bind(test);
  raw.assert = (error, res, fn) =>
    assert(error, res, (assertionError, response) => {
      let failure = assertionError;
      if (!failure && response) {
        const violation = specViolation(api, raw.method, raw.url, response);
        if (violation) failure = new Error(`Response contradicts the served OpenAPI document: ${violation}`);
      }
      fn?.call(test, failure ?? null, response);
    });
  return test;
}
