import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { findSpecialPurpose, parseAddress } from '../ip';

export const MAX_URL_LENGTH = 2048;

/**
 * Why `address` (IPv4 or IPv6 text) may not receive webhooks, or undefined for public unicast.
 * IPv4 uses the service's own IANA special-purpose registry; IPv6 accepts only global unicast, and
 * an IPv4-mapped or -translated IPv6 address is judged by the IPv4 address inside it.
 */
export function specialPurposeReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) {
    const parsed = parseAddress(address);
    if (!parsed.ok) return `${address} is not a valid IPv4 address`;
    const entry = findSpecialPurpose({ network: parsed.value, length: 32 });
    return entry ? `${address} lies in ${entry.prefix} (${entry.name}, ${entry.rfc})` : undefined;
  }
  if (family === 6) {
    const v6 = ipaddr.IPv6.parse(address);
    if (v6.isIPv4MappedAddress()) return specialPurposeReason(v6.toIPv4Address().toString());
    const range = v6.range();
    return range === 'unicast' ? undefined : `${address} is IPv6 ${range} space`;
  }
  return `${address} is not an IP address`;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; message: string };

/** Shape rules for a webhook URL: absolute http(s), a host, no credentials, no fragment. */
export function checkUrlShape(text: string): UrlCheck {
  if (text.length > MAX_URL_LENGTH) return { ok: false, message: `url must be at most ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: 'url must be an absolute http:// or https:// URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, message: 'url must be an absolute http:// or https:// URL' };
  if (!url.hostname) return { ok: false, message: 'url must name a host' };
  if (url.username || url.password)
    return { ok: false, message: 'url must not carry credentials; the signature authenticates deliveries' };
  if (url.hash) return { ok: false, message: 'url must not have a #fragment' };
  return { ok: true, url };
}

/** The URL's host as an address or name, without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Resolves `host` (all addresses); undefined when it does not resolve. */
export function resolveAll(host: string, timeoutMs = 3000): Promise<LookupAddress[] | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => {
      clearTimeout(timer);
      resolve(error ? undefined : addresses);
    });
  });
}

/**
 * Why a delivery to this URL is refused, checked on the address literal or on every address the
 * name resolves to (one special-purpose answer refuses the whole name: DNS rebinding picks).
 * A name that does not resolve is not refused here: delivery resolves again and fails then.
 */
export async function targetRefusal(url: URL): Promise<string | undefined> {
  const host = hostOf(url);
  if (isIP(host)) return specialPurposeReason(host);
  const addresses = await resolveAll(host);
  for (const { address } of addresses ?? []) {
    const reason = specialPurposeReason(address);
    if (reason) return `${host} resolves to ${reason}`;
  }
  return undefined;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses special-purpose answers, so the socket connects to
 * exactly the address that was checked (no second resolution for a rebinding attack to win).
 */
export function guardedLookup(
  hostname: string,
  options: { all?: boolean; family?: number } | number | undefined,
  callback: LookupCallback,
): void {
  const all = typeof options === 'object' && options?.all === true;
  dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
    if (error) return callback(error, all ? [] : '', 0);
    for (const { address } of addresses) {
      const reason = specialPurposeReason(address);
      if (reason) {
        const refused: NodeJS.ErrnoException = new Error(`refused: ${hostname} resolves to ${reason}`);
        refused.code = 'EREFUSEDTARGET';
        return callback(refused, all ? [] : '', 0);
      }
    }
    if (addresses.length === 0)
      return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), all ? [] : '', 0);
    if (all) return callback(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
}
