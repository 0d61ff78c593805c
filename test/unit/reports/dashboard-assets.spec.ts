import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findDashboardDir } from '../../../src/reports/dashboard.controller';

describe('findDashboardDir', () => {
  let root: string;
  const touch = (file: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '<!doctype html>');
  };

  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('prefers the copy next to the compiled module (nest build assets)', () => {
    touch(path.join(root, 'dist/src/reports/dashboard/index.html'));
    touch(path.join(root, 'src/reports/dashboard/index.html'));
    expect(findDashboardDir(path.join(root, 'dist/src/reports'))).toBe(path.join(root, 'dist/src/reports/dashboard'));
  });

  it('falls back to the source tree for a plain tsc build', () => {
    touch(path.join(root, 'src/reports/dashboard/index.html'));
    expect(findDashboardDir(path.join(root, '.test-build/service/src/reports'))).toBe(
      path.join(root, 'src/reports/dashboard'),
    );
  });

  it('answers undefined when the page is nowhere', () => {
    expect(findDashboardDir(path.join(root, 'dist/src/reports'))).toBeUndefined();
  });

  it('finds the real page from the source module', () => {
    expect(findDashboardDir(path.resolve(__dirname, '../../../src/reports'))).toBe(
      path.resolve(__dirname, '../../../src/reports/dashboard'),
    );
  });
});
