import Decimal from 'decimal.js';

/**
 * Exact decimal arithmetic for currency conversion. 60 significant digits hold every sum and
 * product of amounts (≤ 16 digits) and rates (≤ 24 digits) exactly; only a quotient by a rate is
 * inexact. It is truncated (toward zero) far past the last shown digit, then rounded once, half
 * away from zero (like SQL round()): truncation never crosses a rounding boundary, so the result
 * is the correctly rounded exact quotient.
 */
const Exact = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_DOWN });

/** Decimal places of the fxRate shown on report rows. */
export const FX_RATE_DECIMALS = 10;

/** Units of `to` per 1 unit of `from`, from both currencies' units per 1 EUR (EUR itself is "1"). */
export function crossRate(fromPerEur: string, toPerEur: string): string {
  return new Exact(toPerEur).div(fromPerEur).toFixed(FX_RATE_DECIMALS, Decimal.ROUND_HALF_UP);
}

/** amount × toPerEur ÷ fromPerEur, rounded once to cents (the exact ratio, not the rounded fxRate). */
export function convert(amount: string, fromPerEur: string, toPerEur: string): string {
  return new Exact(amount).times(toPerEur).div(fromPerEur).toFixed(2, Decimal.ROUND_HALF_UP);
}

/** Sum of decimal strings, to cents. */
export function sumCents(values: readonly string[]): string {
  return values.reduce((total, value) => total.plus(value), new Exact(0)).toFixed(2, Decimal.ROUND_HALF_UP);
}

/** a − b, to cents. */
export function minusCents(a: string, b: string): string {
  return new Exact(a).minus(b).toFixed(2, Decimal.ROUND_HALF_UP);
}

/** |variance| ≤ tolerancePercent % of expected (all exact). */
export function withinTolerance(variance: string, expected: string, tolerancePercent: string): boolean {
  return new Exact(variance).abs().lte(new Exact(expected).abs().times(tolerancePercent).div(100));
}

/** -1, 0 or 1. */
export function sign(value: string): number {
  return new Exact(value).cmp(0);
}
