import { randomUUID } from 'node:crypto';
import { log } from './log';

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: { field?: string; message?: string; row?: number }[];
  conflicts?: { id?: string; prefix?: string; kind?: string }[];
}

/** A problem+json answer from the API (or a transport failure once retries are spent). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
    readonly method: string,
    readonly path: string,
    /** How many attempts were sent: above 1, an earlier one may have taken effect unseen. */
    readonly attempts = 1,
  ) {
    super(`${method} ${path}: ${status} ${problem.code ?? ''} ${problem.detail ?? problem.title ?? ''}`.trim());
  }
}

/** Raised when StopProvider cancelled the request. */
export class Stopped extends Error {
  constructor() {
    super('The operation was cancelled: Terraform asked the provider to stop.');
  }
}

/** A JSON answer: the API's shapes are many; callers read the fields they asked for. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ApiResponse<T = Json> {
  status: number;
  body: T;
  etag?: string;
}

export interface RequestOptions {
  body?: unknown;
  ifMatch?: string;
  query?: Record<string, string | number | undefined>;
  /** Sent on POSTs; the same key on every retry, so a retried create never creates twice. */
  idempotent?: boolean;
}

export interface ClientOptions {
  endpoint: string;
  apiKey: string;
  /** Per-attempt limit, after which the attempt is abandoned and retried. */
  attemptTimeoutMs?: number;
  maxAttempts?: number;
  /** Longest wait between attempts, also when Retry-After asks for more. */
  maxBackoffMs?: number;
  userAgent?: string;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/**
 * The iplease HTTP API with the retries automation needs: timeouts, connection resets and
 * 503/429 (honouring Retry-After) are retried; creates carry one Idempotency-Key for all their
 * attempts; `stop()` cancels everything in flight (StopProvider).
 */
export class ApiClient {
  private stopper = new AbortController();
  private readonly endpoint: string;

  constructor(private readonly options: ClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
  }

  stop(): void {
    this.stopper.abort(new Stopped());
    this.stopper = new AbortController();
  }

  async request<T = Json>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const stopSignal = this.stopper.signal;
    const url = new URL(this.endpoint + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.apiKey}`,
      accept: 'application/json',
      'user-agent': this.options.userAgent ?? 'terraform-provider-iplease',
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.ifMatch) headers['if-match'] = options.ifMatch;
    if (options.idempotent) headers['idempotency-key'] = `tf-${randomUUID()}`;
    const maxAttempts = this.options.maxAttempts ?? 6;
    const attemptTimeoutMs = this.options.attemptTimeoutMs ?? 30_000;
    const maxBackoffMs = this.options.maxBackoffMs ?? 20_000;

    for (let attempt = 1; ; attempt++) {
      if (stopSignal.aborted) throw new Stopped();
      let waitMs: number;
      let lastProblem: Problem;
      let lastStatus = 0;
      try {
        const response = await fetch(url, {
          method,
          headers,
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.any([stopSignal, AbortSignal.timeout(attemptTimeoutMs)]),
        });
        const text = await response.text();
        const body = text ? safeJson(text) : undefined;
        if (response.ok) {
          return { status: response.status, body: body as T, etag: response.headers.get('etag') ?? undefined };
        }
        lastStatus = response.status;
        lastProblem = (body && typeof body === 'object' ? body : { detail: text }) as Problem;
        if (!RETRYABLE_STATUS.has(response.status) || attempt >= maxAttempts) {
          throw new ApiError(response.status, lastProblem, method, url.pathname, attempt);
        }
        waitMs = Math.round(retryAfterMs(response.headers.get('retry-after')) ?? backoffMs(attempt));
        log('WARN', `${method} ${url.pathname} answered ${response.status}; retry ${attempt} in ${waitMs} ms`);
      } catch (error) {
        if (error instanceof ApiError) throw error;
        if (stopSignal.aborted) throw new Stopped();
        const reason = describe(error);
        if (attempt >= maxAttempts) {
          throw new ApiError(
            lastStatus,
            { code: 'UNREACHABLE', detail: `${reason} (after ${attempt} attempts)` },
            method,
            url.pathname,
            attempt,
          );
        }
        waitMs = Math.round(backoffMs(attempt));
        log('WARN', `${method} ${url.pathname} failed (${reason}); retry ${attempt} in ${waitMs} ms`);
      }
      await sleep(Math.min(waitMs, maxBackoffMs), stopSignal);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 500) };
  }
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function backoffMs(attempt: number): number {
  return Math.min(5000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
}

function describe(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Stopped());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Stopped());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
