/** What main.ts started around the application, for the parts that must report on it (readiness). */
export interface Runtime {
  /** The embedded PostgreSQL this process started, when it started one. */
  embeddedPostgres?: { running(): boolean };
}

export const RUNTIME = Symbol('RUNTIME');
