import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Release gets one definition, beside allocation_place, used by the service, the free-block
 * property test and the benchmark:
 *
 * allocation_release(allocation, hold): under the lease lock, marks an active allocation released
 * today and either gives its block back to every lease that overlaps it at once (hold NULL;
 * free_blocks_release_everywhere, as in 1766000001000-SharedSpace) or keeps it occupied until
 * now() + hold (reclaimed later by free_blocks_reclaim_holds, which allocation_place calls).
 * Its history stops counting from today through the allocations_track_history trigger.
 * Returns the released row; none when the allocation was not active.
 */
export class AllocationRelease1774000000000 implements MigrationInterface {
  name = 'AllocationRelease1774000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION allocation_release(p_allocation uuid, p_hold interval) RETURNS SETOF allocations
      LANGUAGE plpgsql AS $$
      DECLARE
        l_lease uuid;
        released allocations;
      BEGIN
        SELECT lease_id INTO l_lease FROM allocations WHERE id = p_allocation AND status = 'active';
        IF NOT FOUND THEN RETURN; END IF;
        PERFORM 1 FROM leases WHERE id = l_lease FOR NO KEY UPDATE;
        UPDATE allocations
           SET status = 'released', released_at = now(), occupied = p_hold IS NOT NULL, hold_until = now() + p_hold,
               version = version + 1, updated_at = now()
         WHERE id = p_allocation AND status = 'active'
        RETURNING * INTO released;
        IF NOT FOUND THEN RETURN; END IF;
        IF p_hold IS NULL THEN
          PERFORM free_blocks_release_everywhere(released.prefix);
        END IF;
        RETURN NEXT released;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION allocation_release(uuid, interval)`);
  }
}
