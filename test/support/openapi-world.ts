import type { FuzzWorld } from './openapi-arbitraries';
import { bearer, TestApp } from './test-app';

let serial = 0;
let nextBlock = 0;

/**
 * Creates real entities through the API (lessor, region, provider, a lease with an allocation,
 * a viewer API key) so that fuzzed path parameters and `…Id` fields can also be valid ids.
 * Lease prefixes come from 45.0.0.0/8 in /22 steps, skipping any a fuzzed lease already took.
 */
export async function seedFuzzWorld(t: TestApp): Promise<FuzzWorld> {
  const tag = `${process.pid}-${++serial}`;
  const ok = async (what: string, res: { status: number; text: string; body: { id?: string } }) => {
    if (res.status !== 201 || !res.body.id) throw new Error(`seeding ${what} failed: ${res.status} ${res.text}`);
    return res.body.id;
  };
  const lessor = await ok(
    'lessor',
    await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .send({ name: `Fuzz lessor ${tag}`, rir: 'RIPE' }),
  );
  const region = await ok(
    'region',
    await t.http
      .post('/api/v1/regions')
      .set(bearer())
      .send({ code: `fuzz-${tag}`, name: 'Fuzz region', countryCode: 'IE', subdivisionCode: 'IE-D', city: 'Dublin' }),
  );
  const provider = await ok(
    'provider',
    await t.http
      .post('/api/v1/providers')
      .set(bearer())
      .send({ code: `fuzz-${tag}`, name: 'Fuzz provider' }),
  );

  let lease: string | undefined;
  let prefix = '';
  for (let attempt = 0; attempt < 50 && !lease; attempt++) {
    const block = nextBlock++;
    prefix = `45.${Math.floor(block / 64) % 256}.${(block % 64) * 4}.0/22`;
    const res = await t.http.post('/api/v1/leases').set(bearer()).send({
      prefix,
      lessorId: lessor,
      startDate: '2025-01-01',
      pricePerIpMonthly: '0.5000',
      currency: 'USD',
      notes: 'fuzz seed',
    });
    if (res.status === 201) lease = res.body.id as string;
    else if (res.status !== 409) throw new Error(`seeding lease failed: ${res.status} ${res.text}`);
  }
  if (!lease) throw new Error('seeding lease failed: no free /22 in 45.0.0.0/8');
  const allocation = await ok(
    'allocation',
    await t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ prefixLength: 26, leaseId: lease, regionId: region, providerId: provider, description: 'fuzz seed' }),
  );
  const apiKey = await ok(
    'api key',
    await t.http
      .post('/api/v1/api-keys')
      .set(bearer())
      .send({ name: `fuzz ${tag}`, role: 'viewer' }),
  );

  return {
    ids: {
      lessors: [lessor],
      regions: [region],
      providers: [provider],
      leases: [lease],
      allocations: [allocation],
      'api-keys': [apiKey],
    },
    leasePrefixes: [prefix],
  };
}
