// Builds the Terraform provider (terraform-provider/) into dist/terraform-provider: TypeScript
// compiled with its own tsconfig, and the .proto files it loads at run time copied beside it.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'terraform-provider/tsconfig.json'], {
  cwd: root,
  stdio: 'inherit',
});
fs.cpSync(path.join(root, 'terraform-provider', 'proto'), path.join(root, 'dist', 'terraform-provider', 'proto'), {
  recursive: true,
});
