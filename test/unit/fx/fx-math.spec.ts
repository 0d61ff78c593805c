import fc from 'fast-check';
import { convert, crossRate, minusCents, sumCents, withinTolerance } from '../../../src/fx/fx-math';

/**
 * The conversion arithmetic against an oracle written here with BigInt fractions: a decimal
 * string is n ÷ 10^k exactly, and rounding half away from zero to d places is done on integers.
 */
type Fraction = { n: bigint; d: bigint };
const frac = (text: string): Fraction => {
  const negative = text.startsWith('-');
  const [int, dec = ''] = text.replace('-', '').split('.');
  const n = BigInt(int + dec) * (negative ? -1n : 1n);
  return { n, d: 10n ** BigInt(dec.length) };
};
const mul = (a: Fraction, b: Fraction): Fraction => ({ n: a.n * b.n, d: a.d * b.d });
const div = (a: Fraction, b: Fraction): Fraction => ({ n: a.n * b.d, d: a.d * b.n });
/** Round half away from zero to `places` decimals, printed with exactly that many. */
const round = (x: Fraction, places: number): string => {
  const scale = 10n ** BigInt(places);
  const negative = x.n < 0n !== x.d < 0n;
  const n = (x.n < 0n ? -x.n : x.n) * scale;
  const d = x.d < 0n ? -x.d : x.d;
  const q = (2n * n + d) / (2n * d);
  const digits = q.toString().padStart(places + 1, '0');
  const text = places ? `${digits.slice(0, -places)}.${digits.slice(-places)}` : digits;
  return negative && q !== 0n ? `-${text}` : text;
};

const decimal = (maxInt: bigint, maxScale: number) =>
  fc
    .tuple(
      fc.bigInt({ min: 0n, max: maxInt }),
      fc.integer({ min: 0, max: maxScale }),
      fc.bigInt({ min: 0n, max: 10n ** BigInt(maxScale) - 1n }),
    )
    .map(([int, scale, f]) =>
      scale === 0 ? `${int}` : `${int}.${(f % 10n ** BigInt(scale)).toString().padStart(scale, '0')}`,
    );
const rate = decimal(10n ** 14n - 1n, 10).filter((r) => frac(r).n > 0n);
const amount = decimal(10n ** 14n - 1n, 2);

describe('fx-math', () => {
  it.each([
    // 256.00 USD in EUR at 1.0823 USD/EUR (docs/reports.md): 236.5333… → 236.53
    ['256.00', '1.0823', '1', '236.53', '0.9239582371'],
    ['25600.00', '169.48', '1', '151.05', '0.0059004012'],
    ['25600.00', '169.48', '1.0823', '163.48', '0.0063860042'],
    // Exactly half a cent rounds away from zero: 0.01 × 0.5 = 0.005 → 0.01
    ['0.01', '2', '1', '0.01', '0.5000000000'],
    ['0.00', '1.0823', '1', '0.00', '0.9239582371'],
  ])('converts %s at %s → %s per EUR: %s (rate %s)', (value, from, to, expected, rateShown) => {
    expect(convert(value, from, to)).toBe(expected);
    expect(crossRate(from, to)).toBe(rateShown);
  });

  it('property: convert is amount × to ÷ from, rounded once to cents (BigInt oracle)', () => {
    fc.assert(
      fc.property(amount, rate, rate, (value, from, to) => {
        expect(convert(value, from, to)).toBe(round(div(mul(frac(value), frac(to)), frac(from)), 2));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: crossRate is to ÷ from rounded to 10 decimals (BigInt oracle)', () => {
    fc.assert(
      fc.property(rate, rate, (from, to) => {
        expect(crossRate(from, to)).toBe(round(div(frac(to), frac(from)), 10));
      }),
      { numRuns: 2000 },
    );
  });

  it('property: sums and differences are exact', () => {
    fc.assert(
      fc.property(fc.array(amount, { maxLength: 20 }), amount, (values, b) => {
        const total = values.reduce((s, v) => s + frac(v).n * (100n / frac(v).d), 0n);
        expect(sumCents(values)).toBe(round({ n: total, d: 100n }, 2));
        const a = sumCents(values);
        expect(minusCents(a, b)).toBe(round({ n: frac(a).n - frac(b).n * (100n / frac(b).d), d: 100n }, 2));
      }),
    );
  });

  it.each([
    ['5.12', '256.00', '1', false],
    ['5.12', '256.00', '2', true],
    ['-5.12', '256.00', '2', true],
    ['-5.13', '256.00', '2', false],
    ['0.00', '0.00', '0', true],
    ['0.01', '0.00', '100', false],
  ])('withinTolerance(variance %s, expected %s, %s %%) = %s', (variance, expected, tolerance, result) => {
    expect(withinTolerance(variance, expected, tolerance)).toBe(result);
  });

  it('property: withinTolerance is |variance| × 100 ≤ tolerance × expected (BigInt oracle)', () => {
    fc.assert(
      fc.property(amount, amount, decimal(100n, 4), fc.boolean(), (v, e, t, negative) => {
        const variance = negative && v !== '0' ? `-${v}` : v;
        const lhs = mul({ n: frac(v).n, d: frac(v).d }, { n: 100n, d: 1n });
        const rhs = mul(frac(t), frac(e));
        const oracle = lhs.n * rhs.d <= rhs.n * lhs.d;
        expect(withinTolerance(variance, e, t)).toBe(oracle);
      }),
    );
  });
});
