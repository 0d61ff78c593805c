import createClient from 'openapi-fetch';
import type { components, paths } from '../support/generated/iplease-api';
import { ADMIN_KEY, startTestApp, TestApp } from '../support/test-app';

type Problem = components['schemas']['ProblemDto'];
type Allocation = components['schemas']['AllocationDto'];

/**
 * What a Terraform-style pipeline does, through a client typed from the served OpenAPI document
 * (openapi-typescript → test/support/generated, openapi-fetch): if the spec and the server
 * disagree, this fails at run time; if the spec and this code disagree, `tsc` fails.
 */
describe('automation journey (typed client from the OpenAPI spec)', () => {
  let t: TestApp;
  let api: ReturnType<typeof createClient<paths>>;

  beforeAll(async () => {
    t = await startTestApp();
    api = createClient<paths>({ baseUrl: t.baseUrl, headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
  });
  afterAll(() => t?.close());

  it('creates the world, allocates idempotently, updates with If-Match, and releases', async () => {
    // 1. Who we lease from, where the space is used, and who announces it.
    const lessor = await api.POST('/api/v1/lessors', {
      body: { name: 'Journey Networks Ltd', rir: 'RIPE', contactEmail: 'noc@journey.example' },
    });
    expect(lessor.response.status).toBe(201);
    const region = await api.POST('/api/v1/regions', {
      body: { code: 'eu-west-1', name: 'AWS Europe (Ireland)', countryCode: 'IE', city: 'Dublin' },
    });
    expect(region.response.status).toBe(201);
    const provider = await api.POST('/api/v1/providers', {
      body: { code: 'aws', name: 'Amazon Web Services (BYOIP)', maxPrefixLength: 28 },
    });
    expect(provider.response.status).toBe(201);
    if (!lessor.data || !region.data || !provider.data) throw new Error('setup answered without a body');

    // 2. A leased /24 that is active today.
    const lease = await api.POST('/api/v1/leases', {
      body: {
        prefix: '185.10.20.0/24',
        lessorId: lessor.data.id,
        startDate: '2025-01-01',
        pricePerIpMonthly: '0.4500',
        currency: 'USD',
      },
    });
    expect(lease.response.status).toBe(201);
    expect(lease.data).toMatchObject({
      prefix: '185.10.20.0/24',
      status: 'active',
      addressCount: 256,
      monthlyCost: '115.20',
    });
    const leaseId = lease.data!.id;

    // 3. The next free /26, with an Idempotency-Key so a retry cannot allocate twice.
    const idempotencyKey = `journey-${Date.now()}`;
    const request = {
      params: { header: { 'Idempotency-Key': idempotencyKey } },
      body: {
        prefixLength: 26,
        leaseId,
        regionId: region.data.id,
        providerId: provider.data.id,
        description: 'NAT gateways',
        tags: ['prod'],
      },
    };
    const first = await api.POST('/api/v1/allocations', request);
    expect(first.response.status).toBe(201);
    expect(first.response.headers.get('Idempotent-Replayed')).toBeNull();
    const allocation = first.data as Allocation;
    expect(allocation).toMatchObject({
      prefix: '185.10.20.0/26',
      leaseId,
      status: 'active',
      addressCount: 64,
      requestedPrefixLength: 26,
      version: 1,
    });
    expect(first.response.headers.get('ETag')).toBe('"1"');
    expect(first.response.headers.get('Location')).toBe(`/api/v1/allocations/${allocation.id}`);

    // 4. The pipeline retries (say its connection dropped): the first answer is replayed.
    const retry = await api.POST('/api/v1/allocations', request);
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get('Idempotent-Replayed')).toBe('true');
    expect(retry.data).toEqual(allocation);
    expect(retry.response.headers.get('ETag')).toBe('"1"');
    const stored = await t.pool.query<{ n: string }>('SELECT count(*) AS n FROM allocations WHERE lease_id = $1', [
      leaseId,
    ]);
    expect(Number(stored.rows[0].n)).toBe(1);
    const listed = await api.GET('/api/v1/allocations', { params: { query: { leaseId } } });
    expect(listed.data?.items.map((a) => a.id)).toEqual([allocation.id]);
    expect(listed.data?.nextCursor).toBeNull();

    // 5. Read it back: the ETag is the version.
    const read = await api.GET('/api/v1/allocations/{id}', { params: { path: { id: allocation.id } } });
    expect(read.response.status).toBe(200);
    const etag = read.response.headers.get('ETag');
    expect(etag).toBe('"1"');

    // 6. Change it only if nobody else has.
    const updated = await api.PATCH('/api/v1/allocations/{id}', {
      params: { path: { id: allocation.id }, header: { 'If-Match': etag! } },
      body: { description: 'NAT gateways, prod', tags: ['prod', 'nat'] },
    });
    expect(updated.response.status).toBe(200);
    expect(updated.data).toMatchObject({
      description: 'NAT gateways, prod',
      tags: ['prod', 'nat'],
      version: 2,
      prefix: '185.10.20.0/26',
    });
    const newEtag = updated.response.headers.get('ETag');
    expect(newEtag).toBe('"2"');

    // 7. A second writer still holding the old ETag is refused, and told why.
    const stale = await api.PATCH('/api/v1/allocations/{id}', {
      params: { path: { id: allocation.id }, header: { 'If-Match': etag! } },
      body: { description: 'lost update' },
    });
    expect(stale.response.status).toBe(412);
    expect(stale.response.headers.get('Content-Type')).toMatch(/^application\/problem\+json/);
    expect(stale.data).toBeUndefined();
    const problem: Problem | undefined = stale.error;
    expect(problem).toMatchObject({
      status: 412,
      code: 'PRECONDITION_FAILED',
      type: expect.stringContaining('precondition-failed'),
    });
    const unchanged = await api.GET('/api/v1/allocations/{id}', { params: { path: { id: allocation.id } } });
    expect(unchanged.data?.description).toBe('NAT gateways, prod');

    // 8. Release it (204), after which it is gone (404 problem+json) and its space is free again.
    const released = await api.DELETE('/api/v1/allocations/{id}', {
      params: { path: { id: allocation.id }, header: { 'If-Match': newEtag! } },
    });
    expect(released.response.status).toBe(204);
    const gone = await api.GET('/api/v1/allocations/{id}', { params: { path: { id: allocation.id } } });
    expect(gone.response.status).toBe(404);
    expect(gone.response.headers.get('Content-Type')).toMatch(/^application\/problem\+json/);
    expect(gone.error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const free = await api.GET('/api/v1/leases/{id}/free', { params: { path: { id: leaseId } } });
    expect(free.data).toMatchObject({
      items: [{ prefix: '185.10.20.0/24', addressCount: 256 }],
      total: 1,
      freeAddresses: 256,
    });
  });
});

/**
 * Never called: it only has to type-check. Each line is a mistake the generated types must catch,
 * so if the types decay to `any` (or drift from the API), `tsc` reports an unused @ts-expect-error.
 */
export function typeChecksThatMustFail(api: ReturnType<typeof createClient<paths>>): void {
  // @ts-expect-error prefixLength is a number, not a string
  void api.POST('/api/v1/allocations', { body: { prefixLength: '26', regionId: 'r', providerId: 'p' } });
  // @ts-expect-error regionId and providerId are required
  void api.POST('/api/v1/allocations', { body: { prefixLength: 26 } });
  // @ts-expect-error there is no such route
  void api.GET('/api/v1/allocation');
  // @ts-expect-error the path parameter is required
  void api.GET('/api/v1/allocations/{id}', {});
  // @ts-expect-error rir is one of the five RIRs
  void api.POST('/api/v1/lessors', { body: { name: 'x', rir: 'IANA' } });
}
