import type { Response } from 'express';

/**
 * If-Match as a predicate on an entity version. Absent or "*" matches anything; a list matches
 * when any entry does; anything unparsable never matches (the client holds no valid tag).
 */
export function ifMatch(header: string | undefined): ((version: number) => boolean) | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const versions = header
    .split(',')
    .map((tag) => /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(tag))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  return (version) => versions.includes(version);
}

export function setEtag(res: Response, version: number): void {
  res.setHeader('ETag', `"${version}"`);
}
