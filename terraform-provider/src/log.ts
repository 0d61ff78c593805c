import { format } from 'node:util';

export type Level = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Terraform reads the plugin's stderr as its log and takes the level from the bracketed prefix. */
export function log(level: Level, ...args: unknown[]): void {
  process.stderr.write(`[${level}] ${format(...args)}\n`);
}
