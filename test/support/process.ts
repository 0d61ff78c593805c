import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Compiles the service once into .test-build/<name> (inside the repo, so node_modules resolves)
 * and returns the path of its main.js. Tests that need real processes run this exact output.
 */
export function buildService(name: string): string {
  const outDir = path.join(ROOT, '.test-build', name);
  fs.rmSync(outDir, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', outDir],
    { cwd: ROOT, stdio: 'pipe' },
  );
  // Postgres runs as the postgres user when the tests run as root; it reads nothing from here,
  // but a non-root service process (see the process tests) must be able to read the build.
  fs.chmodSync(path.join(ROOT, '.test-build'), 0o755);
  return path.join(outDir, 'src', 'main.js');
}

/**
 * Waits for the "iplease listening on" line of a service started with PORT=0 and answers the port
 * the kernel gave it. A port picked beforehand (freePort) stays free only until someone else takes
 * it: a CI run lost one to another process while the embedded PostgreSQL was starting.
 */
export async function listeningPort(proc: ServiceProcess, timeoutMs?: number): Promise<number> {
  const [, port] = await proc.waitFor(/iplease listening on http:\/\/\S+?:(\d+) - API docs/, timeoutMs);
  return Number(port);
}

export interface ServiceProcess {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startService(
  mainJs: string,
  env: Record<string, string>,
  options: { uid?: number; gid?: number; cwd?: string } = {},
): ServiceProcess {
  const child = spawn(process.execPath, [mainJs], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', ...env },
    uid: options.uid,
    gid: options.gid,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => output,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output.slice(-3000)}`));
        }, timeoutMs);
        timer.unref();
        listeners.add(check);
        check();
      });
    },
    exited(timeoutMs = 15_000) {
      return Promise.race([
        exit,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`process did not exit within ${timeoutMs} ms:\n${output.slice(-3000)}`)),
            timeoutMs,
          ).unref(),
        ),
      ]);
    },
  };
}

export function systemUser(name: string): { uid: number; gid: number } | undefined {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim()),
    };
  } catch {
    return undefined;
  }
}
