import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event log (a transactional outbox), the scheduler's "fired once" keys, webhooks and their
 * delivery log.
 *
 * events.xid is the writing transaction's id. Readers only serve events whose xid lies below the
 * xmin of their snapshot (every transaction below it has finished), ordered by (xid, seq): an
 * event can never appear behind a position a reader has already passed, whatever order
 * concurrent writers commit in. A sequence alone would not do: seq 7 can commit before seq 6.
 */
export class Events1769000000000 implements MigrationInterface {
  name = 'Events1769000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        id           uuid NOT NULL DEFAULT gen_random_uuid(),
        seq          bigint GENERATED ALWAYS AS IDENTITY,
        xid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
        type         text NOT NULL,
        occurred_at  timestamptz NOT NULL DEFAULT now(),
        entity_type  text NOT NULL,
        entity_id    uuid NOT NULL,
        actor_key_id uuid,
        actor_name   text,
        request_id   text,
        client_request_id text,
        data         jsonb,
        previous     jsonb,
        CONSTRAINT events_pkey PRIMARY KEY (id),
        CONSTRAINT events_type_check CHECK (type ~ '^[a-z_]+\\.[a-z_]+$')
      )`);
    await q.query(`CREATE UNIQUE INDEX events_seq_key ON events (seq)`);
    await q.query(`CREATE UNIQUE INDEX events_position_key ON events (xid, seq)`);
    await q.query(`CREATE INDEX events_entity_idx ON events (entity_id, xid, seq)`);
    await q.query(`CREATE INDEX events_type_idx ON events (type, xid, seq)`);
    await q.query(`
      CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
      FOR EACH ROW EXECUTE FUNCTION events_append_only()`);

    // One row per time-driven event that fired: the primary key is "once per entity, kind, term
    // and threshold", so any number of scheduler instances fire each at most once. The key is
    // claimed before its event is written (same transaction), hence the deferred foreign key.
    await q.query(`
      CREATE TABLE scheduled_fires (
        entity_id  uuid NOT NULL,
        kind       text NOT NULL,
        term_end   date NOT NULL,
        threshold  integer NOT NULL DEFAULT 0,
        event_id   uuid NOT NULL,
        fired_at   timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT scheduled_fires_pkey PRIMARY KEY (entity_id, kind, term_end, threshold),
        CONSTRAINT scheduled_fires_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id) DEFERRABLE INITIALLY DEFERRED
      )`);

    // Does a subscription's filter ("*", "lease.*", "allocation.created") take this event type?
    await q.query(`
      CREATE FUNCTION webhook_wants(event_types text[], event_type text)
      RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT EXISTS (
          SELECT 1 FROM unnest(event_types) AS p
           WHERE p = '*' OR p = event_type
              OR (right(p, 2) = '.*' AND left(event_type, length(p) - 1) = left(p, length(p) - 1))
        )
      $$`);

    await q.query(`
      CREATE TABLE webhooks (
        id          uuid NOT NULL DEFAULT gen_random_uuid(),
        seq         bigint GENERATED ALWAYS AS IDENTITY,
        url         text NOT NULL,
        event_types text[] NOT NULL,
        description text,
        active      boolean NOT NULL DEFAULT true,
        secret      text NOT NULL,
        version     integer NOT NULL DEFAULT 1,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhooks_pkey PRIMARY KEY (id),
        CONSTRAINT webhooks_url_check CHECK (url ~ '^https?://'),
        CONSTRAINT webhooks_event_types_check CHECK (cardinality(event_types) BETWEEN 1 AND 100),
        CONSTRAINT webhooks_secret_check CHECK (secret ~ '^whsec_')
      )`);
    await q.query(`CREATE UNIQUE INDEX webhooks_seq_key ON webhooks (seq)`);

    // The delivery log is also the queue: one row per attempt. A pending row is claimed with
    // FOR UPDATE SKIP LOCKED and leased (locked_until) while its HTTP request runs.
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id              uuid NOT NULL DEFAULT gen_random_uuid(),
        seq             bigint GENERATED ALWAYS AS IDENTITY,
        webhook_id      uuid NOT NULL,
        event_id        uuid NOT NULL,
        attempt         integer NOT NULL DEFAULT 1,
        status          text NOT NULL DEFAULT 'pending',
        next_attempt_at timestamptz DEFAULT now(),
        locked_until    timestamptz,
        locked_by       uuid,
        response_status integer,
        duration_ms     integer,
        error           text,
        at              timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id),
        CONSTRAINT webhook_deliveries_webhook_id_fkey FOREIGN KEY (webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE,
        CONSTRAINT webhook_deliveries_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
        CONSTRAINT webhook_deliveries_attempt_key UNIQUE (webhook_id, event_id, attempt),
        CONSTRAINT webhook_deliveries_attempt_check CHECK (attempt >= 1),
        CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'succeeded', 'failed', 'gave-up')),
        CONSTRAINT webhook_deliveries_due_check CHECK (status <> 'pending' OR next_attempt_at IS NOT NULL)
      )`);
    await q.query(`CREATE UNIQUE INDEX webhook_deliveries_seq_key ON webhook_deliveries (seq)`);
    await q.query(`CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, seq)`);
    await q.query(
      `CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhooks`);
    await q.query(`DROP FUNCTION webhook_wants(text[], text)`);
    await q.query(`DROP TABLE scheduled_fires`);
    await q.query(`DROP TABLE events`);
    await q.query(`DROP FUNCTION events_append_only()`);
  }
}
