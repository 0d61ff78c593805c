import { Validator } from 'ip-num';

/** An IPv4 prefix; `network` is its first address as an unsigned 32-bit integer (0..2^32-1). */
export interface Cidr {
  network: number;
  length: number;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

export const IPV4_ADDRESS_COUNT = 2 ** 32;
export const MAX_ADDRESS = IPV4_ADDRESS_COUNT - 1;

const EXPECTED = {
  prefix: 'an IPv4 prefix in CIDR notation, like 185.10.20.0/24',
  address: 'an IPv4 address, like 185.10.20.1',
  addressOrPrefix: 'an IPv4 address or prefix in CIDR notation, like 185.10.20.1 or 185.10.20.0/24',
} as const;
type Kind = keyof typeof EXPECTED;

// A canonical prefix is at most 18 characters; anything far longer is refused without being parsed
// or echoed, so hostile input cannot bloat error messages or logs.
const MAX_INPUT_LENGTH = 64;
const MAX_ECHO_LENGTH = 64;

const ASCII_DIGITS = /^[0-9]+$/;
const UNICODE_DIGITS = /^\p{Nd}+$/u;
const WHITESPACE = /\s/;
const WHITESPACE_GLOBAL = /\s/g;
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

export function parseCanonicalCidr(input: unknown): ParseResult<Cidr> {
  return parse(input, 'prefix');
}

export function parseAddress(input: unknown): ParseResult<number> {
  const result = parse(input, 'address');
  return result.ok ? { ok: true, value: result.value.network } : result;
}

/** An address is returned as its /32. */
export function parseAddressOrPrefix(input: unknown): ParseResult<Cidr> {
  return parse(input, 'addressOrPrefix');
}

/** For trusted constants (tables, tests); throws on anything parseCanonicalCidr refuses. */
export function cidrFromString(text: string): Cidr {
  const result = parseCanonicalCidr(text);
  if (!result.ok) throw new Error(`invalid CIDR constant ${show(text)}: ${result.message}`);
  return result.value;
}

export function formatAddress(n: number): string {
  assertAddress(n);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function formatCidr(c: Cidr): string {
  assertCidr(c);
  return `${formatAddress(c.network)}/${c.length}`;
}

export function addressCount(length: number): number {
  assertLength(length);
  return 2 ** (32 - length);
}

export function lastAddress(c: Cidr): number {
  return c.network + addressCount(c.length) - 1;
}

/** The prefix of `length` that holds `address` (host bits cleared). */
export function networkOf(address: number, length: number): number {
  assertAddress(address);
  const size = addressCount(length);
  return address - (address % size);
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.length <= inner.length && inner.network >= outer.network && lastAddress(inner) <= lastAddress(outer);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

/** Orders by first address, then shorter (larger) prefix first. */
export function compareCidrs(a: Cidr, b: Cidr): number {
  return a.network - b.network || a.length - b.length;
}

/** Programmer-error guards: internal callers must pass valid values, so these throw. */
export function assertAddress(n: number, what = 'address'): void {
  if (!Number.isInteger(n) || n < 0 || n > MAX_ADDRESS) {
    throw new RangeError(`${what} ${String(n)} is not an IPv4 address as an unsigned 32-bit integer`);
  }
}

export function assertLength(length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > 32) {
    throw new RangeError(`${String(length)} is not an IPv4 prefix length (0-32)`);
  }
}

export function assertCidr(c: Cidr, what = 'prefix'): void {
  assertLength(c.length);
  assertAddress(c.network, what);
  if (c.network % addressCount(c.length) !== 0) {
    throw new RangeError(`${what} ${formatAddress(c.network)}/${c.length} has host bits set`);
  }
}

function fail<T>(message: string): ParseResult<T> {
  return { ok: false, message };
}

function parse(input: unknown, kind: Kind): ParseResult<Cidr> {
  const expected = EXPECTED[kind];
  if (typeof input !== 'string') return fail(`must be ${expected}; got ${describeType(input)}`);
  if (input.length === 0) return fail(`must not be empty; expected ${expected}`);
  if (input.length > MAX_INPUT_LENGTH) {
    return fail(`is too long (${input.length} characters); must be ${expected}`);
  }

  const ipv6 = describeIpv6(input.replace(WHITESPACE_GLOBAL, ''));
  if (ipv6) return fail(`${show(input.trim())} is an IPv6 ${ipv6}; only IPv4 is supported`);

  const ws = WHITESPACE.exec(input);
  if (ws) {
    const where = ws.index === 0 ? 'leading ' : input.trimEnd().length <= ws.index ? 'trailing ' : '';
    return fail(`${where}whitespace (${describeChar(ws[0])}) is not allowed${suggest(input, kind)}`);
  }

  const parts = input.split('/');
  if (parts.length > 2) return fail(`${show(input)} has more than one "/"; must be ${expected}`);
  const [addressText, lengthText] = parts;

  if (lengthText === undefined) {
    if (kind === 'prefix') {
      const asAddress = parseOctets(addressText);
      return asAddress.ok
        ? fail(`${input} is an address, not a prefix; did you mean ${input}/32?`)
        : fail(`must be ${expected}`);
    }
  } else if (kind === 'address') {
    return parse(input, 'prefix').ok
      ? fail(`${input} is a prefix, not a single address; must be ${expected}`)
      : fail(`must be ${expected}`);
  }

  // Without a single dot the input is not an attempt at a dotted quad; counting its "octets" would mislead.
  if (!addressText.includes('.')) return fail(`must be ${expected}`);
  const address = parseOctets(addressText);
  if (!address.ok) return fail(address.message + suggest(input, kind));

  if (lengthText === undefined) return { ok: true, value: { network: address.value, length: 32 } };

  const length = parseLength(lengthText);
  if (!length.ok) return fail(length.message + suggest(input, kind));

  const network = networkOf(address.value, length.value);
  if (network !== address.value) {
    return fail(`${input} has host bits set; did you mean ${formatAddress(network)}/${length.value}?`);
  }
  return { ok: true, value: { network, length: length.value } };
}

function parseOctets(text: string): ParseResult<number> {
  const octets = text.split('.');
  if (octets.length !== 4) {
    return fail(`${show(text)} has ${octets.length} octets; an IPv4 address has 4`);
  }
  let value = 0;
  for (const octet of octets) {
    if (octet === '') return fail(`${show(text)} has an empty octet`);
    if (!ASCII_DIGITS.test(octet)) {
      return UNICODE_DIGITS.test(octet)
        ? fail(`octet ${show(octet)} uses non-ASCII digits; only 0-9 are allowed`)
        : fail(`octet ${show(octet)} is not a decimal number 0-255`);
    }
    if (octet.length > 1 && octet.startsWith('0')) return fail(`octet ${show(octet)} has a leading zero`);
    const n = Number(octet);
    if (n > 255) return fail(`octet ${show(octet)} is greater than 255`);
    value = value * 256 + n;
  }
  return { ok: true, value };
}

function parseLength(text: string): ParseResult<number> {
  if (text === '') return fail('the prefix length after "/" is missing (0-32)');
  if (!ASCII_DIGITS.test(text)) return fail(`/${show(text)} is not a valid IPv4 prefix length (0-32)`);
  if (text.length > 1 && text.startsWith('0')) return fail(`prefix length /${show(text)} has a leading zero`);
  const n = Number(text);
  if (n > 32) return fail(`/${show(text)} is not a valid IPv4 prefix length (0-32)`);
  return { ok: true, value: n };
}

/**
 * The canonical form a sloppy but unambiguous input most likely meant (whitespace dropped, leading
 * zeros dropped, host bits cleared), as a "; did you mean …?" suffix; empty when there is none.
 */
function suggest(input: string, kind: Kind): string {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,3}))?$/.exec(
    input.replace(WHITESPACE_GLOBAL, '').replace(/(^|[./])0+(?=\d)/g, '$1'),
  );
  if (!match) return '';
  const [, a, b, c, d, len] = match;
  if (kind === 'prefix' && len === undefined) return '';
  if (kind === 'address' && len !== undefined) return '';
  const octets = [a, b, c, d].map(Number);
  if (octets.some((o) => o > 255)) return '';
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (len === undefined) return `; did you mean ${formatAddress(address)}?`;
  const length = Number(len);
  if (length > 32) return '';
  return `; did you mean ${formatAddress(networkOf(address, length))}/${length}?`;
}

