// stdout-guard must be the first import: from then on nothing but the handshake reaches stdout.
import './stdout-guard';
import { log } from './log';
import { serve } from './plugin-server';

// AbortSignal.any (cancelling requests on StopProvider and on timeouts) arrived in Node.js 20.3.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 3)) {
  log('ERROR', `The iplease provider needs Node.js 20.3 or newer; this is ${process.version}.`);
  process.exit(1);
}

serve().catch((error: unknown) => {
  log('ERROR', 'iplease provider failed to start:', error);
  process.exit(1);
});
