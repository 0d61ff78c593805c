import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import { checkUrlShape, guardedLookup, hostOf, specialPurposeReason } from './webhook-target';
import { signWebhook } from './webhook-signature';

/** At most this much of a receiver's answer is read; the rest is dropped with the connection. */
export const MAX_RESPONSE_BYTES = 4096;
const ERROR_EXCERPT = 200;

export interface OutgoingWebhook {
  url: string;
  secret: string;
  /** Standard Webhooks `webhook-id`: the event id, the same on every attempt. */
  id: string;
  body: string;
}

export interface SendOptions {
  timeoutMs: number;
  allowPrivateTargets: boolean;
}

export interface SendResult {
  outcome: 'succeeded' | 'failed' | 'gone' | 'refused';
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
}

/**
 * One signed POST. Never follows redirects, reads at most MAX_RESPONSE_BYTES of the answer, and
 * gives up after timeoutMs for the whole exchange (connect, send, response). Special-purpose
 * destinations are refused after DNS resolution unless allowed.
 */
export function sendWebhook(hook: OutgoingWebhook, options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const shape = checkUrlShape(hook.url);
  if (!shape.ok)
    return Promise.resolve({ outcome: 'refused', responseStatus: null, durationMs: 0, error: shape.message });
  const url = shape.url;
  if (!options.allowPrivateTargets) {
    const host = hostOf(url);
    const reason = isIP(host) ? specialPurposeReason(host) : undefined;
    if (reason)
      return Promise.resolve({ outcome: 'refused', responseStatus: null, durationMs: 0, error: `refused: ${reason}` });
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(hook.body),
    'user-agent': 'iplease-webhooks/1',
    'webhook-id': hook.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(hook.secret, hook.id, timestamp, hook.body),
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve({ ...result, durationMs: elapsed() });
    };
    const request = client.request(url, {
      method: 'POST',
      headers,
      agent: false,
      ...(options.allowPrivateTargets ? {} : { lookup: guardedLookup as never }),
    });
    const timer = setTimeout(
      () =>
        finish({
          outcome: 'failed',
          responseStatus: null,
          error: `timeout: no complete answer within ${options.timeoutMs} ms`,
        }),
      options.timeoutMs,
    );
    request.on('error', (error: NodeJS.ErrnoException) =>
      finish({
        outcome: error.code === 'EREFUSEDTARGET' ? 'refused' : 'failed',
        responseStatus: null,
        error:
          error.code === 'EREFUSEDTARGET'
            ? error.message
            : `${error.code ?? 'error'}: ${error.message}`.slice(0, ERROR_EXCERPT),
      }),
    );
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const excerpt = Buffer.concat(chunks)
          .toString('utf8')
          .slice(0, ERROR_EXCERPT)
          .replace(/[\p{Cc}]/gu, ' ');
        if (status >= 200 && status < 300) return finish({ outcome: 'succeeded', responseStatus: status, error: null });
        if (status === 410)
          return finish({ outcome: 'gone', responseStatus: status, error: 'HTTP 410 Gone: webhook deactivated' });
        const reason =
          status >= 300 && status < 400
            ? `HTTP ${status}: redirects are not followed`
            : `HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`;
        finish({ outcome: 'failed', responseStatus: status, error: reason });
      };
      response.on('data', (chunk: Buffer) => {
        if (size >= MAX_RESPONSE_BYTES) return;
        chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
        size += chunk.length;
        if (size >= MAX_RESPONSE_BYTES) done();
      });
      response.on('end', done);
      response.on('error', done);
    });
    request.end(hook.body);
  });
}
