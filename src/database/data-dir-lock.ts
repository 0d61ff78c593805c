import * as fs from 'node:fs';
import * as path from 'node:path';

export const LOCK_FILE = 'iplease.pid';

export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`DATA_DIR ${dataDir} is in use by process ${pid}; stop it first or choose another DATA_DIR`);
  }
}

export interface DataDirLock {
  release(): void;
}

interface Owner {
  pid: number;
  /** Start time of the process (Linux /proc, clock ticks since boot): tells a live owner from a reused pid. */
  started?: string;
}

/**
 * One process at a time may run the embedded PostgreSQL of a DATA_DIR: a second one would stop
 * the first one's server (see stopStalePostmaster). The lock is a file holding the owner's pid and
 * start time, created with O_EXCL; a lock whose process is gone (a crash, kill -9) is stale and taken over.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE);
  const me: Owner = { pid: process.pid, started: processStartTime(process.pid) };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(file, `${me.pid}\n${me.started ?? ''}\n`, { flag: 'wx', mode: 0o644 });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        // Only remove our own lock (a stale-lock takeover by another process must survive).
        if (sameOwner(readOwner(file), me)) fs.rmSync(file, { force: true });
      };
      process.on('exit', release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(file);
    if (owner && isRunning(owner)) throw new DataDirInUse(dataDir, owner.pid);
    // Stale: the owner is gone. Rename first so that of two processes racing for it only one removes it.
    const aside = `${file}.stale-${process.pid}`;
    try {
      fs.renameSync(file, aside);
      fs.rmSync(aside, { force: true });
    } catch {
      // Someone else took it over or removed it; try again.
    }
  }
  throw new Error(`could not lock DATA_DIR ${dataDir} (${file} keeps changing)`);
}

function readOwner(file: string): Owner | undefined {
  try {
    const [pid, started] = fs.readFileSync(file, 'utf8').split('\n');
    const parsed = Number(pid);
    if (!Number.isInteger(parsed) || parsed <= 0) return undefined;
    return { pid: parsed, started: started || undefined };
  } catch {
    return undefined;
  }
}

function sameOwner(a: Owner | undefined, b: Owner): boolean {
  return !!a && a.pid === b.pid && (a.started ?? '') === (b.started ?? '');
}

function isRunning(owner: Owner): boolean {
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's process.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = processStartTime(owner.pid);
  return !owner.started || !started || started === owner.started;
}

function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name (field 2) may contain spaces, so count from its closing parenthesis.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
