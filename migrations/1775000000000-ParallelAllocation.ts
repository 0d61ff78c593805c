import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 15, items 1 and 2: allocation in one round trip under the lease lock, and in parallel
 * within one lease.
 *
 * Parallel: allocation_place locks the lease FOR SHARE (allocators no longer exclude each other;
 * lease updates, releases, imports and other leases' allocators, which take FOR NO KEY UPDATE,
 * still do). It takes FOR NO KEY UPDATE only when expired holds are waiting to be reclaimed,
 * because reclaiming merges buddies. free_blocks_take locks the block it takes with
 * FOR UPDATE SKIP LOCKED (best fit among the blocks nobody is taking right now), and waits only
 * when every fitting block is being taken; free_blocks_claim locks the block holding the prefix
 * and looks again when that block was split under it. free_blocks_release takes the lease lock
 * FOR NO KEY UPDATE itself, so a buddy merge never runs beside a take, whoever calls it.
 *
 * One round trip: allocation_create places, checks a backdated effective date, inserts the
 * allocation and writes its audit row and events (with their webhook deliveries), and returns the
 * row with the outcome; allocation_view is the allocation's API representation (AllocationDto)
 * that the audit row and the events carry.
 */

const VIEW = `
  CREATE FUNCTION allocation_view(a allocations, lease_active boolean, listed jsonb) RETURNS jsonb
  LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
      'id', a.id, 'leaseId', a.lease_id, 'prefix', a.prefix::text, 'regionId', a.region_id, 'providerId', a.provider_id,
      'status', a.status, 'requestedPrefixLength', a.requested_prefix_length, 'strategy', a.strategy, 'name', a.name,
      'originAsn', a.origin_asn, 'description', a.description, 'tags', to_jsonb(a.tags),
      'addressCount', 1::bigint << (32 - masklen(a.prefix)),
      'releasedAt', to_char(a.released_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'effectiveDate', to_char(a.effective_date, 'YYYY-MM-DD'), 'leaseActive', lease_active,
      'listed', coalesce(listed, '[]'::jsonb), 'version', a.version,
      'createdAt', to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'updatedAt', to_char(a.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  $$`;

const CREATE = `
  CREATE FUNCTION allocation_create(
    p_lease uuid, p_length integer, p_first_fit boolean, p_prefix cidr,
    p_region uuid, p_provider uuid, p_strategy text, p_name text, p_origin_asn bigint, p_description text,
    p_tags text[], p_effective date,
    p_actor_key uuid, p_actor_name text, p_request_id text, p_client_request_id text, p_event_types text[])
  RETURNS TABLE (outcome text, lease_prefix text, placed text, lease_start text,
                 created allocations, lease_active boolean, listed jsonb)
  LANGUAGE plpgsql AS $$
  DECLARE
    view jsonb;
  BEGIN
    -- A refusal leaves nothing behind (expired holds reclaimed, a block split or taken), also when the
    -- caller runs this statement with no transaction around it: the block's changes are undone.
    BEGIN
      SELECT p.outcome, p.lease_prefix, p.placed INTO outcome, lease_prefix, placed
        FROM allocation_place(p_lease, p_length, p_first_fit, p_prefix) p;
      IF outcome = 'placed' AND p_effective IS NOT NULL THEN
        IF p_effective > current_date THEN
          outcome := 'future';
        ELSE
          PERFORM period_assert_open(p_effective, 'An allocation effective ' || to_char(p_effective, 'YYYY-MM-DD'));
          SELECT to_char(l.start_date, 'YYYY-MM-DD') INTO lease_start FROM leases l
           WHERE l.id = p_lease AND p_effective < l.start_date;
          IF FOUND THEN
            outcome := 'before-lease-start';
          ELSIF EXISTS (SELECT 1 FROM allocation_history h
                         WHERE h.prefix && placed::cidr AND h.valid && daterange(p_effective, NULL)) THEN
            outcome := 'held';
          END IF;
        END IF;
      END IF;
      IF outcome <> 'placed' THEN RAISE EXCEPTION USING ERRCODE = 'IPR00'; END IF;
    EXCEPTION WHEN SQLSTATE 'IPR00' THEN
      RETURN NEXT;
      RETURN;
    END;

    INSERT INTO allocations (lease_id, prefix, region_id, provider_id, requested_prefix_length, strategy, name,
                             origin_asn, description, tags, effective_date)
    VALUES (p_lease, placed::cidr, p_region, p_provider, CASE WHEN p_prefix IS NULL THEN p_length END, p_strategy, p_name,
            p_origin_asn, p_description, p_tags, p_effective)
    RETURNING * INTO created;
    SELECT l.term @> current_date INTO lease_active FROM leases l WHERE l.id = p_lease;
    -- The same list as LISTED_SQL in src/reputation/reputation.repository.ts.
    SELECT coalesce(jsonb_agg(jsonb_build_object('list', e.list_name, 'cidr', e.cidr::text, 'ref', e.ref)
                              ORDER BY e.list_name, e.cidr), '[]')
      INTO listed FROM reputation_entries e WHERE e.cidr && created.prefix;
    view := allocation_view(created, lease_active, listed);

    INSERT INTO audit_events (actor_key_id, actor_name, action, entity_type, entity_id, before, after, request_id, client_request_id)
    VALUES (p_actor_key, p_actor_name, 'create', 'allocation', created.id, NULL, view, p_request_id, p_client_request_id);
    WITH event AS (
      INSERT INTO events (type, entity_type, entity_id, actor_key_id, actor_name, request_id, client_request_id, data, previous)
      SELECT t.type, 'allocation', created.id, p_actor_key, p_actor_name, p_request_id, p_client_request_id, view, NULL
        FROM unnest(p_event_types) WITH ORDINALITY AS t(type, n) ORDER BY t.n
      RETURNING id, type)
    INSERT INTO webhook_deliveries (webhook_id, event_id)
    SELECT w.id, event.id FROM event JOIN webhooks w ON w.active AND webhook_wants(w.event_types, event.type);
    RETURN NEXT;
  END $$`;

