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
}

export const DEFAULT_BODY_LIMIT_BYTES = 128 * 1024;

export const BODY_ROUTES: BodyRoute[] = [];

export function bodyRouteFor(method: string, path: string): BodyRoute | undefined {
  return BODY_ROUTES.find((route) => route.method === method && route.path.test(path));
}

/** "128 KiB", "16 MiB": how the limit is named in a 413 answer. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
