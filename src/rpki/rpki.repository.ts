import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/database.service';
import type { Vrp } from './vrp-formats';

/** Rows per INSERT when loading a snapshot: big enough to be set-based, small enough for one message. */
const CHUNK = 50_000;

export interface RpkiSnapshotRow {
  imported_at: Date;
  vrps: number;
  skipped: number;
  format: string;
}

@Injectable()
export class RpkiRepository {
  /**
   * Replaces the VRP set in the caller's transaction. DELETE rather than TRUNCATE: readers keep
   * seeing the previous snapshot until commit instead of waiting on a table lock.
   */
  async replace(tx: Queryable, vrps: Vrp[], skipped: number, format: string): Promise<void> {
    await tx.query(`SET LOCAL statement_timeout = '300s'`);
    // One writer at a time: a second import waits for the first instead of interleaving.
    await tx.query(`LOCK TABLE rpki_snapshot IN SHARE ROW EXCLUSIVE MODE`);
    await tx.query(`DELETE FROM rpki_vrps`);
    for (let at = 0; at < vrps.length; at += CHUNK) {
      const chunk = vrps.slice(at, at + CHUNK);
      await tx.query(
        `INSERT INTO rpki_vrps (prefix, max_length, asn, ta)
         SELECT * FROM unnest($1::cidr[], $2::smallint[], $3::bigint[], $4::text[])`,
        [chunk.map((v) => v.prefix), chunk.map((v) => v.maxLength), chunk.map((v) => v.asn), chunk.map((v) => v.ta)],
      );
    }
    await tx.query(
      `INSERT INTO rpki_snapshot (id, imported_at, vrps, skipped, format) VALUES (true, now(), $1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET imported_at = excluded.imported_at, vrps = excluded.vrps,
                                      skipped = excluded.skipped, format = excluded.format`,
      [vrps.length, skipped, format],
    );
  }

  async snapshot(q: Queryable): Promise<RpkiSnapshotRow | undefined> {
    const rows = await q.query<RpkiSnapshotRow[]>(`SELECT imported_at, vrps, skipped, format FROM rpki_snapshot`);
    return rows[0];
  }
}
