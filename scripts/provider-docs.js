// `npm run provider:docs`: writes docs/terraform-attributes.md from the schema the provider serves.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
execFileSync(process.execPath, [path.join(__dirname, 'provider-build.js')], { cwd: root, stdio: 'inherit' });
const { renderAttributeDocs } = require(path.join(root, 'dist', 'terraform-provider', 'src', 'docs.js'));
fs.writeFileSync(path.join(root, 'docs', 'terraform-attributes.md'), renderAttributeDocs());
console.error('wrote docs/terraform-attributes.md');
