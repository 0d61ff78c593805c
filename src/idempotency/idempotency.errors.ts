import { DomainError } from '../errors/domain-errors';

export class IdempotencyKeyReused extends DomainError {
  constructor() {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used for a different request (method, path, query or body differ). Use a new key for a new request.',
    );
  }
}

export class IdempotencyKeyInUse extends DomainError {
  constructor(
    message = 'A request with this Idempotency-Key was accepted but its response is not available yet; retry in a few seconds.',
  ) {
    super('IDEMPOTENCY_KEY_IN_USE', message);
  }
}

/**
 * Thrown inside the transaction when a concurrent twin committed the same claim first: the
 * transaction rolls back and the interceptor replays the twin's response instead.
 */
export class IdempotencyRaceLost extends IdempotencyKeyInUse {
  constructor() {
    super('A concurrent request with this Idempotency-Key is still in progress; retry in a few seconds.');
  }
}
