#!/usr/bin/env node
'use strict';
/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by package/area and the top functions.
 * Usage: node scripts/cpu-profile-summary.js file.cpuprofile [--top=25] [--skip=8]
 * --skip drops the first seconds of the profile (start-up: module loading, migrations check).
 */
const fs = require('node:fs');

const file = process.argv[2];
const flag = (name, fallback) =>
  Number((process.argv.find((a) => a.startsWith(`--${name}=`)) ?? `=${fallback}`).split('=')[1]);
const top = flag('top', 25);
const skipUs = flag('skip', 0) * 1e6;
if (!file) {
  console.error('usage: node scripts/cpu-profile-summary.js file.cpuprofile [--top=25] [--skip=seconds]');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const deltas = profile.timeDeltas;
let elapsed = 0;
for (let i = 0; i < profile.samples.length; i++) {
  elapsed += deltas[i] ?? 0;
  if (elapsed < skipUs) continue;
  const id = profile.samples[i];
  self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
}

function area(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native/builtin)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const src = url.indexOf('/dist/src/');
  if (src >= 0) return `iplease ${url.slice(src + 10).split('/')[0]}/`;
  return url.replace(/^file:\/\//, '');
}

const byArea = new Map();
const byFunction = new Map();
let total = 0;
for (const [id, us] of self) {
  const node = nodes.get(id);
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  const a = area(url, name);
  total += us;
  if (name === '(idle)') continue;
  byArea.set(a, (byArea.get(a) ?? 0) + us);
  const key = `${name} ${a}${url ? `:${lineNumber + 1}` : ''}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}
const idle = [...self]
  .filter(([id]) => nodes.get(id).callFrame.functionName === '(idle)')
  .reduce((s, [, v]) => s + v, 0);
const busy = total - idle;
const pct = (us) => `${((us / busy) * 100).toFixed(1).padStart(5)} %`;
console.log(
  `profile ${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (idle excluded below)`,
);
console.log('\nself time by area:');
for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${a}`);
console.log('\nself time by function:');
for (const [f, us] of [...byFunction].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${f}`);