/** ip-num's CIDR regex mis-escapes \d in the embedded-IPv4 branch, so the halves are checked apart. */
function describeIpv6(text: string): 'address' | 'prefix' | undefined {
  if (!text.includes(':')) return undefined;
  const [address, length, ...rest] = text.split('/');
  if (rest.length > 0 || !Validator.isValidIPv6String(address)[0]) return undefined;
  if (length === undefined) return 'address';
  return ASCII_DIGITS.test(length) && Number(length) <= 128 ? 'prefix' : undefined;
}

function describeType(input: unknown): string {
  if (input === null) return 'null';
  if (input === undefined) return 'nothing';
  if (Array.isArray(input)) return 'an array';
  return typeof input === 'object' ? 'an object' : `a ${typeof input}`;
}

function describeChar(ch: string): string {
  const names: Record<string, string> = { ' ': 'space', '\t': 'tab', '\n': 'newline', '\r': 'carriage return' };
  return names[ch] ?? `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Makes untrusted text safe to put in a message: control characters escaped, length capped. */
function show(text: string): string {
  const escaped = text.replace(UNPRINTABLE, (ch) => `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`);
  const chars = Array.from(escaped);
  return chars.length > MAX_ECHO_LENGTH ? `${chars.slice(0, MAX_ECHO_LENGTH).join('')}…` : escaped;
}
