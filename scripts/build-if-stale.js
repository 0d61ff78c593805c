// `npm start` builds first; skip the build when dist/ is newer than every source file, so a warm
// start does not pay for a compile it does not need.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const marker = path.join(root, 'dist', 'src', 'main.js');
const inputs = [
  'src',
  'migrations',
  'terraform-provider',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
];

function newest(entry) {
  const full = path.join(root, entry);
  if (!fs.existsSync(full)) return 0;
  const stat = fs.statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(full).reduce((max, name) => Math.max(max, newest(path.join(entry, name))), stat.mtimeMs);
}

const built = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
if (built === 0 || inputs.some((entry) => newest(entry) > built)) {
  execFileSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
  // The same build as `npm run build`: nest build empties dist/, so the provider is built after it.
  execFileSync(process.execPath, [path.join(__dirname, 'provider-build.js')], { cwd: root, stdio: 'inherit' });
  // nest build may leave main.js untouched when it did not change; mark the build as current.
  const now = new Date();
  fs.utimesSync(marker, now, now);
}
