import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/database.service';
import type { ReputationFile } from './drop-formats';

/** A reputation-list block that overlaps a lease or allocation. */
export interface Listed {
  list: string;
  cidr: string;
  ref: string | null;
}

/**
 * The listed blocks overlapping `prefixColumn` (either contains the other), as a JSON array; one
 * probe of the GiST index reputation_entries_cidr_idx per row read.
 */
export const LISTED_SQL = (prefixColumn: string) =>
  `(SELECT coalesce(jsonb_agg(jsonb_build_object('list', e.list_name, 'cidr', e.cidr::text, 'ref', e.ref) ORDER BY e.list_name, e.cidr), '[]')
      FROM reputation_entries e WHERE e.cidr && ${prefixColumn})`;

export interface ReputationListRow {
  name: string;
  format: string;
  imported_at: Date;
  entries: number;
  skipped: number;
  metadata: Record<string, unknown> | null;
}

@Injectable()
export class ReputationRepository {
  /** Replaces one list's blocks in the caller's transaction (readers see the old or the new list). */
  async replace(tx: Queryable, name: string, file: ReputationFile): Promise<ReputationListRow> {
    const rows = await tx.query<ReputationListRow[]>(
      `INSERT INTO reputation_lists (name, format, imported_at, entries, skipped, metadata)
       VALUES ($1, $2, now(), $3, $4, $5)
       ON CONFLICT (name) DO UPDATE SET format = excluded.format, imported_at = excluded.imported_at,
              entries = excluded.entries, skipped = excluded.skipped, metadata = excluded.metadata
       RETURNING name, format, imported_at, entries, skipped, metadata`,
      [
        name,
        file.format,
        file.entries.length,
        file.skipped,
        file.metadata === null ? null : JSON.stringify(file.metadata),
      ],
    );
    await tx.query(`DELETE FROM reputation_entries WHERE list_name = $1`, [name]);
    await tx.query(
      `INSERT INTO reputation_entries (list_name, cidr, ref, rir)
       SELECT $1, * FROM unnest($2::cidr[], $3::text[], $4::text[])`,
      [name, file.entries.map((e) => e.cidr), file.entries.map((e) => e.ref), file.entries.map((e) => e.rir)],
    );
    return rows[0];
  }

  list(q: Queryable): Promise<ReputationListRow[]> {
    return q.query(`SELECT name, format, imported_at, entries, skipped, metadata FROM reputation_lists ORDER BY name`);
  }

  /** Listed blocks overlapping a prefix (either way round), for lease answers and the lease.listed event. */
  overlapping(q: Queryable, prefix: string): Promise<{ list: string; cidr: string; ref: string | null }[]> {
    return q.query(
      `SELECT list_name AS list, cidr::text AS cidr, ref FROM reputation_entries WHERE cidr && $1::cidr ORDER BY list_name, cidr`,
      [prefix],
    );
  }
}
