import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root, from the sources or from a compiled copy (the bench's .test-build). */
function repoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'iplease') return dir;
  }
  throw new Error('cannot find the iplease package.json');
}
const root = repoRoot();

/** The terraform binary to drive: TERRAFORM_BIN, else `terraform` on PATH; undefined when neither runs. */
export function findTerraform(): string | undefined {
  const candidate = process.env.TERRAFORM_BIN ?? 'terraform';
  const probe = spawnSync(candidate, ['version'], {
    encoding: 'utf8',
    env: { ...process.env, CHECKPOINT_DISABLE: '1' },
  });
  return probe.status === 0 ? candidate : undefined;
}

/** Builds the provider and lays out the filesystem mirror `terraform init` installs from, offline. */
export function buildMirror(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iplease-tf-mirror-'));
  execFileSync(process.execPath, [path.join(root, 'scripts', 'provider-mirror.js'), dir], { cwd: root, stdio: 'pipe' });
  return dir;
}

export interface TfResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * One Terraform working directory with its own HOME, TMPDIR and CLI configuration (the mirror as
 * the only installation source), talking to one iplease.
 */
export class TfWorkspace {
  readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly terraform: string,
    mirror: string,
    api: { endpoint: string; apiKey: string },
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iplease-tf-'));
    const home = path.join(this.dir, 'home');
    const tmp = path.join(this.dir, 'tmp');
    fs.mkdirSync(home);
    fs.mkdirSync(tmp);
    fs.mkdirSync(path.join(this.dir, 'work'));
    const cliConfig = path.join(this.dir, 'terraformrc');
    fs.writeFileSync(
      cliConfig,
      `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/iplease/iplease"]\n  }\n}\n`,
    );
    this.env = {
      PATH: process.env.PATH,
      HOME: home,
      TMPDIR: tmp,
      TF_CLI_CONFIG_FILE: cliConfig,
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      IPLEASE_ENDPOINT: api.endpoint,
      IPLEASE_API_KEY: api.apiKey,
      ...(process.env.TF_LOG ? { TF_LOG: process.env.TF_LOG, TF_LOG_PATH: path.join(this.dir, 'terraform.log') } : {}),
    };
  }

  get workDir(): string {
    return path.join(this.dir, 'work');
  }

  write(config: string, file = 'main.tf'): void {
    fs.writeFileSync(path.join(this.workDir, file), config);
  }

  run(...args: string[]): Promise<TfResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.terraform, [...args], { cwd: this.workDir, env: this.env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  /** Runs and insists on the exit code, showing Terraform's own words when it differs. */
  async expect(code: number, ...args: string[]): Promise<TfResult> {
    const result = await this.run(...args);
    if (result.code !== code) {
      throw new Error(
        `terraform ${args.join(' ')} exited ${result.code}, expected ${code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
      );
    }
    return result;
  }

  async state(): Promise<Record<string, Record<string, unknown>>> {
    const shown = await this.expect(0, 'show', '-json', '-no-color');
    const parsed = JSON.parse(shown.stdout) as {
      values?: { root_module?: { resources?: { address: string; values: Record<string, unknown> }[] } };
    };
    const out: Record<string, Record<string, unknown>> = {};
    for (const r of parsed.values?.root_module?.resources ?? []) out[r.address] = r.values;
    return out;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The provider executable inside a mirror built by buildMirror. */
export function launcherIn(mirror: string): string {
  const base = path.join(mirror, 'registry.terraform.io', 'iplease', 'iplease');
  const version = fs.readdirSync(base)[0];
  const platformDir = path.join(base, version, fs.readdirSync(path.join(base, version))[0]);
  return path.join(platformDir, `terraform-provider-iplease_v${version}`);
}
