import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import * as currencyCodes from 'currency-codes';

/**
 * ISO 4217 "list one" entries that are not money anyone invoices in: precious metals, bond-market
 * units, the testing code and "no currency" (XAU, XAG, XPD, XPT, XBA–XBD, XTS, XXX). The
 * published list marks them with a pseudo-country "ZZnn_…" instead of real countries.
 */
const NOT_MONEY = /^zz\d\d_/i;

const CURRENCIES: ReadonlySet<string> = new Set(
  currencyCodes.data
    .filter((entry) => !entry.countries.some((country) => NOT_MONEY.test(country)))
    .map((entry) => entry.code),
);

/** Date of the ISO 4217 list the check uses (from the currency-codes package). */
export const ISO_4217_LIST_DATE: string = currencyCodes.publishDate;

/** A current ISO 4217 currency (upper case, exact): "USD", "EUR", "JPY"; not "XXX", "XAU" or "usd". */
export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && CURRENCIES.has(value);
}

export const CURRENCY_MESSAGE = 'must be a current ISO 4217 currency code in upper case, like USD or EUR';

/** class-validator decorator over isCurrencyCode; the message names the field. */
export function IsCurrencyCode(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isCurrencyCode',
      target: object.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => isCurrencyCode(value),
        defaultMessage: (args: ValidationArguments) => `${args.property} ${CURRENCY_MESSAGE}`,
      },
    });
}
