import { AsyncLocalStorage } from 'node:async_hooks';

export type Role = 'admin' | 'engineer' | 'finance' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'engineer', 'finance', 'viewer'];

export interface Actor {
  keyId: string;
  name: string;
  role: Role;
}

export interface RequestContext {
  requestId: string;
  actor?: Actor;
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
