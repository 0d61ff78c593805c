import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient, ApiError, Stopped } from '../../../terraform-provider/src/client';
import { apiErrorDiags } from '../../../terraform-provider/src/diagnostics';
import { AllocationResource, LessorResource } from '../../../terraform-provider/src/resources/inventory';

type Step = (req: IncomingMessage, res: ServerResponse) => void;

/** A local HTTP server that answers the n-th request with the n-th step and records what came in. */
async function scripted(steps: Step[]) {
  const seen: { method?: string; key?: string; ifMatch?: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({
        method: req.method,
        key: req.headers['idempotency-key'] as string | undefined,
        ifMatch: req.headers['if-match'] as string | undefined,
        body,
      });
      (steps[seen.length - 1] ?? steps[steps.length - 1])(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    seen,
    client: (attemptTimeoutMs = 5000) =>
      new ApiClient({ endpoint, apiKey: 'k', attemptTimeoutMs, maxAttempts: 4, maxBackoffMs: 50 }),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const created: Step = (_req, res) => {
  res.writeHead(201, { 'content-type': 'application/json', etag: '"1"' });
  res.end(JSON.stringify({ id: 'a', version: 1 }));
};
const unavailable: Step = (_req, res) => {
  res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '0' });
  res.end(JSON.stringify({ code: 'UNAVAILABLE', status: 503 }));
};
const reset: Step = (req) => req.socket.destroy();
const silent: Step = () => undefined;

describe('API client retries', () => {
  it.each([
    ['a 503 with Retry-After', unavailable],
    ['a connection reset', reset],
    ['a timeout', silent],
  ])('retries a create after %s with the same Idempotency-Key and body', async (_label, failure) => {
    const s = await scripted([failure, created]);
    try {
      const res = await s
        .client(300)
        .request('POST', '/api/v1/allocations', { body: { prefixLength: 28 }, idempotent: true });
      expect(res).toMatchObject({ status: 201, etag: '"1"', body: { id: 'a' } });
      expect(s.seen).toHaveLength(2);
      expect(s.seen[0].key).toMatch(/^tf-[0-9a-f-]{36}$/);
      expect(s.seen[1].key).toBe(s.seen[0].key);
      expect(s.seen[1].body).toBe(s.seen[0].body);
    } finally {
      await s.close();
    }
  });

  it('gives each create its own key, and does not retry a 409', async () => {
    const conflict: Step = (_req, res) => {
      res.writeHead(409, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ code: 'NO_CAPACITY', status: 409, detail: 'no free /28' }));
    };
    const s = await scripted([created, conflict]);
    try {
      const c = s.client();
      await c.request('POST', '/x', { body: {}, idempotent: true });
      const error = await c.request('POST', '/x', { body: {}, idempotent: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).problem.code).toBe('NO_CAPACITY');
      expect(s.seen).toHaveLength(2);
      expect(s.seen[1].key).not.toBe(s.seen[0].key);
    } finally {
      await s.close();
    }
  });

  it('stop() cancels a request in flight (StopProvider)', async () => {
    const s = await scripted([silent]);
    try {
      const c = s.client(60_000);
      const pending = c.request('GET', '/slow').catch((e: unknown) => e);
      while (s.seen.length === 0) await new Promise((r) => setImmediate(r));
      c.stop();
      expect(await pending).toBeInstanceOf(Stopped);
      expect(s.seen).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it('gives up after the last attempt with an error naming the cause', async () => {
    const s = await scripted([unavailable]);
    try {
      const error = (await s
        .client()
        .request('GET', '/x')
        .catch((e: unknown) => e)) as ApiError;
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(503);
      expect(s.seen).toHaveLength(4);
    } finally {
      await s.close();
    }
  });
});

describe('problem+json as diagnostics', () => {
  const allocation = new AllocationResource();
  const names = new Set(allocation.schema.attrs.map((a) => a.name));
  const diags = (problem: Record<string, unknown>, status = 409) =>
    apiErrorDiags(
      new ApiError(status, problem, 'POST', '/api/v1/allocations'),
      'Creating iplease_allocation',
      (f) => allocation.attributeFor(f),
      (a) => names.has(a),
    );

  it('puts the code in the summary, the detail and conflicts in the detail, and points at the attribute', () => {
    const [d] = diags({ code: 'NO_CAPACITY', detail: 'No free /28 in lease L.' });
    expect(d).toMatchObject({
      severity: 'ERROR',
      summary: 'Creating iplease_allocation: NO_CAPACITY',
      attribute: { steps: [{ attribute_name: 'prefix_length' }] },
    });
    expect(d.detail).toMatch(/No free \/28 in lease L\./);
    const [overlap] = diags({
      code: 'PREFIX_OVERLAP',
      detail: 'overlaps',
      conflicts: [{ id: 'x', prefix: '1.0.0.0/24', kind: 'allocation' }],
    });
    expect(overlap.detail).toMatch(/allocation x \(1\.0\.0\.0\/24\)/);
    expect(overlap.attribute?.steps[0].attribute_name).toBe('prefix');
  });

  it('gives one diagnostic per field error, on the snake_case attribute', () => {
    const out = diags(
      {
        code: 'VALIDATION_FAILED',
        errors: [
          { field: 'regionId', message: 'bad region' },
          { field: 'tags[1]', message: 'bad tag' },
        ],
      },
      400,
    );
    expect(out.map((d) => d.attribute?.steps[0].attribute_name)).toEqual(['region_id', 'tags']);
    expect(out[0].detail).toMatch(/bad region/);
  });

  it('leaves the path off for resource-wide answers such as IN_USE', () => {
    expect(diags({ code: 'IN_USE', detail: 'still used' })[0].attribute).toBeUndefined();
  });
});

describe('updates under retries', () => {
  const lessor = new LessorResource();
  const prior = { id: 'l1', name: 'Acme', rir: 'RIPE', org_handle: null, contact_email: null, notes: 'old' };
  const planned = { ...prior, notes: 'new' };
  const changed = lessor.schema.attrs.filter((a) => a.name === 'notes');
  const current: Step = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', etag: '"2"' });
    res.end(
      JSON.stringify({
        id: 'l1',
        name: 'Acme',
        rir: 'RIPE',
        orgHandle: null,
        contactEmail: null,
        notes: 'new',
        version: 2,
      }),
    );
  };
  const stale: Step = (_req, res) => {
    res.writeHead(412, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ code: 'PRECONDITION_FAILED', status: 412 }));
  };

  it('a retried PATCH that meets its own earlier success (412) reads back and succeeds', async () => {
    const s = await scripted([silent, stale, current]);
    try {
      const result = await lessor.update(s.client(300), planned, prior, { etag: '"1"' }, changed);
      expect(result.state).toMatchObject({ notes: 'new' });
      expect(result.private.etag).toBe('"2"');
      expect(s.seen.map((r) => [r.method, r.ifMatch])).toEqual([
        ['PATCH', '"1"'],
        ['PATCH', '"1"'],
        ['GET', undefined],
      ]);
    } finally {
      await s.close();
    }
  });

  it('a 412 on the first attempt is someone else’s change: an error, not a silent overwrite', async () => {
    const s = await scripted([stale, current]);
    try {
      const error = await lessor.update(s.client(), planned, prior, { etag: '"1"' }, changed).catch((e: unknown) => e);
      expect((error as ApiError).problem.code).toBe('PRECONDITION_FAILED');
      expect(s.seen).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});
