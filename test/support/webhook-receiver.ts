import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Behaviour = (req: IncomingMessage, res: ServerResponse, received: ReceivedWebhook, nth: number) => void;

/** A real HTTP receiver on loopback that records every request and answers per path. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private server?: Server;
  port = 0;

  on(path: string, behaviour: Behaviour): this {
    this.behaviours.set(path, behaviour);
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  at(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = (req.url ?? '/').split('?')[0];
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        const received = { path, headers, body: Buffer.concat(chunks).toString('utf8') };
        this.received.push(received);
        const behaviour = this.behaviours.get(path);
        if (behaviour) behaviour(req, res, received, this.at(path).length);
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Polls `probe` until it returns a value (not undefined/false); fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits until the event feed serves everything written so far: events appear once every older
 * transaction in the cluster has ended, and other test files' transactions count too.
 */
export async function feedCaughtUp(pool: { query: (sql: string) => Promise<{ rows: { ready: boolean }[] }> }) {
  await eventually(
    async () =>
      (
        await pool.query(
          `SELECT coalesce(max(xid) < pg_snapshot_xmin(pg_current_snapshot()), true) AS ready FROM events`,
        )
      ).rows[0].ready || undefined,
    60_000,
    'the event feed to catch up',
  );
}
