import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { freePort } from '../../src/database/embedded-postgres';

export interface ServiceHandle {
  baseUrl: string;
  pid: number;
  logFile: string;
  /** Resident set size now, in MiB (Linux /proc; NaN elsewhere). */
  rssMiB(): number;
  /** CPU time the service process has used so far, in seconds (Linux /proc; NaN elsewhere). */
  cpuSeconds(): number;
  /** Samples RSS every intervalMs until the returned stop() is called; stop() answers the peak. */
  sampleRss(intervalMs?: number): () => { peakMiB: number; samples: number };
  stop(): Promise<void>;
}

/**
 * Runs the compiled service (the same main.js `npm start` runs) as a child process, so the load
 * generator and the service do not share an event loop. Logs go to a file, at the level given.
 */
export async function startService(
  mainJs: string,
  env: Record<string, string>,
  workDir: string,
  nodeArgs: string[] = [],
): Promise<ServiceHandle> {
  const port = await freePort();
  const logFile = path.join(workDir, 'service.log');
  const log = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, mainJs], {
    cwd: path.dirname(mainJs),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'production',
      PORT: String(port),
      DATA_DIR: path.join(workDir, 'service-data'),
      ...env,
    },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  // Whatever ends the bench, the service must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.removeListener('exit', killOnExit);
      resolve(code);
    }),
  );
  const baseUrl = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the service exited with ${child.exitCode} during startup; see ${logFile}:\n${tail(logFile)}`);
    if ((await probe(`${baseUrl}/health/ready`)) === 200) break;
    if (Date.now() > deadline)
      throw new Error(`the service was not ready within 60 s; see ${logFile}:\n${tail(logFile)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const pid = child.pid as number;
  const rssMiB = () => readRssMiB(pid);
  return {
    baseUrl,
    pid,
    logFile,
    rssMiB,
    cpuSeconds: () => readCpuSeconds(pid),
    sampleRss(intervalMs = 200) {
      let peak = rssMiB();
      let samples = 1;
      const timer = setInterval(() => {
        peak = Math.max(peak, rssMiB());
        samples++;
      }, intervalMs);
      return () => {
        clearInterval(timer);
        peak = Math.max(peak, rssMiB());
        return { peakMiB: peak, samples: samples + 1 };
      };
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000)),
      ]);
      if (code === 'timeout') child.kill('SIGKILL');
    },
  };
}

function readRssMiB(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

/** utime + stime from /proc/<pid>/stat, in clock ticks of 1/100 s (USER_HZ on Linux). */
function readCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function probe(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}
