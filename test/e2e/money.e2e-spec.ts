import * as fs from 'node:fs';
import * as path from 'node:path';
import { AUDIT_ENTITY_TYPES } from '../../src/audit/entity-types';
import { bearer, startTestApp, TestApp } from '../support/test-app';

/**
 * Reporting currency and invoice reconciliation, with figures checked by hand (docs/reports.md):
 *
 * - 185.30.0.0/24 at 1.0000 USD a month, all of May 2026: 256.00 USD. May 31 is a Sunday, so the
 *   rate is ECB's of Friday May 29: 1.0823 USD per EUR. fxRate USD→EUR = 1 ÷ 1.0823 =
 *   0.92395823708… → 0.9239582371; 256 ÷ 1.0823 = 236.5333… → 236.53 EUR.
 * - 185.30.1.0/24 at 100.0000 JPY: 25600.00 JPY; ÷ 169.48 = 151.0502… → 151.05 EUR.
 *   Totals: 236.53 + 151.05 = 387.58 EUR.
 * - An invoice of 261.12 USD for the USD lease is 2 % over 256.00: over at 1 %, matched at 2 %.
 */
describe('money: FX rates, reporting currency, invoices and reconciliation', () => {
  let t: TestApp;
  let lessorId: string;
  let usdLease: string;
  let jpyLease: string;
  let finance: string;
  let engineer: string;
  const sample = fs.readFileSync(path.join(__dirname, '../fixtures/eurofxref-hist-sample.csv'), 'utf8');
  const count = async (table: string) =>
    Number((await t.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  const monthlyCost = (query: Record<string, string>) =>
    t.http.get('/api/v1/reports/monthly-cost').query(query).set(bearer(finance));

  beforeAll(async () => {
    t = await startTestApp();
    finance = await t.keyFor('finance');
    engineer = await t.keyFor('engineer');
    lessorId = (
      await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Money Lessor', rir: 'RIPE' }).expect(201)
    ).body.id;
    const lease = async (prefix: string, pricePerIpMonthly: string, currency: string) =>
      (
        await t.http
          .post('/api/v1/leases')
          .set(bearer())
          .send({ prefix, lessorId, startDate: '2026-01-01', pricePerIpMonthly, currency })
          .expect(201)
      ).body.id as string;
    usdLease = await lease('185.30.0.0/24', '1.0000', 'USD');
    jpyLease = await lease('185.30.1.0/24', '100.0000', 'JPY');
  });
  afterAll(() => t?.close());

  describe('PUT /fx-rates', () => {
    it('imports the ECB history CSV as published (trailing comma, N/A, CRLF, legacy columns skipped)', async () => {
      expect(sample).toMatch(/^Date,USD,JPY,.*,\r\n/);
      const res = await t.http
        .put('/api/v1/fx-rates')
        .set(bearer(finance))
        .set('Content-Type', 'text/csv')
        .send(sample)
        .expect(200);
      // 6 rows × 30 current currencies (41 columns − 11 legacy or N/A ones: CYP EEK LTL LVL MTL ROL SIT SKK HRK TRL, RUB all N/A).
      expect(res.body).toMatchObject({
        imported: 6 * 30,
        changed: 6 * 30,
        from: '2026-03-23',
        to: '2026-05-29',
        skippedCurrencies: ['CYP', 'EEK', 'HRK', 'LTL', 'LVL', 'MTL', 'ROL', 'SIT', 'SKK', 'TRL'],
      });
      expect(res.body.currencies).toHaveLength(30);
      expect(res.body.currencies).not.toContain('RUB');
      expect(await count('fx_rates')).toBe(180);
    });

    it('audits each import as entityType fx_rate, which the audit filter finds (finance may read the trail)', async () => {
      const trail = await t.http
        .get('/api/v1/audit-events')
        .query({ entityType: 'fx_rate' })
        .set(bearer(finance))
        .expect(200);
      expect(trail.body.items).toEqual([
        expect.objectContaining({
          action: 'create',
          entityType: 'fx_rate',
          after: expect.objectContaining({ imported: 180 }),
        }),
      ]);
    });

    it('is an upsert: the same file again changes nothing, a corrected rate replaces the old one', async () => {
      const again = await t.http
        .put('/api/v1/fx-rates')
        .set(bearer(finance))
        .set('Content-Type', 'text/csv')
        .send(sample)
        .expect(200);
      expect(again.body).toMatchObject({ imported: 180, changed: 0 });
      const fixed = await t.http
        .put('/api/v1/fx-rates')
        .set(bearer(finance))
        .send({ rates: [{ date: '2026-05-28', currency: 'USD', perEur: '1.0816' }] })
        .expect(200);
      expect(fixed.body).toEqual({
        imported: 1,
        changed: 1,
        currencies: ['USD'],
        from: '2026-05-28',
        to: '2026-05-28',
        skippedCurrencies: [],
      });
      expect(await count('fx_rates')).toBe(180);
      const listed = await t.http
        .get('/api/v1/fx-rates')
        .query({ currency: 'USD', from: '2026-05-01', to: '2026-05-31' })
        .set(bearer(finance))
        .expect(200);
      expect(listed.body).toEqual({
        items: [
          { date: '2026-05-27', currency: 'USD', perEur: '1.0783000000' },
          { date: '2026-05-28', currency: 'USD', perEur: '1.0816000000' },
          { date: '2026-05-29', currency: 'USD', perEur: '1.0823000000' },
        ],
        nextCursor: null,
      });
    });

    // Found by the fuzzer (seed-dependent): a nested array passed class-validator and crashed the import (500).
    it('refuses lists of lists where rates and invoice lines belong, writing nothing', async () => {
      const rates = await count('fx_rates');
      for (const body of [{ rates: [[]] }, { rates: [[{ date: '2026-05-29', currency: 'USD', perEur: '1.1' }]] }]) {
        const res = await t.http.put('/api/v1/fx-rates').set(bearer(finance)).send(body).expect(400);
        expect(res.body.errors[0]).toMatchObject({ field: 'rates', message: expect.stringContaining('object') });
      }
      expect(await count('fx_rates')).toBe(rates);
      const invoices = await count('invoices');
      const res = await t.http
        .post('/api/v1/invoices')
        .set(bearer(finance))
        .send({ lessorId, invoiceNumber: 'NESTED-1', month: '2026-05', currency: 'USD', lines: [[]] })
        .expect(400);
      expect(res.body.errors[0]).toMatchObject({ field: 'lines', message: expect.stringContaining('object') });
      expect(await count('invoices')).toBe(invoices);
    });

    it('pages the list with a cursor', async () => {
      const first = await t.http.get('/api/v1/fx-rates').query({ limit: 100 }).set(bearer(finance)).expect(200);
      expect(first.body.items).toHaveLength(100);
      const second = await t.http
        .get('/api/v1/fx-rates')
        .query({ limit: 100, cursor: first.body.nextCursor })
        .set(bearer(finance))
        .expect(200);
      expect(second.body.items).toHaveLength(80);
      expect(second.body.nextCursor).toBeNull();
      expect(second.body.items[0].date >= first.body.items[99].date).toBe(true);
    });

    it.each([
      ['a bad rate', 'Date,USD,JPY,\r\n2026-06-01,1.08x,169.1,\r\n', 1, 'USD', /not a rate/],
      ['a zero rate', 'Date,USD,\r\n2026-06-01,0.0000,\r\n', 1, 'USD', /greater than zero/],
      ['a bad date', 'Date,USD,\r\n2026-06-01,1.08,\r\n2026-02-30,1.09,\r\n', 2, 'Date', /calendar date/],
      ['a repeated date', 'Date,USD,\r\n2026-06-01,1.08,\r\n2026-06-01,1.09,\r\n', 2, 'Date', /row 1/],
      ['a short row', 'Date,USD,JPY,\r\n2026-06-01,1.08,\r\n', 1, 'row', /cells/],
      ['an empty cell', 'Date,USD,JPY\r\n2026-06-01,,169.1\r\n', 1, 'USD', /N\/A/],
    ])('refuses %s naming the row, and imports nothing', async (_name, body, row, field, message) => {
      const before = await count('fx_rates');
      const res = await t.http
        .put('/api/v1/fx-rates')
        .set(bearer(finance))
        .set('Content-Type', 'text/csv')
        .send(body)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors[0]).toMatchObject({ row, field, message: expect.stringMatching(message) });
      expect(await count('fx_rates')).toBe(before);
    });

    it.each([
      ['EUR as a column', 'Date,EUR,USD,\r\n2026-06-01,1,1.08,\r\n', /EUR is the base/],
      ['a header without Date', 'Day,USD,\r\n2026-06-01,1.08,\r\n', /Date/],
      ['a lower-case code', 'Date,usd,\r\n2026-06-01,1.08,\r\n', /three capital letters/],
    ])('refuses %s in the header', async (_name, body, message) => {
      const res = await t.http
        .put('/api/v1/fx-rates')
        .set(bearer(finance))
        .set('Content-Type', 'text/csv')
        .send(body)
        .expect(400);
      expect(res.body.errors[0]).toMatchObject({ field: 'header', message: expect.stringMatching(message) });
    });

    it.each([
      [{ rates: [{ date: '2026-06-01', currency: 'XAU', perEur: '0.0004' }] }, 'rates.0.currency'],
      [{ rates: [{ date: '2026-06-01', currency: 'XXX', perEur: '1' }] }, 'rates.0.currency'],
      [{ rates: [{ date: '2026-06-01', currency: 'EUR', perEur: '1' }] }, 'rates.0.currency'],
      [{ rates: [{ date: '2026-06-01', currency: 'USD', perEur: 1.08 }] }, 'rates.0.perEur'],
      [{ rates: [{ date: '2026-06-31', currency: 'USD', perEur: '1.08' }] }, 'rates.0.date'],
      [{ rates: [] }, 'rates'],
      [
        {
          rates: [
            { date: '2026-06-01', currency: 'USD', perEur: '1.08' },
            { date: '2026-06-01', currency: 'USD', perEur: '1.09' },
          ],
        },
        'rates.1',
      ],
    ])('refuses JSON %j naming %s', async (body, field) => {
      const before = await count('fx_rates');
      const res = await t.http.put('/api/v1/fx-rates').set(bearer(finance)).send(body).expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await count('fx_rates')).toBe(before);
    });

    it('belongs to finance and admin: an engineer gets 403', async () => {
      await t.http
        .put('/api/v1/fx-rates')
        .set(bearer(engineer))
        .send({ rates: [{ date: '2026-06-01', currency: 'USD', perEur: '1.08' }] })
        .expect(403);
      await t.http.get('/api/v1/fx-rates').set(bearer(engineer)).expect(403);
    });
  });

  describe('monthly cost in a reporting currency', () => {
    it('USD lease reported in EUR from an ECB sample (May 31 is a Sunday: Friday the 29th applies)', async () => {
      const res = await monthlyCost({ month: '2026-05', groupBy: 'lease', reportingCurrency: 'EUR' }).expect(200);
      expect(res.body.reportingCurrency).toBe('EUR');
      const usd = res.body.rows.find((r: { key: string }) => r.key === usdLease);
      expect(usd).toMatchObject({
        currency: 'USD',
        cost: '256.00',
        fxRate: '0.9239582371',
        fxRateDate: '2026-05-29',
        costReporting: '236.53',
        allocatedCostReporting: '0.00',
        idleCostReporting: '236.53',
      });
      const jpy = res.body.rows.find((r: { key: string }) => r.key === jpyLease);
      expect(jpy).toMatchObject({
        currency: 'JPY',
        cost: '25600.00',
        fxRateDate: '2026-05-29',
        costReporting: '151.05',
      });
      expect(res.body.totals).toEqual({
        reportingCurrency: 'EUR',
        cost: '387.58',
        allocatedCost: '0.00',
        idleCost: '387.58',
      });
    });

    it('crosses through EUR: JPY in USD = 1.0823 ÷ 169.48', async () => {
      const res = await monthlyCost({ month: '2026-05', groupBy: 'lease', reportingCurrency: 'USD' }).expect(200);
      const jpy = res.body.rows.find((r: { key: string }) => r.key === jpyLease);
      const usd = res.body.rows.find((r: { key: string }) => r.key === usdLease);
      // 1.0823 ÷ 169.48 = 0.00638600424828…; 25600 × 1.0823 ÷ 169.48 = 163.4817… → 163.48
      expect(jpy).toMatchObject({ fxRate: '0.0063860042', costReporting: '163.48' });
      expect(usd).toMatchObject({ fxRate: '1.0000000000', fxRateDate: null, costReporting: '256.00' });
      expect(res.body.totals.cost).toBe('419.48');
    });

    it('serves the same as CSV, with the rate and converted columns after the usual ones', async () => {
      const res = await monthlyCost({
        month: '2026-05',
        groupBy: 'lease',
        reportingCurrency: 'EUR',
        format: 'csv',
      }).expect(200);
      const [header, ...lines] = res.text.trim().split('\r\n');
      expect(header).toBe(
        'key,label,currency,addresses,cost,allocatedAddresses,allocatedCost,idleAddresses,idleCost,fxRate,fxRateDate,costReporting,allocatedCostReporting,idleCostReporting',
      );
      expect(lines).toContain(
        `${usdLease},185.30.0.0/24,USD,256.00,256.00,0.00,0.00,256.00,256.00,0.9239582371,2026-05-29,236.53,0.00,236.53`,
      );
    });

    it('uses a rate up to 7 days before month end, and answers 422 FX_RATE_MISSING at 8', async () => {
      // March 31: the sample's last March rate is the 23rd, 8 days earlier.
      const missing = await monthlyCost({ month: '2026-03', groupBy: 'lease', reportingCurrency: 'EUR' }).expect(422);
      expect(missing.body.code).toBe('FX_RATE_MISSING');
      expect(missing.body.detail).toMatch(/JPY, USD on 2026-03-31/);
      await t.http
        .put('/api/v1/fx-rates')
        .set(bearer(finance))
        .send({
          rates: [
            { date: '2026-03-24', currency: 'USD', perEur: '1.0800' },
            { date: '2026-03-24', currency: 'JPY', perEur: '160.00' },
          ],
        })
        .expect(200);
      const res = await monthlyCost({ month: '2026-03', groupBy: 'lease', reportingCurrency: 'EUR' }).expect(200);
      const usd = res.body.rows.find((r: { key: string }) => r.key === usdLease);
      // 256 ÷ 1.08 = 237.037… → 237.04
      expect(usd).toMatchObject({ fxRateDate: '2026-03-24', costReporting: '237.04' });
    });

    it('names only the missing currency when one leg exists', async () => {
      await t.http
        .put('/api/v1/fx-rates')
        .set(bearer(finance))
        .send({ rates: [{ date: '2026-02-27', currency: 'USD', perEur: '1.0700' }] })
        .expect(200);
      const res = await monthlyCost({ month: '2026-02', groupBy: 'lessor', reportingCurrency: 'EUR' }).expect(422);
      expect(res.body.detail).toMatch(/^No ECB rate for JPY on 2026-02-28/);
    });

    it('refuses a reporting currency that is not ISO 4217 money', async () => {
      for (const code of ['XXX', 'XAU', 'usd', 'EURO']) {
        const res = await monthlyCost({ month: '2026-05', reportingCurrency: code }).expect(400);
        expect(res.body.errors[0].field).toBe('reportingCurrency');
      }
    });

    it('leaves the report as it was without reportingCurrency', async () => {
      const res = await monthlyCost({ month: '2026-05', groupBy: 'lease' }).expect(200);
      expect(res.body.totals).toBeUndefined();
      expect(res.body.rows[0].fxRate).toBeUndefined();
    });
  });

  describe('invoices and reconciliation', () => {
    const reconcile = (query: Record<string, string>) =>
      t.http.get('/api/v1/reports/reconciliation').query(query).set(bearer(finance));

    it('records an invoice and refuses its number twice for the same lessor', async () => {
      const body = {
        lessorId,
        invoiceNumber: 'ML-2026-05',
        month: '2026-05',
        currency: 'USD',
        lines: [
          { prefix: '185.30.0.0/24', amount: '261.12' },
          { prefix: '185.99.0.0/24', amount: '10.00' },
        ],
      };
      const created = await t.http.post('/api/v1/invoices').set(bearer(finance)).send(body).expect(201);
      expect(created.body).toMatchObject({ lessorId, invoiceNumber: 'ML-2026-05', month: '2026-05', total: '271.12' });
      const again = await t.http.post('/api/v1/invoices').set(bearer(finance)).send(body).expect(409);
      expect(again.body.code).toBe('ALREADY_EXISTS');
      const listed = await t.http.get('/api/v1/invoices').query({ month: '2026-05' }).set(bearer(finance)).expect(200);
      expect(listed.body.items).toHaveLength(1);
      expect(listed.body.items[0].lines).toEqual(body.lines);
    });

    it('an invoice 2 % over with a 1 % tolerance is over; with 2 % it matches', async () => {
      const at1 = await reconcile({ month: '2026-05', tolerancePercent: '1' }).expect(200);
      expect(at1.body.rows).toEqual([
        {
          key: usdLease,
          label: '185.30.0.0/24',
          lessorId,
          lessor: 'Money Lessor',
          currency: 'USD',
          expected: '256.00',
          invoiced: '261.12',
          variance: '5.12',
          status: 'over',
          invoiceNumbers: 'ML-2026-05',
        },
        {
          key: jpyLease,
          label: '185.30.1.0/24',
          lessorId,
          lessor: 'Money Lessor',
          currency: 'JPY',
          expected: '25600.00',
          invoiced: '0.00',
          variance: '-25600.00',
          status: 'not-invoiced',
          invoiceNumbers: '',
        },
        expect.objectContaining({ label: '185.99.0.0/24', expected: '0.00', invoiced: '10.00', status: 'unexpected' }),
      ]);
      const at2 = await reconcile({ month: '2026-05', tolerancePercent: '2' }).expect(200);
      expect(at2.body.rows[0]).toMatchObject({ status: 'matched', variance: '5.12' });
    });

    it('takes its expected figures from the monthly-cost report itself', async () => {
      const cost = await monthlyCost({ month: '2026-05', groupBy: 'lease' }).expect(200);
      const rec = await reconcile({ month: '2026-05' }).expect(200);
      for (const row of cost.body.rows)
        expect(rec.body.rows.find((r: { key: string }) => r.key === row.key)?.expected).toBe(row.cost);
    });

    it('serves CSV like every report', async () => {
      const res = await reconcile({ month: '2026-05', tolerancePercent: '1', format: 'csv' }).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const [header, first] = res.text.split('\r\n');
      expect(header).toBe('key,label,lessorId,lessor,currency,expected,invoiced,variance,status,invoiceNumbers');
      expect(first).toBe(`${usdLease},185.30.0.0/24,${lessorId},Money Lessor,USD,256.00,261.12,5.12,over,ML-2026-05`);
    });

    it('imports CSV all or nothing: bad rows are named and nothing is written', async () => {
      const [invoicesBefore, linesBefore] = [await count('invoices'), await count('invoice_lines')];
      const bad = [
        'lessor,invoiceNumber,month,prefix,amount,currency',
        'Money Lessor,ML-2026-04,2026-04,185.30.0.0/24,256.00,USD',
        'Money Lessor,ML-2026-04,2026-04,185.30.1.7/24,100.00,USD',
        'Nobody Ltd,NB-1,2026-04,185.30.1.0/24,25600,JPY',
        'Money Lessor,ML-2026-04b,2026-04,185.30.1.0/24,12.345,JPY',
      ].join('\r\n');
      const res = await t.http
        .post('/api/v1/invoices/import')
        .set(bearer(finance))
        .set('Content-Type', 'text/csv')
        .send(bad)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors).toEqual([
        { row: 2, field: 'prefix', message: expect.stringMatching(/did you mean 185.30.1.0\/24/) },
        { row: 3, field: 'lessor', message: 'no lessor is named "Nobody Ltd"' },
        { row: 4, field: 'amount', message: expect.stringMatching(/up to 2 decimals/) },
      ]);
      expect([await count('invoices'), await count('invoice_lines')]).toEqual([invoicesBefore, linesBefore]);

      const good = [
        'lessor,invoiceNumber,month,prefix,amount,currency',
        'money lessor,ML-2026-04,2026-04,185.30.0.0/24,256.00,USD',
        'Money Lessor,ML-2026-04-JPY,2026-04,185.30.1.0/24,25600.00,JPY',
      ].join('\n');
      const ok = await t.http
        .post('/api/v1/invoices/import')
        .set(bearer(finance))
        .set('Content-Type', 'text/csv')
        .send(good)
        .expect(201);
      expect(ok.body).toMatchObject({ invoices: 2, lines: 2 });
      expect([await count('invoices'), await count('invoice_lines')]).toEqual([invoicesBefore + 2, linesBefore + 2]);
      const april = await reconcile({ month: '2026-04' }).expect(200);
      expect(april.body.rows.map((r: { status: string }) => r.status)).toEqual(['matched', 'matched']);

      // The same file again: every invoice number exists, so nothing is written.
      const replay = await t.http
        .post('/api/v1/invoices/import')
        .set(bearer(finance))
        .set('Content-Type', 'text/csv')
        .send(good)
        .expect(400);
      expect(replay.body.errors.map((e: { row: number }) => e.row)).toEqual([1, 2]);
      expect([await count('invoices'), await count('invoice_lines')]).toEqual([invoicesBefore + 2, linesBefore + 2]);
    });

    it('refuses a wrong header, and JSON on the CSV import', async () => {
      const res = await t.http
        .post('/api/v1/invoices/import')
        .set(bearer(finance))
        .set('Content-Type', 'text/csv')
        .send('lessor,number,month,prefix,amount,currency\r\nx,1,2026-05,185.30.0.0/24,1,USD\r\n')
        .expect(400);
      expect(res.body.errors[0]).toMatchObject({ field: 'header', message: expect.stringMatching(/unknown: number/) });
      await t.http.post('/api/v1/invoices/import').set(bearer(finance)).send({ rows: [] }).expect(400);
    });

    it('belongs to finance and admin: an engineer gets 403 on writes and reads', async () => {
      await t.http
        .post('/api/v1/invoices')
        .set(bearer(engineer))
        .send({
          lessorId,
          invoiceNumber: 'E-1',
          month: '2026-05',
          currency: 'USD',
          lines: [{ prefix: '185.30.0.0/24', amount: '1.00' }],
        })
        .expect(403);
      await t.http.get('/api/v1/invoices').set(bearer(engineer)).expect(403);
      await reconcile({ month: '2026-05' }).set(bearer(engineer)).expect(403);
    });
  });

  it('wrote every audit entityType in one spelling style: snake_case singular, from AUDIT_ENTITY_TYPES', async () => {
    const written = (
      await t.pool.query<{ entity_type: string }>(`SELECT DISTINCT entity_type FROM audit_events ORDER BY 1`)
    ).rows.map((r) => r.entity_type);
    // This file writes lessors, leases, FX rate imports and invoices (and API keys through keyFor).
    expect(written).toEqual(expect.arrayContaining(['fx_rate', 'invoice', 'lease', 'lessor']));
    for (const type of written) {
      expect(type).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(AUDIT_ENTITY_TYPES).toContain(type);
    }
  });
});
