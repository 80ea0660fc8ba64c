/**
 * The folder layout is the architecture (docs/architecture.md, "The layering rule"): each
 * package declares in its package.json exactly the packages its sources import, core knows no
 * other Loopabull package, and an automation imports only the shared layers, never another
 * automation or a process of the engine (looper, worker, cli).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const PACKAGES = fileURLToPath(new URL('../packages/', import.meta.url));
const AUTOMATIONS = ['hardware', 'slavealloc', 'taskotron'];
/** What an automation may build on. */
const SHARED_LAYERS = ['core', 'server', 'database', 'playbook'];

const packages = readdirSync(PACKAGES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((f) => f.isFile() && /\.ts$/.test(f.name) && !/\.test\.ts$/.test(f.name))
    .map((f) => join(f.parentPath, f.name));
}

/** The npm package each `import … from '…'` (and `import('…')`) of a package's sources names. */
function importedPackages(pkg: string): Set<string> {
  const found = new Set<string>();
  const specifier = /(?:from\s+|import\s*\(\s*|^import\s+)'([^'.][^']*)'/gm;
  for (const file of sources(join(PACKAGES, pkg, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(specifier)) {
      const name = m[1]!;
      if (name.startsWith('node:') || builtinModules.includes(name)) continue;
      const parts = name.split('/');
      found.add(name.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
  }
  return found;
}

function declared(pkg: string): Set<string> {
  const json = JSON.parse(readFileSync(join(PACKAGES, pkg, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return new Set(Object.keys(json.dependencies ?? {}));
}

const ours = (names: Set<string>) =>
  [...names].filter((n) => n.startsWith('@loopabull/')).map((n) => n.slice('@loopabull/'.length));

describe('package imports', () => {
  it.each(packages)('%s declares every package its sources import', (pkg) => {
    const missing = [...importedPackages(pkg)].filter((n) => !declared(pkg).has(n));
    expect(missing).toEqual([]);
  });

  it.each(packages)('%s declares no dependency its sources do not import', (pkg) => {
    const imported = importedPackages(pkg);
    // Type-only packages and run-time helpers loaded by name are imported through others.
    const unused = [...declared(pkg)].filter((n) => !imported.has(n) && !n.startsWith('@types/'));
    expect(unused).toEqual([]);
  });

  it('core imports no other Loopabull package', () => {
    expect(ours(importedPackages('core'))).toEqual([]);
  });

  it.each(AUTOMATIONS)('automation %s imports only the shared layers', (pkg) => {
    const beyond = ours(importedPackages(pkg)).filter((n) => !SHARED_LAYERS.includes(n));
    expect(beyond).toEqual([]);
  });

  it('the shared layers import no automation', () => {
    for (const layer of SHARED_LAYERS)
      expect(ours(importedPackages(layer)).filter((n) => AUTOMATIONS.includes(n))).toEqual([]);
  });
});
