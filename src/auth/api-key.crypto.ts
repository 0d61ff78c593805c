import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const KEY_PREFIX = 'ipl_';

/** 32 random bytes, base64url, with a recognisable prefix so secret scanners can find leaked keys. */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Keys carry 256 bits of entropy, so a fast hash is enough: nothing to brute-force. */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * What a key list may show of a generated key: its fixed, non-secret marker and nothing of the
 * random part. A key someone chose (ADMIN_API_KEY) shows nothing at all (null).
 */
export function displayPrefix(key: string): string | null {
  return key.startsWith(KEY_PREFIX) ? KEY_PREFIX : null;
}
