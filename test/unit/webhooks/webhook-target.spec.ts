import fc from 'fast-check';
import { checkUrlShape, specialPurposeReason } from '../../../src/webhooks/webhook-target';
import { signWebhook } from '../../../src/webhooks/webhook-signature';
import { typeMatches } from '../../../src/events/event-types';
import { Webhook } from 'standardwebhooks';

/**
 * Oracle written from RFC 6890 / the IANA IPv4 registries as address ranges (first, last), with
 * plain arithmetic, independent of src/ip.
 */
const V4_SPECIAL: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.31.196.0', 24],
  ['192.52.193.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['192.175.48.0', 24],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const toNumber = (dotted: string) => dotted.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const oracleIsSpecial = (address: number) =>
  V4_SPECIAL.some(([base, length]) => {
    const first = toNumber(base);
    return address >= first && address < first + 2 ** (32 - length);
  });
const dotted = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

describe('webhook target checks', () => {
  it('refuses exactly the IPv4 special-purpose space (property, against the oracle)', () => {
    const interesting = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.constantFrom(...V4_SPECIAL).chain(([base, length]) => {
        const first = toNumber(base);
        const last = first + 2 ** (32 - length) - 1;
        return fc.constantFrom(first - 1, first, last, last + 1).filter((n) => n >= 0 && n < 2 ** 32);
      }),
    );
    fc.assert(
      fc.property(interesting, (n) => {
        const address = dotted(n);
        expect(specialPurposeReason(address) !== undefined).toBe(oracleIsSpecial(n));
        // The IPv4-mapped IPv6 form is judged by the IPv4 address inside it.
        expect(specialPurposeReason(`::ffff:${address}`) !== undefined).toBe(oracleIsSpecial(n));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['::1', true],
    ['::', true],
    ['fe80::1', true],
    ['fc00::1', true],
    ['fd12:3456::1', true],
    ['ff02::1', true],
    ['2001:db8::1', true],
    ['64:ff9b::7f00:1', true],
    ['2002:7f00:1::1', true],
    ['2606:4700::1111', false],
    ['2a00:1450:4001:80b::200e', false],
  ])('IPv6 %s refused: %s', (address, refused) => {
    expect(specialPurposeReason(address) !== undefined).toBe(refused);
  });

  it.each([
    ['https://hooks.example.net/x', true],
    ['http://hooks.example.net:8080/x?y=1', true],
    ['ftp://hooks.example.net/', false],
    ['https://u:p@hooks.example.net/', false],
    ['https://hooks.example.net/#f', false],
    ['hooks.example.net/x', false],
    ['file:///etc/passwd', false],
  ])('URL shape %s accepted: %s', (url, ok) => {
    expect(checkUrlShape(url).ok).toBe(ok);
  });

  it('signs exactly as the standardwebhooks package verifies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 64 }), fc.json(), fc.uuid(), (key, body, id) => {
        const secret = `whsec_${Buffer.from(key).toString('base64')}`;
        const timestamp = Math.floor(Date.now() / 1000);
        const headers = {
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret, id, timestamp, body),
        };
        new Webhook(secret).verify(body, headers);
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['*', 'lease.expired', true],
    ['lease.*', 'lease.expired', true],
    ['lease.*', 'leases.expired', false],
    ['lease.*', 'allocation.created', false],
    ['lease.expired', 'lease.expired', true],
    ['lease.expired', 'lease.expire', false],
    ['allocation.*', 'allocation.stranded', true],
  ])('filter %s takes %s: %s', (pattern, type, expected) => {
    expect(typeMatches(pattern, type)).toBe(expected);
  });
});