const PLACE = (leaseLock: string) => `
  CREATE OR REPLACE FUNCTION allocation_place(p_lease uuid, p_length integer, p_first_fit boolean, p_prefix cidr)
  RETURNS TABLE (outcome text, lease_prefix text, placed text)
  LANGUAGE plpgsql AS $$
  DECLARE
    l_prefix cidr;
    l_active boolean;
    reclaim boolean := true;
    got cidr;
  BEGIN
    ${leaseLock}
    IF NOT FOUND THEN
      outcome := 'no-lease';
      RETURN NEXT;
      RETURN;
    END IF;
    lease_prefix := l_prefix::text;
    IF NOT l_active THEN
      outcome := 'inactive';
      RETURN NEXT;
      RETURN;
    END IF;

    IF reclaim THEN PERFORM free_blocks_reclaim_holds(l_prefix); END IF;
    IF p_prefix IS NULL THEN
      got := free_blocks_take(p_lease, p_length, p_first_fit);
      outcome := CASE WHEN got IS NULL THEN 'full' ELSE 'placed' END;
    ELSIF NOT (p_prefix <<= l_prefix) THEN
      outcome := 'outside';
    ELSIF free_blocks_claim(p_lease, p_prefix) THEN
      got := p_prefix;
      outcome := 'placed';
    ELSE
      outcome := 'taken';
    END IF;

    IF got IS NOT NULL THEN PERFORM free_blocks_occupy_elsewhere(p_lease, got); END IF;
    placed := got::text;
    RETURN NEXT;
  END $$`;

const SHARED_LEASE_LOCK = `
    -- Allocators share the lease; reclaiming expired holds merges buddies, so it excludes them.
    reclaim := EXISTS (SELECT 1 FROM allocations a
                        WHERE a.lease_id IN (SELECT o.id FROM leases o JOIN leases l ON o.prefix && l.prefix WHERE l.id = p_lease)
                          AND a.status = 'released' AND a.occupied AND a.hold_until <= now());
    IF reclaim THEN
      SELECT l.prefix, l.term @> current_date INTO l_prefix, l_active FROM leases l WHERE l.id = p_lease FOR NO KEY UPDATE;
    ELSE
      SELECT l.prefix, l.term @> current_date INTO l_prefix, l_active FROM leases l WHERE l.id = p_lease FOR SHARE;
    END IF;`;

const EXCLUSIVE_LEASE_LOCK = `
    SELECT l.prefix, l.term @> current_date INTO l_prefix, l_active FROM leases l WHERE l.id = p_lease FOR NO KEY UPDATE;`;

