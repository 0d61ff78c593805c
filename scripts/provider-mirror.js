// `npm run provider:mirror -- DIR`: builds the provider and lays it out as Terraform's unpacked
// filesystem mirror, so `terraform init` works with no network:
//   DIR/registry.terraform.io/iplease/iplease/VERSION/OS_ARCH/terraform-provider-iplease_vVERSION
// The executable is a `#!/bin/sh` launcher that execs Node.js on one bundled file (esbuild) in
// lib/ (Terraform runs the first file named terraform-provider-iplease*), so the provider needs
// nothing but Node.js on the user's machine.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const VERSION = '0.1.0';
const MIN_NODE_MAJOR = 20;

function platform() {
  const os = { linux: 'linux', darwin: 'darwin', freebsd: 'freebsd' }[process.platform];
  const arch = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' }[process.arch];
  if (!os || !arch) throw new Error(`unsupported platform ${process.platform}/${process.arch}`);
  return `${os}_${arch}`;
}

function main() {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: npm run provider:mirror -- DIR');
    process.exit(2);
  }
  const built = path.join(root, 'dist', 'terraform-provider', 'src', 'main.js');
  if (process.env.PROVIDER_MIRROR_SKIP_BUILD !== '1' || !fs.existsSync(built)) {
    execFileSync(process.execPath, [path.join(__dirname, 'provider-build.js')], { cwd: root, stdio: 'inherit' });
  }
  const dir = path.join(path.resolve(target), 'registry.terraform.io', 'iplease', 'iplease', VERSION, platform());
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  require('esbuild').buildSync({
    entryPoints: [built],
    bundle: true,
    platform: 'node',
    target: `node${MIN_NODE_MAJOR}`,
    format: 'cjs',
    outfile: path.join(dir, 'lib', 'iplease-provider.js'),
    legalComments: 'eof',
    logLevel: 'warning',
  });
  fs.cpSync(path.join(root, 'terraform-provider', 'proto'), path.join(dir, 'lib', 'proto'), { recursive: true });
  const launcher = path.join(dir, `terraform-provider-iplease_v${VERSION}`);
  fs.writeFileSync(
    launcher,
    [
      '#!/bin/sh',
      `# iplease Terraform provider ${VERSION}: needs Node.js ${MIN_NODE_MAJOR} or newer on PATH (or IPLEASE_NODE).`,
      'here=$(dirname "$0")',
      'exec "${IPLEASE_NODE:-node}" "$here/lib/iplease-provider.js" "$@"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  console.log(dir);
}

main();
