import { buildService } from '../support/process';
import { FAULT_ENV } from './env';

/** Compiles the service once for every fault test that runs it as a real process. */
export default function globalSetup(): void {
  process.env[FAULT_ENV.mainJs] = buildService('fault');
}
