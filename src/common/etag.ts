import type { Response } from 'express';
import { ValidationFailed } from '../errors/domain-errors';

/** RFC 9110 entity-tag: optional W/, then any visible characters but `"` between double quotes. */
const ENTITY_TAG = /^\s*(?:W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*$/;

/**
 * If-Match as a predicate on an entity version. Absent or "*" matches anything; a list matches
 * when any entry does. A tag that is well formed but not one of ours never matches (412); a header
 * that is not a list of entity tags at all (`If-Match: 3`, unquoted) is refused as malformed (400).
 */
export function ifMatch(header: string | undefined): ((version: number) => boolean) | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const tags = header.split(',').map((tag) => ENTITY_TAG.exec(tag));
  if (tags.some((m) => m === null)) {
    throw ValidationFailed.field(
      'If-Match',
      'If-Match must be * or a list of quoted entity tags as ETag sends them, like "3" (with the quotes)',
    );
  }
  const versions = tags
    .map((m) => /^\d{1,9}$/.exec((m as RegExpExecArray)[1]))
    .flatMap((v) => (v ? [Number(v[0])] : []));
  return (version) => versions.includes(version);
}

export function setEtag(res: Response, version: number): void {
  res.setHeader('ETag', `"${version}"`);
}