const TAKE = `
  CREATE OR REPLACE FUNCTION free_blocks_take(p_lease uuid, p_length integer, p_first_fit boolean) RETURNS cidr
  LANGUAGE plpgsql AS $$
  DECLARE
    block cidr;
    address bigint;
    uppers cidr[] := '{}';
  BEGIN
    LOOP
      -- The best block nobody is taking right now.
      IF p_first_fit THEN
        SELECT prefix INTO block FROM free_blocks WHERE lease_id = p_lease AND length <= p_length
         ORDER BY prefix LIMIT 1 FOR UPDATE SKIP LOCKED;
      ELSE
        SELECT prefix INTO block FROM free_blocks WHERE lease_id = p_lease AND length <= p_length
         ORDER BY length DESC, prefix LIMIT 1 FOR UPDATE SKIP LOCKED;
      END IF;
      EXIT WHEN block IS NOT NULL;
      -- Every fitting block is being taken (or none is left): wait for the best one.
      IF p_first_fit THEN
        SELECT prefix INTO block FROM free_blocks WHERE lease_id = p_lease AND length <= p_length
         ORDER BY prefix LIMIT 1 FOR UPDATE;
      ELSE
        SELECT prefix INTO block FROM free_blocks WHERE lease_id = p_lease AND length <= p_length
         ORDER BY length DESC, prefix LIMIT 1 FOR UPDATE;
      END IF;
      EXIT WHEN block IS NOT NULL;
      -- The blocks waited for were taken; their upper halves, if any, are visible to the next statement.
      PERFORM 1 FROM free_blocks WHERE lease_id = p_lease AND length <= p_length LIMIT 1;
      IF NOT FOUND THEN RETURN NULL; END IF;
    END LOOP;
    DELETE FROM free_blocks WHERE lease_id = p_lease AND prefix = block;
    address := block - '0.0.0.0'::inet;
    -- Split: keep the lowest piece at each level, free its upper buddy.
    FOR k IN masklen(block) + 1 .. p_length LOOP
      uppers := uppers || cidr_of(address + (1::bigint << (32 - k)), k);
    END LOOP;
    INSERT INTO free_blocks (lease_id, prefix) SELECT p_lease, unnest(uppers);
    RETURN cidr_of(address, p_length);
  END $$`;

const CLAIM = `
  CREATE OR REPLACE FUNCTION free_blocks_claim(p_lease uuid, p_prefix cidr) RETURNS boolean
  LANGUAGE plpgsql AS $$
  DECLARE
    block cidr;
    locked cidr;
    address bigint;
    target bigint := p_prefix - '0.0.0.0'::inet;
    half bigint;
    pieces cidr[] := '{}';
  BEGIN
    LOOP
      -- The free block holding p_prefix, if any, is one of its supernets: probe them by key.
      block := NULL;
      SELECT prefix INTO block FROM free_blocks
       WHERE lease_id = p_lease
         AND prefix = ANY (ARRAY(SELECT set_masklen(p_prefix, l)::cidr FROM generate_series(0, masklen(p_prefix)) AS l));
      IF block IS NULL THEN RETURN false; END IF;
      -- Gone once the lock is granted: a concurrent take split it; probe its pieces.
      SELECT prefix INTO locked FROM free_blocks WHERE lease_id = p_lease AND prefix = block FOR UPDATE;
      EXIT WHEN FOUND;
    END LOOP;
    DELETE FROM free_blocks WHERE lease_id = p_lease AND prefix = block;
    address := block - '0.0.0.0'::inet;
    FOR k IN masklen(block) + 1 .. masklen(p_prefix) LOOP
      half := 1::bigint << (32 - k);
      IF target >= address + half THEN
        pieces := pieces || cidr_of(address, k);
        address := address + half;
      ELSE
        pieces := pieces || cidr_of(address + half, k);
      END IF;
    END LOOP;
    INSERT INTO free_blocks (lease_id, prefix) SELECT p_lease, unnest(pieces);
    RETURN true;
  END $$`;

