import fc from 'fast-check';
import { parseCanonicalCidr } from '../../../src/ip';
import { AllocationResource, LeaseResource } from '../../../terraform-provider/src/resources/inventory';
import { keepSpelling, planChange, sameDecimal, sameSet } from '../../../terraform-provider/src/schema';
import { canonicalPrefixProblem } from '../../../terraform-provider/src/validate';
import { ObjectValue, UNKNOWN, Value } from '../../../terraform-provider/src/values';

const allocation = new AllocationResource();
const lease = new LeaseResource();
const nulls = (names: string[]) => Object.fromEntries(names.map((n) => [n, null])) as ObjectValue;
const allocationNulls = nulls(allocation.schema.attrs.map((a) => a.name));
const leaseNulls = nulls(lease.schema.attrs.map((a) => a.name));

const allocationConfig: ObjectValue = {
  ...allocationNulls,
  prefix_length: 28,
  lease_id: 'L1',
  region_id: 'R1',
  provider_id: 'P1',
  tags: ['b', 'a'],
};
const allocationState: ObjectValue = {
  ...allocationConfig,
  id: 'A1',
  prefix: '185.1.2.0/28',
  strategy: 'best-fit',
  address_count: 16,
};

describe('plan rules', () => {
  it('create: computed attributes the configuration leaves empty are unknown, configured ones stay', () => {
    const { planned, requiresReplace } = planChange(allocation.schema, null, allocationConfig, allocationConfig);
    expect(planned).toMatchObject({ id: UNKNOWN, prefix: UNKNOWN, strategy: UNKNOWN, address_count: UNKNOWN });
    expect(planned).toMatchObject({ lease_id: 'L1', prefix_length: 28 });
    expect(requiresReplace).toEqual([]);
  });

  it('no change: the plan is the prior state, also when the configuration spells values differently', () => {
    const prior: ObjectValue = {
      ...leaseNulls,
      id: 'X',
      prefix: '185.1.0.0/24',
      price_per_ip_monthly: '0.4500',
      currency: 'USD',
      tags: ['eu', 'prod'],
      status: 'active',
      address_count: 256,
      auto_renew: false,
    };
    const config: ObjectValue = {
      ...leaseNulls,
      prefix: '185.1.0.0/24',
      price_per_ip_monthly: '0.45',
      currency: 'usd',
      tags: ['prod', 'eu'],
    };
    const proposed: ObjectValue = { ...config, id: 'X', status: 'active', address_count: 256, auto_renew: false };
    const { planned, requiresReplace } = planChange(lease.schema, prior, proposed, config);
    expect(planned).toEqual(prior);
    expect(requiresReplace).toEqual([]);
  });

  it('in-place change: volatile computed values become unknown, stable ones are kept, nothing is replaced', () => {
    const prior: ObjectValue = {
      ...leaseNulls,
      id: 'X',
      prefix: '185.1.0.0/24',
      notes: 'a',
      status: 'active',
      address_count: 256,
    };
    const config: ObjectValue = { ...leaseNulls, prefix: '185.1.0.0/24', notes: 'b' };
    const { planned, requiresReplace } = planChange(
      lease.schema,
      prior,
      { ...config, id: 'X', status: 'active', address_count: 256 },
      config,
    );
    expect(planned).toMatchObject({ id: 'X', notes: 'b', status: UNKNOWN, address_count: 256 });
    expect(requiresReplace).toEqual([]);
  });

  it('replacement: changed placement inputs are the requires_replace paths; unknown counts as changed', () => {
    const config = { ...allocationConfig, prefix_length: 27, lease_id: UNKNOWN as Value };
    const proposed = { ...allocationState, prefix_length: 27, lease_id: UNKNOWN as Value };
    const { planned, requiresReplace } = planChange(allocation.schema, allocationState, proposed, config);
    expect(requiresReplace.sort()).toEqual(['lease_id', 'prefix_length']);
    expect(planned.id).toBe(UNKNOWN);
    const moved = { ...allocationConfig, region_id: 'R2' };
    const inPlace = planChange(allocation.schema, allocationState, { ...allocationState, region_id: 'R2' }, moved);
    expect(inPlace.requiresReplace).toEqual([]);
    expect(inPlace.planned).toMatchObject({ id: 'A1', prefix: '185.1.2.0/28', region_id: 'R2' });
  });

  it('after apply and read: the API value, unless the reference says the same thing in another spelling', () => {
    const api = { ...leaseNulls, id: 'X', price_per_ip_monthly: '0.4500', tags: [], currency: 'USD' } as ObjectValue;
    const ref = { ...leaseNulls, id: 'X', price_per_ip_monthly: '0.45', tags: null, currency: 'usd' } as ObjectValue;
    expect(keepSpelling(lease.schema, api, ref)).toMatchObject({
      price_per_ip_monthly: '0.45',
      tags: null,
      currency: 'usd',
    });
    expect(keepSpelling(lease.schema, { ...api, price_per_ip_monthly: '0.5000' }, ref).price_per_ip_monthly).toBe(
      '0.5000',
    );
    expect(keepSpelling(lease.schema, api, null).price_per_ip_monthly).toBe('0.4500');
  });
});

