#!/usr/bin/env node
// Prints line and branch coverage per package from Jest's coverage/coverage-summary.json and
// fails when a package falls below its floor in coverage-floors.json. Floors only go up: when a
// package is well above its floor, it says so, so that the next commit can raise it.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const summaryFile = 'coverage/coverage-summary.json';
if (!existsSync(summaryFile)) {
  console.error(`${summaryFile} is missing: run Jest with --coverage first`);
  process.exit(1);
}
const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
const floors = JSON.parse(readFileSync('coverage-floors.json', 'utf8'));

/**
 * Whether a source file holds types only: its build is `export {};` and nothing else. No test
 * ever loads such a module (its importers' `import type` is erased), and V8's coverage then
 * counts each of its lines, comments included, as a line no test ran.
 */
const typesOnly = (source) => {
  const built = source.replace(/^packages\/([^/]+)\/src\/(.*)\.ts$/, 'packages/$1/dist/$2.js');
  if (built === source || !existsSync(built)) return false;
  const code = readFileSync(built, 'utf8')
    .replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '')
    .trim();
  return code === 'export {};';
};

const totals = new Map();
for (const [file, data] of Object.entries(summary)) {
  if (file === 'total') continue;
  const source = relative(process.cwd(), file);
  const pkg = /^packages\/([^/]+)\//.exec(source)?.[1];
  if (!pkg || typesOnly(source)) continue;
  const t = totals.get(pkg) ?? { lines: [0, 0], branches: [0, 0] };
  for (const kind of ['lines', 'branches']) {
    t[kind][0] += data[kind].covered;
    t[kind][1] += data[kind].total;
  }
  totals.set(pkg, t);
}

const pct = ([covered, total]) => (total === 0 ? 100 : (100 * covered) / total);
let failed = false;
console.log(
  '\ncoverage by package (in-process code; what tests run as separate processes is not counted)',
);
console.log('  package      lines  branches  floor (lines)');
for (const [pkg, t] of [...totals].sort()) {
  const lines = pct(t.lines);
  const floor = floors[pkg] ?? 0;
  const verdict =
    lines + 0.05 < floor ? '  BELOW FLOOR' : lines >= floor + 2 ? '  (raise the floor)' : '';
  if (verdict === '  BELOW FLOOR') failed = true;
  console.log(
    `  ${pkg.padEnd(11)} ${lines.toFixed(1).padStart(5)}%  ${pct(t.branches).toFixed(1).padStart(6)}%  ${String(floor).padStart(5)}%${verdict}`,
  );
}
process.exit(failed ? 1 : 0);
