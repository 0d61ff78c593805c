import 'reflect-metadata';
import { runCli } from './cli';

/** `npm run cli -- api-key create --name ci --role engineer` (see runCli for the commands). */
runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
