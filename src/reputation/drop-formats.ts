import { ValidationFailed } from '../errors/domain-errors';
import { parseCanonicalCidr } from '../ip';

export interface ListedBlock {
  cidr: string;
  ref: string | null;
  rir: string | null;
}

export interface ReputationFile {
  format: 'spamhaus-drop-ndjson' | 'spamhaus-drop-text';
  entries: ListedBlock[];
  skipped: number;
  metadata: Record<string, unknown> | null;
}

const MAX_LISTED_ERRORS = 100;

/**
 * Spamhaus DROP as published: NDJSON (`drop_v4.json`: one `{"cidr","sblid","rir"}` object per
 * line, ending with a `{"type":"metadata",…}` line) or the legacy `drop.txt` (`cidr ; SBL…` lines,
 * `;` comments). IPv6 blocks are counted and skipped; lines are numbered from 1 in errors.
 */
export function parseDropList(body: Buffer): ReputationFile {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body).replace(/^\uFEFF/, '');
  } catch {
    throw ValidationFailed.field('body', 'is not valid UTF-8');
  }
  const lines = text.split(/\r?\n/);
  const ndjson = text.trimStart().startsWith('{');
  const errors: { row: number; field: string; message: string }[] = [];
  const entries: ListedBlock[] = [];
  let skipped = 0;
  let metadata: Record<string, unknown> | null = null;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const row = i + 1;
    if (line === '' || (!ndjson && line.startsWith(';'))) return;
    let cidr: unknown;
    let ref: string | null = null;
    let rir: string | null = null;
    if (ndjson) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        errors.push({ row, field: 'line', message: 'is not a JSON object' });
        return;
      }
      const record = value as Record<string, unknown>;
      if (!record || typeof record !== 'object' || Array.isArray(record)) {
        errors.push({ row, field: 'line', message: 'is not a JSON object' });
        return;
      }
      if (record.type === 'metadata') {
        metadata = record;
        return;
      }
      cidr = record.cidr;
      ref = typeof record.sblid === 'string' ? record.sblid.slice(0, 64) : null;
      rir = typeof record.rir === 'string' ? record.rir.slice(0, 16) : null;
    } else {
      const [block, comment] = line.split(';', 2).map((part) => part.trim());
      cidr = block;
      ref = comment ? comment.slice(0, 64) : null;
    }
    if (typeof cidr === 'string' && cidr.includes(':')) {
      skipped++;
      return;
    }
    const parsed = parseCanonicalCidr(cidr);
    if (!parsed.ok) {
      errors.push({ row, field: 'cidr', message: parsed.message });
      return;
    }
    entries.push({ cidr: cidr as string, ref, rir });
  });
  if (errors.length) {
    const listed = errors.slice(0, MAX_LISTED_ERRORS);
    throw new ValidationFailed(
      listed,
      `${errors.length} line(s) are invalid; nothing was imported. First: line ${listed[0].row}, ${listed[0].field}: ${listed[0].message}.`,
    );
  }
  if (entries.length === 0 && skipped === 0) {
    throw ValidationFailed.field(
      'body',
      'holds no blocks: expected Spamhaus DROP NDJSON or drop.txt lines "cidr ; SBL…"',
    );
  }
  return { format: ndjson ? 'spamhaus-drop-ndjson' : 'spamhaus-drop-text', entries, skipped, metadata };
}
