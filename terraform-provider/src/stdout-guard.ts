import { format } from 'node:util';

/**
 * go-plugin reads the handshake from the first line the plugin writes to stdout, so nothing else
 * may ever go there. Imported first by main.ts: from here on stdout writes (console.log from any
 * dependency, too) land on stderr, and only `writeHandshake` reaches the real stdout.
 */
const realStdoutWrite = process.stdout.write.bind(process.stdout);

export function writeHandshake(line: string): void {
  realStdoutWrite(`${line}\n`);
}

process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
for (const method of ['log', 'info', 'debug', 'trace'] as const) {
  console[method] = (...args: unknown[]) => void process.stderr.write(`[DEBUG] ${format(...args)}\n`);
}