describe('normalisation', () => {
  /** Oracle: a decimal as an exact integer count of 10^-8 units. */
  const units = (s: string) => {
    const [int, frac = ''] = s.split('.');
    return BigInt(int) * 10n ** 8n + BigInt((frac + '00000000').slice(0, 8));
  };
  const decimal = fc
    .tuple(fc.nat({ max: 99999 }), fc.option(fc.stringMatching(/^\d{1,4}$/), { nil: undefined }))
    .map(([i, f]) => (f === undefined ? String(i) : `${i}.${f}`));

  it('decimal strings are equal exactly when their values are (property, exact oracle)', () => {
    fc.assert(
      fc.property(decimal, decimal, fc.nat({ max: 4 }), (a, b, zeros) => {
        const padded = a.includes('.') ? a + '0'.repeat(zeros) : zeros ? `${a}.${'0'.repeat(zeros)}` : a;
        expect(sameDecimal(a, padded)).toBe(true);
        expect(sameDecimal(a, b)).toBe(units(a) === units(b));
      }),
    );
    expect(sameDecimal('0.45', '0.4500')).toBe(true);
    expect(sameDecimal('0.45', '0.405')).toBe(false);
    expect(sameDecimal('0.45', 'abc')).toBe(false);
  });

  it('sets are equal under any order; null and empty are the same', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string()), fc.nat(), (xs, seed) => {
        const shuffled = [...xs].sort((p, q) => ((p + seed).length % 3) - ((q + seed).length % 3) || (p < q ? 1 : -1));
        expect(sameSet(xs, shuffled)).toBe(true);
        if (xs.length > 0) expect(sameSet(xs, xs.slice(1))).toBe(false);
      }),
    );
    expect(sameSet(null, [])).toBe(true);
  });

  it('prefix validation agrees with the API parser and names the canonical form (property)', () => {
    const prefix = fc
      .tuple(fc.array(fc.nat({ max: 300 }), { minLength: 4, maxLength: 4 }), fc.nat({ max: 34 }), fc.boolean())
      .map(([o, len, zero]) => `${o.map((x, i) => (zero && i === 1 ? `0${x}` : String(x))).join('.')}/${len}`);
    fc.assert(
      fc.property(prefix, (p) => {
        expect(canonicalPrefixProblem(p) === undefined).toBe(parseCanonicalCidr(p).ok);
      }),
      { numRuns: 2000 },
    );
    expect(canonicalPrefixProblem('185.10.20.7/24')).toMatch(/did you mean 185\.10\.20\.0\/24\?/);
    expect(canonicalPrefixProblem(UNKNOWN as Value)).toBeUndefined();
  });
});
