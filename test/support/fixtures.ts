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
): Promise<World> {
  const lessor = await t.http
    .post('/api/v1/lessors')
    .set(bearer())
    .send({ name: unique('Lessor'), rir: 'RIPE' })
    .expect(201);
  const region = await t.http
    .post('/api/v1/regions')
    .set(bearer())
    .send({ code: unique('eu-west-1'), name: 'Ireland', countryCode: 'IE' })
    .expect(201);
  const prov = await t.http
    .post('/api/v1/providers')
    .set(bearer())
    .send({ code: unique('aws'), name: 'AWS', ...provider })
    .expect(201);
  return { lessorId: lessor.body.id, regionId: region.body.id, providerId: prov.body.id };
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
