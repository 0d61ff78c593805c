// stdout-guard must be the first import: from then on nothing but the handshake reaches stdout.
import './stdout-guard';
import { log } from './log';
import { serve } from './plugin-server';

serve().catch((error: unknown) => {
  log('ERROR', 'iplease provider failed to start:', error);
  process.exit(1);
});
