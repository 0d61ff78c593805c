import { Client } from 'pg';

/**
 * The pg Client of every pool the service runs. pg emits 'error' on a client whose connection
 * fails while it runs no query — the server ending it (57P01 when PostgreSQL stops or fails over,
 * pg_terminate_backend) or a reset socket — and an 'error' nobody listens to ends the process.
 * The pool listens while a client is idle, TypeORM while a query runner holds it, our transactions
 * while they run; a client caught between those hands-offs when PostgreSQL stopped took the whole
 * service down (seen in CI). This listener is always there. It hides nothing: a client that failed
 * is no longer queryable, so its next query fails and is answered as a lost database (503), and
 * the pool discards it when it comes back.
 */
export class ListenedClient extends Client {
  constructor(config?: ConstructorParameters<typeof Client>[0]) {
    super(config);
    this.on('error', () => undefined);
  }
}
