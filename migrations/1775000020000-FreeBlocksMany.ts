import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Set-based versions of the buddy claims, for bulk imports: one call for any number of
 * (lease, prefix) pairs instead of one PL/pgSQL call, with three statements, per block.
 *
 * free_blocks_carve(leases, prefixes, only_if_free): for each pair, the free block of that lease
 * holding the prefix is replaced by the maximal aligned blocks of what is left of it, and the free
 * blocks inside the prefix are dropped. Per block, the taken prefixes are walked in address order;
 * the gaps between them are cut into maximal aligned blocks (the largest aligned block that starts
 * at the gap's first address and fits, then again from after it). Those are exactly the pieces that
 * free_blocks_claim / free_blocks_subtract leave, pair after pair, in any order. The prefixes of one
 * lease must not overlap one another (an import refuses such rows first); it raises if they do. With
 * only_if_free, a pair whose prefix is not wholly inside one free block is answered by its 1-based
 * position, and then nothing changes.
 *
 * free_blocks_claim_many(leases, prefixes): free_blocks_claim for many blocks (only_if_free).
 * free_blocks_subtract_many(leases, prefixes): free_blocks_subtract for many blocks (other leases'
 * free lists in shared space).
 *
 * All expect the caller to hold the leases' locks, like free_blocks_claim.
 */
export class FreeBlocksMany1775000020000 implements MigrationInterface {
  name = 'FreeBlocksMany1775000020000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION free_blocks_carve(p_leases uuid[], p_prefixes cidr[], p_only_if_free boolean) RETURNS SETOF integer
      LANGUAGE plpgsql AS $$
      DECLARE
        r record;
        missing integer[] := '{}';
        block_leases uuid[] := '{}';
        blocks cidr[] := '{}';
        gap_leases uuid[] := '{}';
        gap_starts bigint[] := '{}';
        gap_ends bigint[] := '{}';
        piece_leases uuid[] := '{}';
        pieces cidr[] := '{}';
        current_lease uuid;
        current_block cidr;
        free_from bigint;
        block_end bigint;
        first_address bigint;
        address bigint;
        size bigint;
        len integer;
      BEGIN
        FOR r IN
          SELECT t.n::integer AS n, t.lease_id, t.prefix, f.block
            FROM unnest(p_leases, p_prefixes) WITH ORDINALITY AS t(lease_id, prefix, n)
            -- Free blocks are disjoint, so the one holding a prefix is the greatest block not after it.
            LEFT JOIN LATERAL (SELECT fb.prefix AS block FROM free_blocks fb
                                WHERE fb.lease_id = t.lease_id AND fb.prefix <= t.prefix
                                ORDER BY fb.prefix DESC LIMIT 1) f ON f.block >>= t.prefix
           ORDER BY t.lease_id, f.block, t.prefix
        LOOP
          IF r.block IS NULL THEN
            missing := missing || r.n;
            CONTINUE;
          END IF;
          IF current_block IS NULL OR r.lease_id <> current_lease OR r.block <> current_block THEN
            IF current_block IS NOT NULL AND free_from <= block_end THEN
              gap_leases := gap_leases || current_lease;
              gap_starts := gap_starts || free_from;
              gap_ends := gap_ends || block_end;
            END IF;
            current_lease := r.lease_id;
            current_block := r.block;
            block_leases := block_leases || current_lease;
            blocks := blocks || current_block;
            free_from := current_block - '0.0.0.0'::inet;
            block_end := free_from + (1::bigint << (32 - masklen(current_block))) - 1;
          END IF;
          first_address := r.prefix - '0.0.0.0'::inet;
          IF first_address < free_from THEN
            RAISE EXCEPTION 'free_blocks_carve: % overlaps another prefix of lease %', r.prefix, r.lease_id;
          END IF;
          IF free_from < first_address THEN
            gap_leases := gap_leases || current_lease;
            gap_starts := gap_starts || free_from;
            gap_ends := gap_ends || first_address - 1;
          END IF;
          free_from := first_address + (1::bigint << (32 - masklen(r.prefix)));
        END LOOP;
        IF current_block IS NOT NULL AND free_from <= block_end THEN
          gap_leases := gap_leases || current_lease;
          gap_starts := gap_starts || free_from;
          gap_ends := gap_ends || block_end;
        END IF;
        IF p_only_if_free AND cardinality(missing) > 0 THEN
          RETURN QUERY SELECT m FROM unnest(missing) AS m ORDER BY m;
          RETURN;
        END IF;
        FOR i IN 1 .. cardinality(gap_starts) LOOP
          address := gap_starts[i];
          WHILE address <= gap_ends[i] LOOP
            size := 1;
            len := 32;
            WHILE len > 0 AND address % (size * 2) = 0 AND address + size * 2 - 1 <= gap_ends[i] LOOP
              size := size * 2;
              len := len - 1;
            END LOOP;
            piece_leases := piece_leases || gap_leases[i];
            pieces := pieces || cidr_of(address, len);
            address := address + size;
          END LOOP;
        END LOOP;
        DELETE FROM free_blocks fb USING unnest(block_leases, blocks) AS d(lease_id, prefix)
         WHERE fb.lease_id = d.lease_id AND fb.prefix = d.prefix;
        DELETE FROM free_blocks fb USING unnest(p_leases, p_prefixes) AS t(lease_id, prefix)
         WHERE fb.lease_id = t.lease_id
           AND fb.prefix BETWEEN t.prefix AND set_masklen(broadcast(t.prefix), 32)::cidr AND fb.prefix <<= t.prefix;
        INSERT INTO free_blocks (lease_id, prefix) SELECT * FROM unnest(piece_leases, pieces);
      END $$`);
    await q.query(`
      CREATE FUNCTION free_blocks_claim_many(p_leases uuid[], p_prefixes cidr[]) RETURNS SETOF integer
      LANGUAGE sql AS $$ SELECT free_blocks_carve(p_leases, p_prefixes, true) $$`);
    await q.query(`
      CREATE FUNCTION free_blocks_subtract_many(p_leases uuid[], p_prefixes cidr[]) RETURNS void
      LANGUAGE sql AS $$ SELECT free_blocks_carve(p_leases, p_prefixes, false) $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION free_blocks_subtract_many(uuid[], cidr[])`);
    await q.query(`DROP FUNCTION free_blocks_claim_many(uuid[], cidr[])`);
    await q.query(`DROP FUNCTION free_blocks_carve(uuid[], cidr[], boolean)`);
  }
}
