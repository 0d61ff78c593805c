import { AsyncLocalStorage } from 'node:async_hooks';

export type Role = 'admin' | 'engineer' | 'finance' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'engineer', 'finance', 'viewer'];

export interface Actor {
  keyId: string;
  name: string;
  role: Role;
}

/**
 * An Idempotency-Key the request has not yet claimed. Database.transaction inserts the claim as the
 * first statement of the request's transaction, so it commits with the change or not at all.
 */
export interface IdempotencyClaim {
  apiKeyId: string;
  key: string;
  fingerprint: Buffer;
  method: string;
  path: string;
  /** Set once a transaction carrying the claim has committed. */
  claimed: boolean;
}

export interface RequestContext {
  requestId: string;
  actor?: Actor;
  /** Who acted when no API key did (the CLI); recorded as the audit actor's name. */
  operator?: string;
  idempotency?: IdempotencyClaim;
  /** The primary's WAL position when the request was authenticated: a replica must have replayed this far to answer. */
  primaryWalPosition?: string;
  /** Whether this request reads from the replica (it had replayed past primaryWalPosition) or not: decided once. */
  replicaRead?: 'fresh' | 'lagging';
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Per-request facts (request id, calling key) that the audit trail needs without threading them through every call. */
export const requestContext = {
  run<T>(context: RequestContext, fn: () => T): T {
    return storage.run(context, fn);
  },
  current(): RequestContext | undefined {
    return storage.getStore();
  },
};
