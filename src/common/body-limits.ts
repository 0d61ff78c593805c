import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * How large a request body may be, per route. Every JSON body of the API fits easily in the
 * default (the largest, a lease with 10,000 characters of notes, is far below it); a route that
 * takes bulk input (imports) adds an entry here with its own limit and the content types it accepts.
 * Bodies are parsed only after the caller's key is known to be valid (see bootstrap.ts).
 */
export interface BodyRoute {
  method: 'POST' | 'PUT' | 'PATCH';
  /** Matched against the path without the query string. */
  path: RegExp;
  limitBytes: number;
  /** Accepted besides JSON (e.g. `text/csv`); such bodies arrive as a string in `req.body`. */
  textTypes?: string[];
  /** For the OpenAPI document: what the text body is, an example that works as pasted, and whether JSON is taken too. */
  textBody?: { description: string; example: string; json: boolean };
  /**
   * File uploads: the body is read as bytes into `req.rawBody` when it is one of these types (JSON
   * included), for a parser of its own; `req.body` becomes `{ sha256 }` so an Idempotency-Key
   * fingerprint still tells two files apart (src/common/raw-body.ts).
   */
  rawTypes?: string[];
}

export const DEFAULT_BODY_LIMIT_BYTES = 128 * 1024;

export const BODY_ROUTES: BodyRoute[] = [
  // The ECB history file as published (~2.5 MB for 1999 to today).
  {
    method: 'PUT',
    path: /^\/api\/v1\/fx-rates\/?$/,
    limitBytes: 8 * 1024 * 1024,
    textTypes: ['text/csv'],
    textBody: {
      description: 'The ECB reference-rate history CSV as published (up to 8 MiB).',
      example: 'Date,USD,JPY,CYP,\r\n2026-05-29,1.0823,169.48,N/A,\r\n2026-05-28,1.0815,169.12,N/A,\r\n',
      json: true,
    },
  },
  {
    method: 'POST',
    path: /^\/api\/v1\/invoices\/import\/?$/,
    limitBytes: 1024 * 1024,
    textTypes: ['text/csv'],
    textBody: {
      description: 'Invoice lines, one per row; rows with the same lessor and invoiceNumber form one invoice.',
      example:
        'lessor,invoiceNumber,month,prefix,amount,currency\r\nExample Networks Ltd,INV-2026-05-001,2026-05,185.10.20.0/24,256.00,USD\r\n',
      json: false,
    },
  },
  // Uploads of files: bulk imports, RPKI VRP snapshots (the global table is ~500,000 entries), reputation lists.
  {
    method: 'POST',
    path: /^\/api\/v1\/imports\/[^/]+\/?$/,
    limitBytes: 32 * 1024 * 1024,
    rawTypes: ['text/csv', 'application/json'],
  },
  {
    method: 'PUT',
    path: /^\/api\/v1\/rpki\/vrps\/?$/,
    limitBytes: 256 * 1024 * 1024,
    rawTypes: ['application/json', 'text/csv'],
  },
  {
    method: 'PUT',
    path: /^\/api\/v1\/reputation-lists\/[^/]+\/?$/,
    limitBytes: 16 * 1024 * 1024,
    rawTypes: ['application/x-ndjson', 'application/json', 'text/plain'],
  },
];

export function bodyRouteFor(method: string, path: string): BodyRoute | undefined {
  return BODY_ROUTES.find((route) => route.method === method && route.path.test(path));
}

/** "128 KiB", "16 MiB": how the limit is named in a 413 answer. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** Adds each route's text media types to its operation's request body (beside the JSON one when it takes JSON too). */
export function documentBodyRoutes(document: OpenAPIObject): OpenAPIObject {
  for (const route of BODY_ROUTES) {
    if (!route.textBody || !route.textTypes) continue;
    const path = Object.keys(document.paths).find((p) => route.path.test(p));
    const operation = path ? document.paths[path][route.method.toLowerCase() as 'put' | 'post' | 'patch'] : undefined;
    if (!operation) continue;
    const body = (operation.requestBody ??= { required: true, content: {} });
    if ('$ref' in body) continue;
    if (!route.textBody.json) body.content = {};
    body.required = true;
    for (const type of route.textTypes)
      body.content[type] = {
        schema: { type: 'string', description: route.textBody.description },
        examples: { sample: { summary: 'A sample file', value: route.textBody.example } },
      };
  }
  return document;
}