const RELEASE = (leaseLock: string) => `
  CREATE OR REPLACE FUNCTION free_blocks_release(p_lease uuid, p_prefix cidr) RETURNS void
  LANGUAGE plpgsql AS $$
  DECLARE
    address bigint := p_prefix - '0.0.0.0'::inet;
    len integer := masklen(p_prefix);
    lease_length integer;
    size bigint;
    buddy bigint;
  BEGIN
    SELECT masklen(prefix) INTO lease_length FROM leases WHERE id = p_lease ${leaseLock};
    -- Merge with the buddy for as long as the buddy is wholly free.
    WHILE len > lease_length LOOP
      size := 1::bigint << (32 - len);
      buddy := CASE WHEN (address / size) % 2 = 0 THEN address + size ELSE address - size END;
      DELETE FROM free_blocks WHERE lease_id = p_lease AND prefix = cidr_of(buddy, len);
      EXIT WHEN NOT FOUND;
      address := least(address, buddy);
      len := len - 1;
    END LOOP;
    INSERT INTO free_blocks (lease_id, prefix) VALUES (p_lease, cidr_of(address, len));
  END $$`;

const TAKE_V1 = `
  CREATE OR REPLACE FUNCTION free_blocks_take(p_lease uuid, p_length integer, p_first_fit boolean) RETURNS cidr
  LANGUAGE plpgsql AS $$
  DECLARE
    block cidr;
    address bigint;
    uppers cidr[] := '{}';
  BEGIN
    IF p_first_fit THEN
      SELECT prefix INTO block FROM free_blocks WHERE lease_id = p_lease AND length <= p_length ORDER BY prefix LIMIT 1;
    ELSE
      SELECT prefix INTO block FROM free_blocks WHERE lease_id = p_lease AND length <= p_length ORDER BY length DESC, prefix LIMIT 1;
    END IF;
    IF block IS NULL THEN RETURN NULL; END IF;
    DELETE FROM free_blocks WHERE lease_id = p_lease AND prefix = block;
    address := block - '0.0.0.0'::inet;
    FOR k IN masklen(block) + 1 .. p_length LOOP
      uppers := uppers || cidr_of(address + (1::bigint << (32 - k)), k);
    END LOOP;
    INSERT INTO free_blocks (lease_id, prefix) SELECT p_lease, unnest(uppers);
    RETURN cidr_of(address, p_length);
  END $$`;

const CLAIM_V1 = `
  CREATE OR REPLACE FUNCTION free_blocks_claim(p_lease uuid, p_prefix cidr) RETURNS boolean
  LANGUAGE plpgsql AS $$
  DECLARE
    block cidr;
    address bigint;
    target bigint := p_prefix - '0.0.0.0'::inet;
    half bigint;
    pieces cidr[] := '{}';
  BEGIN
    SELECT prefix INTO block FROM free_blocks
     WHERE lease_id = p_lease
       AND prefix = ANY (ARRAY(SELECT set_masklen(p_prefix, l)::cidr FROM generate_series(0, masklen(p_prefix)) AS l));
    IF block IS NULL THEN RETURN false; END IF;
    DELETE FROM free_blocks WHERE lease_id = p_lease AND prefix = block;
    address := block - '0.0.0.0'::inet;
    FOR k IN masklen(block) + 1 .. masklen(p_prefix) LOOP
      half := 1::bigint << (32 - k);
      IF target >= address + half THEN
        pieces := pieces || cidr_of(address, k);
        address := address + half;
      ELSE
        pieces := pieces || cidr_of(address + half, k);
      END IF;
    END LOOP;
    INSERT INTO free_blocks (lease_id, prefix) SELECT p_lease, unnest(pieces);
    RETURN true;
  END $$`;

export class ParallelAllocation1775000000000 implements MigrationInterface {
  name = 'ParallelAllocation1775000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(TAKE);
    await q.query(CLAIM);
    await q.query(RELEASE('FOR NO KEY UPDATE'));
    await q.query(PLACE(SHARED_LEASE_LOCK));
    await q.query(VIEW);
    await q.query(CREATE);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION allocation_create(uuid, integer, boolean, cidr, uuid, uuid, text, text, bigint, text, text[], date, uuid, text, text, text, text[])`,
    );
    await q.query(`DROP FUNCTION allocation_view(allocations, boolean, jsonb)`);
    await q.query(PLACE(EXCLUSIVE_LEASE_LOCK));
    await q.query(RELEASE(''));
    await q.query(CLAIM_V1);
    await q.query(TAKE_V1);
  }
}
