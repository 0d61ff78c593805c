import { createHash } from 'node:crypto';

/** Printable ASCII, 1 to 255 characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

/** JSON with object keys sorted at every depth, so key order in the body does not matter. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Query parameters sorted, so `?a=1&b=2` and `?b=2&a=1` are the same request. */
export function canonicalQuery(queryString: string): string {
  const params = [...new URLSearchParams(queryString)];
  params.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return new URLSearchParams(params).toString();
}

/** What makes two requests "the same request" for an Idempotency-Key. */
export function requestFingerprint(method: string, path: string, queryString: string, body: unknown): Buffer {
  return createHash('sha256')
    .update(`${method.toUpperCase()}\n${path}\n${canonicalQuery(queryString)}\n${canonicalJson(body ?? {})}`, 'utf8')
    .digest();
}
