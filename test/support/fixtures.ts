import type { FuzzWorld } from './openapi-arbitraries';
import { bearer, TestApp } from './test-app';

let counter = 0;
const unique = (base: string) => `${base}-${process.pid}-${++counter}`;

export interface World {
  lessorId: string;
  regionId: string;
  providerId: string;
}

/** A lessor, a region and a provider to hang leases and allocations on. */
export async function seedWorld(
  t: TestApp,
  provider: { minPrefixLength?: number; maxPrefixLength?: number } = {},
  regionFields: { subdivisionCode?: string; city?: string } = {},
): Promise<World> {
  const lessor = await t.http
    .post('/api/v1/lessors')
    .set(bearer())
    .send({ name: unique('Lessor'), rir: 'RIPE' })
    .expect(201);
  const region = await t.http
    .post('/api/v1/regions')
    .set(bearer())
    .send({ code: unique('eu-west-1'), name: 'Ireland', countryCode: 'IE', ...regionFields })
    .expect(201);
  const prov = await t.http
    .post('/api/v1/providers')
    .set(bearer())
    .send({ code: unique('aws'), name: 'AWS', ...provider })
    .expect(201);
  return { lessorId: lessor.body.id, regionId: region.body.id, providerId: prov.body.id };
}

let nextFuzzBlock = 0;

/**
 * The world the fuzz and security suites need so that fuzzed path parameters and `…Id` fields can
 * also be valid ids: seedWorld's lessor, region and provider, plus a lease with an allocation and
 * a viewer API key. Lease prefixes come from 45.0.0.0/8 in /22 steps, skipping any a fuzzed lease
 * already took.
 */
export async function seedFuzzWorld(t: TestApp): Promise<FuzzWorld> {
  const world = await seedWorld(t, {}, { subdivisionCode: 'IE-D', city: 'Dublin' });
  let lease: string | undefined;
  let prefix = '';
  for (let attempt = 0; attempt < 50 && !lease; attempt++) {
    const block = nextFuzzBlock++;
    prefix = `45.${Math.floor(block / 64) % 256}.${(block % 64) * 4}.0/22`;
    const res = await t.http.post('/api/v1/leases').set(bearer()).send({
      prefix,
      lessorId: world.lessorId,
      startDate: '2025-01-01',
      pricePerIpMonthly: '0.5000',
      currency: 'USD',
      notes: 'fuzz seed',
    });
    if (res.status === 201) lease = res.body.id as string;
    else if (res.status !== 409) throw new Error(`seeding lease failed: ${res.status} ${res.text}`);
  }
  if (!lease) throw new Error('seeding lease failed: no free /22 in 45.0.0.0/8');
  const allocation = await t.http
    .post('/api/v1/allocations')
    .set(bearer())
    .send({
      prefixLength: 26,
      leaseId: lease,
      regionId: world.regionId,
      providerId: world.providerId,
      description: 'fuzz seed',
    })
    .expect(201);
  const apiKey = await t.http
    .post('/api/v1/api-keys')
    .set(bearer())
    .send({ name: unique('fuzz'), role: 'viewer' })
    .expect(201);
  return {
    ids: {
      lessors: [world.lessorId],
      regions: [world.regionId],
      providers: [world.providerId],
      leases: [lease],
      allocations: [allocation.body.id],
      'api-keys': [apiKey.body.id],
    },
    leasePrefixes: [prefix],
  };
}

export async function createLease(
  t: TestApp,
  world: World,
  prefix: string,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const res = await t.http
    .post('/api/v1/leases')
    .set(bearer())
    .send({
      prefix,
      lessorId: world.lessorId,
      startDate: '2025-01-01',
      pricePerIpMonthly: '0.5000',
      currency: 'USD',
      ...overrides,
    })
    .expect(201);
  return res.body.id;
}
