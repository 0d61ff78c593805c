import fc from 'fast-check';
import Decimal from 'decimal.js';
import { parseEcbCsv } from '../../../src/fx/ecb-csv';

/**
 * The ECB parser against the format as published: table-driven cases, and a property: any table
 * of rates (some N/A), written the way ECB writes it (newest day first, trailing comma, CRLF or
 * LF, optional BOM, legacy columns), parses back to exactly the non-N/A cells of the current
 * ISO 4217 columns, each equal in value to what was written.
 */
describe('parseEcbCsv', () => {
  const ok = (text: string) => {
    const result = parseEcbCsv(text);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.value;
  };
  const errors = (text: string) => {
    const result = parseEcbCsv(text);
    if (result.ok) throw new Error('expected a refusal');
    return result.errors;
  };

  it.each([
    ['ECB layout, CRLF', 'Date,USD,JPY,\r\n2026-05-29,1.0823,169.48,\r\n'],
    ['LF and no trailing comma', 'Date,USD,JPY\n2026-05-29,1.0823,169.48\n'],
    ['a BOM', '\uFEFFDate,USD,JPY,\r\n2026-05-29,1.0823,169.48,\r\n'],
    ['spaces around cells', 'Date, USD, JPY,\r\n2026-05-29, 1.0823 , 169.48,\r\n'],
    ['no final newline', 'Date,USD,JPY,\r\n2026-05-29,1.0823,169.48,'],
    ['rows without the trailing comma under a header without one', 'Date,USD,JPY\r\n2026-05-29,1.0823,169.48,\r\n'],
  ])('reads %s', (_name, text) => {
    expect(ok(text).rates).toEqual([
      { date: '2026-05-29', currency: 'USD', perEur: '1.0823' },
      { date: '2026-05-29', currency: 'JPY', perEur: '169.48' },
    ]);
  });

  it('skips N/A cells and legacy columns, and lists those columns', () => {
    const parsed = ok(
      'Date,USD,CYP,HRK,JPY,\r\n2026-05-29,N/A,N/A,7.5,169.48,\r\n2008-01-02,1.4717,0.585274,7.3,165.55,\r\n',
    );
    expect(parsed.skippedCurrencies).toEqual(['CYP', 'HRK']);
    expect(parsed.rates).toEqual([
      { date: '2026-05-29', currency: 'JPY', perEur: '169.48' },
      { date: '2008-01-02', currency: 'USD', perEur: '1.4717' },
      { date: '2008-01-02', currency: 'JPY', perEur: '165.55' },
    ]);
  });

  it.each([
    ['', 'body'],
    ['Date,USD,\r\n', 'body'],
    ['Date,USD,\r\n2026-05-29,N/A,\r\n', 'body'],
    ['Datum,USD,\r\n2026-05-29,1.08,\r\n', 'header'],
    ['Date,USD,USD,\r\n2026-05-29,1.08,1.09,\r\n', 'header'],
    ['Date,EUR,\r\n2026-05-29,1,\r\n', 'header'],
    ['Date,US,\r\n2026-05-29,1.08,\r\n', 'header'],
    ['Date,,USD,\r\n2026-05-29,,1.08,\r\n', 'header'],
    ['Date,USD,\r\n29/05/2026,1.08,\r\n', 'Date'],
    ['Date,USD,\r\n2026-05-29,-1.08,\r\n', 'USD'],
    ['Date,USD,\r\n2026-05-29,1e3,\r\n', 'USD'],
    ['Date,USD,\r\n2026-05-29,1.08.1,\r\n', 'USD'],
    ['Date,USD,\r\n2026-05-29,0,\r\n', 'USD'],
    ['Date,USD,\r\n2026-05-29,1.12345678901,\r\n', 'USD'],
    ['Date,USD,\r\n2026-05-29,NA,\r\n', 'USD'],
    ['Date,USD,\r\n2026-05-29,,\r\n', 'USD'],
    ['Date,USD,\r\n2026-05-29,1.08,1.09,\r\n', 'row'],
    ['Date,USD,\r\n"2026-05-29,1.08,\r\n', 'body'],
  ])('refuses %j (field %s)', (text, field) => {
    expect(errors(text)[0].field).toBe(field);
  });

  it('reports every bad row, numbered from the first row after the header', () => {
    const found = errors('Date,USD,JPY,\r\n2026-05-29,1.08,x,\r\n2026-05-28,1.08,169,\r\n2026-05-27,y,N/A,\r\n');
    expect(found).toEqual([
      { row: 1, field: 'JPY', message: expect.stringMatching(/not a rate/) },
      { row: 3, field: 'USD', message: expect.stringMatching(/not a rate/) },
    ]);
  });

  const CURRENT = ['USD', 'JPY', 'GBP', 'CHF', 'IDR', 'SEK', 'BGN'];
  const LEGACY = ['CYP', 'SIT', 'HRK', 'TRL'];
  /** A rate as ECB might print it: 1 to 14 integer digits (no needless leading zeros), 0 to 10 decimals, > 0. */
  const rate = fc
    .tuple(
      fc.bigInt({ min: 0n, max: 10n ** 14n - 1n }),
      fc.integer({ min: 0, max: 10 }),
      fc.bigInt({ min: 0n, max: 10n ** 10n - 1n }),
    )
    .map(([int, scale, frac]) =>
      scale === 0 ? `${int}` : `${int}.${(frac % 10n ** BigInt(scale)).toString().padStart(scale, '0')}`,
    )
    .filter((text) => new Decimal(text).gt(0));
  const day = fc
    .date({ min: new Date('1999-01-04T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));

  it('property: what ECB writes is what comes back (value for value, N/A left out)', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...CURRENT, ...LEGACY], { minLength: 1 }),
        fc.uniqueArray(day, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        fc.infiniteStream(fc.option(rate, { freq: 4 })),
        (columns, days, crlf, bom, cells) => {
          const eol = crlf ? '\r\n' : '\n';
          const table = days.map((date) => ({ date, values: columns.map(() => cells.next().value as string | null) }));
          const text =
            (bom ? '\uFEFF' : '') +
            [
              `Date,${columns.join(',')},`,
              ...table.map((r) => `${r.date},${r.values.map((v) => v ?? 'N/A').join(',')},`),
            ].join(eol) +
            eol;
          const expected = table.flatMap((r) =>
            r.values.flatMap((v, i) =>
              v !== null && CURRENT.includes(columns[i]) ? [{ date: r.date, currency: columns[i], perEur: v }] : [],
            ),
          );
          const result = parseEcbCsv(text);
          if (!expected.length) return expect(result.ok).toBe(false);
          if (!result.ok) throw new Error(JSON.stringify(result.errors));
          expect(result.value.rates.map((r) => [r.date, r.currency])).toEqual(
            expected.map((r) => [r.date, r.currency]),
          );
          result.value.rates.forEach((r, i) => expect(new Decimal(r.perEur).eq(expected[i].perEur)).toBe(true));
          expect(result.value.skippedCurrencies).toEqual(columns.filter((c) => LEGACY.includes(c)).sort());
        },
      ),
      { numRuns: 300 },
    );
  });
});
