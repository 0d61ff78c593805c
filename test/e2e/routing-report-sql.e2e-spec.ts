import fc from 'fast-check';
import { toCsv } from '../../src/reports/csv';
import { ROUTING_COLUMNS, RoutingQuery, RoutingReportDto } from '../../src/routing/dto/routing.dto';
import { RoutingService } from '../../src/routing/routing.service';
import { createLease, seedWorld, World } from '../support/fixtures';
import { bearer, startTestApp, TestApp } from '../support/test-app';

/** The CSV the controller wrote from the report's objects before its cells came from SQL. */
function csvFromObjects(report: RoutingReportDto): string {
  return toCsv(
    ROUTING_COLUMNS,
    report.rows.map((r) => ({
      ...r,
      vrps: r.vrps.map((v) => `AS${v.asn} ${v.prefix} max ${v.maxLength}`).join('; '),
      byoipReady: r.byoipReady === null ? '' : String(r.byoipReady),
      byoipProblems: r.byoipProblems.join('; '),
      listed: r.listed.map((l) => `${l.list} ${l.cidr}${l.ref ? ` ${l.ref}` : ''}`).join('; '),
    })),
  );
}

const vrp = (asn: number, prefix: string, maxLength: number) => ({ asn, prefix, maxLength, ta: 'ripe', expires: 1 });

