/**
 * The Terraform provider as a user meets it: how long the provider process takes from spawn to
 * handshake (Terraform starts it 3–5 times per command), `terraform apply` of 50 allocations in
 * one lease at the default parallelism, and `terraform plan` over 100 resources in state (each
 * refreshed with a GET). Needs `terraform` on PATH (or TERRAFORM_BIN); skipped, with a line in
 * the log, when there is none.
 */
import { spawn } from 'node:child_process';
import type { Benchmark } from './lib/benchmark';
import { insertLease } from './lib/seed';
import { summarise } from './lib/stats';
import { selfSignedCertificate } from '../terraform-provider/src/tls';
import { buildMirror, findTerraform, launcherIn, TfWorkspace } from '../test/support/terraform';

const STARTUP_SAMPLES = 15;
const PLAN_SAMPLES = 3;

function handshakeMs(launcher: string, clientCert: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(launcher, [], {
      env: {
        PATH: process.env.PATH,
        TF_PLUGIN_MAGIC_COOKIE: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2',
        PLUGIN_PROTOCOL_VERSIONS: '6',
        PLUGIN_CLIENT_CERT: clientCert,
      },
    });
    child.stdout.once('data', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      child.kill('SIGTERM');
      resolve(ms);
    });
    child.on('error', reject);
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const allocations = (leaseId: string, world: { regionId: string; providerId: string }, n: number) => `
terraform {
  required_providers {
    iplease = { source = "iplease/iplease", version = "0.1.0" }
  }
}
provider "iplease" {}
resource "iplease_allocation" "a" {
  for_each      = toset([for i in range(${n}) : tostring(i)])
  lease_id      = "${leaseId}"
  prefix_length = 28
  region_id     = "${world.regionId}"
  provider_id   = "${world.providerId}"
}
`;

export const benchmark: Benchmark = {
  name: 'terraform',
  title: 'Terraform provider: start-up, apply of 50 allocations, plan of 100 resources',
  async run(ctx) {
    const terraform = findTerraform();
    if (!terraform) {
      ctx.log('TERRAFORM BENCHMARK SKIPPED: no terraform binary (TERRAFORM_BIN or PATH)');
      return;
    }
    const mirror = buildMirror();
    const launcher = launcherIn(mirror);
    const clientCert = selfSignedCertificate().cert;
    const startup: number[] = [];
    for (let i = 0; i < STARTUP_SAMPLES; i++) startup.push(await handshakeMs(launcher, clientCert));
    const s = summarise(startup);
    ctx.record({
      key: 'terraform.startup.p50',
      metric: 'provider start-up to handshake, p50',
      value: s.p50,
      unit: 'ms',
      note: `${STARTUP_SAMPLES} spawns, node + bundle + AutoMTLS cert (node:crypto)`,
    });

    const api = { endpoint: ctx.service.baseUrl, apiKey: ctx.http.apiKey };
    const ws = new TfWorkspace(terraform, mirror, api);
    try {
      const leaseId = await insertLease(ctx.db, ctx.world, ctx.takePrefix(20).prefix);
      ws.write(allocations(leaseId, ctx.world, 50));
      await ws.expect(0, 'init', '-no-color');
      const apply50 = await timed(() => ws.expect(0, 'apply', '-auto-approve', '-no-color'));
      ctx.record({
        key: 'terraform.apply50',
        metric: 'terraform apply: 50 allocations in one lease',
        value: apply50,
        unit: 'ms',
        note: 'default parallelism (10), next-free /28',
      });
      ws.write(allocations(leaseId, ctx.world, 100));
      await ws.expect(0, 'apply', '-auto-approve', '-no-color');
      const plans: number[] = [];
      for (let i = 0; i < PLAN_SAMPLES; i++)
        plans.push(await timed(() => ws.expect(0, 'plan', '-detailed-exitcode', '-no-color')));
      ctx.record({
        key: 'terraform.plan100',
        metric: 'terraform plan: 100 resources in state, no change',
        value: summarise(plans).p50,
        unit: 'ms',
        note: `median of ${PLAN_SAMPLES}; refresh reads each one`,
      });
      await ws.expect(0, 'destroy', '-auto-approve', '-no-color');
    } finally {
      ws.remove();
    }
  },
};
