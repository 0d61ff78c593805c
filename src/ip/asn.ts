/**
 * Autonomous System numbers that may originate a route. The refused ones are those IANA reserves
 * or sets aside for documentation, so an origin AS typed from an RFC example never reaches an
 * IRR object or a BYOIP check.
 */
export const ASN_MAX = 4294967295;

/** Closed ranges [from, to] that are never a valid origin, with the registry reason. */
export const RESERVED_ASNS: readonly { from: number; to: number; reason: string }[] = [
  { from: 0, to: 0, reason: 'AS0 is reserved (RFC 7607); it cannot originate a route' },
  { from: 23456, to: 23456, reason: 'AS23456 is AS_TRANS (RFC 6793)' },
  { from: 64496, to: 64511, reason: 'AS64496-64511 are for documentation (RFC 5398)' },
  { from: 65535, to: 65535, reason: 'AS65535 is reserved (RFC 7300)' },
  { from: 65536, to: 65551, reason: 'AS65536-65551 are for documentation (RFC 5398)' },
  { from: ASN_MAX, to: ASN_MAX, reason: 'AS4294967295 is reserved (RFC 7300)' },
];

export type AsnCheck = { ok: true; asn: number } | { ok: false; message: string };

/** A JSON number or integer that is a usable origin AS. */
export function checkOriginAsn(value: unknown): AsnCheck {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return { ok: false, message: 'must be an integer AS number (a JSON number, like 16509)' };
  }
  const reserved = RESERVED_ASNS.find((r) => value >= r.from && value <= r.to);
  if (reserved) return { ok: false, message: `${reserved.reason}; use the AS that announces the space` };
  if (value < 1 || value > ASN_MAX) return { ok: false, message: `must be from 1 to ${ASN_MAX}` };
  return { ok: true, asn: value };
}

/** Text from a file or CSV cell: `16509` or `AS16509` (any case). */
export function parseAsnText(text: string): number | undefined {
  const m = /^(?:AS)?(\d{1,10})$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return n <= ASN_MAX ? n : undefined;
}