describe('routing report written by PostgreSQL: the same bytes as the object path', () => {
  let t: TestApp;
  let w: World;
  let service: RoutingService;
  const ids: Record<string, string> = {};
  const allocate = (body: Record<string, unknown>) =>
    t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ regionId: w.regionId, providerId: w.providerId, ...body })
      .expect(201)
      .then((r) => r.body.id as string);
  const provider = (body: Record<string, unknown>) =>
    t.http
      .post('/api/v1/providers')
      .set(bearer())
      .send({ name: 'BYOIP', ...body })
      .expect(201)
      .then((r) => r.body.id as string);

  /** JSON and CSV over HTTP against JSON.stringify and the old CSV of service.report(query). */
  async function expectSameBytes(query: Omit<RoutingQuery, 'format'>): Promise<RoutingReportDto> {
    const report = await service.report(query);
    const json = await t.http.get('/api/v1/reports/routing').query(query).set(bearer()).expect(200);
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json.text).toBe(JSON.stringify(report));
    const csv = await t.http
      .get('/api/v1/reports/routing')
      .query({ ...query, format: 'csv' })
      .set(bearer())
      .expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.text).toBe(csvFromObjects(report));
    return report;
  }

  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t);
    service = t.app.get(RoutingService);
    ids.lease = await createLease(t, w, '185.240.0.0/20');
    ids.otherLease = await createLease(t, w, '185.241.0.0/22');
    ids.aws = await provider({ code: 'aws-byoip', maxPrefixLength: 24, requiredOriginAsns: [16509, 14618] });
    ids.narrow = await provider({
      code: 'narrow',
      minPrefixLength: 26,
      maxPrefixLength: 28,
      requiredOriginAsns: [4199999999, 3356, 16509],
    });
    ids.unused = await provider({ code: 'unused', requiredOriginAsns: [3356] });
  });
  afterAll(() => t.close());

  it('with no VRP snapshot and no allocations', async () => {
    const report = await expectSameBytes({});
    expect(report).toEqual({ rpkiImportedAt: null, rows: [] });
  });

  it('on every RPKI state, BYOIP outcome, listed block and awkward name, with and without filters', async () => {
    await t.http
      .put('/api/v1/rpki/vrps')
      .set(bearer())
      .send({
        roas: [
          vrp(16509, '185.240.0.0/22', 24),
          vrp(14618, '185.240.0.0/24', 24),
          vrp(0, '185.240.4.0/22', 32),
          vrp(8075, '185.240.8.0/22', 22),
          vrp(4199999999, '185.240.0.0/20', 28),
          vrp(3356, '185.240.12.0/24', 26),
          vrp(3356, '185.240.12.0/24', 25),
        ],
      })
      .expect(200);
    ids.valid = await allocate({ prefix: '185.240.0.0/24', originAsn: 16509, providerId: ids.aws });
    ids.tooLong = await allocate({ prefix: '185.240.1.0/25', originAsn: 16509 });
    ids.wrongAs = await allocate({ prefix: '185.240.2.0/24', originAsn: 8075, providerId: ids.aws });
    ids.as0 = await allocate({ prefix: '185.240.4.0/26', originAsn: 16509, providerId: ids.narrow });
    // Outside the provider's range: allocated elsewhere, then moved (the API would refuse it).
    ids.outOfRange = await allocate({ prefix: '185.240.8.0/24', originAsn: 8075 });
    await t.pool.query(`UPDATE allocations SET provider_id = $2 WHERE id = $1`, [ids.outOfRange, ids.narrow]);
    ids.narrowValid = await allocate({ prefix: '185.240.12.0/26', originAsn: 3356, providerId: ids.narrow });
    ids.bigAsn = await allocate({ prefix: '185.240.14.0/28', originAsn: 4199999999, providerId: ids.narrow });
    ids.noOrigin = await allocate({ prefix: '185.240.13.0/24', providerId: ids.aws });
    ids.notFound = await allocate({ prefix: '185.241.0.0/24', leaseId: ids.otherLease, originAsn: 16509 });
    ids.released = await allocate({ prefix: '185.241.1.0/24', originAsn: 16509 });
    await t.http.delete(`/api/v1/allocations/${ids.released}`).set(bearer()).expect(204);

    // Names a JSON writer must escape (quote, backslash, control characters) or must not (non-ASCII,
    // U+2028), a CSV writer must quote or neutralise; the control characters go straight into the table.
    const names: [string, string][] = [
      [ids.valid, 'Quote " back \\ slash é 😀 \u2028 ok'],
      [ids.tooLong, '=HYPERLINK("x")'],
      [ids.wrongAs, 'comma, semi; colon'],
      [ids.as0, ' -1+2'],
    ];
    for (const [id, name] of names) await t.pool.query(`UPDATE allocations SET name = $2 WHERE id = $1`, [id, name]);
    await t.pool.query(`UPDATE allocations SET name = E'tab\\t nl\\n cr\\r bell\\x07 us\\x1f del\\x7f' WHERE id = $1`, [
      ids.narrowValid,
    ]);
    // Listed blocks: with a reference that needs escaping, without one (NULL), with an empty one.
    await t.pool.query(
      `INSERT INTO reputation_lists (name, format, imported_at, entries, skipped)
       VALUES ('drop-a', 'spamhaus-drop-text', now(), 2, 0), ('drop-b', 'spamhaus-drop-text', now(), 1, 0)`,
    );
    await t.pool.query(
      `INSERT INTO reputation_entries (list_name, cidr, ref)
       VALUES ('drop-a', '185.240.12.0/22', 'SBL"1\\é'), ('drop-a', '185.240.2.0/23', NULL), ('drop-b', '185.240.12.0/24', '')`,
    );

    const all = await expectSameBytes({});
    const row = (id: string) => all.rows.find((r) => r.key === id);
    // The dataset holds what the comparison is meant to cover.
    expect(all.rows.map((r) => r.rpkiState).sort()).toEqual(
      expect.arrayContaining(['valid', 'invalid', 'not-found', 'unknown-origin']),
    );
    expect(row(ids.tooLong)?.invalidReason).toBe('length');
    expect(row(ids.as0)?.invalidReason).toBe('as');
    expect(row(ids.valid)?.byoipReady).toBe(true);
    expect(row(ids.tooLong)?.byoipReady).toBeNull();
    expect(row(ids.outOfRange)?.byoipProblems).toHaveLength(3);
    expect(row(ids.bigAsn)?.originAsn).toBe(4199999999);
    expect(row(ids.narrowValid)?.listed).toHaveLength(2);
    expect(row(ids.wrongAs)?.listed).toEqual([{ list: 'drop-a', cidr: '185.240.2.0/23', ref: null }]);
    expect(row(ids.released)).toBeUndefined();

    for (const query of [
      { leaseId: ids.lease },
      { leaseId: ids.otherLease },
      { providerId: ids.aws },
      { providerId: ids.narrow, leaseId: ids.lease },
      { providerId: ids.unused },
    ]) {
      await expectSameBytes(query);
    }
  });

  it('property: random VRPs, BYOIP providers (duplicate ASNs too), origins and names give the same bytes', async () => {
    const allocationIds = (
      await t.pool.query<{ id: string }>(`SELECT id FROM allocations WHERE status = 'active' ORDER BY seq`)
    ).rows.map((r) => r.id);
    // The allocations of the test above, in both leases, /24 to /28.
    expect(allocationIds.length).toBe(9);
    const providerIds = [ids.aws, ids.narrow, ids.unused, w.providerId];
    const asn = fc.constantFrom(16509, 14618, 3356, 4199999999);
    const vrpArb = fc
      .record({ offset: fc.integer({ min: 0, max: 4095 }), length: fc.integer({ min: 16, max: 32 }), extra: fc.nat(8) })
      .chain(({ offset, length, extra }) =>
        fc.record({
          prefix: fc.constant(`185.240.${offset >> 8}.${offset & 255}/${length}`),
          length: fc.constant(length),
          maxLength: fc.constant(Math.min(32, length + extra)),
          asn: fc.oneof(asn, fc.constant(0)),
        }),
      );
    const providerArb = fc
      .record({
        a: fc.integer({ min: 20, max: 32 }),
        b: fc.integer({ min: 20, max: 32 }),
        required: fc.array(asn, { maxLength: 4 }),
      })
      .map(({ a, b, required }) => ({ min: Math.min(a, b), max: Math.max(a, b), required }));
    const nameArb = fc.option(
      fc.string({
        unit: fc.constantFrom(
          'a',
          ' ',
          '"',
          '\\',
          'é',
          '😀',
          '\u2028',
          '\n',
          '\r',
          '\t',
          '\x1f',
          '\x7f',
          ';',
          ',',
          '=',
          '-',
        ),
        maxLength: 12,
      }),
    );
    const rowArb = fc.record({ provider: fc.nat(providerIds.length - 1), origin: fc.option(asn), name: nameArb });
    await fc.assert(
      fc.asyncProperty(
        fc.array(vrpArb, { maxLength: 12 }),
        fc.array(providerArb, { minLength: providerIds.length, maxLength: providerIds.length }),
        fc.array(rowArb, { minLength: allocationIds.length, maxLength: allocationIds.length }),
        async (vrps, providers, rows) => {
          await t.pool.query(`DELETE FROM rpki_vrps`);
          await t.pool.query(
            `INSERT INTO rpki_vrps (prefix, max_length, asn)
             SELECT DISTINCT network(p::inet)::cidr, m, a FROM unnest($1::text[], $2::smallint[], $3::bigint[]) AS x(p, m, a)`,
            [vrps.map((v) => v.prefix), vrps.map((v) => v.maxLength), vrps.map((v) => v.asn)],
          );
          for (const [i, p] of providers.entries()) {
            await t.pool.query(
              `UPDATE providers SET min_prefix_length = $2, max_prefix_length = $3, required_origin_asns = $4 WHERE id = $1`,
              [providerIds[i], p.min, p.max, p.required],
            );
          }
          for (const [i, r] of rows.entries()) {
            await t.pool.query(`UPDATE allocations SET provider_id = $2, origin_asn = $3, name = $4 WHERE id = $1`, [
              allocationIds[i],
              providerIds[r.provider],
              r.origin,
              r.name === null ? null : `${r.name}#${i}`, // names are unique among active allocations
            ]);
          }
          for (const query of [{}, { providerId: ids.narrow }]) {
            const report = await service.report(query);
            expect(await service.reportJson(query)).toBe(JSON.stringify(report));
            expect(toCsv(ROUTING_COLUMNS, await service.reportCsvCells(query))).toBe(csvFromObjects(report));
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
