import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * The few routes that take a non-JSON body (files as published elsewhere: ECB rates, invoice
 * CSV). Every other route accepts JSON only. Matched before routing, on method and exact path.
 */
export interface TextBodyRoute {
  method: 'POST' | 'PUT';
  path: string;
  /** Media types accepted as text, besides JSON. */
  types: string[];
  /** Body size limit for the text form (JSON keeps the global limit). */
  limit: string;
  /** For the OpenAPI document: what the text body is, and an example that works as pasted. */
  description: string;
  example: string;
  /** Whether the route also takes a JSON body (documented by its DTO). */
  json: boolean;
}

export const TEXT_BODY_ROUTES: readonly TextBodyRoute[] = [
  // The ECB history file as published (~2.5 MB for 1999 to today): more than the 1 MiB JSON limit.
  {
    method: 'PUT',
    path: '/api/v1/fx-rates',
    types: ['text/csv'],
    limit: '8mb',
    description: 'The ECB reference-rate history CSV as published (up to 8 MiB).',
    example: 'Date,USD,JPY,CYP,\r\n2026-05-29,1.0823,169.48,N/A,\r\n2026-05-28,1.0815,169.12,N/A,\r\n',
    json: true,
  },
  {
    method: 'POST',
    path: '/api/v1/invoices/import',
    types: ['text/csv'],
    limit: '1mb',
    description: 'Invoice lines, one per row; rows with the same lessor and invoiceNumber form one invoice.',
    example:
      'lessor,invoiceNumber,month,prefix,amount,currency\r\nExample Networks Ltd,INV-2026-05-001,2026-05,185.10.20.0/24,256.00,USD\r\n',
    json: false,
  },
];

/** The text route this request is for, when its Content-Type is one that route accepts. */
export function textBodyRoute(req: Request): TextBodyRoute | undefined {
  const route = TEXT_BODY_ROUTES.find((r) => r.method === req.method && r.path === req.path);
  return route && req.is(route.types) ? route : undefined;
}

const parsers = new Map(
  TEXT_BODY_ROUTES.map((route) => [
    route,
    express.text({ type: route.types, limit: route.limit, defaultCharset: 'utf-8' }),
  ]),
);

/** Reads the body as a string on the routes above (only for their text media types). */
export function parseTextBodies(req: Request, res: Response, next: NextFunction): void {
  const route = textBodyRoute(req);
  if (!route) return next();
  (parsers.get(route) as express.RequestHandler)(req, res, next);
}

/** Adds each text media type to its operation's request body (next to the JSON one, when it takes JSON too). */
export function documentTextBodies(document: OpenAPIObject): OpenAPIObject {
  for (const route of TEXT_BODY_ROUTES) {
    const operation = document.paths[route.path]?.[route.method.toLowerCase() as 'put' | 'post'];
    if (!operation) continue;
    const body = (operation.requestBody ??= { required: true, content: {} });
    if ('$ref' in body) continue;
    if (!route.json) body.content = {};
    body.required = true;
    for (const type of route.types)
      body.content[type] = { schema: { type: 'string', description: route.description }, example: route.example };
  }
  return document;
}
