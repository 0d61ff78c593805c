import { stringify } from 'csv-stringify/sync';
import * as fc from 'fast-check';
import { csvChunks, neutraliseCell, toCsv } from '../../../src/reports/csv';
import { negotiateFormat } from '../../../src/reports/report-response';
import { daysInMonth } from '../../../src/reports/reports.service';
import { MONTH_PATTERN } from '../../../src/reports/dto/report-query.dto';
import express from 'express';
import type { Request } from 'express';

describe('neutraliseCell', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+SUM(A1:A2)', "'+SUM(A1:A2)"],
    ['-2+3', "'-2+3"],
    ['@cmd', "'@cmd"],
    ['\tTAB', "'\tTAB"],
    ['\rCR', "'\rCR"],
    ['=HYPERLINK("http://evil","x")', `'=HYPERLINK("http://evil","x")`],
    ['-', "'-"],
    ['--1', "'--1"],
    ['-1e3', "'-1e3"],
    // Issue 10, S6: formulas after leading spaces, NBSP, line breaks or a `;`.
    [' =1', "' =1"],
    ['\u00a0=HYPERLINK("http://evil")', '\'\u00a0=HYPERLINK("http://evil")'],
    ['\n=1+1', "'\n=1+1"],
    [';=cmd', "';=cmd"],
    ['  @SUM(A1)', "'  @SUM(A1)"],
  ])('prefixes %p with an apostrophe', (input, expected) => {
    expect(neutraliseCell(input)).toBe(expected);
  });

  it.each([
    ['plain text', 'Lessor A'],
    ['a prefix', '185.10.20.0/22'],
    ['money', '12.34'],
    ['a negative integer', '-30'],
    ['a negative decimal', '-0.50'],
    ['a formula char inside', 'a=b'],
    ['empty', ''],
  ])('leaves %s alone', (_label, input) => {
    expect(neutraliseCell(input)).toBe(input);
  });

  it('writes null and undefined as empty cells and other values as text', () => {
    expect(neutraliseCell(null)).toBe('');
    expect(neutraliseCell(undefined)).toBe('');
    expect(neutraliseCell(true)).toBe('true');
    expect(neutraliseCell(42)).toBe('42');
    expect(neutraliseCell(-7)).toBe('-7');
  });
});

describe('toCsv', () => {
  it('writes the header in the given order, then quoted, neutralised cells, CRLF-terminated', () => {
    const rows = [
      { b: 'x,y', a: '=cmd', c: null },
      { b: 'say "hi"', a: 'line\nbreak', c: 3 },
    ];
    expect(toCsv(['a', 'b', 'c'], rows)).toBe('a,b,c\r\n\'=cmd,"x,y",\r\n"line\nbreak","say ""hi""",3\r\n');
  });

  it('quotes a cell holding a ";" so locales that split on it keep one cell (issue 10, S6)', () => {
    expect(toCsv(['a'], [{ a: 'x;=1+1' }])).toBe('a\r\n"x;=1+1"\r\n');
  });

  it('writes only the header when there are no rows', () => {
    expect(toCsv<{ key: string; cost: string }>(['key', 'cost'], [])).toBe('key,cost\r\n');
  });
});

describe('csvChunks (the streamed CSV)', () => {
  // Oracle: the whole document stringified at once, as before streaming.
  const oneShot = (rows: { a: string; b: string | null }[]) =>
    stringify([['a', 'b'], ...rows.map((r) => [neutraliseCell(r.a), neutraliseCell(r.b)])], {
      record_delimiter: 'windows',
      quoted_match: /[\r\n;]/,
    });

  it('concatenates to exactly the one-shot document, for any rows and chunk size', () => {
    // Rows are quoted by hand: any cell, plain (ids, prefixes, amounts) or not, must give the
    // document csv-stringify writes in one go.
    const cell = fc.oneof(
      fc.string({ unit: fc.constantFrom(...[...'a,"\n\r=-1 é;\t@\'\u2028\x00'], '😀') }),
      fc.string({ unit: fc.constantFrom('a', 'Z', '0', '9', '.', '/', ':', '-', '_') }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ a: cell, b: fc.option(cell, { nil: null }) }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        (rows, rowsPerChunk) => {
          const chunks = [...csvChunks<{ a: string; b: string | null }>(['a', 'b'], rows, rowsPerChunk)];
          expect(chunks.join('')).toBe(oneShot(rows));
          expect(chunks).toHaveLength(1 + Math.ceil(rows.length / rowsPerChunk));
        },
      ),
    );
  });
});

describe('negotiateFormat', () => {
  const req = (accept?: string) =>
    Object.assign(Object.create(express.request), { headers: accept === undefined ? {} : { accept } }) as Request;

  it.each([
    [undefined, undefined, 'json'],
    ['*/*', undefined, 'json'],
    ['application/json', undefined, 'json'],
    ['text/csv', undefined, 'csv'],
    ['text/*', undefined, 'csv'],
    ['text/csv;q=0.4, application/json', undefined, 'json'],
    ['text/html', 'csv', 'csv'],
    ['text/csv', 'json', 'json'],
  ])('Accept %p with format %p → %p', (accept, format, expected) => {
    expect(negotiateFormat(req(accept), format as 'json' | 'csv' | undefined)).toBe(expected);
  });

  it('refuses an Accept it cannot serve with NOT_ACCEPTABLE', () => {
    expect(() => negotiateFormat(req('image/png'), undefined)).toThrow(
      expect.objectContaining({ code: 'NOT_ACCEPTABLE' }),
    );
  });
});

describe('months', () => {
  it.each([
    ['2026-01', 31],
    ['2026-02', 28],
    ['2028-02', 29],
    ['2100-02', 28],
    ['2000-02', 29],
    ['2026-04', 30],
    ['2026-12', 31],
  ])('%s has %d days', (month, days) => {
    expect(daysInMonth(month)).toBe(days);
  });

  it.each(['2026-05', '1900-01', '9999-12'])('accepts %s', (month) => expect(MONTH_PATTERN.test(month)).toBe(true));
  it.each(['2026-13', '2026-00', '2026-5', '1899-12', '26-05', '2026-05-01', ' 2026-05', '2026-05\n'])(
    'refuses %p',
    (month) => expect(MONTH_PATTERN.test(month)).toBe(false),
  );
});
