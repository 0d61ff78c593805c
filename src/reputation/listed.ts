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
